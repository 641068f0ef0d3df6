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
#include <sched.h>
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
	uint64_t mask = shim_prog_mask();
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
		mask = shim_prog_mask();
	}
	mask &= ~KEEP;
	for (;;) {
		if (pending() & ~mask)
			return shim_run_handlers(&mask);
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

/* ---- sending signals ---- */

/* The siginfo the kernel would have made for kill/tgkill from this
 * process, with its virtual pid: queued by the shim itself (a process may
 * give its own signals any si_code), so no real pid reaches the program. */
static void own_siginfo(siginfo_t *si, int sig, int code)
{
	memset(si, 0, sizeof *si);
	si->si_signo = sig;
	si->si_code = code;
	si->si_pid = shim_proc.cfg.vpid;
	si->si_uid = (uid_t)sys0(SYS_getuid);
}

/* Queues si: to thread tid of process pid (real ids), or to the process
 * (tid 0).  The kernel lets a thread claim SI_USER/SI_TKILL only for
 * signals to itself; to another thread of the process the same signal goes
 * as SI_QUEUE, still with the virtual pid. */
static long queue_real(long pid, long tid, int sig, siginfo_t *si)
{
	long r = tid ? sys4(SYS_rt_tgsigqueueinfo, pid, tid, sig, si)
		     : sys3(SYS_rt_sigqueueinfo, pid, sig, si);
	if (r == -EPERM && (si->si_code == SI_USER || si->si_code == SI_TKILL)) {
		si->si_code = SI_QUEUE;
		r = queue_real(pid, tid, sig, si);
	}
	return r;
}

static bool blocked_here(int sig)
{
	uint64_t mask = shim_prog_mask();
	return sig > 0 && (mask >> (sig - 1)) & 1;
}

/* A signal for this process as a whole, queued here.  The kernel delivers
 * it when the first thread that does not block it returns from its trap:
 * this one, unless its own mask blocks it; then the other threads' waits
 * are interrupted so that one of them can take it. */
static long to_own_process(int sig, siginfo_t *si)
{
	long rp = sys0(SYS_getpid);
	if (sig == 0)
		return 0;
	if (sig == SIGKILL || sig == SIGSTOP)
		return sys2(SYS_kill, rp, sig);
	long r = queue_real(rp, 0, sig, si);
	if (r == 0 && blocked_here(sig))
		shim_call(SIM_TGKILL, shim_proc.cfg.vpid, 0, sig, 0);
	return r;
}

/* A signal for thread `tid` of process `pid` (0: find the thread on the
 * node), or for the process itself (tid 0) when it is another process.
 * info: the program's siginfo (sigqueue), or NULL for tgkill/tkill. */
static long to_thread(long pid, long tid, int sig, const siginfo_t *info)
{
	siginfo_t si;
	if (info)
		si = *info;
	else
		own_siginfo(&si, sig, SI_TKILL);
	bool own = pid == shim_proc.cfg.vpid;
	if (own && tid == shim_self.vtid) {
		if (sig == 0)
			return 0;
		if (sig == SIGKILL || sig == SIGSTOP)
			return sys2(SYS_kill, sys0(SYS_getpid), sig);
		return queue_real(sys0(SYS_getpid), sys0(SYS_gettid), sig, &si);
	}
	if (sig == SIGKILL && pid > 0 && !own)
		return shim_call(SIM_KILL, pid, sig, 0, 0);
	struct sim_req rq = { .op = SIM_TGKILL, .a = { pid, tid, sig, info != NULL } };
	struct sim_rep rep;
	if (info)
		rq.len = sizeof si;
	long r = shim_request(&rq, &si, -1, &rep);
	if (r != 1)
		return r;
	/* a thread of this process: queue it ourselves, with the exact siginfo */
	if (sig == 0)
		return 0;
	if (sig == SIGKILL || sig == SIGSTOP)
		return sys2(SYS_kill, rep.a[0], sig);
	if (!info && rep.a[1] && shim_proc.ntkill < SHIM_TKILL_MAX) {
		/* tgkill: left for the target to queue to itself (the
		 * supervisor has woken it if it waits) */
		shim_proc.tkill[shim_proc.ntkill++] = (struct shim_tkill){ (int)rep.a[1], sig };
		return 0;
	}
	return queue_real(rep.a[0], rep.a[1], sig, &si);
}

/*
 * tgkill from one thread to another of the same process (pthread_kill,
 * pthread_cancel).  The kernel gives such a signal si_code SI_TKILL and
 * the sender's pid, and glibc's cancellation handler acts only on a
 * SIGCANCEL with SI_TKILL whose si_pid is getpid(): anything else it drops,
 * and a thread cancelled in a blocking read, poll or sleep waited for ever.
 * A process may queue SI_TKILL only to the calling thread itself, and a
 * real tgkill would carry the real pid.  So the sender leaves the signal
 * in shim_proc.tkill, the supervisor wakes the target if it waits (as for
 * any signal), and the target queues it to itself with its reply, before
 * it looks at what is pending: with SI_TKILL and the virtual pid, as the
 * kernel would have.  The turn is the target's then, as it would be when
 * the kernel delivered it.  The table is the process's and written only by
 * the thread that holds the turn; when it is full a signal goes as before
 * (SI_QUEUE, queued by the sender).
 */
void shim_tkill_take(void)
{
	long tid = sys0(SYS_gettid);
	int k = 0;
	for (int i = 0; i < shim_proc.ntkill; i++) {
		struct shim_tkill e = shim_proc.tkill[i];
		if (e.tid != tid) {
			shim_proc.tkill[k++] = e;
			continue;
		}
		siginfo_t si;
		own_siginfo(&si, e.sig, SI_TKILL);
		queue_real(sys0(SYS_getpid), tid, e.sig, &si);
	}
	shim_proc.ntkill = k;
}

void shim_tkill_drop(void)
{
	long tid = sys0(SYS_gettid);
	int k = 0;
	for (int i = 0; i < shim_proc.ntkill; i++)
		if (shim_proc.tkill[i].tid != tid)
			shim_proc.tkill[k++] = shim_proc.tkill[i];
	shim_proc.ntkill = k;
}

/* kill(pid <= 0) (a process group, or everyone) and SIGKILL: the
 * supervisor signals the others (supervisor/pgrp.c); if the caller is one
 * of them, it queues its own signal last, as kill's caller gets it on
 * return from the call. */
static long to_many(long pid, int sig)
{
	struct sim_req rq = { .op = SIM_KILL, .a = { pid, sig } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	if (r < 0 || rep.a[0] != 1)
		return r;
	siginfo_t si;
	own_siginfo(&si, sig, SI_USER);
	return to_own_process(sig, &si);
}

/* kill, tgkill, tkill, rt_sigqueueinfo, rt_tgsigqueueinfo with virtual ids. */
long shim_kill(struct sim_call *c)
{
	long *a = c->a;
	long pid, tid = 0, sig;
	const siginfo_t *info = NULL;
	switch (c->nr) {
	case SYS_kill: pid = (int)a[0]; sig = (int)a[1]; break;
	case SYS_tgkill: pid = (int)a[0]; tid = (int)a[1]; sig = (int)a[2]; break;
	case SYS_tkill: pid = 0; tid = (int)a[0]; sig = (int)a[1]; break;
	case SYS_rt_sigqueueinfo: pid = (int)a[0]; sig = (int)a[1]; info = (void *)a[2]; break;
	case SYS_rt_tgsigqueueinfo:
		pid = (int)a[0]; tid = (int)a[1]; sig = (int)a[2]; info = (void *)a[3];
		break;
	default: return -ENOSYS;
	}
	if (sig < 0 || sig > 64)
		return -EINVAL;
	if (info && !a[c->nr == SYS_rt_sigqueueinfo ? 2 : 3])
		return -EFAULT;
	if (c->nr == SYS_tkill && tid == shim_self.vtid)
		pid = shim_proc.cfg.vpid;
	if (c->nr == SYS_tgkill || c->nr == SYS_tkill || c->nr == SYS_rt_tgsigqueueinfo) {
		if (tid <= 0 || (c->nr != SYS_tkill && pid <= 0))
			return -EINVAL;
		return to_thread(pid, tid, (int)sig, info);
	}
	if (pid == shim_proc.cfg.vpid) {
		siginfo_t si;
		if (info)
			si = *info;
		else
			own_siginfo(&si, (int)sig, SI_USER);
		return to_own_process((int)sig, &si);
	}
	/* another process: queued by the supervisor with the sender's virtual
	 * pid (si_code SI_QUEUE: the kernel keeps SI_USER for the sender
	 * itself); SIGKILL, process groups and everyone: SIM_KILL */
	if (pid > 0 && sig != SIGKILL)
		return to_thread(pid, 0, (int)sig, info);
	if (info && pid <= 0)
		return -ESRCH; /* rt_sigqueueinfo names one process */
	return to_many(pid, (int)sig);
}

/* Called by thread.c right after a clone made thread vtid (kernel tid
 * real_tid): the supervisor learns the kernel tid, so that signals reach
 * exactly this thread, and the tid the kernel wrote for pthread
 * (CLONE_PARENT_SETTID: struct pthread's tid, which pthread_kill and
 * glibc's timer helper pass to tgkill and timer_create) becomes the virtual
 * one that gettid() returns.  The new thread has not run yet, so nothing
 * has used the kernel's value. */
void shim_thread_started(unsigned long flags, int *ptid, int vtid, long real_tid)
{
	struct sim_req rq = { .op = SIM_THREAD_TID, .a = { vtid, real_tid } };
	shim_request(&rq, NULL, -1, NULL);
	if ((flags & CLONE_PARENT_SETTID) && ptid)
		__atomic_store_n(ptid, vtid, __ATOMIC_SEQ_CST);
}
