/*
 * clock_read.c — N clock reads through one path, for bench/run.
 *
 *   clock_read plt|glibc|vdso N
 *
 * plt:   clock_gettime() through the PLT (under simsup: the shim's wrapper);
 * glibc: timespec_get(), which reaches the clock inside libc without the PLT
 *        (under simsup: through the patched vDSO);
 * vdso:  the vDSO's own __vdso_clock_gettime, called directly as programs
 *        that look it up themselves do (under simsup: the patched vDSO).
 *
 * The program does not time itself: under simsup every clock it can read is
 * virtual.  bench/run times the whole process at two values of N and takes
 * the difference.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*clock_fn)(clockid_t, struct timespec *);

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: clock_read plt|glibc|vdso N\n");
		return 2;
	}
	long n = atol(argv[2]);
	struct timespec ts;
	long sum = 0;
	if (!strcmp(argv[1], "plt")) {
		for (long i = 0; i < n; i++) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			sum += ts.tv_nsec;
		}
	} else if (!strcmp(argv[1], "glibc")) {
		for (long i = 0; i < n; i++) {
			timespec_get(&ts, TIME_UTC);
			sum += ts.tv_nsec;
		}
	} else if (!strcmp(argv[1], "vdso")) {
		void *h = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
		clock_fn f = h ? (clock_fn)dlvsym(h, "__vdso_clock_gettime", "LINUX_2.6") : NULL;
		if (!f) {
			fprintf(stderr, "clock_read: no __vdso_clock_gettime in this process\n");
			return 1;
		}
		for (long i = 0; i < n; i++) {
			f(CLOCK_MONOTONIC, &ts);
			sum += ts.tv_nsec;
		}
	} else {
		fprintf(stderr, "clock_read: unknown mode %s\n", argv[1]);
		return 2;
	}
	printf("%ld reads, checksum %ld\n", n, sum & 0xffff);
	return 0;
}
