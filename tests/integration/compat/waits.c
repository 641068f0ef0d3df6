/*
 * waits.c — every kind of wait a thread can park in, each woken by another
 * thread or process, for test_wakeups.c.  `waits KIND` runs one kind and
 * prints "KIND ok" when every wake-up it needed came; a missed wake-up
 * shows as a deadlock (simsup fails the run) or a wrong count.
 */
#include <errno.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20
#define NTHREADS 4

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void nap(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static void put(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		die("write");
}

static char get(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		die("read");
	return c;
}

/* ---- threads, each waiting on its own pipe: only the one written wakes ---- */

static int pipes[NTHREADS][2], backs[2];
static int how; /* 0 epoll LT, 1 epoll ET, 2 poll, 3 select, 4 blocking read */

static void *pipe_waiter(void *arg)
{
	int i = (int)(intptr_t)arg, rfd = pipes[i][0];
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | (how == 1 ? EPOLLET : 0), .data.fd = rfd };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev) < 0)
		die("epoll_ctl");
	for (int r = 0; r < ROUNDS; r++) {
		if (how <= 1) {
			struct epoll_event out;
			if (epoll_wait(ep, &out, 1, -1) != 1)
				die("epoll_wait");
		} else if (how == 2) {
			struct pollfd p = { .fd = rfd, .events = POLLIN };
			if (poll(&p, 1, -1) != 1)
				die("poll");
		} else if (how == 3) {
			fd_set s;
			FD_ZERO(&s);
			FD_SET(rfd, &s);
			if (select(rfd + 1, &s, NULL, NULL, NULL) != 1)
				die("select");
		}
		char c = get(rfd);
		if (how == 1 && r % 2 == 0) {
			/* edge-triggered: the second byte, written before we
			 * read the first, gives no new edge; read it now */
			char d = get(rfd);
			if (d != c)
				die("edge");
		}
		put(backs[1], c);
	}
	close(ep);
	return NULL;
}

static void threads_on_pipes(int kind)
{
	how = kind;
	pthread_t th[NTHREADS];
	if (pipe(backs) < 0)
		die("pipe");
	for (int i = 0; i < NTHREADS; i++) {
		if (pipe(pipes[i]) < 0)
			die("pipe");
		pthread_create(&th[i], NULL, pipe_waiter, (void *)(intptr_t)i);
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < NTHREADS; i++) {
			nap(100);
			put(pipes[i][1], (char)('a' + i));
			if (kind == 1 && r % 2 == 0)
				put(pipes[i][1], (char)('a' + i));
			if (get(backs[0]) != 'a' + i)
				die("wrong thread answered");
		}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
}

/* ---- EPOLLEXCLUSIVE: threads share a listener, each connection is accepted once ---- */

static int lsock, accepted;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *exclusive_acceptor(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lsock, &ev) < 0)
		die("epoll_ctl exclusive");
	for (;;) {
		struct epoll_event out;
		if (epoll_wait(ep, &out, 1, -1) != 1)
			die("epoll_wait");
		int c = accept4(lsock, NULL, NULL, SOCK_NONBLOCK);
		if (c < 0) {
			if (errno == EAGAIN)
				continue; /* another thread took it */
			die("accept");
		}
		char b;
		while (read(c, &b, 1) != 1)
			nap(10);
		close(c);
		pthread_mutex_lock(&mu);
		int n = ++accepted;
		pthread_mutex_unlock(&mu);
		if (b == 'q' || n >= ROUNDS + NTHREADS)
			break;
	}
	return NULL;
}

static int listen_tcp(int *port, int flags)
{
	int s = socket(AF_INET, SOCK_STREAM | flags, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0)
		die("listen");
	*port = ntohs(a.sin_port);
	return s;
}

static void send_one(int port, char what)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port) };
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0)
		die("connect");
	put(c, what);
	close(c);
}

static void epoll_exclusive(void)
{
	int port;
	lsock = listen_tcp(&port, SOCK_NONBLOCK);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, exclusive_acceptor, NULL);
	for (int r = 0; r < ROUNDS; r++) {
		nap(100);
		send_one(port, 'x');
	}
	for (int i = 0; i < NTHREADS; i++)
		send_one(port, 'q');
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	if (accepted != ROUNDS + NTHREADS)
		die("exclusive count");
}

/* ---- a listener shared by forked processes: blocking accept and epoll ---- */

static void shared_listener(void)
{
	int port;
	int l = listen_tcp(&port, 0), done[2];
	if (pipe(done) < 0)
		die("pipe");
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		if ((kids[k] = fork()) == 0) {
			int ep = epoll_create1(0);
			struct epoll_event ev = { .events = EPOLLIN };
			epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
			for (;;) {
				if (k == 1) {
					struct pollfd p = { .fd = l, .events = POLLIN };
					poll(&p, 1, -1);
				} else if (k == 2) {
					struct epoll_event out;
					epoll_wait(ep, &out, 1, -1);
				} /* k == 0: a blocking accept */
				int c = accept(l, NULL, NULL);
				if (c < 0)
					continue; /* a sibling took it */
				char b = get(c);
				close(c);
				put(done[1], b);
				if (b == 'q')
					_exit(0);
			}
		}
	}
	for (int r = 0; r < ROUNDS; r++) {
		nap(100);
		send_one(port, 'x');
		if (get(done[0]) != 'x')
			die("shared answer");
	}
	for (int k = 0; k < 3; k++) {
		send_one(port, 'q');
		get(done[0]);
	}
	for (int k = 0; k < 3; k++) {
		int st;
		if (waitpid(kids[k], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("child");
	}
}

/* ---- pipes between processes: ping-pong with blocking reads ---- */

static void pipes_between_processes(void)
{
	int a[2], b[2];
	if (pipe(a) < 0 || pipe(b) < 0)
		die("pipe");
	pid_t k = fork();
	if (k == 0) {
		for (int r = 0; r < ROUNDS; r++)
			put(b[1], (char)(get(a[0]) + 1));
		_exit(0);
	}
	for (int r = 0; r < ROUNDS; r++) {
		nap(50);
		put(a[1], (char)r);
		if (get(b[0]) != (char)(r + 1))
			die("pong");
	}
	int st;
	waitpid(k, &st, 0);
}

/* ---- eventfd: poll and a blocking read ---- */

static int efd;

static void *eventfd_waiter(void *arg)
{
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t v;
		if (arg) {
			struct pollfd p = { .fd = efd, .events = POLLIN };
			if (poll(&p, 1, -1) != 1)
				die("poll eventfd");
		}
		if (read(efd, &v, sizeof v) != sizeof v || v != 1)
			die("read eventfd");
		put(backs[1], 'e');
	}
	return NULL;
}

static void eventfds(void)
{
	if (pipe(backs) < 0)
		die("pipe");
	for (int polled = 0; polled < 2; polled++) {
		efd = eventfd(0, 0);
		pthread_t t;
		pthread_create(&t, NULL, eventfd_waiter, polled ? (void *)1 : NULL);
		for (int r = 0; r < ROUNDS; r++) {
			nap(100);
			uint64_t one = 1;
			if (write(efd, &one, sizeof one) != sizeof one)
				die("write eventfd");
			get(backs[0]);
		}
		pthread_join(t, NULL);
		close(efd);
	}
}

/* ---- signalfd in an epoll set, signalled by a thread and by a child ---- */

static void signalfds(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int sfd = signalfd(-1, &s, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	pid_t me = getpid();
	for (int r = 0; r < ROUNDS; r++) {
		pid_t k = fork();
		if (k == 0) {
			nap(200);
			kill(me, SIGUSR1);
			_exit(0);
		}
		struct epoll_event out;
		if (epoll_wait(ep, &out, 1, -1) != 1)
			die("epoll_wait signalfd");
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof si) != sizeof si || si.ssi_signo != SIGUSR1)
			die("read signalfd");
		waitpid(k, NULL, 0);
	}
}

/* ---- timerfd: periodic, waited for in epoll ---- */

static void timerfds(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, 0), ep = epoll_create1(0);
	struct itimerspec its = { .it_interval = { 0, 5000000 }, .it_value = { 0, 5000000 } };
	timerfd_settime(t, 0, &its, NULL);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev);
	uint64_t total = 0;
	while (total < ROUNDS) {
		struct epoll_event out;
		if (epoll_wait(ep, &out, 1, -1) != 1)
			die("epoll_wait timerfd");
		uint64_t n;
		if (read(t, &n, sizeof n) != sizeof n || n == 0)
			die("read timerfd");
		total += n;
	}
}

/* ---- futex requeue: waiters on one word moved to another ---- */

static int fa, fb, woke;

static long futex(int *w, int op, int v, void *t, int *w2, int v3)
{
	return syscall(SYS_futex, w, op, v, t, w2, v3);
}

static void *futex_waiter(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&fa, __ATOMIC_SEQ_CST) == 0)
		futex(&fa, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	__atomic_add_fetch(&woke, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void futex_requeue(void)
{
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, futex_waiter, NULL);
	nap(1000); /* every waiter parks on fa */
	/* wake one, move the rest to fb, where nobody wakes them yet */
	long n = futex(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)(long)NTHREADS, &fb, 0);
	if (n != NTHREADS)
		die("requeue count");
	nap(1000);
	if (__atomic_load_n(&woke, __ATOMIC_SEQ_CST) != 0)
		die("woken without a change"); /* fa is still 0: it waits again */
	__atomic_store_n(&fa, 1, __ATOMIC_SEQ_CST);
	/* the requeued ones sleep on fb now: only a wake there reaches them */
	futex(&fb, FUTEX_WAKE_PRIVATE, NTHREADS, NULL, NULL, 0);
	futex(&fa, FUTEX_WAKE_PRIVATE, NTHREADS, NULL, NULL, 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	if (woke != NTHREADS)
		die("requeue woke");
}

/* ---- an fd number reused for another file between two waits on it ---- */

static int reused_fd, reused_go;
static pthread_mutex_t reused_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reused_cv = PTHREAD_COND_INITIALIZER;

static void *reused_reader(void *arg)
{
	(void)arg;
	if (get(reused_fd) != 'a') /* parks on the first pipe */
		die("reused: first");
	pthread_mutex_lock(&reused_mu); /* (a futex wait: no fd in it) */
	while (!reused_go)
		pthread_cond_wait(&reused_cv, &reused_mu);
	pthread_mutex_unlock(&reused_mu);
	if (get(reused_fd) != 'b') /* the same number, now the second pipe */
		die("reused: second");
	return NULL;
}

/* A thread waits on fd N, then on fd N again after the program closed N and
 * opened another file there, with nothing between the two waits that
 * looks at fds; the first file stays open (a dup keeps it).  The second
 * wait must be on the second file. */
static void fd_reused(void)
{
	int a[2], b[2];
	if (pipe(a) < 0)
		die("pipe");
	int keep = dup(a[0]);
	reused_fd = a[0];
	pthread_t th;
	pthread_create(&th, NULL, reused_reader, NULL);
	nap(1000); /* it waits on a */
	put(a[1], 'a');
	nap(1000); /* it took 'a' and waits on the condition variable */
	close(a[0]);
	if (pipe(b) < 0)
		die("pipe");
	if (b[0] != reused_fd)
		die("reused: the fd number was not reused");
	pthread_mutex_lock(&reused_mu);
	reused_go = 1;
	pthread_cond_signal(&reused_cv);
	pthread_mutex_unlock(&reused_mu);
	nap(1000); /* it waits on fd N again */
	put(b[1], 'b');
	pthread_join(th, NULL);
	close(keep);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

int main(int argc, char **argv)
{
	static const char *kinds[] = { "epoll-lt", "epoll-et", "poll", "select", "read",
				       "epoll-exclusive", "shared-listener", "pipes-procs",
				       "eventfd", "signalfd", "timerfd", "futex-requeue", "fd-reused" };
	int n = (int)(sizeof kinds / sizeof *kinds);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int k = 0; k < n; k++) {
		if (argc > 1 && strcmp(argv[1], "all") && strcmp(argv[1], kinds[k]))
			continue;
		if (k <= 4)
			threads_on_pipes(k);
		else if (k == 5)
			epoll_exclusive();
		else if (k == 6)
			shared_listener();
		else if (k == 7)
			pipes_between_processes();
		else if (k == 8)
			eventfds();
		else if (k == 9)
			signalfds();
		else if (k == 10)
			timerfds();
		else if (k == 11)
			futex_requeue();
		else
			fd_reused();
		printf("%s ok\n", kinds[k]);
	}
	return 0;
}
