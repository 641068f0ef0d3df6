/*
 * signals — signals between threads and processes under simsup.
 *
 *   simsup --seed 1 -- ./signals tgkill    pthread_kill/tgkill reach exactly that thread
 *   simsup --seed 1 -- ./signals signalfd  kill from a child, read through signalfd + epoll
 *   simsup --seed 1 -- ./signals sigpipe   EPIPE with SIGPIPE ignored; death by SIGPIPE otherwise
 *   simsup --seed 1 -- ./signals sigwait   sigtimedwait times out in virtual time; sigwaitinfo
 *   simsup --seed 1 -- ./signals crash     dereferences NULL: simsup reports the backtrace
 *   simsup --seed 1 -- ./signals abort     abort(): reported the same way
 *   simsup --seed 1 -- ./signals altstack  handlers run on the alternate stack the program
 *                                          installed, and sigaltstack says so (Go checks it)
 *   simsup --seed 1 -- ./signals sharedalt three threads share one alternate stack (varnish
 *                                          does) and make raw syscalls that park at once
 *   simsup --seed 1 -- ./signals sleeps    sleep and usleep: how long, and what a signal
 *                                          that ends them early leaves (seconds left, EINTR)
 *
 * Each mode prints what it saw and exits 0 when it saw what Linux does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_tid, got_count;
static int failures;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static void on_usr1(int s)
{
	got_tid = gettid();
	got_count++;
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

static volatile int tids[2];

static void *waiter(void *arg)
{
	int me = (int)(long)arg;
	tids[me] = gettid();
	block(SIGUSR1, SIG_UNBLOCK);
	while (got_count < 2)
		usleep(1000);
	return NULL;
}

static int mode_tgkill(void)
{
	signal(SIGUSR1, on_usr1);
	block(SIGUSR1, SIG_BLOCK); /* main never takes it; both workers could */
	pthread_t th[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, waiter, (void *)i);
	while (!tids[0] || !tids[1])
		usleep(1000);
	pthread_kill(th[1], SIGUSR1);
	while (got_count < 1)
		usleep(1000);
	check(got_tid == tids[1], "pthread_kill reaches the thread named");
	syscall(SYS_tgkill, getpid(), tids[0], SIGUSR1);
	while (got_count < 2)
		usleep(1000);
	check(got_tid == tids[0], "tgkill(getpid(), tid) reaches the thread named");
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static int mode_signalfd(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGTERM);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int sfd = signalfd(-1, &s, SFD_CLOEXEC);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = sfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	pid_t parent = getpid(), child = fork();
	if (child == 0) {
		usleep(200000);
		kill(parent, SIGUSR1);
		usleep(200000);
		kill(parent, SIGTERM);
		_exit(0);
	}
	int seen = 0;
	while (seen < 2) {
		if (epoll_wait(ep, &ev, 1, -1) != 1)
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof si) != sizeof si)
			continue;
		printf("     signalfd: signal %u from pid %u (child %d)\n", si.ssi_signo, si.ssi_pid,
		       (int)child);
		check(si.ssi_signo == (seen ? SIGTERM : SIGUSR1), "signalfd reads the signals in order");
		check(si.ssi_pid == (unsigned)child, "ssi_pid is the sender's (virtual) pid");
		seen++;
	}
	waitpid(child, NULL, 0);
	return 0;
}

static int mode_sigpipe(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	check(write(p[1], "x", 1) < 0 && errno == EPIPE, "write to a pipe without reader: EPIPE");
	signal(SIGPIPE, SIG_DFL);
	pid_t c = fork();
	if (c == 0) {
		write(p[1], "x", 1);
		_exit(0); /* not reached: SIGPIPE ends it */
	}
	int st;
	waitpid(c, &st, 0);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "the default SIGPIPE ends the writer");
	return 0;
}

static void *sender(void *arg)
{
	usleep(300000);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

static int mode_sigwait(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	struct timespec t0, t1, to = { 2, 0 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = sigtimedwait(&s, NULL, &to);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check(r < 0 && errno == EAGAIN && t1.tv_sec - t0.tv_sec == 2,
	      "sigtimedwait gives up after 2s of virtual time");
	pthread_t self = pthread_self(), th;
	pthread_create(&th, NULL, sender, &self);
	siginfo_t si;
	r = sigwaitinfo(&s, &si);
	printf("     sigwaitinfo: %d code %d pid %d\n", r, si.si_code, (int)si.si_pid);
	check(r == SIGUSR2 && si.si_pid == getpid(),
	      "sigwaitinfo takes a signal another thread sent, with the sender's pid");
	pthread_join(th, NULL);
	return 0;
}

/* ---- altstack ---- */

static char *alt_lo[2];
static volatile sig_atomic_t alt_on[2], alt_flag[2], alt_eperm[2], alt_runs[2];

static void on_alt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	int k = gettid() != getpid(); /* 0: the main thread's stack, 1: the other's */
	char here;
	alt_on[k] = &here >= alt_lo[k] && &here < alt_lo[k] + 65536;
	stack_t o, n = { .ss_sp = alt_lo[k], .ss_size = 65536 };
	alt_flag[k] = sigaltstack(NULL, &o) == 0 && o.ss_sp == alt_lo[k] && (o.ss_flags & SS_ONSTACK);
	alt_eperm[k] = sigaltstack(&n, NULL) < 0 && errno == EPERM;
	alt_runs[k]++;
}

static void set_alt(int k)
{
	alt_lo[k] = malloc(65536);
	stack_t ss = { .ss_sp = alt_lo[k], .ss_size = 65536 };
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack installs the program's stack");
}

static void alt_checks(int k, const char *how)
{
	char what[160];
	snprintf(what, sizeof what, "%s: the handler ran on the program's alternate stack", how);
	check(alt_runs[k] == 1 && alt_on[k], what);
	snprintf(what, sizeof what, "%s: sigaltstack in the handler says SS_ONSTACK", how);
	check(alt_flag[k], what);
	snprintf(what, sizeof what, "%s: changing it there fails with EPERM", how);
	check(alt_eperm[k], what);
	alt_runs[k] = 0;
}

static void *alt_thread(void *arg)
{
	(void)arg;
	stack_t o;
	check(sigaltstack(NULL, &o) == 0 && (o.ss_flags & SS_DISABLE),
	      "a new thread starts without an alternate stack");
	set_alt(1);
	pthread_kill(pthread_self(), SIGUSR1);
	alt_checks(1, "thread, pthread_kill to itself");
	return NULL;
}

static int mode_altstack(void)
{
	stack_t o;
	check(sigaltstack(NULL, &o) == 0 && (o.ss_flags & SS_DISABLE) && !o.ss_size,
	      "no alternate stack at start");
	struct sigaction sa = { .sa_sigaction = on_alt, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	set_alt(0);
	check(sigaltstack(NULL, &o) == 0 && o.ss_sp == alt_lo[0] && o.ss_size == 65536 &&
	      o.ss_flags == 0, "sigaltstack reports it, not in use");
	raise(SIGUSR1);
	alt_checks(0, "raise");
	/* delivered while waiting in sigsuspend, sent by another thread */
	sigset_t s, empty;
	sigemptyset(&s);
	sigemptyset(&empty);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	pthread_t self = pthread_self(), th;
	pthread_create(&th, NULL, sender, &self); /* SIGUSR2 */
	sigsuspend(&empty);
	pthread_join(th, NULL);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	alt_checks(0, "sigsuspend, sent by another thread");
	pthread_create(&th, NULL, alt_thread, NULL);
	pthread_join(th, NULL);
	stack_t off = { .ss_flags = SS_DISABLE };
	check(sigaltstack(&off, NULL) == 0 && sigaltstack(NULL, &o) == 0 &&
	      (o.ss_flags & SS_DISABLE), "SS_DISABLE turns it off");
	return 0;
}

static int mode_crash(void)
{
	volatile int *p = NULL;
	printf("about to dereference NULL\n");
	fflush(stdout);
	return *p;
}

/* ---- sharedalt ---- */

/* One buffer as every thread's alternate stack: legal, as long as no two
 * handlers run on it at once (varnish gives it to all its threads for its
 * crash handler).  The threads' raw syscalls trap (no libc wrapper) and
 * park in the trap together; each must come back with its own registers. */
static char shared_alt[65536];

static long raw_nanosleep(const struct timespec *ts)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_nanosleep), "D"(ts), "S"(0L)
			 : "rcx", "r11", "memory");
	return r;
}

static void *shared_alt_thread(void *arg)
{
	long id = (long)arg;
	stack_t ss = { .ss_sp = shared_alt, .ss_size = sizeof shared_alt };
	if (sigaltstack(&ss, NULL) < 0)
		return (void *)-1L;
	long sum = 0;
	for (int i = 0; i < 5; i++) {
		struct timespec ts = { 0, (10 + 7 * id) * 1000000L };
		sum += raw_nanosleep(&ts) == 0 ? id : -1000;
	}
	return (void *)sum;
}

static int mode_sharedalt(void)
{
	pthread_t th[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, shared_alt_thread, (void *)(i + 1));
	for (long i = 0; i < 3; i++) {
		void *r = NULL;
		char what[120];
		pthread_join(th[i], &r);
		printf("     thread %ld: %ld\n", i + 1, (long)r);
		snprintf(what, sizeof what, "thread %ld: five raw nanosleeps on the shared alternate stack "
			 "came back to it, each with 0", i + 1);
		check((long)r == 5 * (i + 1), what);
	}
	return 0;
}

/* ---- sleeps ---- */

static void on_alarm(int s)
{
	(void)s;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int mode_sleeps(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	double t0 = mono();
	errno = ENOENT;
	unsigned left = sleep(1);
	double t1 = mono();
	printf("     sleep(1): %u left, %.3f s, errno %d\n", left, t1 - t0, errno);
	check(left == 0 && t1 - t0 >= 1.0 && t1 - t0 < 1.1 && errno == ENOENT,
	      "sleep(1) sleeps a second, returns 0 and leaves errno alone");
	int r = usleep(250000);
	double t2 = mono();
	printf("     usleep(250000): %d, %.3f s\n", r, t2 - t1);
	check(r == 0 && t2 - t1 >= 0.25 && t2 - t1 < 0.35, "usleep(250000) sleeps a quarter second");
	alarm(1);
	left = sleep(5);
	double t3 = mono();
	printf("     sleep(5) with alarm(1): %u left, %.3f s\n", left, t3 - t2);
	/* the whole seconds of what is left: 4 at exactly 1 s (virtual time),
	 * 3 natively, a little after */
	check((left == 4 || left == 3) && t3 - t2 >= 1.0 && t3 - t2 < 1.1,
	      "a signal ends sleep(5) at 1 s with 4 s left (3 and a fraction natively)");
	alarm(1);
	r = usleep(3000000);
	int e = errno;
	double t4 = mono();
	printf("     usleep(3000000) with alarm(1): %d errno %d, %.3f s\n", r, e, t4 - t3);
	check(r == -1 && e == EINTR && t4 - t3 >= 1.0 && t4 - t3 < 1.1, "a signal ends usleep with EINTR");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "tgkill"))
		mode_tgkill();
	else if (!strcmp(m, "signalfd"))
		mode_signalfd();
	else if (!strcmp(m, "sigpipe"))
		mode_sigpipe();
	else if (!strcmp(m, "sigwait"))
		mode_sigwait();
	else if (!strcmp(m, "altstack"))
		mode_altstack();
	else if (!strcmp(m, "sharedalt"))
		mode_sharedalt();
	else if (!strcmp(m, "sleeps"))
		mode_sleeps();
	else if (!strcmp(m, "crash"))
		return mode_crash();
	else if (!strcmp(m, "abort"))
		abort();
	else {
		fprintf(stderr, "usage: signals tgkill|signalfd|sigpipe|sigwait|altstack|sharedalt|sleeps|crash|abort\n");
		return 2;
	}
	printf("%s\n", failures ? "signals: FAILED" : "signals: all ok");
	return failures ? 1 : 0;
}
