/*
 * racy — two threads add to one counter without a lock: a data race whose
 * outcome depends on how the threads interleave.
 *
 *   simsup --seed 1 -- ./racy          (yield: sched_yield between read and write)
 *   simsup --seed 1 --preempt 200 -- ./racy clock
 *
 * Under simsup only one thread runs at a time and the other can take over
 * only at an intercepted call, so each iteration makes one between reading
 * the counter and writing it back: sched_yield() (a switch point the
 * scheduler resolves with the seed), or a clock read (a switch point only
 * with --preempt).  A loop with no call in it runs to the end uninterrupted
 * and never loses an update.  Different seeds lose different numbers of
 * updates; the same seed always loses the same number.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ITERATIONS 200

static volatile long counter;
static int use_clock;

static void *adder(void *arg)
{
	for (int i = 0; i < ITERATIONS; i++) {
		long v = counter;
		if (use_clock) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
		} else {
			sched_yield();
		}
		counter = v + 1;
	}
	return arg;
}

int main(int argc, char **argv)
{
	use_clock = argc > 1 && !strcmp(argv[1], "clock");
	pthread_t a, b;
	pthread_create(&a, NULL, adder, NULL);
	pthread_create(&b, NULL, adder, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("counter = %ld (expected %d, lost %ld updates)\n", counter, 2 * ITERATIONS,
	       2 * ITERATIONS - counter);
	return 0;
}
