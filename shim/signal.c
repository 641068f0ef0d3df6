/*
 * signal.c — waiting for signals without waiting in the kernel.
 *
 * Signals sent inside the simulation are real signals, sent by the
 * supervisor (or the kernel, for a process's own) at a moment of virtual
 * time it decides.  A target thread parked inside a trap has every signal
 * blocked, so the kernel delivers the signal only when a thread of the
 * target process returns from its trap with the turn: deterministic.  The
 * supervisor also wakes the target's waits with -EINTR; a wait then ends
 * only if the signal is one the program will see (pending and not blocked
 * in the program's own mask), as the kernel's would.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#include "shim.h"

#define KEEP ((1ULL << (SIGSYS - 1)) | (1ULL << (SIGSEGV - 1)))

static uint64_t pending(void)
{
	uint64_t set = 0;
	sys2(SYS_rt_sigpending, &set, 8);
	return set;
}

/* Would the kernel do something with this signal when unblocked?  Blocked
 * signals stay pending even when their action is to be ignored, so the
 * pending set alone over-reports. */
static bool acted_on(int sig)
{
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } act;
	if (sys4(SYS_rt_sigaction, sig, NULL, &act, 8) < 0)
		return true;
	if (act.handler == SIG_IGN)
		return false;
	if (act.handler == SIG_DFL)
		return sig != SIGCHLD && sig != SIGURG && sig != SIGWINCH && sig != SIGCONT;
	return true;
}

bool shim_sig_deliverable(void)
{
	uint64_t mask = shim_self.mask ? *shim_self.mask : 0;
	uint64_t set = pending() & ~mask & ~KEEP;
	for (int sig = 1; set && sig <= 64; sig++, set >>= 1)
		if ((set & 1) && acted_on(sig))
			return true;
	return false;
}

/* rt_sigsuspend(mask) and pause(): park until a signal the program handles
 * under that mask is pending, then let the kernel's own sigsuspend take it,
 * which runs the handler and returns -EINTR with the mask restored. */
long shim_sigsuspend(struct sim_call *c)
{
	uint64_t mask;
	if (c->nr == SYS_rt_sigsuspend) {
		if (!c->a[0] || c->a[1] != 8)
			return -EINVAL;
		memcpy(&mask, (const void *)c->a[0], 8);
	} else {
		mask = shim_self.mask ? *shim_self.mask : 0;
	}
	mask &= ~KEEP;
	for (;;) {
		if (pending() & ~mask)
			return sys2(SYS_rt_sigsuspend, &mask, 8);
		shim_call(SIM_SIGWAIT, -1, 0, 0, 0);
	}
}

/* rt_sigtimedwait(set, info, timeout): park until one of set is pending,
 * then take it with a zero-timeout kernel call. */
long shim_sigtimedwait(struct sim_call *c)
{
	uint64_t set;
	if (!c->a[0] || c->a[3] != 8)
		return -EINVAL;
	memcpy(&set, (const void *)c->a[0], 8);
	const struct timespec *ts = (const struct timespec *)c->a[2];
	int64_t deadline = ts ? shim_deadline(shim_ts_ns(ts)) : -1;
	struct timespec zero = { 0, 0 };
	for (;;) {
		if (pending() & set)
			return sys4(SYS_rt_sigtimedwait, &set, c->a[1], &zero, 8);
		if (deadline >= 0 && shim_proc.now >= deadline)
			return -EAGAIN;
		shim_call(SIM_SIGWAIT, deadline, 0, 0, 0);
	}
}
