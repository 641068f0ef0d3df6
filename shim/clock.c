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
#include <string.h>
#include <sys/syscall.h>
#include <sys/timex.h>

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
		return shim_realtime_at(shim_proc.now);
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
		int64_t v = shim_realtime_at(shim_proc.now);
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
	time_t v = (time_t)((shim_realtime_at(shim_proc.now)) / 1000000000LL);
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

/* ---- setting the clock ---- */

/* Whether the caller may set the clock: CAP_SYS_TIME, as the kernel asks. */
static bool may_set_time(void)
{
	return shim_has_cap(25 /* CAP_SYS_TIME */, false);
}

/* The node's CLOCK_REALTIME now reads `value` (ns since the epoch): the
 * supervisor keeps the node's offset, and every clock read follows.  The
 * host's clock is never touched. */
static long set_realtime(int64_t value)
{
	if (!may_set_time())
		return -EPERM;
	if (value < 0)
		return -EINVAL;
	return shim_call(SIM_CLOCK_SET, value, 0, 0, 0);
}

/* adjtimex of the node's clock (SIM_CLOCK_ADJ): the supervisor keeps its
 * frequency, tick, NTP status and errors for the node, and runs its
 * CLOCK_REALTIME at the rate they give (a single-shot adjtime slews at
 * 500 ppm until done).  The kernel's PLL (ADJ_OFFSET without
 * SINGLESHOT) is not simulated, and refused. */
static long adjtimex_call(struct sim_call *c, struct timex *tx)
{
	unsigned modes = tx->modes;
	bool nano = modes & ADJ_NANO;
	unsigned change = modes & ~(unsigned)(ADJ_NANO | ADJ_MICRO);
	if (change == ADJ_OFFSET_SS_READ)
		change = 0;
	if (change && !may_set_time())
		return -EPERM;
	if (change & ADJ_SETOFFSET) {
		if (tx->time.tv_usec < 0 || tx->time.tv_usec >= (nano ? 1000000000L : 1000000L))
			return -EINVAL; /* as the kernel (chronyd probes ADJ_SETOFFSET so) */
		int64_t off = (int64_t)tx->time.tv_sec * 1000000000LL +
			      (nano ? tx->time.tv_usec : tx->time.tv_usec * 1000LL);
		long r = set_realtime(shim_realtime_at(shim_proc.now) + off);
		if (r < 0)
			return r;
		change &= ~(unsigned)ADJ_SETOFFSET;
	}
	int32_t st[3] = { tx->status, (int32_t)tx->constant, tx->tai };
	long maxerr = tx->maxerror < 0 ? 0 : tx->maxerror > 16000000 ? 16000000 : tx->maxerror;
	long esterr = tx->esterror < 0 ? 0 : tx->esterror > 16000000 ? 16000000 : tx->esterror; /* as the kernel */
	int64_t ss = (change & ADJ_OFFSET) ? (int64_t)tx->offset * (nano ? 1 : 1000) : 0;
	struct sim_req rq = { .op = SIM_CLOCK_ADJ, .len = sizeof st,
			      .a = { change, tx->freq, tx->tick, ss, maxerr, esterr } };
	struct sim_rep rep;
	long r = shim_request(&rq, st, -1, &rep);
	if (r == -EOPNOTSUPP) {
		shim_refuse(c->nr, "adjtimex: the kernel's PLL (ADJ_OFFSET with STA_PLL) is not "
				   "simulated; ADJ_FREQUENCY, ADJ_TICK, single-shot offsets and "
				   "ADJ_SETOFFSET are");
		return -EPERM;
	}
	if (r < 0)
		return r;
	int64_t now = shim_realtime_at(shim_proc.now);
	memset(tx, 0, sizeof *tx);
	tx->modes = modes;
	tx->freq = rep.a[0];
	tx->tick = rep.a[1];
	tx->maxerror = (long)(rep.a[2] & 0xffffffff);
	tx->esterror = (long)(rep.a[2] >> 32);
	tx->status = (int)(rep.a[3] & 0xffff) | (nano ? STA_NANO : 0);
	tx->constant = (long)((rep.a[3] >> 16) & 0xffff);
	tx->tai = (int)(rep.a[3] >> 32);
	tx->precision = 1;
	tx->tolerance = 500 << 16; /* MAXFREQ: 500 ppm */
	tx->time.tv_sec = now / 1000000000LL;
	tx->time.tv_usec = nano ? now % 1000000000LL : now % 1000000000LL / 1000;
	return r;
}

/* clock_settime, settimeofday, adjtimex and clock_adjtime: the node's
 * clock, never the host's. */
long shim_clock_set_call(struct sim_call *c)
{
	switch (c->nr) {
	case SYS_clock_settime: {
		const struct timespec *ts = (const struct timespec *)c->a[1];
		if ((clockid_t)c->a[0] != CLOCK_REALTIME)
			return -EINVAL; /* the only settable clock */
		if (!ts || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
			return ts ? -EINVAL : -EFAULT;
		return set_realtime((int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec);
	}
	case SYS_settimeofday: {
		const struct timeval *tv = (const struct timeval *)c->a[0];
		if (!tv)
			return 0; /* the time zone alone: nothing simsup keeps */
		if (tv->tv_usec < 0 || tv->tv_usec >= 1000000)
			return -EINVAL;
		return set_realtime((int64_t)tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL);
	}
	case SYS_adjtimex:
	case SYS_clock_adjtime: {
		if (c->nr == SYS_clock_adjtime && (clockid_t)c->a[0] != CLOCK_REALTIME)
			return -EINVAL;
		struct timex *tx = (struct timex *)(c->nr == SYS_adjtimex ? c->a[0] : c->a[1]);
		if (!tx)
			return -EFAULT;
		return adjtimex_call(c, tx);
	}
	}
	return -ENOSYS;
}
