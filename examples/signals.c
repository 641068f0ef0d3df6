/*
 * signals — signals between threads and processes under simsup.
 *
 *   simsup --seed 1 -- ./signals tgkill    pthread_kill/tgkill reach exactly that thread
 *   simsup --seed 1 -- ./signals signalfd  kill from a child, read through signalfd + epoll
 *   simsup --seed 1 -- ./signals sigpipe   EPIPE with SIGPIPE ignored; death by SIGPIPE otherwise
 *   simsup --seed 1 -- ./signals sigwait   sigtimedwait times out in virtual time; sigwaitinfo
 *   simsup --seed 1 -- ./signals crash     dereferences NULL: simsup reports the backtrace
 *   simsup --seed 1 -- ./signals abort     abort(): reported the same way
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

static int mode_crash(void)
{
	volatile int *p = NULL;
	printf("about to dereference NULL\n");
	fflush(stdout);
	return *p;
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
	else if (!strcmp(m, "crash"))
		return mode_crash();
	else if (!strcmp(m, "abort"))
		abort();
	else {
		fprintf(stderr, "usage: signals tgkill|signalfd|sigpipe|sigwait|crash|abort\n");
		return 2;
	}
	printf("%s\n", failures ? "signals: FAILED" : "signals: all ok");
	return failures ? 1 : 0;
}
