/*
 * timer.c — alarm, setitimer/getitimer, timer_create and timerfd, in
 * virtual time.
 *
 * The timers themselves live in the supervisor (supervisor/timers.c), which
 * fires them as timed events: this file only checks arguments the way the
 * kernel does, turns the program's clock values into virtual deadlines
 * (ns since the run started) and back, and asks.  A timerfd is a real
 * eventfd: its read returns the u64 expiration count just as a timerfd's
 * does, poll/epoll see it natively, and the supervisor holds a copy (passed
 * with SCM_RIGHTS) into which it writes expirations.
 *
 * CPU-time timers (ITIMER_VIRTUAL, ITIMER_PROF, timer_create on a CPU
 * clock) are refused: simsup does not simulate CPU time.
 *
 * Reachable from the SIGSYS handler: no allocation, gate syscalls only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include "shim.h"

#define NSEC 1000000000LL
#define TFD_BITS 65536

static uint64_t tfd_bits[TFD_BITS / 64]; /* per process: fds that are timerfds */
/* per process: ... whose timer the supervisor knows as this process's own
 * (a call on it succeeded here; a fork child's copies are not its own) */
static uint64_t tfd_own[TFD_BITS / 64];

static bool bit(const uint64_t *bits, int fd)
{
	return fd >= 0 && fd < TFD_BITS && (bits[fd / 64] >> (fd % 64)) & 1;
}

static void set_bit(uint64_t *bits, int fd, bool on)
{
	if (fd < 0 || fd >= TFD_BITS)
		return;
	if (on)
		bits[fd / 64] |= 1ULL << (fd % 64);
	else
		bits[fd / 64] &= ~(1ULL << (fd % 64));
}

static bool is_tfd(int fd)
{
	return bit(tfd_bits, fd);
}

/* on: the supervisor just accepted a call on fd as a timerfd of this
 * process; off: fd is closed */
static void set_tfd(int fd, bool on)
{
	set_bit(tfd_bits, fd, on);
	set_bit(tfd_own, fd, on);
}

static long ask(int op, long kind, long id, long a2, long a3, long a4, int64_t *out)
{
	struct sim_req rq = { .op = (uint32_t)op, .a = { kind, id, a2, a3, a4 } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	if (out) {
		out[0] = rep.a[0];
		out[1] = rep.a[1];
	}
	return r;
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC;
}

static int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / NSEC - 1)
		return INT64_MAX / 2; /* "never", without overflowing sums */
	return shim_ts_ns(ts);
}

static int64_t tv_ns(const struct timeval *tv)
{
	if (tv->tv_sec >= INT64_MAX / NSEC - 1)
		return INT64_MAX / 2;
	return (int64_t)tv->tv_sec * NSEC + (int64_t)tv->tv_usec * 1000;
}

static void ns_tv(int64_t ns, struct timeval *tv)
{
	tv->tv_sec = ns / NSEC;
	tv->tv_usec = (ns % NSEC) / 1000;
}

/* A relative time from now, as a virtual deadline. */
static int64_t after(int64_t rel)
{
	return shim_deadline(rel);
}

/* ---- alarm, setitimer, getitimer ---- */

static long set_itimer_real(int64_t value, int64_t interval, int64_t *old)
{
	int64_t when = value > 0 ? after(value) : -1;
	return ask(SIM_TIMER_SET, SIM_TK_ITIMER, 0, when, interval, when, old);
}

static long alarm_call(unsigned secs)
{
	int64_t old[2];
	long r = set_itimer_real((int64_t)secs * NSEC, 0, old);
	if (r < 0)
		return r;
	/* as the kernel: never 0 while an alarm was pending; round halves up */
	long s = (long)(old[0] / NSEC);
	int64_t ns = old[0] % NSEC;
	if ((s == 0 && ns) || ns >= NSEC / 2)
		s++;
	return s;
}

static long setitimer_call(int which, const struct itimerval *nv, struct itimerval *ov)
{
	struct itimerval zero;
	memset(&zero, 0, sizeof zero);
	if (!nv)
		nv = &zero; /* Linux treats a NULL new value as "disarm" */
	if (nv->it_value.tv_usec < 0 || nv->it_value.tv_usec >= 1000000 ||
	    nv->it_interval.tv_usec < 0 || nv->it_interval.tv_usec >= 1000000 ||
	    nv->it_value.tv_sec < 0 || nv->it_interval.tv_sec < 0)
		return -EINVAL;
	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF) {
		if (nv->it_value.tv_sec || nv->it_value.tv_usec) {
			shim_refuse(SYS_setitimer, "setitimer: ITIMER_VIRTUAL and ITIMER_PROF count CPU "
						   "time, which simsup does not simulate (ITIMER_REAL works)");
			return -EINVAL;
		}
		if (ov)
			memset(ov, 0, sizeof *ov);
		return 0;
	}
	if (which != ITIMER_REAL)
		return -EINVAL;
	int64_t old[2];
	long r = set_itimer_real(tv_ns(&nv->it_value), tv_ns(&nv->it_interval), old);
	if (r < 0)
		return r;
	if (ov) {
		ns_tv(old[0], &ov->it_value);
		ns_tv(old[1], &ov->it_interval);
	}
	return 0;
}

static long getitimer_call(int which, struct itimerval *cur)
{
	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF) {
		memset(cur, 0, sizeof *cur); /* never armed: they cannot be */
		return 0;
	}
	if (which != ITIMER_REAL)
		return -EINVAL;
	int64_t v[2];
	long r = ask(SIM_TIMER_GET, SIM_TK_ITIMER, 0, 0, 0, 0, v);
	if (r < 0)
		return r;
	ns_tv(v[0], &cur->it_value);
	ns_tv(v[1], &cur->it_interval);
	return 0;
}

/* ---- POSIX timers and timerfd: shared pieces ---- */

/* The clocks a timer may count in.  CPU clocks are refused by the caller. */
static bool wall_clock(long clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC || clk == CLOCK_BOOTTIME ||
	       clk == CLOCK_REALTIME_ALARM || clk == CLOCK_BOOTTIME_ALARM || clk == CLOCK_TAI;
}

static bool cpu_clock(long clk)
{
	return clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID || clk < 0;
}

/* A struct itimerspec as SIM_TIMER_SET's arguments: the first expiry in
 * virtual ns on a wall clock (real) and on a monotonic one (mono), both -1
 * to disarm, and the interval. */
static long expiry(bool abstime, const struct itimerspec *nv, int64_t *real, int64_t *mono,
		   int64_t *interval)
{
	if (!nv)
		return -EFAULT;
	if (!ts_valid(&nv->it_value) || !ts_valid(&nv->it_interval))
		return -EINVAL;
	int64_t value = ts_ns(&nv->it_value);
	*interval = ts_ns(&nv->it_interval);
	*real = *mono = -1;
	if (value > 0 && abstime) {
		*real = value - shim_proc.cfg.epoch_ns - shim_proc.rt_offset;
		*mono = value - shim_proc.cfg.mono_base;
		*real = *real < 0 ? 0 : *real;
		*mono = *mono < 0 ? 0 : *mono;
	} else if (value > 0) {
		*real = *mono = after(value);
	}
	return 0;
}

/* Arms (or disarms) a timer from a struct itimerspec; old gets the
 * previous setting. */
static long settime(int kind, long id, bool abstime, const struct itimerspec *nv,
		    struct itimerspec *ov)
{
	int64_t real, mono, interval;
	long r = expiry(abstime, nv, &real, &mono, &interval);
	if (r < 0)
		return r;
	int64_t old[2];
	r = ask(SIM_TIMER_SET, kind, id, real, interval, mono, old);
	if (r < 0)
		return r;
	if (ov) {
		shim_ns_ts(old[0], &ov->it_value);
		shim_ns_ts(old[1], &ov->it_interval);
	}
	return 0;
}

static long gettime(int kind, long id, struct itimerspec *cur)
{
	int64_t v[2];
	long r = ask(SIM_TIMER_GET, kind, id, 0, 0, 0, v);
	if (r < 0)
		return r;
	if (cur) {
		shim_ns_ts(v[0], &cur->it_value);
		shim_ns_ts(v[1], &cur->it_interval);
	}
	return r;
}

/* ---- timer_create family ---- */

static long timer_create_call(long clk, const struct sigevent *sev, int *id)
{
	if (cpu_clock(clk)) {
		shim_refuse(SYS_timer_create, "timer_create: CPU-time clocks are not simulated "
					      "(CLOCK_REALTIME, MONOTONIC and BOOTTIME work)");
		return -EINVAL;
	}
	if (!wall_clock(clk))
		return -EINVAL;
	if (!id)
		return -EFAULT;
	struct sim_req rq = { .op = SIM_TIMER_CREATE, .a = { SIM_TK_POSIX, clk, -1, 0, 0, 0 } };
	if (sev) {
		int notify = sev->sigev_notify;
		if (notify == SIGEV_THREAD)
			notify = SIGEV_SIGNAL; /* as the kernel (glibc never passes it down) */
		rq.a[2] = notify;
		rq.a[3] = sev->sigev_signo;
		rq.a[4] = (int64_t)(intptr_t)sev->sigev_value.sival_ptr;
		rq.a[5] = sev->_sigev_un._tid;
	}
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	if (r < 0)
		return r;
	*id = (int)r;
	return 0;
}

/* ---- timerfd ---- */

static long timerfd_create_call(long clk, long flags)
{
	if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	if (cpu_clock(clk) || !wall_clock(clk) || clk == CLOCK_TAI)
		return -EINVAL;
	int efl = (flags & TFD_NONBLOCK ? EFD_NONBLOCK : 0) | (flags & TFD_CLOEXEC ? EFD_CLOEXEC : 0);
	long fd = sys2(SYS_eventfd2, 0, efl);
	if (fd < 0)
		return fd;
	shim_fd_forget((int)fd);
	struct sim_req rq = { .op = SIM_TIMER_CREATE,
			      .a = { SIM_TK_FD, clk, 0, 0, fd, (flags & TFD_CLOEXEC) != 0 } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, (int)fd, &rep);
	if (r < 0) {
		sys1(SYS_close, fd);
		return r;
	}
	set_tfd((int)fd, true);
	return fd;
}

static long check_fd(int fd)
{
	if (shim_fd_is_own(fd) || sys2(SYS_fcntl, fd, F_GETFD) < 0)
		return -EBADF;
	return 0;
}

/*
 * timerfd_settime of a timer of this process that asks for no old value,
 * told to the supervisor with this thread's next request instead of one of
 * its own (SIM_REQ_TIMERFD).  Nothing else runs, and no timer fires,
 * before this thread's next request, and the supervisor applies the setting
 * before that request: it sees the same timers as if it had been asked at
 * once.  What its answer would have done here is done here: the expiration
 * count is cleared, and the thread yields by the new first expiry (a
 * disarm leaves the earlier yield point: a switch point too many, never
 * one too few).  Event loops that arm a timerfd before each wait and
 * disarm it after (the BEAM's poll thread) save two round trips per wait.
 */
static long settime_later(int fd, bool abstime, const struct itimerspec *nv)
{
	int64_t real, mono, interval;
	long r = expiry(abstime, nv, &real, &mono, &interval);
	if (r < 0)
		return r;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	struct timespec zero = { 0, 0 };
	uint64_t count;
	if (sys5(SYS_ppoll, &pf, 1, &zero, 0, 8) > 0 && (pf.revents & POLLIN))
		sys3(SYS_read, fd, &count, sizeof count);
	shim_self.tfd_set[0] = fd;
	shim_self.tfd_set[1] = real;
	shim_self.tfd_set[2] = interval;
	shim_self.tfd_set[3] = mono;
	shim_self.tfd_pending = true;
	int64_t first = mono < real ? mono : real;
	if (first >= 0 && first < shim_proc.next_event)
		shim_proc.next_event = first;
	return 0;
}

static long timerfd_settime_call(int fd, int flags, const struct itimerspec *nv,
				 struct itimerspec *ov)
{
	long r = check_fd(fd);
	if (r < 0)
		return r;
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	/* TFD_TIMER_CANCEL_ON_SET: nothing ever sets the virtual clock, so it
	 * never cancels. */
	if (!ov && bit(tfd_own, fd) && (!shim_self.tfd_pending || shim_self.tfd_set[0] == fd))
		return settime_later(fd, flags & TFD_TIMER_ABSTIME, nv);
	r = settime(SIM_TK_FD, fd, flags & TFD_TIMER_ABSTIME, nv, ov);
	if (r == 0)
		set_tfd(fd, true); /* known again after an exec */
	return r;
}

static long timerfd_gettime_call(int fd, struct itimerspec *cur)
{
	long r = check_fd(fd);
	if (r < 0)
		return r;
	r = gettime(SIM_TK_FD, fd, cur);
	if (r >= 0)
		set_tfd(fd, true);
	return r < 0 ? r : 0;
}

/* fd is being closed or replaced: if it names a timerfd, tell the
 * supervisor, which ends the timer with its last fd. */
void shim_timerfd_forget(int fd)
{
	if (!is_tfd(fd))
		return;
	set_tfd(fd, false);
	ask(SIM_TIMER_DELETE, SIM_TK_FD, fd, 0, 0, 0, NULL);
}

/* In a fork child: the timers behind the inherited timerfds are the
 * parent's (docs/threads-and-signals.md), and a setting the parent had not
 * yet told is the parent's to tell. */
void shim_timerfd_forked(void)
{
	memset(tfd_own, 0, sizeof tfd_own);
	shim_self.tfd_pending = false;
}

/* dup/dup2/dup3 made newfd name the same open file as oldfd. */
void shim_timerfd_dup(int oldfd, int newfd)
{
	if (!is_tfd(oldfd) || oldfd == newfd)
		return;
	if (ask(SIM_TIMER_DUP, SIM_TK_FD, oldfd, newfd, 0, 0, NULL) == 0)
		set_tfd(newfd, true);
}

long shim_timer_call(struct sim_call *c)
{
	long *a = c->a;
	switch (c->nr) {
	case SYS_alarm:
		return alarm_call((unsigned)a[0]);
	case SYS_setitimer:
		return setitimer_call((int)a[0], (const struct itimerval *)a[1], (struct itimerval *)a[2]);
	case SYS_getitimer:
		return getitimer_call((int)a[0], (struct itimerval *)a[1]);
	case SYS_timer_create:
		return timer_create_call(a[0], (const struct sigevent *)a[1], (int *)a[2]);
	case SYS_timer_settime:
		return settime(SIM_TK_POSIX, (int)a[0], a[1] & TIMER_ABSTIME,
			       (const struct itimerspec *)a[2], (struct itimerspec *)a[3]);
	case SYS_timer_gettime: {
		long r = gettime(SIM_TK_POSIX, (int)a[0], (struct itimerspec *)a[1]);
		return r < 0 ? r : 0;
	}
	case SYS_timer_getoverrun:
		return gettime(SIM_TK_POSIX, (int)a[0], NULL);
	case SYS_timer_delete:
		return ask(SIM_TIMER_DELETE, SIM_TK_POSIX, (int)a[0], 0, 0, 0, NULL);
	case SYS_timerfd_create:
		return timerfd_create_call(a[0], a[1]);
	case SYS_timerfd_settime:
		return timerfd_settime_call((int)a[0], (int)a[1], (const struct itimerspec *)a[2],
					    (struct itimerspec *)a[3]);
	case SYS_timerfd_gettime:
		return timerfd_gettime_call((int)a[0], (struct itimerspec *)a[1]);
	}
	return -ENOSYS;
}
