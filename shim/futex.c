/*
 * futex.c — futexes emulated on the supervisor's wait queues, so that no
 * thread ever sleeps in the kernel's futex.
 *
 * The value check happens here, with the turn held: no other simulated
 * thread can change the word between the check and the park.  Waiters are
 * keyed by (process, address) when private; a futex without
 * FUTEX_PRIVATE_FLAG that lies in MAP_SHARED memory (a POSIX semaphore or a
 * process-shared mutex between processes) is keyed by the memory object and
 * offset, read from /proc/self/maps, as the kernel keys it.
 *
 * Reachable from the SIGSYS handler: no malloc, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <string.h>

#include "shim.h"

static uint64_t hex(const char **p)
{
	uint64_t v = 0;
	for (;; (*p)++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return v;
		v = v * 16 + (uint64_t)d;
	}
}

static uint64_t dec(const char **p)
{
	uint64_t v = 0;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (uint64_t)(*(*p)++ - '0');
	return v;
}

/* One line of /proc/self/maps: start-end perms offset maj:min inode. */
static uint64_t key_from_line(const char *l, uintptr_t addr)
{
	uint64_t start = hex(&l);
	l++;
	uint64_t end = hex(&l);
	if (addr < start || addr >= end)
		return 1; /* not this line */
	bool shared = l[4] == 's';
	l += 6;
	uint64_t off = hex(&l);
	l++;
	uint64_t maj = hex(&l);
	l++;
	uint64_t min = hex(&l);
	l++;
	uint64_t ino = dec(&l);
	if (!shared)
		return 0;
	uint64_t z = (maj << 52) ^ (min << 32) ^ ino ^ ((off + (addr - start)) * 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) | 2; /* never 0 (private) or 1 (no match) */
}

/* The key of a shared futex, 0 when the address is in private memory. */
static uint64_t shared_key(uintptr_t addr)
{
	char buf[4096];
	long fd = sys4(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	uint64_t key = 0;
	size_t have = 0;
	for (;;) {
		long n = sys3(SYS_read, fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			uint64_t k = key_from_line(line, addr);
			if (k != 1) {
				key = k;
				goto out;
			}
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
	}
out:
	sys1(SYS_close, fd);
	return key;
}

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
	int64_t t = shim_ts_ns(ts) - (realtime ? shim_proc.cfg.epoch_ns + shim_proc.rt_offset
					     : shim_proc.cfg.mono_base);
	return t < 0 ? 0 : t;
}

static long futex_wait(uint32_t *uaddr, uint32_t val, int64_t deadline, uint32_t bitset,
		       uint64_t key)
{
	if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val)
		return -EAGAIN;
	if (!bitset)
		return -EINVAL;
	if (deadline >= 0 && deadline <= shim_proc.now)
		return -ETIMEDOUT;
	long r = shim_call(SIM_FUTEX_WAIT, (long)uaddr, deadline, bitset, (long)key);
	if (r == -EINTR && !shim_sig_deliverable())
		return 0; /* a spurious wake-up, which futex callers must handle */
	return r;
}

/* FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake uaddr; if cmp(old, cmparg) wake uaddr2. */
static long futex_wake_op(uint32_t *uaddr, int nr1, uint32_t *uaddr2, int nr2, uint32_t v3,
			  bool priv)
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
	long r = shim_call(SIM_FUTEX_WAKE, (long)uaddr, nr1, -1, priv ? 0 : (long)shared_key((uintptr_t)uaddr));
	if (c && r >= 0)
		r += shim_call(SIM_FUTEX_WAKE, (long)uaddr2, nr2, -1,
			       priv ? 0 : (long)shared_key((uintptr_t)uaddr2));
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
	bool priv = op & FUTEX_PRIVATE_FLAG;
	uint64_t key = priv ? 0 : shared_key((uintptr_t)uaddr);

	shim_self.dirty = true;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(uaddr, val, rel_deadline(ts), FUTEX_BITSET_MATCH_ANY, key);
	case FUTEX_WAIT_BITSET:
		return futex_wait(uaddr, val, abs_deadline(ts, realtime), val3, key);
	case FUTEX_WAKE:
		return shim_call(SIM_FUTEX_WAKE, (long)uaddr, val, -1, (long)key);
	case FUTEX_WAKE_BITSET:
		return val3 ? shim_call(SIM_FUTEX_WAKE, (long)uaddr, val, val3, (long)key) : -EINVAL;
	case FUTEX_CMP_REQUEUE:
		if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val3)
			return -EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
	{
		struct sim_req rq = { .op = SIM_FUTEX_REQUEUE,
				      .a = { (long)uaddr, val, (long)uaddr2, val2, (long)key,
					     priv ? 0 : (long)shared_key((uintptr_t)uaddr2) } };
		struct sim_rep rep;
		return shim_request(&rq, NULL, -1, &rep);
	}
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, (int)val, uaddr2, (int)val2, val3, priv);
	default:
		shim_refuse(c->nr, "futex: priority-inheritance and requeue-PI operations "
				   "are not simulated (FUTEX_LOCK_PI, FUTEX_WAIT_REQUEUE_PI, ...)");
		return -ENOSYS;
	}
}
