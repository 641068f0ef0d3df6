/*
 * pwait.c — ppoll, pselect6, epoll_pwait and epoll_pwait2 with a signal
 * mask: the wait runs under the mask the program passes, as the kernel's.
 *
 * This is how programs wait for "an fd or a signal" without a race: block
 * the signal, check state, then wait with a mask that unblocks it.  GNU make
 * -j waits for its jobserver pipe or SIGCHLD this way; without the mask the
 * child's exit is never seen and the run deadlocks.
 *
 * Kernel semantics kept: ready fds win over a pending signal (the count is
 * returned and the signal stays pending); otherwise a signal the mask lets
 * through ends the wait with EINTR after its handler has run, and the
 * program's own mask is back in force.  The handler is run by the kernel's
 * own rt_sigsuspend under the call's mask, as shim_sigsuspend does.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "shim.h"

#define A(i) (c->a[i])
#define KEEP ((1ULL << (SIGSYS - 1)) | (1ULL << (SIGSEGV - 1)))

static int64_t ts_ns(long p)
{
	return p ? shim_ts_ns((const struct timespec *)p) : -1;
}

/* The call's mask argument and its size; false when it has none. */
static bool call_mask(const struct sim_call *c, const void **set, size_t *len)
{
	switch (c->nr) {
	case SYS_ppoll:
		*set = (const void *)A(3);
		*len = (size_t)A(4);
		break;
	case SYS_pselect6: {
		/* the sixth argument is { const sigset_t *ss; size_t ss_len; } */
		const struct { const void *ss; size_t len; } *d = (const void *)A(5);
		if (!d)
			return false;
		*set = d->ss;
		*len = d->len;
		break;
	}
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		*set = (const void *)A(4);
		*len = (size_t)A(5);
		break;
	default:
		return false;
	}
	return *set != NULL;
}

/* The wait itself, with timeout t in ns (-1: none). */
static long wait_call(struct sim_call *c, int64_t t)
{
	switch (c->nr) {
	case SYS_ppoll:
		return shim_poll((struct pollfd *)A(0), (unsigned long)A(1), t);
	case SYS_pselect6:
		return shim_select((int)A(0), (void *)A(1), (void *)A(2), (void *)A(3), t);
	default:
		return shim_epoll_wait((int)A(0), (void *)A(1), (int)A(2), t);
	}
}

static int64_t call_timeout(const struct sim_call *c)
{
	switch (c->nr) {
	case SYS_ppoll: return ts_ns(A(2));
	case SYS_pselect6: return ts_ns(A(4));
	case SYS_epoll_pwait: return (int)A(3) < 0 ? -1 : (int64_t)(int)A(3) * 1000000;
	default: return ts_ns(A(3));
	}
}

bool shim_masked_wait(struct sim_call *c, long *ret)
{
	const void *set;
	size_t len;
	if (!call_mask(c, &set, &len))
		return false;
	if (len != 8) {
		*ret = -EINVAL;
		return true;
	}
	uint64_t mask = *(const uint64_t *)set & ~KEEP;
	int64_t start = shim_proc.now, t = call_timeout(c);
	const uint64_t *outer = shim_self.mask;
	shim_self.mask = &mask; /* shim_sig_deliverable() judges by the call's mask */
	long r;
	if (shim_sig_deliverable()) {
		/* already pending: only fds ready right now beat it */
		r = wait_call(c, 0);
		if (r == 0)
			r = -EINTR;
	} else {
		r = wait_call(c, t);
	}
	if (c->nr == SYS_ppoll || c->nr == SYS_pselect6) /* the time left, as the kernel's */
		shim_timeout_left((void *)(c->nr == SYS_ppoll ? A(2) : A(4)), false, t, start);
	bool take = r == -EINTR && shim_sig_deliverable();
	shim_self.mask = outer;
	if (take)
		shim_run_handlers(&mask); /* runs the handler, -EINTR */
	*ret = r;
	return true;
}
