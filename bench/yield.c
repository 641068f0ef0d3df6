/*
 * yield.c — N sched_yield() calls, for bench/run.
 *
 * Under simsup each one is a yield point: the thread gives the turn to the
 * supervisor, which (with nothing else runnable) hands it straight back: one
 * supervisor round trip per call.  Natively it is a plain syscall.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: yield N\n");
		return 2;
	}
	long n = atol(argv[1]);
	for (long i = 0; i < n; i++)
		sched_yield();
	printf("%ld yields\n", n);
	return 0;
}
