/*
 * wrappers.c — the PLT fast path: libc functions that libsimsup.so exports
 * so that a program's calls reach the shim as plain function calls, without
 * a trap.  Only calls that never block live here: a blocking call must park
 * inside the SIGSYS handler, where the program's signals are held back until
 * the thread has the turn again.  Everything else reaches the shim through
 * the trap (sud.c) or the patched vDSO (vdso.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

static long call(long nr, long a0, long a1, long a2)
{
	struct sim_call c = { .nr = nr, .a = { a0, a1, a2 } };
	shim_self.nplt++;
	long r = shim_dispatch(&c);
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

SHIM_EXPORT int clock_gettime(clockid_t clk, struct timespec *ts)
{
	shim_self.nplt++;
	int r = shim_clock_gettime(clk, ts);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

SHIM_EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	shim_self.nplt++;
	return shim_gettimeofday(tv, tz);
}

SHIM_EXPORT time_t time(time_t *t)
{
	shim_self.nplt++;
	return shim_time(t);
}

SHIM_EXPORT pid_t getpid(void)
{
	return (pid_t)call(SYS_getpid, 0, 0, 0);
}

SHIM_EXPORT pid_t getppid(void)
{
	return (pid_t)call(SYS_getppid, 0, 0, 0);
}

SHIM_EXPORT pid_t gettid(void)
{
	return (pid_t)call(SYS_gettid, 0, 0, 0);
}

SHIM_EXPORT int sched_getcpu(void)
{
	unsigned cpu = 0;
	shim_self.nplt++;
	shim_getcpu(&cpu, NULL, NULL);
	return (int)cpu;
}

SHIM_EXPORT ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
	return call(SYS_getrandom, (long)buf, (long)n, flags);
}

SHIM_EXPORT int getentropy(void *buf, size_t n)
{
	if (n > 256) {
		errno = EIO;
		return -1;
	}
	return call(SYS_getrandom, (long)buf, (long)n, 0) < 0 ? -1 : 0;
}
