/*
 * turn.c — one turn: hand a thread the turn, then serve its requests until
 * it parks, exits or dies.  Every request is validated: a target program is
 * untrusted input, and a malformed message ends that process, never the
 * supervisor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "disk.h"
#include "storage.h"
#include <xxhash.h>

#include "sup.h"
#include "syscall_names.h"
#include "timeline.h"

struct msg {
	struct sim_req rq;
	char payload[SIM_PAYLOAD_MAX + 1];
	int fd;      /* passed with SCM_RIGHTS, or -1 */
	size_t plen;
};

static int64_t next_event(struct sup_run *R, const struct sup_thread *self)
{
	int64_t w = sup_next_wakeup(R, self);
	if (w < 0 || w > R->o->time_limit_ns)
		w = R->o->time_limit_ns;
	/* the slice is counted from the start of the turn: replies that keep
	 * the turn must not extend it */
	if (self && R->slice_end < w && sup_others_runnable(R, self))
		w = R->slice_end;
	return w;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The real wait status of a process whose channel closed: it is dying. */
static int death_status(struct sup_run *R, struct sup_proc *p)
{
	for (int i = 0; i < 4000 && p->pid > 0 && !p->reaped; i++) {
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG) == 0 && si.si_pid) {
			p->reaped = true;
			return si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
		}
		if (i < 100)
			sched_yield();
		else
			usleep(500);
	}
	if (p->reaped)
		return p->real_status;
	if (p->pid > 0) {
		/* closed its channel (or said it exited) but lives on: not
		 * simulable.  Said out loud: a shim never does this, so either
		 * the process lied or it took seconds of wall time to die. */
		char nb[16];
		fprintf(stderr, "simsup: %s pid %d (%s) ended its channel or said it exited, but "
			"did not die; killed it\n", sup_node_name(R, p->node, nb, sizeof nb), p->vpid,
			p->name);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->reaped = true;
	}
	return SIGKILL;
}

/* The real uid and gid of a process that is dying or dead but not reaped. */
static bool proc_ids(pid_t pid, uid_t *uid, gid_t *gid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	int got = 0;
	unsigned v;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "Uid: %u", &v) == 1)
			*uid = v, got |= 1;
		else if (sscanf(line, "Gid: %u", &v) == 1)
			*gid = v, got |= 2;
	}
	fclose(f);
	return got == 3;
}

/* An image that never said hello and died by SIGSYS ran without the shim:
 * the escape guard (include/simsup/escape.h) stopped it at its first call
 * outside the simulation.  Fails the run with one line naming it and why. */
static int image_died(struct sup_run *R, struct sup_proc *p)
{
	uid_t uid = 0;
	gid_t gid = 0;
	bool ids = p->awaiting_hello && p->pid > 0 && proc_ids(p->pid, &uid, &gid);
	int st = death_status(R, p);
	if (!p->awaiting_hello || st != SIGSYS)
		return st;
	char nb[16], why[512];
	const char *prog = p->exec_path[0] ? p->exec_path : p->name;
	if (ids && !sup_readable_by(R->lib, uid, gid))
		snprintf(why, sizeof why, "%s is not readable by uid %u, which the program switched to",
			 R->lib, (unsigned)uid);
	else
		snprintf(why, sizeof why, "the loader did not preload %s (see the log of %s)", R->lib,
			 sup_node_name(R, p->node, nb, sizeof nb));
	sup_trace_ev(R, p, 0, "escape", "s", "program", prog);
	sup_fail_kind(R, "ran without the shim");
	sup_fail(R, "%s pid %d (%s) ran without the shim and was stopped at its first call "
		 "outside the simulation: %s", nb, p->vpid, prog, why);
	return st;
}

static const char *syscall_name(int64_t nr);

/* The kernel call a thread is blocked in, from /proc/PID/task/TID/syscall
 * ("NR ARG1 ... ARG6 SP PC" while in a call, "running" or "-1 ..." when
 * not): "flock(0x3, 0x2)" into buf, or false when it is in no call. */
static bool blocked_call(const struct sup_thread *t, char *buf, size_t n)
{
	char path[64], line[256];
	pid_t tid = t->real_tid ? t->real_tid : t->proc->pid;
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)t->proc->pid, (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool got = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	long long nr;
	unsigned long long a[3];
	if (!got || sscanf(line, "%lld 0x%llx 0x%llx 0x%llx", &nr, &a[0], &a[1], &a[2]) != 4 || nr < 0)
		return false;
	snprintf(buf, n, "%s(0x%llx, 0x%llx, 0x%llx, ...)", syscall_name(nr), a[0], a[1], a[2]);
	return true;
}

static void watchdog(struct sup_run *R, struct sup_thread *t)
{
	char nb[16], call[160] = "";
	bool in_call = t->proc->pid > 0 && blocked_call(t, call, sizeof call);
	sup_node_name(R, t->proc->node, nb, sizeof nb);
	if (in_call)
		fprintf(stderr, "simsup: watchdog: %s pid %d tid %d (%s) kept the turn for %.1fs of wall "
			"time, blocked in the kernel in %s: simsup passed that call to the kernel, "
			"where it waits for something no simulated thread can do while it holds the turn\n",
			nb, t->proc->vpid, t->vtid, t->proc->name, R->o->watchdog_ns / 1e9, call);
	else
		fprintf(stderr, "simsup: watchdog: %s pid %d tid %d (%s) kept the turn for %.1fs of wall "
			"time without a call that gives it up (a busy loop, or calls that never wait? a "
			"thread that spins waiting for another one cannot progress: "
			"docs/threads-and-signals.md; a loop that runs "
			"until the clock says a time has passed reads a clock that moves only by --tick "
			"per call: a larger --tick makes it end sooner)\n",
			nb, t->proc->vpid, t->vtid, t->proc->name, R->o->watchdog_ns / 1e9);
	/* ask its shim for a backtrace (SIGSYS not from dispatch), of this
	 * thread: another one is parked inside a trap */
	pid_t tid = t->real_tid > 0 ? t->real_tid : t->proc->pid;
	if (t->proc->pid > 0 && syscall(SYS_tgkill, t->proc->pid, tid, SIGSYS) == 0) {
		struct pollfd pf = { .fd = t->sock, .events = POLLIN };
		struct msg m;
		if (poll(&pf, 1, 2000) > 0) {
			ssize_t n = recv(t->sock, &m.rq, sizeof m.rq + SIM_PAYLOAD_MAX, 0);
			if (n > (ssize_t)sizeof m.rq && m.rq.op == SIM_NOTE) {
				size_t l = (size_t)n - sizeof m.rq;
				fprintf(stderr, "simsup: backtrace:\n%.*s", (int)l, (char *)(&m.rq + 1));
				free(t->proc->backtrace); /* for the report (report.c) */
				t->proc->backtrace = strndup((char *)(&m.rq + 1), l);
			}
		}
	}
	if (in_call) {
		sup_trace_ev(R, t->proc, t->vtid, "watchdog", "s", "blocked-in", call);
		sup_fail_kind(R, "watchdog");
		sup_fail(R, "watchdog: %s pid %d tid %d blocked in the kernel in %s", nb, t->proc->vpid,
			 t->vtid, call);
		return;
	}
	sup_trace_ev(R, t->proc, t->vtid, "watchdog", "", NULL);
	sup_fail_kind(R, "watchdog");
	sup_fail(R, "watchdog: %s pid %d tid %d kept the turn too long", nb, t->proc->vpid, t->vtid);
}

static void on_signal(struct sup_run *R)
{
	struct signalfd_siginfo si;
	while (read(R->sigfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* reaped below */
		R->interrupted = true;
		sup_fail_kind(R, "interrupted");
		sup_fail(R, "interrupted by signal %d", (int)si.ssi_signo);
	}
	sup_reap(R);
}

/* Ends a process that broke the protocol (a message no shim sends, replies
 * left unread) and fails the run with one line saying how: a target is
 * untrusted input (proto.h), and nothing it does afterwards can be
 * simulated.  The failure is recorded first, so that it is the run's why
 * rather than the SIGKILL that follows.  *fd, if any, is closed. */
__attribute__((format(printf, 4, 5)))
static void protocol_error(struct sup_run *R, struct sup_thread *t, int *fd, const char *fmt, ...)
{
	struct sup_proc *p = t->proc;
	char nb[16], what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	sup_node_name(R, p->node, nb, sizeof nb);
	fprintf(stderr, "simsup: %s pid %d (%s) %s; ending it\n", nb, p->vpid, p->name, what);
	if (fd && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	sup_trace_ev(R, p, t->vtid, "protocol-error", "s", "what", what);
	sup_fail_kind(R, "protocol error");
	sup_fail(R, "%s pid %d (%s) %s", nb, p->vpid, p->name, what);
	if (p->pid > 0) /* never 0 or less: kill() would signal a whole group */
		kill(p->pid, SIGKILL);
	sup_proc_exited(R, p, death_status(R, p));
}

/* The requests that carry an fd (SCM_RIGHTS); any other that does is
 * malformed. */
static bool carries_fd(int op)
{
	switch (op) {
	case SIM_THREAD_NEW: case SIM_FORK: case SIM_TIMER_CREATE: case SIM_NET_SOCKET:
	case SIM_NET_CONNECT: case SIM_SYNC: case SIM_DISK: case SIM_POLL: case SIM_CHAN:
		return true;
	}
	return false;
}

/* Has the peer closed the channel?  A seqpacket recv returns 0 both for
 * that and for an empty message. */
static bool hung_up(int sock)
{
	struct pollfd pf = { .fd = sock, .events = POLLRDHUP };
	return poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/* What is wrong with a received message, or NULL: every request is one
 * struct sim_req and exactly rq.len bytes of payload, with at most one fd,
 * and only on a request that carries one. */
static const char *malformed(const struct msg *m, ssize_t n, int flags, int nfds, char *buf,
			     size_t len)
{
	if (n == 0)
		return "an empty message";
	if (flags & MSG_TRUNC)
		return "longer than any request";
	if ((size_t)n < sizeof m->rq)
		return "shorter than a request header";
	if (m->rq.op == 0 || m->rq.op >= SIM_OP_MAX) {
		snprintf(buf, len, "unknown request %u", (unsigned)m->rq.op);
		return buf;
	}
	if (m->rq.len != (size_t)n - sizeof m->rq) {
		snprintf(buf, len, "request %u: its length says %u bytes of payload, it has %zu",
			 (unsigned)m->rq.op, (unsigned)m->rq.len, (size_t)n - sizeof m->rq);
		return buf;
	}
	/* a probe we had no room for (out of fds): the wait is one on any
	 * change (turn.c, SIM_POLL), never the target's fault */
	if ((flags & MSG_CTRUNC) && nfds == 0 && m->rq.op == SIM_POLL)
		return NULL;
	if (nfds > 1 || (flags & MSG_CTRUNC)) {
		snprintf(buf, len, "request %u: more than one fd", (unsigned)m->rq.op);
		return buf;
	}
	if (nfds && !carries_fd(m->rq.op)) {
		snprintf(buf, len, "request %u: an fd on a request that carries none",
			 (unsigned)m->rq.op);
		return buf;
	}
	return NULL;
}

/* The end of a message: checks it (malformed) and takes the sender's time.
 * Returns 1, or 0 after a protocol error. */
static int took(struct sup_run *R, struct sup_thread *t, struct msg *m, ssize_t n, int flags, int nfds)
{
	char wb[128];
	const char *why = malformed(m, n, flags, nfds, wb, sizeof wb);
	if (why) {
		protocol_error(R, t, &m->fd, "sent a malformed message (%s)", why);
		return 0;
	}
	m->plen = m->rq.len;
	m->payload[m->plen] = 0;
	/* the sender's time moves the clock forward, but never more than
	 * a nanosecond past the limit (the run then ends there): a
	 * target's number must not overflow the sums made with now */
	if (m->rq.now > R->now)
		R->now = m->rq.now <= R->o->time_limit_ns ? m->rq.now
			 : R->o->time_limit_ns < INT64_MAX ? R->o->time_limit_ns + 1
							   : INT64_MAX;
	return 1;
}

/* The thread's process is gone (its socket hung up). */
static int died(struct sup_run *R, struct sup_thread *t)
{
	if (!t->proc->exited)
		sup_proc_exited(R, t->proc, image_died(R, t->proc));
	else
		sup_thread_dead(R, t);
	return 0;
}

/* One message from the thread's socket (flags: MSG_DONTWAIT or 0).
 * Returns 1 with it, 0 when the process died or sent a malformed one,
 * -2 when there is none yet. */
static int recv_sock(struct sup_run *R, struct sup_thread *t, struct msg *m, int flags)
{
	union { /* room for two fds: a second one is seen, and closed */
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = &m->rq, .iov_len = sizeof m->rq + SIM_PAYLOAD_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			     .msg_controllen = sizeof cm.buf };
	ssize_t n;
	do
		n = recvmsg(t->sock, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	m->fd = -1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -2;
	/* every fd received is kept once (m->fd) or closed: a message
	 * with several must not leak the others into the supervisor */
	int nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			if (nfds++ == 0)
				m->fd = fd;
			else
				close(fd);
		}
	}
	if (n < 0 || (n == 0 && hung_up(t->sock))) {
		if (m->fd >= 0)
			close(m->fd);
		m->fd = -1;
		return died(R, t);
	}
	return took(R, t, m, n, mh.msg_flags, nfds);
}

/* The next message on the thread's socket, waiting for it (poll), as long
 * as the watchdog lets it. */
static int recv_sock_wait(struct sup_run *R, struct sup_thread *t, struct msg *m, int64_t limit)
{
	for (;;) {
		if (R->done)
			return -1;
		if (t->state == T_DEAD)
			return 0;
		struct pollfd pf[2] = { { .fd = t->sock, .events = POLLIN },
					{ .fd = R->sigfd, .events = POLLIN } };
		int64_t left = limit - wall_ms();
		if (left <= 0) {
			watchdog(R, t);
			return -1;
		}
		int r = poll(pf, 2, (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (pf[1].revents)
				on_signal(R);
			continue;
		}
		r = recv_sock(R, t, m, 0);
		if (r != -2)
			return r;
	}
}

/* The next message of a thread with a channel page: one it announced on
 * its socket (nsock, counted before it sends: sent before any later
 * request), else the request in the page.  Waits on the page's bell,
 * looking at the socket (the process's death; a message nobody announced is
 * malformed) and at simsup's own signals after 1 ms, then after 2, 4, ...
 * up to every 50 ms: a process that dies without a word (SIGPIPE, a fatal
 * signal) mostly does so right after its last call. */
static int recv_chan(struct sup_run *R, struct sup_thread *t, struct msg *m, int64_t limit)
{
	struct sim_chan *ch = t->chan;
	int64_t slice = 1; /* ms: doubles to 50 while the thread runs without a call */
	bool yielded = false;
	for (;;) {
		if (R->done)
			return -1;
		if (t->state == T_DEAD)
			return 0;
		uint32_t bell = __atomic_load_n(&ch->bell, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ch->nsock, __ATOMIC_ACQUIRE) != t->chan_nsock) {
			int r = recv_sock_wait(R, t, m, limit);
			if (r == 1)
				t->chan_nsock++;
			return r;
		}
		uint32_t nreq = __atomic_load_n(&ch->nreq, __ATOMIC_ACQUIRE);
		if (nreq != t->chan_nreq) {
			if (nreq != t->chan_nreq + 1) {
				protocol_error(R, t, NULL, "sent a malformed message (request %u on its "
					       "channel page, %u expected)", nreq, t->chan_nreq + 1);
				return 0;
			}
			t->chan_nreq = nreq;
			m->fd = -1;
			memcpy(&m->rq, &ch->rq, sizeof m->rq); /* copied once, then checked */
			size_t len = m->rq.len <= SIM_PAYLOAD_MAX ? m->rq.len : SIM_PAYLOAD_MAX + 1;
			memcpy(m->payload, ch->payload, len <= SIM_PAYLOAD_MAX ? len : 0);
			return took(R, t, m, (ssize_t)(sizeof m->rq + len),
				    len > SIM_PAYLOAD_MAX ? MSG_TRUNC : 0, 0);
		}
		if (!yielded) {
			/* The thread was just given the turn (or a reply) and is
			 * runnable on our CPU: let it run now and stay runnable
			 * ourselves, so that its next request finds us awake. A
			 * futex wait here instead makes its request a wake-up of
			 * a sleeping supervisor, one more switch each time (2.98
			 * switches per sleep in the idle cluster, 2.44 with the
			 * yield, 25% less wall time: docs/benchmarks.md). */
			yielded = true;
			sched_yield();
			continue;
		}
		int64_t left = limit - wall_ms();
		if (left <= 0) {
			watchdog(R, t);
			return -1;
		}
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (left < slice ? left : slice) * 1000000 };
		/* say so before sleeping (the shim's chan_ring): a bell rung
		 * since `bell` was read makes the wait return at once.  A
		 * target that clears the word only makes its own requests
		 * wait for the next timeout. */
		__atomic_store_n(&ch->sup_waits, 1, __ATOMIC_SEQ_CST);
		long w = syscall(SYS_futex, &ch->bell, FUTEX_WAIT, bell, &ts, NULL, 0);
		int werr = errno;
		__atomic_store_n(&ch->sup_waits, 0, __ATOMIC_RELAXED);
		if (w == 0 || werr != ETIMEDOUT)
			continue;
		if (slice < 50)
			slice *= 2;
		struct pollfd pf[2] = { { .fd = t->sock, .events = POLLIN | POLLRDHUP },
					{ .fd = R->sigfd, .events = POLLIN } };
		if (poll(pf, 2, 0) <= 0)
			continue;
		if (pf[1].revents)
			on_signal(R);
		if (__atomic_load_n(&ch->nsock, __ATOMIC_ACQUIRE) != t->chan_nsock)
			continue; /* announced: taken above */
		if (pf[0].revents & (POLLHUP | POLLRDHUP | POLLERR)) /* (readable too: EOF) */
			return died(R, t);
		if (pf[0].revents & POLLIN) { /* the shim counts each one before it sends it */
			protocol_error(R, t, NULL, "sent a malformed message (one on its socket that "
				       "its channel page did not announce)");
			return 0;
		}
	}
}

/* Whether a refusal is worth a line on stderr: the first of its kind (the
 * program's name, the call, the reason), or every one with -v.  `su` asks
 * for a NETLINK_AUDIT socket a dozen times per run of it; the trace keeps
 * each refusal, and the end of the run says how many were not printed. */
static bool first_refusal(struct sup_run *R, const char *prog, int64_t nr, const char *what)
{
	if (R->o->verbosity >= 1)
		return true;
	uint64_t h = XXH3_64bits_withSeed(what, strlen(what), (uint64_t)nr) ^
		     XXH3_64bits(prog, strlen(prog));
	for (size_t i = 0; i < R->nrefusals_seen; i++)
		if (R->refusals_seen[i] == h) {
			R->refusals_quiet++;
			return false;
		}
	uint64_t *more = realloc(R->refusals_seen, (R->nrefusals_seen + 1) * sizeof *more);
	if (more) {
		R->refusals_seen = more;
		R->refusals_seen[R->nrefusals_seen++] = h;
	}
	return true;
}

/* Receives the next request of the thread holding the turn.
 * Returns 1 with a message, 0 when the thread's process died, -1 when the
 * run must end (interrupt, watchdog). */
static int recv_req(struct sup_run *R, struct sup_thread *t, struct msg *m)
{
	int64_t limit = wall_ms() + R->o->watchdog_ns / 1000000;
	return t->chan ? recv_chan(R, t, m, limit) : recv_sock_wait(R, t, m, limit);
}

/* Sends a reply, or the grant of a turn, without ever blocking.  A shim
 * reads each reply before its next request, so a full channel means a
 * process that does not read them, and a blocking send would hang the
 * supervisor on it for good (SIGTERM included: it waits on a signalfd). */
static void send_rep(struct sup_run *R, struct sup_thread *t, const void *buf, size_t len)
{
	if (t->chan && len == sizeof t->chan->rep) {
		memcpy(&t->chan->rep, buf, len);
		__atomic_store_n(&t->chan->nrep, ++t->chan_nrep, __ATOMIC_RELEASE);
		syscall(SYS_futex, &t->chan->nrep, FUTEX_WAKE, 1, NULL, NULL, 0);
		return;
	}
	if (send(t->sock, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0 || t->proc->exited)
		return;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		protocol_error(R, t, NULL, "left its replies unread until its channel was full");
	else
		sup_proc_exited(R, t->proc, death_status(R, t->proc));
}

static void reply(struct sup_run *R, struct sup_thread *t, int64_t ret, const int64_t *a)
{
	struct sim_rep rep = { .ret = ret, .now = R->now, .next_event = next_event(R, t),
			       .rt_offset = sup_faults_rt_offset(R, t->proc->node),
			       .disk_ops = sup_disk_ops(R, t->proc->node) };
	if (a)
		memcpy(rep.a, a, sizeof rep.a);
	send_rep(R, t, &rep, sizeof rep);
}

void sup_reply(struct sup_run *R, struct sup_thread *t, int64_t ret, const int64_t *a)
{
	reply(R, t, ret, a);
}

static const char *syscall_name(int64_t nr)
{
	static char buf[32];
	if (nr >= 0 && nr < (int64_t)(sizeof syscall_names / sizeof *syscall_names) && syscall_names[nr])
		return syscall_names[nr];
	snprintf(buf, sizeof buf, "syscall %lld", (long long)nr);
	return buf;
}

/* ---- requests ---- */

/* The answer to an image's hello: who it is in the simulation. */
static void send_config(struct sup_run *R, struct sup_thread *t)
{
	struct sup_proc *p = t->proc;
	struct sim_config cfg;
	if (p->exec_path[0]) { /* the exec succeeded: this is the new image */
		const char *base = strrchr(p->exec_path, '/');
		snprintf(p->name, sizeof p->name, "%.63s", base ? base + 1 : p->exec_path);
		sup_trace_ev(R, p, t->vtid, "exec", "s", "path", p->exec_path);
		p->exec_path[0] = 0;
		p->execed = true;
		for (int i = 0; i < R->nthreads; i++) /* exec ended every other thread */
			if (R->threads[i]->proc == p && R->threads[i] != t)
				sup_thread_dead(R, R->threads[i]);
		sup_timers_exec(R, p);
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.rep.now = R->now;
	cfg.rep.next_event = next_event(R, t);
	cfg.rep.rt_offset = sup_faults_rt_offset(R, p->node);
	cfg.rep.disk_ops = sup_disk_ops(R, p->node);
	cfg.vpid = p->vpid;
	cfg.vppid = p->vppid;
	cfg.vtid = t->vtid;
	cfg.node = p->node;
	cfg.ip = p->node >= 0 ? sup_server_ip(p->node) : sup_workload_ip(-1 - p->node);
	cfg.boot = p->boot;
	cfg.seed = sup_rand(R); /* each image its own stream */
	cfg.tick_ns = R->o->tick_ns;
	cfg.epoch_ns = R->o->epoch_ns;
	/* CLOCK_MONOTONIC: as if each node had booted a while before the run */
	int idx = p->node >= 0 ? p->node : R->o->procs - 1 - p->node;
	cfg.mono_base = (int64_t)(1000 + 37 * idx) * 1000000000LL;
	cfg.ncpu = R->o->cpus;
	cfg.preempt = R->o->preempt_permille;
	cfg.trace_calls = R->o->verbosity >= 2;
	cfg.run_dev = R->run_dev;
	cfg.track_storage = R->storage != NULL;
	snprintf(cfg.sys_dir, sizeof cfg.sys_dir, "%s/sys", R->view_dir ? R->view_dir : R->run_dir);
	snprintf(cfg.lib, sizeof cfg.lib, "%s", R->lib);
	cfg.node_seed = (R->seed ^ 0x9e3779b97f4a7c15ULL * (uint64_t)(idx + 1)) +
			(uint64_t)p->boot * 0xbf58476d1ce4e5b9ULL;
	sup_trace_ev(R, p, t->vtid, "start", "s", "program", p->name);
	send_rep(R, t, &cfg, sizeof cfg);
}



/* A private futex is an address in one process; a shared one (a futex in
 * MAP_SHARED memory, e.g. a POSIX semaphore between processes) is the
 * shim's key for the memory object and offset, the same in every process
 * of the node that maps it. */
static bool futex_matches(const struct sup_thread *w, const struct sup_proc *p, uint64_t addr,
			  uint64_t key)
{
	if (w->state != T_FUTEX)
		return false;
	if (key)
		return w->futex_key == key && w->proc->node == p->node;
	return !w->futex_key && w->proc == p && w->futex_addr == addr;
}

static int64_t futex_wake(struct sup_run *R, struct sup_proc *p, uint64_t addr, uint64_t key,
			  int64_t max, uint32_t bitset, uint64_t requeue_to, uint64_t requeue_key,
			  int64_t requeue_max)
{
	int64_t woken = 0, moved = 0;
	for (;;) {
		struct sup_thread *best = NULL;
		for (int i = 0; i < R->nthreads; i++) {
			struct sup_thread *w = R->threads[i];
			if (futex_matches(w, p, addr, key) && (w->futex_bitset & bitset) &&
			    (!best || w->futex_seq < best->futex_seq))
				best = w;
		}
		if (!best)
			break;
		if (woken < max) {
			sup_thread_wake(R, best, 0);
			woken++;
		} else if (requeue_to && moved < requeue_max) {
			best->futex_addr = requeue_to;
			best->futex_key = requeue_key;
			best->futex_seq = ++R->futex_seq;
			moved++;
		} else {
			break;
		}
	}
	return woken + moved;
}

static void on_fork(struct sup_run *R, struct sup_thread *t, struct msg *m)
{
	if (m->fd < 0) {
		protocol_error(R, t, NULL, "sent a malformed message (a fork without the child's socket)");
		return;
	}
	struct sup_proc *c = sup_proc_new(R, t->proc->node, t->proc);
	struct sup_thread *ct = sup_thread_new(R, c, m->fd, c->vpid);
	sup_thread_set(R, ct, T_FORKING, -1);
	m->fd = -1;
	int64_t a[4] = { (int64_t)c->seed };
	reply(R, t, c->vpid, a);
}

/* Is pid a child of the supervisor that no simulated process is yet?  The
 * shim clones with CLONE_PARENT, so a real new child is one.  Anything else
 * would later be signalled and killed as if it were simulated: a host
 * process, or (cut to pid_t) 0 or -1, a whole process group or every
 * process the supervisor may signal.  The pid of a process the supervisor
 * reaped is free again: a long run wraps the host's pids (pid_max is 32768
 * on many machines). */
static bool new_child(struct sup_run *R, int64_t pid)
{
	if (pid <= 0 || pid > INT32_MAX || sup_proc_by_pid(R, (pid_t)pid))
		return false;
	siginfo_t si;
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) == 0;
}

static void on_fork_done(struct sup_run *R, struct sup_thread *t, const struct msg *m)
{
	struct sup_proc *c = sup_find_proc(R, t->proc->node, m->rq.a[0]);
	if (!c || c->parent != t->proc || c->pid) {
		protocol_error(R, t, NULL, "sent a malformed message (a fork done for pid %lld, "
			       "which is not a fork it announced)", (long long)m->rq.a[0]);
		return;
	}
	if (m->rq.a[1] > 0 && !new_child(R, m->rq.a[1])) {
		protocol_error(R, t, NULL, "sent a malformed message (a fork done naming real pid "
			       "%lld, which is not a new child of simsup)", (long long)m->rq.a[1]);
		return;
	}
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *ct = R->threads[i];
		if (ct->proc != c)
			continue;
		if (m->rq.a[1] > 0) {
			c->pid = (pid_t)m->rq.a[1];
			sup_thread_wake(R, ct, 0);
			sup_trace_ev(R, t->proc, t->vtid, "fork", "i", "child", (int64_t)c->vpid);
		} else {
			sup_thread_dead(R, ct);
			c->exited = c->collected = c->reaped = true;
		}
	}
	R->gen++;
	reply(R, t, 0, NULL);
}

static void on_exec(struct sup_run *R, struct sup_thread *t, const struct msg *m)
{
	snprintf(t->proc->exec_path, sizeof t->proc->exec_path, "%.255s", m->payload);
	t->proc->awaiting_hello = true;
	reply(R, t, 0, NULL);
	/* the page goes with the image: both sides drop it after this
	 * reply (the shim whether or not execve works), and the next image
	 * says hello on the socket */
	sup_chan_drop(t);
}

/* SIM_CHAN: the thread's channel page, a memfd the target cannot shrink
 * under us (a mapping that shrank would fault in the supervisor).  The
 * reply goes on the socket; the next ones through the page.  A thread that
 * has a page already is answered through it. */
static void on_chan(struct sup_run *R, struct sup_thread *t, int fd)
{
	struct stat st;
	int seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;
	void *p = MAP_FAILED;
	int64_t r = -EINVAL;
	if (!t->chan && seals >= 0 && (seals & F_SEAL_SHRINK) && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size >= SIM_CHAN_SIZE) {
		p = mmap(NULL, SIM_CHAN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		r = p == MAP_FAILED ? -errno : 0;
	}
	if (r == 0) { /* counted from before the reply: the thread runs once it has it */
		const struct sim_chan *ch = p;
		t->chan_nsock = __atomic_load_n(&ch->nsock, __ATOMIC_ACQUIRE);
		t->chan_nreq = __atomic_load_n(&ch->nreq, __ATOMIC_ACQUIRE);
		t->chan_nrep = __atomic_load_n(&ch->nrep, __ATOMIC_ACQUIRE);
	}
	reply(R, t, r, NULL);
	if (r == 0)
		t->chan = p;
}

void sup_chan_drop(struct sup_thread *t)
{
	if (!t->chan)
		return;
	munmap(t->chan, SIM_CHAN_SIZE);
	t->chan = NULL;
}

/* The thread will get no more replies: a shim waiting on its page ends its
 * process, as one whose socket is closed. */
void sup_chan_close(struct sup_thread *t)
{
	if (!t->chan)
		return;
	__atomic_store_n(&t->chan->closed, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&t->chan->nrep, ++t->chan_nrep, __ATOMIC_RELEASE);
	syscall(SYS_futex, &t->chan->nrep, FUTEX_WAKE, 1, NULL, NULL, 0);
	sup_chan_drop(t);
}

/* A timerfd_settime the shim made without asking (shim/timer.c), applied
 * before the request that carries it, as if it had been asked then. */
static bool timerfd_later(struct sup_run *R, struct sup_thread *t, const struct sim_req *rq)
{
	const int64_t a[5] = { SIM_TK_FD, rq->tfd[0], rq->tfd[1], rq->tfd[2], rq->tfd[3] };
	int64_t out[2];
	return sup_timer_set(R, t, a, out) == 0;
}

/* Serves the thread until it gives up the turn. */
static void serve(struct sup_run *R, struct sup_thread *t)
{
	struct msg *m = malloc(sizeof *m);
	for (;;) {
		int r = recv_req(R, t, m);
		if (r <= 0)
			break;
		const int64_t *a = m->rq.a;
		bool parked = true;
		if (m->rq.flags & SIM_REQ_DIRTY)
			sup_node_changed(R, t->proc->node);
		if ((m->rq.flags & SIM_REQ_TIMERFD) && !timerfd_later(R, t, &m->rq)) {
			protocol_error(R, t, &m->fd, "sent a malformed message (a timerfd setting "
				       "for fd %lld, not a timerfd of its own)", (long long)m->rq.tfd[0]);
			break;
		}
		R->st.requests++;
		R->st.fruitless += (m->rq.flags & SIM_REQ_FRUITLESS) != 0;
		R->st.traps += m->rq.ntrap;
		R->st.plt += m->rq.nplt;
		R->st.vdso += m->rq.nvdso;
		switch (m->rq.op) {
		case SIM_HELLO:
			if (!t->proc->awaiting_hello) { /* only a new image says hello */
				protocol_error(R, t, NULL, "sent a malformed message (a second hello)");
				break;
			}
			if (a[0] != SIM_PROTO_VERSION) {
				fprintf(stderr, "simsup: %s: libsimsup.so speaks protocol %lld, simsup %d\n",
					t->proc->name, (long long)a[0], SIM_PROTO_VERSION);
				sup_fail_kind(R, "protocol mismatch");
				sup_fail(R, "shim and supervisor versions differ");
				break;
			}
			t->proc->awaiting_hello = false;
			send_config(R, t);
			parked = false;
			break;
		case SIM_YIELD:
			sup_thread_wake(R, t, 0);
			sup_node_changed(R, t->proc->node);
			break;
		case SIM_SLEEP:
			sup_thread_set(R, t, T_SLEEP, a[0]);
			sup_node_changed(R, t->proc->node);
			break;
		case SIM_POLL:
			if (a[1] != SIM_POLL_ANY && a[1] != SIM_POLL_PROBE) {
				protocol_error(R, t, &m->fd, "sent a malformed message (a poll of kind %lld)",
					       (long long)a[1]);
				break;
			}
			if (m->fd >= 0) {
				sup_probe_set(R, t, m->fd);
				m->fd = -1;
			}
			/* a probe we could not take (not an epoll instance) is a
			 * wait on any change: never a missed wake-up */
			t->precise = a[1] == SIM_POLL_PROBE && t->probe >= 0;
			t->ready_scan = 0; /* not ready until a scan says so */
			if (t->precise)
				sup_probe_watch(R, t);
			if (t->precise)
				R->st.parks_probe++;
			else
				R->st.parks_any++;
			t->gen_seen = sup_gen_of(R, t->proc->node);
			sup_thread_set(R, t, T_POLL, a[0]);
			break;
		case SIM_FUTEX_WAIT:
			sup_thread_set(R, t, T_FUTEX, a[1]);
			t->futex_addr = (uint64_t)a[0];
			t->futex_bitset = (uint32_t)a[2];
			t->futex_key = (uint64_t)a[3];
			t->futex_seq = ++R->futex_seq;
			break;
		case SIM_FUTEX_WAKE:
			reply(R, t, futex_wake(R, t->proc, (uint64_t)a[0], (uint64_t)a[3], a[1], (uint32_t)a[2], 0, 0, 0), NULL);
			parked = false;
			break;
		case SIM_FUTEX_REQUEUE:
			reply(R, t, futex_wake(R, t->proc, (uint64_t)a[0], (uint64_t)a[4], a[1], ~0u, (uint64_t)a[2],
					 (uint64_t)a[5], a[3]),
			      NULL);
			parked = false;
			break;
		case SIM_THREAD_NEW: {
			if (m->fd < 0) {
				protocol_error(R, t, NULL, "sent a malformed message (a new thread "
					       "without its socket)");
				break;
			}
			int vtid = sup_node_of(R, t->proc->node)->next_vpid++;
			sup_thread_new(R, t->proc, m->fd, vtid);
			m->fd = -1;
			sup_trace_ev(R, t->proc, t->vtid, "thread", "i", "new", (int64_t)vtid);
			reply(R, t, vtid, NULL);
			parked = false;
			break;
		}
		case SIM_THREAD_EXIT:
			if (a[3]) { /* a clone that failed: a3 names the registered thread */
				for (int i = 0; i < R->nthreads; i++)
					if (R->threads[i]->proc == t->proc && R->threads[i]->vtid == a[3] &&
					    R->threads[i] != t)
						sup_thread_dead(R, R->threads[i]);
				reply(R, t, 0, NULL);
				parked = false;
				break;
			}
			if (a[0])
				futex_wake(R, t->proc, (uint64_t)a[0], 0, 1, ~0u, 0, 0, 0);
			sup_trace_ev(R, t->proc, t->vtid, "thread-exit", "", NULL);
			sup_thread_dead(R, t);
			if (t->proc->nthreads == 0)
				sup_proc_exited(R, t->proc, 0);
			R->gen++;
			break;
		case SIM_FORK:
			on_fork(R, t, m);
			parked = false;
			break;
		case SIM_FORK_DONE:
			on_fork_done(R, t, m);
			parked = false;
			break;
		case SIM_EXEC:
			on_exec(R, t, m);
			parked = false;
			break;
		case SIM_EXEC_FAILED:
			t->proc->exec_path[0] = 0;
			t->proc->awaiting_hello = false;
			reply(R, t, 0, NULL);
			parked = false;
			break;
		case SIM_SYNC:
			if (a[0] == SIM_SYNC_DA) {
				if (m->fd >= 0)
					sup_storage_da_alloc(R, t->proc->node, m->fd);
			} else if (a[0] == SIM_SYNC_ALL || m->fd >= 0)
				sup_storage_sync(R, t->proc->node, a[0] == SIM_SYNC_ALL ? -1 : m->fd);
			reply(R, t, 0, NULL);
			parked = false;
			break;
		case SIM_DISK: {
			int64_t out[4] = { 0 };
			int64_t dr = m->fd < 0 || (a[0] != SIM_DISK_READ && a[0] != SIM_DISK_WRITE &&
						  a[0] != SIM_DISK_FSYNC)
					    ? -EINVAL
					    : sup_disk_decide(R, t->proc->node, (int)a[0], m->fd, a[1], a[2],
							      &out[0], &out[1]);
			reply(R, t, dr, out);
			parked = false;
			break;
		}
		case SIM_EXIT: {
			/* Wait until the kernel has really ended it: until then its
			 * pipes and sockets are still open, and whoever runs next
			 * would see them in a state that depends on wall time. */
			int st = death_status(R, t->proc);
			if (WIFSIGNALED(st) && st != SIGKILL)
				sup_proc_exited(R, t->proc, st);
			else
				sup_proc_exited(R, t->proc, W_EXITCODE((int)a[0] & 0xff, 0));
			break;
		}
		case SIM_WAIT:
			sup_thread_set(R, t, T_WAITCHILD, -1);
			t->wait_sel = a[0];
			t->wait_opts = (int)a[1];
			if (!sup_try_wait(R, t))
				break;
			t->reply.now = R->now;
			reply(R, t, t->reply.ret, t->reply.a);
			parked = false;
			break;
		case SIM_PID: {
			int64_t ret = -ESRCH;
			struct sup_proc *q = a[1] > 0 && a[1] <= INT32_MAX ? sup_proc_by_pid(R, (pid_t)a[1]) : NULL;
			/* (a peer's credentials outlive it: the last process
			 * that had the pid, reaped or not) */
			for (int i = R->nprocs - 1; !q && a[0] == SIM_PID_REAL_VIRTUAL && a[1] > 0 && i >= 0; i--)
				if (R->procs[i]->pid == a[1])
					q = R->procs[i];
			if (a[0] == SIM_PID_REAL_VIRTUAL && q)
				ret = q->vpid;
			for (int i = 0; a[0] == SIM_PID_VIRTUAL_REAL && i < R->nprocs; i++) {
				q = R->procs[i];
				if (q->node == t->proc->node && q->vpid == a[1] && q->pid > 0 && !q->reaped)
					ret = q->pid;
			}
			for (int i = 0; a[0] == SIM_PID_TID_REAL && i < R->nthreads; i++) {
				const struct sup_thread *w = R->threads[i];
				q = w->proc;
				if (q->node == t->proc->node && w->vtid == a[1] && w->state != T_DEAD &&
				    q->pid > 0 && !q->reaped)
					ret = w->real_tid > 0 ? w->real_tid : q->pid;
			}
			/* a real tid of one of the node's threads: glibc keeps
			 * the one the kernel wrote for a process's first thread
			 * (set_tid_address, the fork's CLONE_CHILD_SETTID) in its
			 * struct pthread and passes it to pthread_getschedparam
			 * and the like.  (Writing the virtual one there instead
			 * deadlocked redis-server at its start: not done.) As it
			 * is. */
			for (int i = 0; a[0] == SIM_PID_TID_REAL && ret < 0 && i < R->nthreads; i++) {
				const struct sup_thread *w = R->threads[i];
				q = w->proc;
				pid_t real = w->real_tid > 0 ? w->real_tid : q->pid;
				if (q->node == t->proc->node && real == a[1] && w->state != T_DEAD &&
				    q->pid > 0 && !q->reaped)
					ret = real;
			}
			reply(R, t, ret, NULL);
			parked = false;
			break;
		}
		case SIM_CLOCK_SET: {
			if (a[0] < 0) { /* (untrusted: the shim never sends one) */
				reply(R, t, -EINVAL, NULL);
				parked = false;
				break;
			}
			sup_clock_set(R, t->proc->node, a[0]);
			char v[32];
			snprintf(v, sizeof v, "%.9f", a[0] / 1e9);
			sup_trace_ev(R, t->proc, t->vtid, "clock-set", "s", "realtime", v);
			reply(R, t, 0, NULL);
			parked = false;
			break;
		}
		case SIM_CLOCK_ADJ: {
			int64_t out[4] = { 0 };
			reply(R, t, sup_clock_adj(R, t->proc->node, a, m->payload, m->rq.len, out), out);
			parked = false;
			break;
		}
		case SIM_INODE:
			reply(R, t, sup_inode(R, (uint64_t)a[0], (uint64_t)a[1]), NULL);
			parked = false;
			break;
		case SIM_SIGWAIT:
			sup_thread_set(R, t, T_SIGWAIT, a[0]);
			break;
		case SIM_KILL: {
			int64_t out[4] = { 0 };
			reply(R, t, sup_kill(R, t, a, out), out);
			parked = t->state != T_RUNNABLE || t->proc->exited;
			break;
		}
		case SIM_CHAN:
			on_chan(R, t, m->fd);
			parked = false;
			break;
		case SIM_DISK_USAGE: {
			int64_t out[4] = { 0 };
			int64_t used = sup_disk_usage(R, t->proc->node, &out[0], &out[1]);
			reply(R, t, used, out);
			parked = false;
			break;
		}
		case SIM_PGRP:
			reply(R, t, sup_pgrp(R, t, a), NULL);
			parked = false;
			break;
		case SIM_NOTE:
			sup_trace_ev(R, t->proc, t->vtid, "note", "s", "text", m->payload);
			parked = false;
			break;
		case SIM_REFUSED: {
			char nb[16];
			if (first_refusal(R, t->proc->name, a[0], m->payload))
				fprintf(stderr, "simsup: %s pid %d (%s): refused %s: %s\n",
					sup_node_name(R, t->proc->node, nb, sizeof nb), t->proc->vpid,
					t->proc->name, syscall_name(a[0]), m->payload);
			sup_trace_ev(R, t->proc, t->vtid, "refused", "iss", "nr", a[0], "call", syscall_name(a[0]), "what", m->payload);
			parked = false;
			break;
		}
		case SIM_CRASH: {
			char nb[16];
			t->proc->crash_sig = (int)a[0];
			/* the backtrace's own last newline, or one: the lines after
			 * it stay lines whatever the payload holds */
			size_t bl = strlen(m->payload);
			fprintf(stderr, "simsup: %s pid %d (%s) crashed with signal %lld (%s) at %.6fs virtual:\n%s%s",
				sup_node_name(R, t->proc->node, nb, sizeof nb), t->proc->vpid, t->proc->name,
				(long long)a[0], strsignal((int)a[0]), R->now / 1e9, m->payload,
				bl && m->payload[bl - 1] == '\n' ? "" : "\n");
			sup_trace_ev(R, t->proc, t->vtid, "crash", "i", "signal", a[0]);
			free(t->proc->backtrace); /* for the report (report.c) */
			t->proc->backtrace = strdup(m->payload);
			parked = false;
			break;
		}
		case SIM_TIMER_CREATE:
			reply(R, t, sup_timer_create(R, t, a, &m->fd), NULL);
			parked = false;
			break;
		case SIM_TIMER_SET: case SIM_TIMER_GET: case SIM_TGKILL: case SIM_PROCINFO: {
			int64_t out[4] = { 0 }, ret;
			if (m->rq.op == SIM_TIMER_SET)
				ret = sup_timer_set(R, t, a, out);
			else if (m->rq.op == SIM_TIMER_GET)
				ret = sup_timer_get(R, t, a, out);
			else if (m->rq.op == SIM_TGKILL)
				ret = sup_tgkill(R, t, a, m->payload, m->plen, out);
			else
				ret = sup_procinfo(R, t, a, out);
			reply(R, t, ret, out);
			parked = false;
			break;
		}
		case SIM_TIMER_DELETE:
			reply(R, t, sup_timer_delete(R, t, a), NULL);
			parked = false;
			break;
		case SIM_TIMER_DUP:
			reply(R, t, sup_timer_dup(R, t, a), NULL);
			parked = false;
			break;
		case SIM_THREAD_TID:
			sup_thread_tid(R, t, a);
			parked = false;
			break;
		case SIM_NET_SOCKET: case SIM_NET_BIND: case SIM_NET_LISTEN: case SIM_NET_CONNECT:
		case SIM_NET_STATUS: case SIM_NET_ACCEPT: case SIM_NET_CLOSE: case SIM_NET_RESOLVE:
		case SIM_NET_FLUSH: case SIM_NET_LIST: case SIM_NET_PASS: case SIM_NET_ADOPT:
			parked = sup_net_serve(R, t, &m->rq, m->payload, &m->fd);
			break;
		default:
			reply(R, t, -ENOSYS, NULL);
			parked = false;
		}
		if (m->fd >= 0)
			close(m->fd);
		if (parked || R->done)
			break;
	}
	free(m);
}

void sup_give_turn(struct sup_run *R, struct sup_thread *t)
{
	R->slice_end = R->now + SUP_QUANTUM_NS;
	if (t->state != T_HELLO) {
		t->reply.now = R->now;
		t->reply.next_event = next_event(R, t);
		t->reply.rt_offset = sup_faults_rt_offset(R, t->proc->node);
		t->reply.disk_ops = sup_disk_ops(R, t->proc->node);
		send_rep(R, t, &t->reply, sizeof t->reply);
		if (t->proc->exited)
			return;
	}
	sup_thread_set(R, t, T_RUNNABLE, -1);
	R->running = t;
	R->st.turns++;
	int64_t turn_start = R->now; /* for --timeline */
	serve(R, t);
	R->running = NULL;
	sup_timeline_turn(R, t, turn_start);
}
