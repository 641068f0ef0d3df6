/*
 * channel.c — this thread's requests to the supervisor.
 *
 * Reachable from the SIGSYS handler: no allocation, kernel only through the
 * gate, no stdio.  A request that expects a reply waits for it; that is
 * where a parked thread waits for the turn.  At its first such request a
 * thread makes its channel page (a sealed memfd, mapped here and by the
 * supervisor: include/simsup/proto.h) and from then on writes requests
 * there and waits on a futex for the reply, which spares the socket's
 * sendmsg, poll, recvmsg and send on every hand-off.  Messages with an fd,
 * and those without a reply, still go on the socket, announced in the page
 * (counted before they are sent).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "shim.h"

struct shim_proc shim_proc;
SHIM_TLS struct shim_thread shim_self = { .sock = -1, .probe = -1 };

static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

_Noreturn void shim_die(const char *msg)
{
	static const char pfx[] = "simsup shim: ";
	sys3(SYS_write, 2, pfx, sizeof pfx - 1);
	sys3(SYS_write, 2, msg, bounded_len(msg, 1000));
	sys3(SYS_write, 2, "\n", 1);
	for (;;)
		sys1(SYS_exit_group, 127);
}

static void send_req(struct sim_req *rq, const void *payload, int sendfd)
{
	struct iovec iov[2] = {
		{ .iov_base = rq, .iov_len = sizeof *rq },
		{ .iov_base = (void *)payload, .iov_len = rq->len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = rq->len ? 2 : 1 };
	if (sendfd >= 0) {
		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sendfd, sizeof(int));
	}
	long r;
	do
		r = sys3(SYS_sendmsg, shim_self.sock, &mh, MSG_NOSIGNAL);
	while (r == -EINTR);
	if (r < 0) {
		char msg[64] = "lost the channel to the supervisor (send: errno ";
		size_t n = strlen(msg);
		long e = -r;
		if (e >= 100)
			msg[n++] = (char)('0' + e / 100 % 10);
		if (e >= 10)
			msg[n++] = (char)('0' + e / 10 % 10);
		msg[n++] = (char)('0' + e % 10);
		msg[n++] = ')';
		msg[n] = 0;
		shim_die(msg);
	}
}

/* ---- the channel page ---- */

_Static_assert(sizeof(struct sim_chan) <= SIM_CHAN_SIZE, "struct sim_chan fits its page");

/* Wakes the supervisor only when it sleeps on the bell: mostly it yielded
 * the CPU to this thread and is still runnable, and the wake would find no
 * one to wake.  Paired with turn.c's recv_chan: each side writes its own
 * word, then reads the other's, both in one total order (SEQ_CST), so at
 * least one sees the other's write: the shim sees sup_waits set, or the
 * supervisor's futex wait sees the bell moved and returns at once. */
static void chan_ring(struct sim_chan *ch)
{
	__atomic_add_fetch(&ch->bell, 1, __ATOMIC_SEQ_CST);
	/* (an exiting thread's page may be gone by now: EFAULT, harmless) */
	if (__atomic_load_n(&ch->sup_waits, __ATOMIC_SEQ_CST))
		sys6(SYS_futex, &ch->bell, FUTEX_WAKE, 1, 0, 0, 0);
}

/* Puts back the plain memory of the stack region the page covered (and
 * frees the page's: the supervisor unmaps its side when it drops it). */
static void chan_unmap(void *p)
{
	sys6(SYS_mmap, p, SIM_CHAN_SIZE, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_STACK, -1, 0);
}

/* Made at the thread's first request that waits for a reply, and given to
 * the supervisor on the socket; if anything fails the thread keeps to its
 * socket. */
static void chan_open(void)
{
	shim_self.chan_off = true;
	if (!shim_self.stacks)
		return;
	long fd = sys2(SYS_memfd_create, "simsup-chan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return;
	/* over the lowest bytes of the thread's own stack region, kept for it
	 * (interposer/sud.c): no address the program sees moves */
	long p = -1;
	if (sys2(SYS_ftruncate, fd, SIM_CHAN_SIZE) == 0 &&
	    sys3(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		p = sys6(SYS_mmap, shim_self.stacks, SIM_CHAN_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == (long)shim_self.stacks) {
		sys3(SYS_madvise, p, SIM_CHAN_SIZE, MADV_DONTFORK); /* a child makes its own */
		struct sim_req rq = { .op = SIM_CHAN };
		struct sim_rep rep;
		if (shim_request(&rq, NULL, (int)fd, &rep) == 0) {
			shim_self.chan = (struct sim_chan *)p;
			shim_self.chan_nrep = __atomic_load_n(&shim_self.chan->nrep, __ATOMIC_ACQUIRE);
		} else {
			chan_unmap((void *)p);
		}
	}
	sys1(SYS_close, fd);
}

static void chan_wait(struct sim_chan *ch, struct sim_rep *rep)
{
	uint32_t want = shim_self.chan_nrep + 1;
	for (;;) {
		uint32_t n = __atomic_load_n(&ch->nrep, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ch->closed, __ATOMIC_ACQUIRE))
			sys1(SYS_exit_group, 128 + 9); /* the run is over, as a closed socket */
		if (n == want)
			break;
		sys6(SYS_futex, &ch->nrep, FUTEX_WAIT, n, 0, 0, 0);
	}
	shim_self.chan_nrep = want;
	memcpy(rep, &ch->rep, sizeof *rep);
}

/* A PLT wrapper's call blocks the program's signals only once it asks the
 * supervisor for something (a reply may take the turn away: a signal sent
 * meanwhile must wait for the call's end, as in a trap), and the wrapper
 * puts the mask back at the call's end.  Signals of the simulation are
 * sent only while every thread of it is parked, so a call that asks
 * nothing runs as if they were blocked, two syscalls cheaper. */
void shim_hold_signals(void)
{
	struct shim_lazy_hold *l = shim_self.lazy;
	if (!l || l->held)
		return;
	uint64_t held = shim_handler_mask(); /* as the SIGSYS handler's (sud.c) */
	sys4(SYS_rt_sigprocmask, SIG_BLOCK, &held, &l->old, 8);
	l->held = true;
}

/* Exited threads' pages, unmapped by a thread that has the turn: their
 * threads wrote them last before the supervisor gave it the turn. */
static void chan_reap(void)
{
	while (shim_proc.nchan_dead > 0)
		chan_unmap(shim_proc.chan_dead[--shim_proc.nchan_dead]);
}

void shim_chan_drop(void)
{
	if (shim_self.chan)
		chan_unmap(shim_self.chan);
	shim_self.chan = NULL;
	shim_self.chan_off = false;
}

void shim_chan_retire(void)
{
	if (!shim_self.chan)
		return;
	if (shim_proc.nchan_dead < (int)(sizeof shim_proc.chan_dead / sizeof *shim_proc.chan_dead))
		shim_proc.chan_dead[shim_proc.nchan_dead++] = shim_self.chan;
	/* else it stays mapped until the process ends */
}

void shim_chan_forked(void)
{
	if (shim_self.chan) /* MADV_DONTFORK: not mapped here, a hole in the region */
		chan_unmap(shim_self.chan);
	shim_self.chan = NULL;
	shim_self.chan_off = false;
	shim_proc.nchan_dead = 0;
}

long shim_request(struct sim_req *rq, const void *payload, int sendfd, struct sim_rep *rep)
{
	if (shim_self.sock < 0)
		shim_die("request on a thread without a channel");
	if (rq->len > SIM_PAYLOAD_MAX)
		rq->len = SIM_PAYLOAD_MAX;
	if (rep && sendfd < 0 && !shim_self.chan && !shim_self.chan_off && shim_proc.active)
		chan_open();
	rq->now = shim_proc.now;
	if (shim_self.dirty)
		rq->flags |= SIM_REQ_DIRTY;
	shim_self.dirty = false;
	/*
	 * Waiting for a reply may mean waiting for the turn.  Inside a trap
	 * (shim_self.mask set) the SIGSYS handler's mask already holds the
	 * program's signals back; a request from anywhere else (a clock read
	 * through the vDSO or a PLT wrapper that yields at the end of its
	 * slice) must hold them back itself.  Otherwise a signal the
	 * supervisor sends meanwhile (a timer, SIGCHLD) runs the program's
	 * handler at once, while another thread holds the turn: the handler's
	 * calls race with that thread in wall-clock time (the handler's own
	 * requests even take the reply meant for the wait).  Restoring the
	 * mask after the reply delivers them here, with the turn.
	 */
	if (rep)
		shim_hold_signals(); /* a wrapper's call: from here to its end */
	shim_self.empty_checks = 0;
	switch (rq->op) { /* the relay reads before the thread runs again (block.c) */
	case SIM_YIELD: case SIM_SLEEP: case SIM_POLL: case SIM_FUTEX_WAIT: case SIM_SIGWAIT:
	case SIM_WAIT: case SIM_NET_FLUSH:
		shim_proc.net_unsent = false;
		break;
	}
	uint64_t held = shim_handler_mask(), old = 0; /* as the SIGSYS handler's (sud.c) */
	bool hold = rep && !shim_self.mask;
	if (hold)
		sys4(SYS_rt_sigprocmask, SIG_BLOCK, &held, &old, 8);
	if (shim_self.tfd_pending) { /* applied before the request itself */
		memcpy(rq->tfd, shim_self.tfd_set, sizeof rq->tfd);
		rq->flags |= SIM_REQ_TIMERFD;
		shim_self.tfd_pending = false;
	}
	rq->ntrap = shim_self.ntrap;
	rq->nplt = shim_self.nplt;
	rq->nvdso = shim_self.nvdso;
	shim_self.ntrap = shim_self.nplt = shim_self.nvdso = 0;
	struct sim_chan *ch = shim_self.chan; /* (an exiting thread reads no TLS after the send) */
	if (ch && rep && sendfd < 0) {
		memcpy(&ch->rq, rq, sizeof *rq);
		if (rq->len)
			memcpy(ch->payload, payload, rq->len);
		__atomic_store_n(&ch->nreq, ch->nreq + 1, __ATOMIC_RELEASE);
		chan_ring(ch);
	} else {
		/* announced before it is sent: whatever the supervisor finds
		 * on the socket, it knows whether it is ours */
		if (ch)
			__atomic_store_n(&ch->nsock, ch->nsock + 1, __ATOMIC_RELEASE);
		send_req(rq, payload, sendfd);
		if (ch)
			chan_ring(ch);
	}
	if (!rep)
		return 0;
	if (ch) {
		chan_wait(ch, rep);
	} else {
		long r;
		do
			r = sys3(SYS_recvfrom, shim_self.sock, rep, sizeof *rep);
		while (r == -EINTR);
		if (r == 0) /* the supervisor ended the run, or died: nothing may go on */
			sys1(SYS_exit_group, 128 + 9);
		if (r < (long)sizeof *rep)
			shim_die("lost the channel to the supervisor (recv)");
	}
	if (shim_proc.nchan_dead)
		chan_reap();
	if (rep->now > shim_proc.now)
		shim_proc.now = rep->now;
	shim_proc.next_event = rep->next_event;
	shim_proc.rt_offset = rep->rt_offset;
	shim_proc.disk_ops = rep->disk_ops;
	if (shim_proc.ntkill)
		shim_tkill_take(); /* before the mask goes back: delivered here */
	if (hold && shim_self.in_vdso_tp) {
		/* a static program's clock read (vdso.c): the mask goes back
		 * once its thread pointer is, so that a handler that runs
		 * then runs on it */
		shim_self.vdso_mask = old;
		shim_self.vdso_mask_held = true;
	} else if (hold) {
		sys4(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	}
	return rep->ret;
}

long shim_call(int op, long a0, long a1, long a2, long a3)
{
	struct sim_req rq = { .op = op, .a = { a0, a1, a2, a3 } };
	struct sim_rep rep;
	return shim_request(&rq, NULL, -1, &rep);
}

long shim_query(int op, long a0, long a1, long a2, long a3)
{
	bool dirty = shim_self.dirty;
	int64_t next = shim_proc.next_event;
	shim_self.dirty = false;
	long r = shim_call(op, a0, a1, a2, a3);
	shim_self.dirty = dirty;
	shim_proc.next_event = next;
	return r;
}

static void send_text(int op, long a0, const char *text)
{
	if (!shim_proc.active || shim_self.sock < 0)
		return;
	struct sim_req rq = { .op = op, .a = { a0 } };
	rq.len = bounded_len(text, SIM_PAYLOAD_MAX);
	shim_request(&rq, text, -1, NULL);
}

void shim_note(const char *text)
{
	send_text(SIM_NOTE, 0, text);
}

void shim_refuse(long nr, const char *what)
{
	send_text(SIM_REFUSED, nr, what);
}

long shim_wait_turn(struct sim_rep *rep)
{
	long r;
	do
		r = sys3(SYS_recvfrom, shim_self.sock, rep, sizeof *rep);
	while (r == -EINTR);
	if (r == 0)
		sys1(SYS_exit_group, 128 + 9);
	if (r < (long)sizeof *rep)
		shim_die("lost the channel to the supervisor (first turn)");
	if (rep->now > shim_proc.now)
		shim_proc.now = rep->now;
	shim_proc.next_event = rep->next_event;
	shim_proc.rt_offset = rep->rt_offset;
	shim_proc.disk_ops = rep->disk_ops;
	return rep->ret;
}

/* Moves fd to the shim's protected range (>= SIM_FD_MIN) with CLOEXEC. */
int shim_own_fd(int fd)
{
	if (fd < 0)
		return fd;
	int nfd = fd;
	if (fd < SIM_FD_MIN) {
		nfd = (int)sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, SIM_FD_MIN);
		sys1(SYS_close, fd);
		if (nfd < 0)
			return nfd;
	} else {
		sys3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
	}
	shim_fd_own(nfd);
	return nfd;
}
