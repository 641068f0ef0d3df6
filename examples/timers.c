/*
 * timers — every kind of timer a server uses, in virtual time: alarm,
 * setitimer(ITIMER_REAL), timerfd under epoll, and POSIX timers with
 * SIGEV_SIGNAL, SIGEV_THREAD_ID and SIGEV_THREAD.  Prints when each fires;
 * exits 1 if one fires at the wrong time or not at all.
 *
 *   simsup --seed 1 -- ./timers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, usr1, usr1_tid, thread_calls;
static int failures;

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static void on_alrm(int s) { alarms++; }
static void on_usr1(int s) { usr1++; usr1_tid = gettid(); }
static void on_expire(union sigval v) { thread_calls += v.sival_int; }

static void alarm_and_itimer(void)
{
	double t0 = mono();
	signal(SIGALRM, on_alrm);
	alarm(5);
	unsigned left = alarm(2);
	check(left == 5, "alarm returns the seconds left of the previous alarm");
	pause();
	check(alarms == 1 && mono() - t0 > 1.999 && mono() - t0 < 2.01, "alarm(2) fires after 2s");
	struct itimerval it = { .it_value = { 0, 100000 }, .it_interval = { 0, 250000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (alarms < 5)
		pause();
	double dt = mono() - t0;
	printf("     itimer: 4 signals by %.3fs\n", dt);
	check(dt > 2.849 && dt < 2.86, "setitimer re-arms every interval");
	struct itimerval cur, off = { 0 };
	getitimer(ITIMER_REAL, &cur);
	check(cur.it_interval.tv_usec == 250000, "getitimer reports the interval");
	setitimer(ITIMER_REAL, &off, NULL);
}

static void timerfd_epoll(void)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = tfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	struct itimerspec its = { .it_value = { 1, 0 }, .it_interval = { 0, 100000000 } };
	double t0 = mono();
	timerfd_settime(tfd, 0, &its, NULL);
	uint64_t n = 0;
	check(read(tfd, &n, 8) < 0, "a timerfd that has not expired is not readable");
	int k = epoll_wait(ep, &ev, 1, -1);
	check(k == 1 && mono() - t0 > 0.999, "epoll wakes when the timerfd expires");
	read(tfd, &n, 8);
	check(n == 1, "the first read counts one expiration");
	usleep(550000);
	read(tfd, &n, 8);
	printf("     timerfd: %llu expirations in 0.55s at 0.1s interval\n", (unsigned long long)n);
	check(n == 5, "expirations accumulate while nobody reads");
	usleep(250000);
	timerfd_settime(tfd, 0, &its, NULL);
	check(read(tfd, &n, 8) < 0 && errno == EAGAIN, "re-arming clears the expirations nobody read");
	/* a thread that keeps making calls, and never waits, sees it fire on time */
	struct itimerspec soon = { .it_value = { 0, 1000000 } };
	timerfd_settime(tfd, 0, &soon, NULL);
	t0 = mono();
	while (read(tfd, &n, 8) < 0)
		;
	check(n == 1 && mono() - t0 > 0.0009 && mono() - t0 < 0.0011,
	      "a timerfd fires on time while its thread keeps calling");
	/* absolute time */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	its.it_value.tv_sec = now.tv_sec + 3;
	its.it_value.tv_nsec = now.tv_nsec;
	its.it_interval.tv_sec = its.it_interval.tv_nsec = 0;
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
	struct itimerspec cur;
	timerfd_gettime(tfd, &cur);
	check(cur.it_value.tv_sec == 2 || cur.it_value.tv_sec == 3, "timerfd_gettime: time left");
	t0 = mono();
	epoll_wait(ep, &ev, 1, -1);
	check(mono() - t0 > 2.99 && mono() - t0 < 3.01, "TFD_TIMER_ABSTIME fires at the time given");
	close(ep);
	close(tfd);
}

static void *idle_thread(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	int *tid = arg;
	*tid = gettid();
	while (!usr1)
		pause();
	return NULL;
}

static void posix_timers(void)
{
	/* SIGEV_SIGNAL, with overruns while the signal is blocked */
	signal(SIGUSR1, on_usr1);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	timer_t t;
	timer_create(CLOCK_MONOTONIC, &sev, &t);
	struct itimerspec its = { .it_value = { 0, 10000000 }, .it_interval = { 0, 10000000 } };
	timer_settime(t, 0, &its, NULL);
	usleep(55000);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	int over = timer_getoverrun(t);
	printf("     timer_create: %d handler run(s), overrun %d\n", (int)usr1, over);
	check(usr1 == 1 && over == 4, "a blocked timer signal is queued once and counts overruns");
	timer_delete(t);

	/* SIGEV_THREAD_ID: the signal goes to the thread named */
	usr1 = 0;
	sigprocmask(SIG_BLOCK, &s, NULL); /* main blocks it; the thread does not */
	pthread_t th;
	int tid = 0;
	pthread_create(&th, NULL, idle_thread, &tid);
	usleep(1000);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev._sigev_un._tid = tid;
	timer_create(CLOCK_REALTIME, &sev, &t);
	its.it_interval.tv_nsec = 0;
	timer_settime(t, 0, &its, NULL);
	pthread_join(th, NULL);
	check(usr1 == 1 && usr1_tid == tid, "SIGEV_THREAD_ID reaches that thread");
	timer_delete(t);
	sigprocmask(SIG_UNBLOCK, &s, NULL);

	/* SIGEV_THREAD: glibc's helper thread runs the function */
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_expire;
	sev.sigev_value.sival_int = 7;
	timer_create(CLOCK_BOOTTIME, &sev, &t);
	its.it_value.tv_sec = 1;
	its.it_value.tv_nsec = 0;
	its.it_interval.tv_sec = 1;
	double t0 = mono();
	timer_settime(t, 0, &its, NULL);
	while (thread_calls < 21)
		usleep(100000);
	printf("     SIGEV_THREAD: function ran 3 times by %.3fs\n", mono() - t0);
	check(thread_calls == 21, "SIGEV_THREAD runs the function at each expiry");
	timer_delete(t);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm_and_itimer();
	timerfd_epoll();
	posix_timers();
	printf("%s\n", failures ? "timers: FAILED" : "timers: all ok");
	return failures ? 1 : 0;
}
