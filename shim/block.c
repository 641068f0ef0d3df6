/*
 * block.c — calls that would block, made without blocking in the kernel.
 *
 * A blocking call is tried without blocking; if it would block, the thread
 * tells the supervisor it waits (for a deadline, or for anything another
 * thread may change) and parks.  The supervisor wakes it when what it waits
 * for may have happened; the call is then retried.  Spurious wake-ups are
 * fine, missed ones are bugs.
 *
 * Reachable from the SIGSYS handler: no allocation, kernel only via the gate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

void shim_yield(void)
{
	shim_call(SIM_YIELD, 0, 0, 0, 0);
}

int64_t shim_deadline(int64_t rel_ns)
{
	if (rel_ns < 0)
		return -1;
	if (rel_ns > INT64_MAX - shim_proc.now)
		return INT64_MAX;
	return shim_proc.now + rel_ns;
}

long shim_park_poll(int64_t deadline)
{
	if (deadline >= 0 && shim_proc.now >= deadline)
		return 0;
	long r = shim_call(SIM_POLL, deadline, 0, 0, 0);
	if (r == -EINTR && shim_sig_deliverable())
		return -EINTR;
	return deadline < 0 || shim_proc.now < deadline;
}

/* Sleeps until an absolute virtual time (ns since run start); -EINTR when
 * a signal the program handles arrived first. */
static long sleep_until(int64_t deadline)
{
	while (deadline > shim_proc.now) {
		long r = shim_call(SIM_SLEEP, deadline, 0, 0, 0);
		if (r == -EINTR && shim_sig_deliverable())
			return -EINTR;
	}
	return 0;
}

/* A wait no signal ends, in virtual time: a stalled disk (disk.c) leaves
 * the thread in uninterruptible sleep, as the kernel's D state. */
void shim_stall(int64_t ns)
{
	int64_t deadline = shim_proc.now + ns;
	while (deadline > shim_proc.now)
		shim_call(SIM_SLEEP, deadline, 0, 0, 0);
}

long shim_nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L || req->tv_sec < 0)
		return -EINVAL;
	int64_t deadline = shim_deadline(shim_ts_ns(req));
	long r = sleep_until(deadline);
	if (rem)
		shim_ns_ts(r < 0 && deadline > shim_proc.now ? deadline - shim_proc.now : 0, rem);
	return r;
}

long shim_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
			  struct timespec *rem)
{
	if (!req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
		return -EINVAL;
	int64_t t = shim_ts_ns(req);
	if (!(flags & TIMER_ABSTIME))
		return shim_nanosleep(req, rem);
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_TAI:
		t -= shim_proc.cfg.epoch_ns + shim_proc.rt_offset;
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
		t -= shim_proc.cfg.mono_base;
		break;
	default:
		return -EINVAL;
	}
	return sleep_until(t);
}

/* ---- readiness waits over local fds ---- */

long shim_poll(struct pollfd *fds, unsigned long n, int64_t timeout_ns)
{
	int64_t deadline = shim_deadline(timeout_ns);
	for (;;) {
		long r = sys3(SYS_poll, fds, n, 0);
		if (r != 0 || timeout_ns == 0)
			return r;
		long w = shim_park_poll(deadline);
		if (w <= 0)
			return w;
	}
}

long shim_epoll_wait(int epfd, struct epoll_event *ev, int max, int64_t timeout_ns)
{
	int64_t deadline = shim_deadline(timeout_ns);
	for (;;) {
		long r = sys4(SYS_epoll_wait, epfd, ev, max, 0);
		if (r != 0 || timeout_ns == 0)
			return r;
		long w = shim_park_poll(deadline);
		if (w <= 0)
			return w;
	}
}

long shim_select(int n, void *rdv, void *wrv, void *exv, int64_t timeout_ns)
{
	fd_set *rd = rdv, *wr = wrv, *ex = exv;
	int64_t deadline = shim_deadline(timeout_ns);
	fd_set s[3];
	fd_set *in[3] = { rd, wr, ex };
	for (int i = 0; i < 3; i++)
		if (in[i])
			s[i] = *in[i];
	for (;;) {
		struct timespec zero = { 0, 0 };
		long r = sys6(SYS_pselect6, n, rd, wr, ex, &zero, 0);
		if (r != 0 || timeout_ns == 0)
			return r;
		for (int i = 0; i < 3; i++) /* pselect cleared the sets */
			if (in[i])
				*in[i] = s[i];
		long w = shim_park_poll(deadline);
		if (w <= 0) {
			for (int i = 0; i < 3; i++)
				if (in[i])
					FD_ZERO(in[i]);
			return w;
		}
	}
}

/* ---- single-fd calls that may block ---- */

/* Would a call on fd need to wait for `events`?  Only pipes, sockets and
 * anonymous kernel objects can block; regular files and devices never park. */
static bool may_block(int fd)
{
	int k = shim_fd_kind(fd);
	if (k == S_IFREG || k == S_IFDIR || k == S_IFBLK || k == S_IFCHR || k < 0)
		return false;
	long fl = sys2(SYS_fcntl, fd, F_GETFL);
	return fl >= 0 && !(fl & O_NONBLOCK);
}

/* Parks until fd is ready for events or the deadline passes.  Returns 0
 * when ready, -EAGAIN on deadline. */
long shim_wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long r = sys3(SYS_poll, &p, 1, 0);
		if (r != 0)
			return 0; /* ready, error or hang-up: let the call report it */
		long w = shim_park_poll(deadline);
		if (w == -EINTR && deadline < 0 && shim_sig_restart())
			continue; /* SA_RESTART: the handlers ran, wait on (sigrestart.c) */
		if (w < 0)
			return w;
		if (w == 0)
			return -EAGAIN;
	}
}

/* Runs a blocking read-side call (read, readv, recvfrom, recvmsg, accept...)
 * on a blocking fd without letting it block in the kernel. */
long shim_blocking_in(struct sim_call *c, int fd)
{
	if (may_block(fd)) {
		long w = shim_wait_fd(fd, POLLIN, -1);
		if (w < 0)
			return w;
	}
	return shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

/* Write-side: the fd is made non-blocking for the duration of each attempt,
 * which is safe because no other thread of the simulation runs meanwhile; a
 * blocking write of n bytes returns only when all n are written, as the
 * kernel would. */
long shim_blocking_out(struct sim_call *c, int fd)
{
	if (!may_block(fd) || (c->nr != SYS_write))
		goto plain;
	long fl = sys2(SYS_fcntl, fd, F_GETFL);
	const char *buf = (const char *)c->a[1];
	size_t len = (size_t)c->a[2], done = 0;
	for (;;) {
		sys3(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
		long r = sys3(SYS_write, fd, buf + done, len - done);
		sys3(SYS_fcntl, fd, F_SETFL, fl);
		if (r > 0)
			done += (size_t)r;
		if (r < 0 && r != -EAGAIN)
			return done ? (long)done : r;
		if (done == len)
			return (long)done;
		shim_self.dirty = true;
		long w = shim_wait_fd(fd, POLLOUT, -1);
		if (w < 0)
			return done ? (long)done : w;
	}
plain:
	if (may_block(fd)) {
		long w = shim_wait_fd(fd, POLLOUT, -1);
		if (w < 0)
			return w;
	}
	return shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}
