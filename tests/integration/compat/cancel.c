/*
 * pthread_cancel of a thread blocked in a cancellation point, and the
 * siginfo of pthread_kill.  glibc cancels by sending SIGCANCEL with tgkill
 * and its handler acts only on a signal with si_code SI_TKILL and si_pid
 * getpid(); under simsup the signal used to reach the other thread as
 * SI_QUEUE, the handler dropped it, and pthread_join waited for ever
 * (a deadlock).  Each case cancels a thread blocked in one kind of wait and
 * checks that it ended cancelled, with its cleanup handler run; "kill"
 * checks what a handler sees of a pthread_kill from another thread;
 * "setxid" calls setgid in a process whose other thread is blocked in a
 * read (glibc makes every thread change its ids with SIGSETXID, which it
 * checks the same way, and waits for them all: it deadlocked).
 * Prints "<case> ok" on success, exits 1 with the reason otherwise.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cleaned;
static const char *kind;

static void cleanup(void *arg)
{
	(void)arg;
	cleaned++;
}

static void unlock(void *arg)
{
	pthread_mutex_unlock(arg);
}

static void *victim(void *arg)
{
	(void)arg;
	char c;
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
	struct timespec hour = { 3600, 0 };
	pthread_cleanup_push(cleanup, NULL);
	if (!strcmp(kind, "read"))
		read(pipefd[0], &c, 1);
	else if (!strcmp(kind, "poll"))
		poll(&p, 1, -1);
	else if (!strcmp(kind, "sleep"))
		nanosleep(&hour, NULL);
	else if (!strcmp(kind, "accept"))
		accept(pipefd[0], NULL, NULL);
	else if (!strcmp(kind, "cond")) {
		pthread_mutex_lock(&mu);
		pthread_cleanup_push(unlock, &mu);
		for (;;)
			pthread_cond_wait(&cv, &mu);
		pthread_cleanup_pop(0);
	} else if (!strcmp(kind, "async")) {
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
		for (;;)
			sched_yield();
	}
	pthread_cleanup_pop(0);
	return NULL; /* not cancelled: the caller says so */
}

static volatile sig_atomic_t got_code, got_pid, got_sig;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_pid = si->si_pid;
}

static void *waiter(void *arg)
{
	(void)arg;
	char c;
	/* SA_RESTART: the handler runs and the read goes on until the byte */
	if (read(pipefd[0], &c, 1) != 1)
		return (void *)1;
	return NULL;
}

static int kill_case(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	struct timespec ms = { 0, 1000000 };
	nanosleep(&ms, NULL);
	pthread_kill(t, SIGUSR1);
	nanosleep(&ms, NULL);
	write(pipefd[1], "x", 1);
	void *res;
	pthread_join(t, &res);
	if (got_sig != SIGUSR1 || got_code != SI_TKILL || got_pid != getpid() || res) {
		printf("kill: handler saw signal %d si_code %d si_pid %d (getpid %d), read %s\n", (int)got_sig,
		       (int)got_code, (int)got_pid, (int)getpid(), res ? "failed" : "ok");
		return 1;
	}
	printf("kill ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cancel read|poll|sleep|accept|cond|async|kill|setxid\n");
		return 2;
	}
	kind = argv[1];
	if (!strcmp(kind, "accept")) {
		pipefd[0] = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un { sa_family_t f; char p[108]; } a = { AF_UNIX, "" };
		snprintf(a.p, sizeof a.p, "cancel-%d.sock", (int)getpid());
		unlink(a.p);
		if (bind(pipefd[0], (struct sockaddr *)&a, sizeof a) < 0 || listen(pipefd[0], 1) < 0) {
			perror("bind/listen");
			return 1;
		}
		unlink(a.p);
	} else if (pipe(pipefd) < 0) {
		perror("pipe");
		return 1;
	}
	if (!strcmp(kind, "kill"))
		return kill_case();
	if (!strcmp(kind, "setxid")) {
		pthread_t t;
		pthread_create(&t, NULL, waiter, NULL);
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
		if (setgid(getgid()) < 0) {
			perror("setgid");
			return 1;
		}
		write(pipefd[1], "x", 1);
		pthread_join(t, NULL);
		printf("setxid ok\n");
		return 0;
	}
	pthread_t t;
	pthread_create(&t, NULL, victim, NULL);
	struct timespec ms = { 0, 1000000 };
	nanosleep(&ms, NULL); /* the victim is in its wait by now */
	pthread_cancel(t);
	void *res;
	pthread_join(t, &res);
	if (res != PTHREAD_CANCELED || cleaned != 1) {
		printf("%s: thread ended with %p, cleanup ran %d times\n", kind, res, cleaned);
		return 1;
	}
	printf("%s ok\n", kind);
	return 0;
}
