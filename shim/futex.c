/*
 * futex.c — futexes emulated on the supervisor's wait queues, so that no
 * thread ever sleeps in the kernel's futex.
 *
 * The value check happens here, with the turn held: no other simulated
 * thread can change the word between the check and the park.  Waiters are
 * keyed by (process, address); shared futexes are treated like private ones,
 * which is right for process-local use and wrong across processes (refused
 * would break too much of glibc; noted in docs).
 *
 * Reachable from the SIGSYS handler: no malloc, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <string.h>

#include "shim.h"

static int64_t rel_deadline(const struct timespec *ts)
{
	if (!ts)
		return -1;
	return shim_deadline(shim_ts_ns(ts));
}

static int64_t abs_deadline(const struct timespec *ts, bool realtime)
{
	if (!ts)
		return -1;
	int64_t t = shim_ts_ns(ts) - (realtime ? shim_proc.cfg.epoch_ns : shim_proc.cfg.mono_base);
	return t < 0 ? 0 : t;
}

static long futex_wait(uint32_t *uaddr, uint32_t val, int64_t deadline, uint32_t bitset)
{
	if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val)
		return -EAGAIN;
	if (!bitset)
		return -EINVAL;
	if (deadline >= 0 && deadline <= shim_proc.now)
		return -ETIMEDOUT;
	long r = shim_call(SIM_FUTEX_WAIT, (long)uaddr, deadline, bitset, 0);
	if (r == -EINTR && !shim_sig_deliverable())
		return 0; /* a spurious wake-up, which futex callers must handle */
	return r;
}

/* FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake uaddr; if cmp(old, cmparg) wake uaddr2. */
static long futex_wake_op(uint32_t *uaddr, int nr1, uint32_t *uaddr2, int nr2, uint32_t v3)
{
	int op = (v3 >> 28) & 7, cmp = (v3 >> 24) & 15;
	int oparg = (int)((v3 << 8) >> 20), cmparg = (int)((v3 << 20) >> 20);
	if ((v3 >> 28) & 8) /* FUTEX_OP_OPARG_SHIFT */
		oparg = 1 << (oparg & 31);
	int old = (int)__atomic_load_n(uaddr2, __ATOMIC_SEQ_CST), nv;
	switch (op) {
	case FUTEX_OP_SET: nv = oparg; break;
	case FUTEX_OP_ADD: nv = old + oparg; break;
	case FUTEX_OP_OR: nv = old | oparg; break;
	case FUTEX_OP_ANDN: nv = old & ~oparg; break;
	case FUTEX_OP_XOR: nv = old ^ oparg; break;
	default: return -ENOSYS;
	}
	__atomic_store_n(uaddr2, (uint32_t)nv, __ATOMIC_SEQ_CST);
	bool c;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ: c = old == cmparg; break;
	case FUTEX_OP_CMP_NE: c = old != cmparg; break;
	case FUTEX_OP_CMP_LT: c = old < cmparg; break;
	case FUTEX_OP_CMP_LE: c = old <= cmparg; break;
	case FUTEX_OP_CMP_GT: c = old > cmparg; break;
	case FUTEX_OP_CMP_GE: c = old >= cmparg; break;
	default: return -ENOSYS;
	}
	long r = shim_call(SIM_FUTEX_WAKE, (long)uaddr, nr1, -1, 0);
	if (c && r >= 0)
		r += shim_call(SIM_FUTEX_WAKE, (long)uaddr2, nr2, -1, 0);
	return r;
}

long shim_futex(struct sim_call *c)
{
	uint32_t *uaddr = (uint32_t *)c->a[0];
	int op = (int)c->a[1];
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	uint32_t val = (uint32_t)c->a[2];
	const struct timespec *ts = (const struct timespec *)c->a[3];
	uint32_t *uaddr2 = (uint32_t *)c->a[4];
	uint32_t val3 = (uint32_t)c->a[5];
	long val2 = c->a[3]; /* for requeue ops the "timeout" is a count */

	shim_self.dirty = true;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(uaddr, val, rel_deadline(ts), FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_wait(uaddr, val, abs_deadline(ts, realtime), val3);
	case FUTEX_WAKE:
		return shim_call(SIM_FUTEX_WAKE, (long)uaddr, val, -1, 0);
	case FUTEX_WAKE_BITSET:
		return val3 ? shim_call(SIM_FUTEX_WAKE, (long)uaddr, val, val3, 0) : -EINVAL;
	case FUTEX_CMP_REQUEUE:
		if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val3)
			return -EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		return shim_call(SIM_FUTEX_REQUEUE, (long)uaddr, val, (long)uaddr2, val2);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, (int)val, uaddr2, (int)val2, val3);
	default:
		shim_refuse(c->nr, "futex: priority-inheritance and requeue-PI operations "
				   "are not simulated (FUTEX_LOCK_PI, FUTEX_WAIT_REQUEUE_PI, ...)");
		return -ENOSYS;
	}
}
