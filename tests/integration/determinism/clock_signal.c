/*
 * clock_signal — threads that only read the clock (so they give up the
 * turn inside a clock read, outside any trap) while an interval timer's
 * SIGALRM handler makes trapped calls.  Prints how many signals each
 * thread handled and a hash of the order and virtual times they were
 * handled in: the same seed must print the same line, and trace the same
 * hash, however busy the host is (tests/integration/test_determinism.c).
 *
 * Before the fix, a thread waiting for the turn inside a clock read had
 * the program's signals unblocked: the supervisor's SIGALRM ran the handler
 * at once, in wall-clock time, while another thread held the turn.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NT 2
#define MAXSEQ 4096

static volatile int stop;
static volatile long hits[NT + 1];
static __thread int me; /* 0: main, 1..NT: the spinners */
static long seq[MAXSEQ];
static volatile int nseq;

static void on_alarm(int sig)
{
	(void)sig;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid); /* trapped calls: each costs a tick */
	hits[me]++;
	int n = nseq;
	if (n < MAXSEQ) {
		seq[n] = me * 1000000000L + ts.tv_nsec;
		nseq = n + 1;
	}
}

static void spin_until(volatile int *flag, const struct timespec *end)
{
	struct timespec ts;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (flag ? *flag : ts.tv_sec > end->tv_sec ||
				   (ts.tv_sec == end->tv_sec && ts.tv_nsec >= end->tv_nsec))
			return;
	}
}

static void *spinner(void *arg)
{
	me = (int)(long)arg;
	spin_until(&stop, NULL);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_t t[NT];
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, spinner, (void *)(i + 1));
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_nsec += 300000000L; /* 0.3 s of virtual time */
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	spin_until(NULL, &end);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	stop = 1;
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	unsigned long h = 1469598103934665603UL; /* FNV-1a over the sequence */
	for (int i = 0; i < nseq; i++)
		h = (h ^ (unsigned long)seq[i]) * 1099511628211UL;
	printf("handled %d: main %ld, threads %ld %ld; order %016lx\n", nseq, hits[0], hits[1],
	       hits[2], h);
	return nseq > 0 ? 0 : 1;
}
