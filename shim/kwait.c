/*
 * kwait.c — calls that wait inside the kernel for another process, made
 * without blocking: file locks (flock, fcntl F_SETLKW and F_OFD_SETLKW,
 * so lockf too), System V semaphores and message queues (semop,
 * semtimedop, msgsnd, msgrcv), POSIX message queues (mq_timedsend,
 * mq_timedreceive), and splice, tee, vmsplice and sendfile on pipes.  Passed to the kernel as they are, they would block
 * the thread that holds the turn until another simulated thread acts, and
 * none can: the run would hang until the watchdog.  Each is tried without
 * blocking; if it would block, the thread parks until another thread
 * changed something (every call here that can release a waiter marks the
 * thread dirty) or the call's own timeout passes in virtual time, then
 * tries again.
 *
 * Reachable from the SIGSYS handler: no allocation, kernel only via the
 * gate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <time.h>

#include "shim.h"

#define SEM_OPS_MAX 64 /* a semop with more operations than this is refused */

/* Parks until something changed or the deadline (-1: none); -EINTR for a
 * signal the program handles (after SA_RESTART handlers ran: retry),
 * -EAGAIN at the deadline, 0 to retry. */
static long wait_change(int64_t deadline, bool restart)
{
	long w = shim_park_poll(deadline);
	if (w == -EINTR && restart && shim_sig_restart())
		return 0;
	if (w < 0)
		return w;
	return w == 0 ? -EAGAIN : 0;
}

static long flock_call(struct sim_call *c)
{
	int fd = (int)c->a[0], op = (int)c->a[1];
	for (;;) {
		long r = sys2(SYS_flock, fd, op | LOCK_NB);
		shim_self.dirty = true; /* a lock taken or given back */
		if (r != -EWOULDBLOCK || (op & LOCK_NB))
			return r;
		long w = wait_change(-1, true); /* SA_RESTART restarts it */
		if (w < 0)
			return w;
	}
}

static long lock_call(struct sim_call *c)
{
	int fd = (int)c->a[0], cmd = (int)c->a[1];
	int nb = cmd == F_SETLKW ? F_SETLK : cmd == F_OFD_SETLKW ? F_OFD_SETLK : cmd;
	for (;;) {
		long r = sys3(SYS_fcntl, fd, nb, c->a[2]);
		if (nb == F_SETLK || nb == F_OFD_SETLK)
			shim_self.dirty = true;
		if ((r != -EAGAIN && r != -EACCES) || nb == cmd)
			return r;
		long w = wait_change(-1, true);
		if (w < 0)
			return w;
	}
}

static int64_t ts_deadline(const struct timespec *ts)
{
	return ts ? shim_deadline(shim_ts_ns(ts)) : -1;
}

static long sem_call(struct sim_call *c)
{
	struct sembuf ops[SEM_OPS_MAX];
	const struct sembuf *in = (const struct sembuf *)c->a[1];
	size_t n = (size_t)c->a[2];
	if (n > SEM_OPS_MAX) {
		shim_refuse(c->nr, "semop with more than 64 operations at once is not simulated");
		return -E2BIG;
	}
	if (!in && n)
		return -EFAULT;
	bool wait = false;
	for (size_t i = 0; i < n; i++) {
		ops[i] = in[i];
		wait |= !(ops[i].sem_flg & IPC_NOWAIT);
		ops[i].sem_flg |= IPC_NOWAIT;
	}
	int64_t deadline = c->nr == SYS_semtimedop ? ts_deadline((const struct timespec *)c->a[3]) : -1;
	for (;;) {
		long r = sys4(SYS_semtimedop, c->a[0], ops, n, 0);
		shim_self.dirty = true;
		if (r != -EAGAIN || !wait)
			return r;
		long w = wait_change(deadline, false); /* semop is never restarted */
		if (w < 0)
			return w;
	}
}

static long msg_call(struct sim_call *c)
{
	bool snd = c->nr == SYS_msgsnd;
	int flg = (int)(snd ? c->a[3] : c->a[4]);
	for (;;) {
		long r = snd ? sys4(SYS_msgsnd, c->a[0], c->a[1], c->a[2], flg | IPC_NOWAIT)
			     : sys5(SYS_msgrcv, c->a[0], c->a[1], c->a[2], c->a[3], flg | IPC_NOWAIT);
		shim_self.dirty = true;
		if ((flg & IPC_NOWAIT) || r != (snd ? -EAGAIN : -ENOMSG))
			return r;
		long w = wait_change(-1, false); /* never restarted, as semop */
		if (w < 0)
			return w;
	}
}

/* POSIX message queues are fds: wait for them to be ready, then call. */
static long mq_call(struct sim_call *c)
{
	int fd = (int)c->a[0];
	long fl = sys2(SYS_fcntl, fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK)) {
		/* the timeout is an absolute CLOCK_REALTIME time */
		const struct timespec *abs = (const struct timespec *)c->a[4];
		int64_t deadline = abs ? shim_ts_ns(abs) - shim_proc.cfg.epoch_ns - shim_proc.rt_offset : -1;
		if (abs && deadline < 0)
			deadline = 0;
		long w = shim_wait_fd(fd, c->nr == SYS_mq_timedsend ? POLLOUT : POLLIN, deadline);
		if (w == -EAGAIN)
			return -ETIMEDOUT;
		if (w < 0)
			return w;
	}
	struct timespec zero = { 0, 0 };
	long r = sys5(c->nr, fd, c->a[1], c->a[2], c->a[3], fl >= 0 && !(fl & O_NONBLOCK) ? &zero : (void *)c->a[4]);
	shim_self.dirty = true;
	return r;
}

/* splice, tee, vmsplice and sendfile move bytes between pipes (or a pipe
 * and a socket or file): wait until the source is readable and the
 * destination writable, then the call does not block. */
static long pipe_call(struct sim_call *c)
{
	int in = -1, out = -1;
	unsigned flags = 0;
	switch (c->nr) {
	case SYS_splice: in = (int)c->a[0], out = (int)c->a[2], flags = (unsigned)c->a[5]; break;
	case SYS_tee: in = (int)c->a[0], out = (int)c->a[1], flags = (unsigned)c->a[3]; break;
	case SYS_sendfile: out = (int)c->a[0]; break;
	case SYS_vmsplice: {
		long fl = sys2(SYS_fcntl, c->a[0], F_GETFL);
		flags = (unsigned)c->a[3];
		if (fl >= 0 && (fl & O_ACCMODE) == O_WRONLY)
			out = (int)c->a[0];
		else
			in = (int)c->a[0];
		break;
	}
	}
	if (!(flags & SPLICE_F_NONBLOCK)) {
		long fl;
		if (in >= 0 && (fl = sys2(SYS_fcntl, in, F_GETFL)) >= 0 && !(fl & O_NONBLOCK)) {
			long w = shim_wait_fd(in, POLLIN, -1);
			if (w < 0)
				return w;
		}
		if (out >= 0 && (fl = sys2(SYS_fcntl, out, F_GETFL)) >= 0 && !(fl & O_NONBLOCK)) {
			long w = shim_wait_fd(out, POLLOUT, -1);
			if (w < 0)
				return w;
		}
	}
	shim_self.dirty = true;
	return shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

bool shim_kwait_call(struct sim_call *c, long *ret)
{
	switch (c->nr) {
	case SYS_splice: case SYS_tee: case SYS_vmsplice: case SYS_sendfile:
		*ret = pipe_call(c);
		return true;
	case SYS_flock: *ret = flock_call(c); return true;
	case SYS_fcntl: {
		int cmd = (int)c->a[1];
		if (cmd != F_SETLKW && cmd != F_OFD_SETLKW && cmd != F_SETLK && cmd != F_OFD_SETLK)
			return false;
		*ret = lock_call(c);
		return true;
	}
	case SYS_semop: case SYS_semtimedop: *ret = sem_call(c); return true;
	case SYS_msgsnd: case SYS_msgrcv: *ret = msg_call(c); return true;
	case SYS_mq_timedsend: case SYS_mq_timedreceive: *ret = mq_call(c); return true;
	}
	return false;
}
