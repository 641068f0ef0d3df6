/*
 * clock.c — virtual time as the program sees it.
 *
 * Reachable from the SIGSYS handler and from the patched vDSO, possibly
 * before the shim has initialized (jemalloc reads the clock that early):
 * no allocation, no locks, kernel only through the gate.
 *
 * The clock only moves two ways: replies from the supervisor (which jumps it
 * when every thread is parked) and a fixed tick per intercepted call, so a
 * loop that spins on the clock sees time pass and yields once it reaches the
 * next event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>

#include "shim.h"

int64_t shim_now(void)
{
	return shim_proc.now;
}

void shim_tick(void)
{
	if (!shim_proc.active || shim_self.sock < 0)
		return;
	shim_proc.now += shim_proc.cfg.tick_ns;
	bool switch_now = shim_proc.now >= shim_proc.next_event;
	if (!switch_now && shim_proc.cfg.preempt > 0) {
		/* splitmix64 step: a stream of its own, so preemption does not
		 * disturb the program's random bytes */
		uint64_t z = (shim_proc.prng_sched += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		switch_now = (int)(z % 1000) < shim_proc.cfg.preempt;
	}
	if (switch_now)
		shim_yield();
}

static int64_t clock_value(clockid_t clk, bool *ok)
{
	*ok = true;
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_TAI:
		return shim_proc.cfg.epoch_ns + shim_proc.rt_offset + shim_proc.now;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		return shim_proc.cfg.mono_base + shim_proc.now;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		/* CPU time is not simulated: report virtual time since start,
		 * which moves with the ticks the program's calls cost. */
		return shim_proc.now;
	default:
		if (clk < 0) /* dynamic CPU-time clocks of other processes/threads */
			return shim_proc.now;
		*ok = false;
		return 0;
	}
}

int shim_clock_gettime(clockid_t clk, struct timespec *ts)
{
	shim_ready();
	if (!shim_proc.active)
		return (int)sys2(SYS_clock_gettime, clk, ts);
	bool ok;
	int64_t v = clock_value(clk, &ok);
	if (!ok)
		return -EINVAL;
	if (ts)
		shim_ns_ts(v, ts);
	shim_tick();
	return 0;
}

int shim_gettimeofday(struct timeval *tv, void *tz)
{
	shim_ready();
	if (!shim_proc.active)
		return (int)sys2(SYS_gettimeofday, tv, tz);
	if (tv) {
		int64_t v = shim_proc.cfg.epoch_ns + shim_proc.rt_offset + shim_proc.now;
		tv->tv_sec = v / 1000000000LL;
		tv->tv_usec = (v % 1000000000LL) / 1000;
	}
	if (tz) {
		struct timezone *z = tz;
		z->tz_minuteswest = 0;
		z->tz_dsttime = 0;
	}
	shim_tick();
	return 0;
}

time_t shim_time(time_t *t)
{
	shim_ready();
	if (!shim_proc.active)
		return (time_t)sys1(SYS_time, t);
	time_t v = (time_t)((shim_proc.cfg.epoch_ns + shim_proc.rt_offset + shim_proc.now) / 1000000000LL);
	if (t)
		*t = v;
	shim_tick();
	return v;
}

int shim_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	if (cpu)
		*cpu = 0;
	if (node)
		*node = 0;
	return 0;
}

uint64_t shim_tsc(void)
{
	shim_ready();
	if (!shim_proc.active) {
		struct timespec ts;
		sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		return (uint64_t)shim_ts_ns(&ts);
	}
	shim_tick();
	return (uint64_t)(shim_proc.cfg.mono_base + shim_proc.now);
}
