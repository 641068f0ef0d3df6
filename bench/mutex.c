/*
 * mutex.c — pthread mutex and condition-variable costs, for bench/run.
 *
 *   mutex uncontended N   one thread: N lock/unlock pairs
 *   mutex contended N     two threads, one mutex: N lock/unlock pairs each;
 *                         prints how many acquisitions found the mutex held
 *                         (trylock failed first), so the reader can see how
 *                         contended the run really was
 *   mutex condvar N       two threads pass a token N times each way through
 *                         one mutex and one condition variable (ping-pong):
 *                         N round trips, 2N thread switches
 *
 * Timed from outside by bench/run (see clock_read.c).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long n_iter;
static long counter, contended;
static int token; /* condvar: whose turn it is (0 or 1) */

static void *hammer(void *arg)
{
	long busy = 0;
	for (long i = 0; i < n_iter; i++) {
		if (pthread_mutex_trylock(&mu) != 0) {
			busy++;
			pthread_mutex_lock(&mu);
		}
		counter++;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	contended += busy;
	pthread_mutex_unlock(&mu);
	return arg;
}

static void *pingpong(void *arg)
{
	int me = (int)(long)arg;
	pthread_mutex_lock(&mu);
	for (long i = 0; i < n_iter; i++) {
		while (token != me)
			pthread_cond_wait(&cv, &mu);
		token = !me;
		counter++;
		pthread_cond_signal(&cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int two_threads(void *(*fn)(void *))
{
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)i) != 0)
			return -1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mutex uncontended|contended|condvar N\n");
		return 2;
	}
	n_iter = atol(argv[2]);
	if (!strcmp(argv[1], "uncontended")) {
		for (long i = 0; i < n_iter; i++) {
			pthread_mutex_lock(&mu);
			counter++;
			pthread_mutex_unlock(&mu);
		}
	} else if (!strcmp(argv[1], "contended")) {
		if (two_threads(hammer) < 0)
			return 1;
		printf("contended %ld of %ld acquisitions\n", contended, 2 * n_iter);
	} else if (!strcmp(argv[1], "condvar")) {
		if (two_threads(pingpong) < 0)
			return 1;
	} else {
		fprintf(stderr, "mutex: unknown mode %s\n", argv[1]);
		return 2;
	}
	printf("counter %ld\n", counter);
	return 0;
}
