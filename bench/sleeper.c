/*
 * sleeper.c — an idle server: N sleeps of MS milliseconds, then exit 0.
 * bench/run runs several under simsup to measure how fast virtual time
 * passes when nothing but timers happen, and how run time grows with the
 * number of processes.
 *
 *   sleeper N MS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sleeper N MS\n");
		return 2;
	}
	long n = atol(argv[1]), ms = atol(argv[2]);
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
	for (long i = 0; i < n; i++)
		nanosleep(&ts, NULL);
	return 0;
}
