/*
 * block.c — calls that would block, made without blocking in the kernel.
 *
 * A blocking call is tried without blocking; if it would block, the thread
 * tells the supervisor what it waits for and parks.  The supervisor wakes it
 * when what it waits for may have happened; the call is then retried.
 * Spurious wake-ups are fine, missed ones are bugs.
 *
 * What a wait on fds waits for is told exactly: the thread keeps an epoll
 * instance of its own, the probe, and registers in it the fds and events of
 * its wait (the program's epoll fd, for epoll_wait) before it parks.  The
 * supervisor holds a copy and wakes the thread when the probe is readable,
 * which is when the kernel would find the retry ready.  A wait that cannot
 * be told that way (more than SHIM_PROBE_MAX fds, a process with a signalfd,
 * whose readiness depends on who polls it, a named pipe's open) parks until
 * anything on its node changed, as every wait did before.
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
#include <sys/uio.h>
#include <sys/syscall.h>

#include "shim.h"
#include "net.h"

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

/* ---- the probe ---- */

/* What one wait waits for: fds and epoll events. */
struct shim_wait {
	int n;
	bool imprecise; /* too many fds: wait for any change */
	struct shim_probe_ent e[SHIM_PROBE_MAX];
};

static void wait_add(struct shim_wait *w, int fd, uint32_t ev)
{
	if (fd < 0)
		return;
	for (int i = 0; i < w->n; i++)
		if (w->e[i].fd == fd) {
			w->e[i].ev |= ev;
			return;
		}
	if (w->n == SHIM_PROBE_MAX) {
		w->imprecise = true;
		return;
	}
	w->e[w->n++] = (struct shim_probe_ent){ fd, ev };
}

void shim_probe_close(void)
{
	if (shim_self.probe >= SIM_FD_MIN) { /* never a program's fd, whatever TLS held */
		shim_fd_disown(shim_self.probe);
		sys1(SYS_close, shim_self.probe);
	}
	shim_self.probe = -1;
	shim_self.nprobe = 0;
}

void shim_probe_forget(void)
{
	shim_self.probe = -1; /* the fork closed the parent's (proc.c) */
	shim_self.nprobe = 0;
	shim_self.fruitless = false;
}

static bool in_wait(const struct shim_wait *w, int fd)
{
	for (int i = 0; i < w->n; i++)
		if (w->e[i].fd == fd)
			return true;
	return false;
}

/* Whether the probe holds exactly w, registered since the process last
 * closed or replaced an fd (every call that can goes through
 * shim_fd_forget): a level-triggered registration of the same file needs
 * no refresh. */
static bool probe_holds(const struct shim_wait *w)
{
	if (shim_self.probe_gen != shim_proc.fd_gen || shim_self.nprobe != w->n)
		return false;
	for (int i = 0; i < w->n; i++)
		if (shim_self.probe_set[i].fd != w->e[i].fd || shim_self.probe_set[i].ev != w->e[i].ev)
			return false;
	return true;
}

/* Makes the probe hold exactly w.  False when it cannot: the wait is then
 * an imprecise one.  Registrations are refreshed (MOD, or ADD when the fd
 * is not registered as the file it is now) unless probe_holds(w): the
 * program may have closed an fd and reused its number since. */
static bool probe_load(const struct shim_wait *w)
{
	if (w->imprecise || shim_proc.has_signalfd)
		return false;
	if (shim_self.probe_stale)
		shim_probe_close();
	shim_self.probe_stale = false;
	if (shim_self.probe < SIM_FD_MIN) {
		long ep = sys1(SYS_epoll_create1, EPOLL_CLOEXEC);
		if (ep < 0)
			return false;
		ep = shim_own_fd((int)ep);
		if (ep < 0)
			return false;
		shim_self.probe = (int)ep;
		shim_self.probe_new = true;
		shim_self.nprobe = 0;
	} else if (probe_holds(w)) {
		return true;
	}
	for (int i = 0; i < shim_self.nprobe; i++)
		if (!in_wait(w, shim_self.probe_set[i].fd))
			sys4(SYS_epoll_ctl, shim_self.probe, EPOLL_CTL_DEL, shim_self.probe_set[i].fd, 0);
	shim_self.nprobe = 0;
	for (int i = 0; i < w->n; i++) {
		struct epoll_event ev = { .events = w->e[i].ev };
		long r = sys4(SYS_epoll_ctl, shim_self.probe, EPOLL_CTL_MOD, w->e[i].fd, &ev);
		if (r == -ENOENT)
			r = sys4(SYS_epoll_ctl, shim_self.probe, EPOLL_CTL_ADD, w->e[i].fd, &ev);
		if (r < 0) { /* nesting too deep, no memory: start afresh next time */
			shim_self.probe_stale = true;
			return false;
		}
		shim_self.probe_set[shim_self.nprobe++] = w->e[i];
	}
	shim_self.probe_gen = shim_proc.fd_gen;
	return true;
}

/* One park: precise when w describes the wait (NULL: a wait for any
 * change, such as a named pipe's open). */
static long park(const struct shim_wait *w, int64_t deadline)
{
	if (deadline >= 0 && shim_proc.now >= deadline)
		return 0;
	struct sim_req rq = { .op = SIM_POLL, .a = { deadline, SIM_POLL_ANY } };
	if (shim_self.fruitless)
		rq.flags |= SIM_REQ_FRUITLESS;
	int sendfd = -1;
	if (w && probe_load(w)) {
		rq.a[1] = SIM_POLL_PROBE;
		if (shim_self.probe_new)
			sendfd = shim_self.probe;
		shim_self.probe_new = false;
	}
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, sendfd, &rep);
	/* the caller looks again now; if it finds nothing, this wake-up was
	 * fruitless (shim_wait_again) */
	shim_self.fruitless = false;
	if (r == -EINTR && shim_sig_deliverable())
		return -EINTR;
	return deadline < 0 || shim_proc.now < deadline;
}

/* The retry after a wake-up found nothing: the next park says so, and a
 * precise wait whose probe said ready (not a signal) starts a fresh probe,
 * in case it holds a file the program closed but another process keeps. */
static void wait_again(bool woken)
{
	if (!woken)
		return;
	shim_self.fruitless = true;
	if (shim_self.probe >= SIM_FD_MIN)
		shim_self.probe_stale = true;
}

long shim_park_poll(int64_t deadline)
{
	return park(NULL, deadline);
}

/* A signalfd is readable when the process that polls it has the signal
 * pending, so the supervisor cannot poll one for the program; worse, the
 * kernel drops a signalfd it finds not ready from the ready list of the
 * program's epoll instance that holds it.  A process that has one waits
 * imprecisely from then on, however the signalfd came. */
void shim_note_signalfd(int fd)
{
	struct stat st;
	if (shim_proc.has_signalfd || sys2(SYS_fstat, fd, &st) < 0 || (st.st_mode & S_IFMT) != 0)
		return; /* anonymous inodes have no file type */
	char path[32] = "/proc/self/fd/", link[64];
	char *p = path + 14, tmp[12];
	int n = 0;
	unsigned u = (unsigned)fd;
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	while (n)
		*p++ = tmp[--n];
	*p = 0;
	long l = sys4(SYS_readlinkat, AT_FDCWD, path, link, sizeof link - 1);
	if (l > 0) {
		link[l] = 0;
		if (!strcmp(link, "anon_inode:[signalfd]"))
			shim_proc.has_signalfd = true;
	}
}

void shim_scan_signalfds(void)
{
	long dir = sys3(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	char buf[2048];
	long n;
	while ((n = sys3(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type;
				 char name[]; } *d = (void *)(buf + off);
			off += d->reclen;
			if (d->name[0] < '0' || d->name[0] > '9')
				continue;
			int fd = 0;
			for (const char *c = d->name; *c >= '0' && *c <= '9'; c++)
				fd = fd * 10 + (*c - '0');
			if (fd != (int)dir)
				shim_note_signalfd(fd);
		}
	}
	sys1(SYS_close, dir);
}

/* The fds a recvmsg received (SCM_RIGHTS). */
/* SCM_CREDENTIALS carry a pid: real on the wire, virtual to the program.
 * to_real: a sender's (its own virtual pid becomes its real one, which the
 * kernel checks); else a receiver's. */
static void creds_pids(const struct msghdr *mh, bool to_real)
{
	if (!mh || !mh->msg_control)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS ||
		    c->cmsg_len < CMSG_LEN(sizeof(struct ucred)))
			continue;
		struct ucred u;
		memcpy(&u, CMSG_DATA(c), sizeof u);
		if (to_real)
			u.pid = u.pid == shim_proc.cfg.vpid ? (pid_t)sys0(SYS_getpid) : u.pid;
		else
			u.pid = (pid_t)shim_vpid_of_real(u.pid);
		memcpy(CMSG_DATA(c), &u, sizeof u);
	}
}

static void received_fds(const struct msghdr *mh)
{
	if (!mh || !mh->msg_control)
		return;
	creds_pids(mh, false);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
				shim_note_signalfd(fd);
				if (shim_net_foreign_vsock(fd) && !shim_net_adopt(fd))
					shim_refuse(SYS_recvmsg, "a virtual TCP or UDP socket received over "
						    "SCM_RIGHTS whose sender left nothing of it (another node, "
						    "or sendmmsg): the receiver has the local AF_UNIX socket "
						    "under it (docs/compatibility.md)");
			}
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

#define POLL_EVENTS (POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLRDNORM | POLLRDBAND | \
		     POLLWRNORM | POLLWRBAND | POLLMSG)

long shim_poll(struct pollfd *fds, unsigned long n, int64_t timeout_ns)
{
	int64_t deadline = shim_deadline(timeout_ns);
	bool woken = false;
	for (;;) {
		long r = sys3(SYS_poll, fds, n, 0);
		if (!woken && (r != 0 || timeout_ns == 0))
			shim_spin_check(); /* returns without waiting */
		if (r != 0 || timeout_ns == 0)
			return r;
		wait_again(woken);
		struct shim_wait w = { 0 };
		for (unsigned long i = 0; i < n; i++) /* poll's bits are epoll's */
			wait_add(&w, fds[i].fd, (uint32_t)fds[i].events & POLL_EVENTS);
		if (n > SHIM_PROBE_MAX)
			w.imprecise = true;
		long p = park(&w, deadline);
		if (p <= 0)
			return p;
		woken = true;
	}
}

/*
 * A thread that spins on checks that do not wait (a poll that returns at
 * once, ready or with a zero timeout; a non-blocking recv's EAGAIN) never
 * parks, and the relay reads what the program wrote to virtual sockets
 * only between turns: its request would never leave while its answer is
 * what it spins for, and a client that polls so (httperf's zero timeouts,
 * iperf3's select on a socket that stays writable while it waits for the
 * server to start the test) stalled until the next timer of the run, or
 * for ever.  After SPIN_FLUSH such checks in a row with something written
 * since the relay last read, the shim asks the supervisor to relay it now
 * (SIM_NET_FLUSH); the reply's next event is then its delivery, and the
 * thread yields when its clock gets there.  A program that checks a few
 * times and then waits is unaffected: its wait ends the turn.
 */
#define SPIN_FLUSH 8

void shim_spin_check(void)
{
	if (shim_proc.net_unsent && ++shim_self.empty_checks >= SPIN_FLUSH)
		shim_call(SIM_NET_FLUSH, 0, 0, 0, 0);
}

long shim_epoll_wait(int epfd, struct epoll_event *ev, int max, int64_t timeout_ns)
{
	int64_t deadline = shim_deadline(timeout_ns);
	bool woken = false;
	for (;;) {
		long r = sys4(SYS_epoll_wait, epfd, ev, max, 0);
		if (!woken && (r != 0 || timeout_ns == 0))
			shim_spin_check(); /* returns without waiting */
		if (r != 0 || timeout_ns == 0)
			return r;
		wait_again(woken);
		struct shim_wait w = { 0 };
		wait_add(&w, epfd, EPOLLIN); /* an epoll fd is readable when it has events */
		long p = park(&w, deadline);
		if (p <= 0)
			return p;
		woken = true;
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
	bool woken = false;
	for (;;) {
		struct timespec zero = { 0, 0 };
		long r = sys6(SYS_pselect6, n, rd, wr, ex, &zero, 0);
		if (!woken && (r != 0 || timeout_ns == 0))
			shim_spin_check(); /* returns without waiting */
		if (r != 0 || timeout_ns == 0)
			return r;
		for (int i = 0; i < 3; i++) /* pselect cleared the sets */
			if (in[i])
				*in[i] = s[i];
		wait_again(woken);
		/* the kernel's select: read is POLLIN, write POLLOUT, except POLLPRI */
		static const uint32_t sel_ev[3] = { EPOLLIN | EPOLLRDNORM | EPOLLRDBAND,
						    EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND, EPOLLPRI };
		struct shim_wait wt = { 0 };
		for (int fd = 0; fd < n && fd < FD_SETSIZE && !wt.imprecise; fd++)
			for (int i = 0; i < 3; i++)
				if (in[i] && FD_ISSET(fd, &s[i]))
					wait_add(&wt, fd, sel_ev[i]);
		long w = park(&wt, deadline);
		woken = true;
		if (w == 0) /* timed out: nothing ready.  (EINTR leaves the sets as they were) */
			for (int i = 0; i < 3; i++)
				if (in[i])
					FD_ZERO(in[i]);
		if (w <= 0)
			return w;
	}
}

/* select, pselect6 and ppoll write back the time left of their timeout
 * (glibc's select passes that on to its caller's timeval).  tp: a timeval
 * (select) or a timespec; t the timeout, start when the call began. */
void shim_timeout_left(void *tp, bool timeval, int64_t t, int64_t start)
{
	if (!tp || t < 0)
		return;
	int64_t left = t - (shim_proc.now - start);
	if (left < 0)
		left = 0;
	if (timeval) {
		struct timeval *tv = tp;
		tv->tv_sec = left / 1000000000LL;
		tv->tv_usec = left % 1000000000LL / 1000;
	} else {
		struct timespec *ts = tp;
		ts->tv_sec = left / 1000000000LL;
		ts->tv_nsec = left % 1000000000LL;
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
 * when ready, -EAGAIN on deadline.  `tried`: the caller's own attempt
 * without blocking just found it not ready (EAGAIN), so the first look is
 * skipped (nothing else ran since). */
/* Is fd ready for events now (or in error, or hung up)?  poll refuses
 * more fds than RLIMIT_NOFILE allows, and a program may have set it to 0
 * (vsftpd's pre-login process does): select has no such limit. */
static __attribute__((noinline)) bool fd_ready_select(int fd, short events)
{
	if (fd < 0 || fd >= 4096)
		return true; /* (let the call itself say) */
	uint64_t rd[64] = { 0 }, wr[64] = { 0 }, ex[64] = { 0 };
	rd[fd / 64] = wr[fd / 64] = ex[fd / 64] = 1ULL << (fd % 64);
	struct timespec zero = { 0, 0 };
	return sys6(SYS_pselect6, fd + 1, (events & POLLIN) ? rd : NULL, (events & POLLOUT) ? wr : NULL,
		    ex, &zero, NULL) != 0;
}

static bool fd_ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	long r = sys3(SYS_poll, &p, 1, 0);
	return r == -EINVAL ? fd_ready_select(fd, events) : r != 0;
}

/* tried: the caller's own attempt without blocking just found fd not
 * ready (EAGAIN), so the first look is skipped (nothing else ran since).
 * retry: such a caller also retries by itself after a wake-up, so none is
 * taken here either; *retry says whether the attempt that failed was
 * already the retry after one (the wake-up was fruitless), and is set
 * when returning after one.  The caller clears it when it makes
 * progress. */
static long wait_fd(int fd, short events, int64_t deadline, bool tried, bool *retry)
{
	bool woken = retry && *retry;
	for (;;) {
		if (!tried && fd_ready(fd, events))
			return 0; /* ready, error or hang-up: let the call report it */
		tried = false;
		wait_again(woken);
		struct shim_wait wt = { 0 };
		wait_add(&wt, fd, (uint32_t)events & POLL_EVENTS);
		long w = park(&wt, deadline);
		woken = true;
		if (w == -EINTR && deadline < 0 && shim_sig_restart())
			continue; /* SA_RESTART: the handlers ran, wait on (sigrestart.c) */
		if (retry)
			*retry = w > 0;
		if (w < 0)
			return w;
		if (w == 0)
			return -EAGAIN;
		if (retry)
			return 0; /* the caller's retry is the look */
	}
}

long shim_wait_fd(int fd, short events, int64_t deadline)
{
	return wait_fd(fd, events, deadline, false, NULL);
}

long shim_wait_fd_after(int fd, short events, int64_t deadline, bool *retry)
{
	return wait_fd(fd, events, deadline, true, retry);
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
	long r = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	if (c->nr == SYS_recvmsg && r >= 0)
		received_fds((const struct msghdr *)c->a[1]);
	return r;
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
		long w = r == -EAGAIN ? shim_wait_fd_after(fd, POLLOUT, -1, NULL) : shim_wait_fd(fd, POLLOUT, -1);
		if (w < 0)
			return done ? (long)done : w;
	}
plain:
	if (may_block(fd)) {
		long w = shim_wait_fd(fd, POLLOUT, -1);
		if (w < 0)
			return w;
	}
	if (c->nr != SYS_sendmsg)
		return shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	const struct msghdr *mh = (const struct msghdr *)c->a[1];
	shim_net_pass_fds(mh); /* virtual sockets it carries */
	creds_pids(mh, true);
	long r = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	for (struct cmsghdr *m = mh && mh->msg_control ? CMSG_FIRSTHDR(mh) : NULL; m;
	     m = CMSG_NXTHDR((struct msghdr *)mh, m))
		if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SCM_CREDENTIALS &&
		    m->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred u; /* the program's buffer as it was */
			memcpy(&u, CMSG_DATA(m), sizeof u);
			if (u.pid == (pid_t)sys0(SYS_getpid))
				u.pid = shim_proc.cfg.vpid;
			memcpy(CMSG_DATA(m), &u, sizeof u);
		}
	return r;
}
