/*
 * fake_target — a simulated program that speaks the supervisor's protocol
 * itself, badly, on purpose: test_untrusted runs it under simsup to check
 * that no message a target can send crashes, hangs or fools the supervisor
 * (include/simsup/proto.h: "a target is untrusted input").
 *
 *   fake_target MODE [ARG] [TAG]
 *
 * MODE is one of the cases in `modes` below, or "fork-done-host-pid" (ARG:
 * a host process's pid), or "random": messages built from the seed ARG
 * ("-": the run's own seed, $SIMSUP_SEED, so that a sweep of simsup
 * seeds is a sweep of message sequences).  TAG is ignored: it makes the
 * command line unique, so that the test can look for a process left behind
 * with pgrep -f.
 *
 * How it reaches the channel.  The shim is loaded here and has already said
 * hello on the thread's channel (fd $SIMSUP_FD, SIM_FD_MIN) when main runs,
 * so this thread holds the turn and the supervisor is waiting for its next
 * request.  The shim guards its own fds only against close and dup2 onto
 * them (shim/dispatch.c); send, sendmsg and recv on them are passed to the
 * kernel like any socket call, through the shim's gate (so the escape guard
 * lets them through).  One thing must be avoided: a recv or poll that finds
 * nothing ready makes the shim park the thread with a SIM_POLL request of
 * its own on this same channel, which would take our reply for its own.
 * So replies are awaited by asking the kernel how many bytes are queued
 * (ioctl FIONREAD, which the shim passes through) and read only once they
 * are there.
 *
 * Everything it prints goes to stdout, which simsup shows as "p0 | ...".
 */
#ifndef _GNU_SOURCE /* meson defines it; a build by hand need not */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "simsup/proto.h"

#define MAX_FDS 2

static int chan = -1; /* the channel; immutable after main's start */

/* ---- sending and receiving ---- */

/* One message of len bytes on sock, with nfds fds attached (SCM_RIGHTS). */
static long send_on(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0) {
		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

static long send_raw(const void *buf, size_t len, const int *fds, int nfds)
{
	return send_on(chan, buf, len, fds, nfds);
}

/* A well-formed request: header and payload in one message. */
static long send_req(int op, const int64_t a[6], const void *payload, uint32_t plen, int fd)
{
	static char buf[sizeof(struct sim_req) + SIM_PAYLOAD_MAX];
	struct sim_req rq = { .op = (uint16_t)op, .len = plen };
	if (a)
		memcpy(rq.a, a, sizeof rq.a);
	memcpy(buf, &rq, sizeof rq);
	if (plen)
		memcpy(buf + sizeof rq, payload, plen);
	return send_raw(buf, sizeof rq + plen, &fd, fd >= 0 ? 1 : 0);
}

/* Waits (without letting the shim park: see the top) for a reply on
 * sock.  Returns its size, or -1 if none came within `spins` polls. */
static long recv_on(int sock, void *buf, size_t len, long spins)
{
	for (long i = 0; i < spins; i++) {
		int avail = 0;
		if (ioctl(sock, FIONREAD, &avail) < 0)
			return -1;
		if (avail > 0)
			return recv(sock, buf, len, 0);
	}
	return -1;
}

static long recv_reply(void *buf, size_t len, long spins)
{
	return recv_on(chan, buf, len, spins);
}

static long call(int op, const int64_t a[6], int fd, struct sim_rep *rep)
{
	if (send_req(op, a, NULL, 0, fd) < 0)
		return -1;
	return recv_reply(rep, sizeof *rep, 100000000);
}

/* Keeps the turn without a call the supervisor sees, until it acts. */
static void linger(void)
{
	for (long i = 0; i < 2000000000L; i++) {
		int avail;
		ioctl(chan, FIONREAD, &avail);
	}
}

/* ---- the cases ---- */

static int m_truncated(void)
{
	struct sim_req rq = { .op = SIM_YIELD };
	send_raw(&rq, 10, NULL, 0);
	linger();
	return 0;
}

static int m_empty(void)
{
	send_raw("", 0, NULL, 0);
	linger();
	return 0;
}

/* More bytes than the supervisor's buffer; the header claims exactly the
 * payload the buffer holds, so only the truncation tells. */
static int m_oversized(void)
{
	static char buf[sizeof(struct sim_req) + SIM_PAYLOAD_MAX + 512];
	struct sim_req rq = { .op = SIM_NOTE, .len = SIM_PAYLOAD_MAX };
	memset(buf, 'x', sizeof buf);
	memcpy(buf, &rq, sizeof rq);
	send_raw(buf, sizeof buf, NULL, 0);
	linger();
	return 0;
}

static int m_len_mismatch(void)
{
	char buf[sizeof(struct sim_req) + 10];
	struct sim_req rq = { .op = SIM_NOTE, .len = 100 };
	memset(buf, 'y', sizeof buf);
	memcpy(buf, &rq, sizeof rq);
	send_raw(buf, sizeof buf, NULL, 0);
	linger();
	return 0;
}

static int bad_op(int op)
{
	send_req(op, NULL, NULL, 0, -1);
	linger();
	return 0;
}

static int m_op_zero(void) { return bad_op(0); }
static int m_op_max(void) { return bad_op(SIM_OP_MAX); }
static int m_op_huge(void) { return bad_op(0xffff); }

static int m_garbage(void)
{
	unsigned char buf[512];
	uint32_t x = 0x12345678;
	for (size_t i = 0; i < sizeof buf; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
	buf[0] = 0xff; /* an op that does not exist, whatever the rest says */
	buf[1] = 0xff;
	send_raw(buf, sizeof buf, NULL, 0);
	linger();
	return 0;
}

static int m_hello_again(void)
{
	int64_t a[6] = { SIM_PROTO_VERSION, getpid(), 0 };
	send_req(SIM_HELLO, a, NULL, 0, -1);
	linger();
	return 0;
}

static int m_hello_version(void)
{
	int64_t a[6] = { 99 };
	send_req(SIM_HELLO, a, NULL, 0, -1);
	linger();
	return 0;
}

/* Two requests before reading either reply: the protocol does not forbid
 * it, and the supervisor must answer both, in order. */
static int m_pipelined(void)
{
	int64_t a[6] = { 0 };
	struct sim_rep r1, r2;
	send_req(SIM_PROCINFO, a, NULL, 0, -1);
	send_req(SIM_PROCINFO, a, NULL, 0, -1);
	long n1 = recv_reply(&r1, sizeof r1, 100000000);
	long n2 = recv_reply(&r2, sizeof r2, 100000000);
	int ok = n1 == (long)sizeof r1 && n2 == (long)sizeof r2 && r1.ret == 0 && r2.ret == 0 &&
		 r1.a[3] == r2.a[3] && r1.a[3] > 0;
	printf("pipelined: two replies %s\n", ok ? "in order" : "WRONG");
	fflush(stdout);
	return ok ? 0 : 1;
}

/* Requests that each expect a reply, none of them read, until the
 * supervisor's replies fill the channel.  The channel is made non-blocking
 * first: on a blocking socket that is not writable the shim would park the
 * thread (a SIM_POLL of its own) instead of sending. */
static int m_flood(void)
{
	int64_t a[6] = { 0 };
	fcntl(chan, F_SETFL, fcntl(chan, F_GETFL) | O_NONBLOCK);
	for (long i = 0, sent = 0, stuck = 0; sent < 100000 && stuck < 10000000; i++) {
		if (send_req(SIM_PROCINFO, a, NULL, 0, -1) >= 0) {
			sent++, stuck = 0;
			continue;
		}
		if (errno != EAGAIN)
			break;
		stuck++;
	}
	linger();
	return 0;
}

static int m_thread_no_fd(void)
{
	send_req(SIM_THREAD_NEW, NULL, NULL, 0, -1);
	linger();
	return 0;
}

static int m_fork_no_fd(void)
{
	send_req(SIM_FORK, NULL, NULL, 0, -1);
	linger();
	return 0;
}

static int m_fork_done_unknown(void)
{
	int64_t a[6] = { 4242, 4242 };
	send_req(SIM_FORK_DONE, a, NULL, 0, -1);
	linger();
	return 0;
}

/* A fork whose "child" is a process of the host (argv[2]: the test starts
 * a sleep and passes its pid).  A supervisor that believed it would signal
 * and kill that process at the end of the run. */
static int m_fork_done_host_pid(long pid)
{
	int sv[2];
	struct sim_rep rep;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 2;
	long n = call(SIM_FORK, NULL, sv[0], &rep);
	if (n != (long)sizeof rep || rep.ret <= 0) {
		printf("fork: no child vpid (%ld, %lld)\n", n, (long long)rep.ret);
		return 1;
	}
	int64_t a[6] = { rep.ret, pid };
	send_req(SIM_FORK_DONE, a, NULL, 0, -1);
	linger();
	return 0;
}

static int m_exit_garbage(void)
{
	int64_t a[6] = { 0x7fffffffffff1234LL, -1, -1, -1, -1, -1 };
	send_req(SIM_EXIT, a, "garbage", 7, -1);
	linger(); /* and never exits */
	return 0;
}

/* An fd on a request that carries none. */
static int m_unexpected_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);
	int64_t a[6] = { 0 };
	send_req(SIM_PROCINFO, a, NULL, 0, fd);
	linger();
	return 0;
}

/* Two fds where the protocol carries at most one. */
static int m_two_fds(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 2;
	struct sim_req rq = { .op = SIM_THREAD_NEW };
	send_raw(&rq, sizeof rq, sv, 2);
	linger();
	return 0;
}

/* An interval timer whose next expiry overflows virtual time, then a
 * sleep that lets it fire. */
static int m_timer_overflow(void)
{
	struct sim_rep rep;
	signal(SIGALRM, SIG_IGN);
	int64_t set[6] = { SIM_TK_ITIMER, 0, 1000, INT64_MAX - 5, 1000 };
	call(SIM_TIMER_SET, set, -1, &rep);
	int64_t sleep[6] = { 1000000000, 0 };
	call(SIM_SLEEP, sleep, -1, &rep);
	printf("timer-overflow: woke\n");
	fflush(stdout);
	return 0;
}

/* The clock requests with values no shim sends: a negative time, offsets,
 * errors and rates past what the kernel takes, INT64 extremes.  Each is
 * EINVAL or harmless; the run goes on and its clock reads. */
static long clock_req(int op, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5)
{
	struct sim_rep rep;
	int64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	int32_t st[3] = { INT32_MIN, INT32_MAX, INT32_MIN };
	if (send_req(op, a, op == SIM_CLOCK_ADJ ? st : NULL, op == SIM_CLOCK_ADJ ? sizeof st : 0, -1) < 0 ||
	    recv_reply(&rep, sizeof rep, 100000000) != (long)sizeof rep)
		return -99999;
	return rep.ret;
}

static int m_clock_extremes(void)
{
	int bad = 0;
	bad += clock_req(SIM_CLOCK_SET, INT64_MIN, 0, 0, 0, 0, 0) != -EINVAL;
	bad += clock_req(SIM_CLOCK_ADJ, 0x8001, 0, 0, INT64_MIN, 0, 0) != -EINVAL;
	bad += clock_req(SIM_CLOCK_ADJ, 0x8001, 0, 0, INT64_MAX, 0, 0) != -EINVAL;
	bad += clock_req(SIM_CLOCK_ADJ, 0x0002, INT64_MAX, 0, 0, 0, 0) != -EINVAL;
	bad += clock_req(SIM_CLOCK_ADJ, 0x4000, 0, INT64_MIN, 0, 0, 0) != -EINVAL;
	bad += clock_req(SIM_CLOCK_ADJ, 0x000c, 0, 0, 0, INT64_MIN, INT64_MAX) != -EINVAL;
	/* allowed, at the ends of their ranges: the clock runs on */
	bad += clock_req(SIM_CLOCK_ADJ, 0x40b0 | 0x0002, 500LL << 16, 11000, 0, 0, 0) < 0;
	bad += clock_req(SIM_CLOCK_ADJ, 0x8001, 0, 0, (1LL << 31) * 1000, 0, 0) < 0;
	bad += clock_req(SIM_CLOCK_SET, INT64_MAX, 0, 0, 0, 0, 0) < 0;
	struct sim_rep rep;
	int64_t sleep[6] = { 100000000000LL, 0 }; /* 100 s later */
	call(SIM_SLEEP, sleep, -1, &rep);
	printf("clock-extremes: %s\n", bad ? "BAD" : "ok");
	fflush(stdout);
	return 0;
}

/* Sockets passed over SCM_RIGHTS (SIM_NET_PASS, SIM_NET_ADOPT) with bytes
 * that are not an entry: refused or kept, never read; the table of them
 * stays bounded however many a process passes. */
static long pass(int64_t dev, int64_t ino, const void *data, uint32_t len)
{
	struct sim_rep rep;
	int64_t a[6] = { dev, ino };
	if (send_req(SIM_NET_PASS, a, data, len, -1) < 0 || recv_reply(&rep, sizeof rep, 100000000) !=
	    (long)sizeof rep)
		return -99999;
	return rep.ret;
}

static int m_net_pass(void)
{
	char big[SIM_NET_PASS_MAX + 1];
	memset(big, 0xa5, sizeof big);
	struct sim_rep rep;
	int bad = 0;
	bad += pass(1, 2, big, 0) != -EINVAL;
	bad += pass(1, 2, big, sizeof big) != -EINVAL;
	for (int i = 0; i < 3000; i++) /* past the table's bound: the oldest go */
		bad += pass(7, i, big, 40) != 0;
	bad += pass(7, 2999, "abc", 3) != 0;
	int64_t q[6] = { 7, 2999, 0 };
	bad += call(SIM_NET_ADOPT, q, -1, &rep) != (long)sizeof rep || rep.ret != 3 ||
	       memcmp(rep.a, "abc", 3) != 0;
	q[2] = 3;
	bad += call(SIM_NET_ADOPT, q, -1, &rep) != (long)sizeof rep || rep.ret != -EINVAL;
	q[2] = -5;
	bad += call(SIM_NET_ADOPT, q, -1, &rep) != (long)sizeof rep || rep.ret != -EINVAL;
	int64_t none[6] = { 8, 1, 0 };
	bad += call(SIM_NET_ADOPT, none, -1, &rep) != (long)sizeof rep || rep.ret != -ENOENT;
	printf("net-pass: %s\n", bad ? "WRONG ANSWERS" : "ok");
	fflush(stdout);
	return bad != 0;
}

/* A timerfd whose "eventfd" is the write end of a pipe nobody reads, firing
 * every nanosecond while this thread sleeps: the pipe fills after 8192
 * expirations, and a blocking write would hang the supervisor. */
static int m_timer_pipe(void)
{
	int p[2];
	struct sim_rep rep;
	if (pipe(p) < 0)
		return 2;
	int64_t create[6] = { SIM_TK_FD, 1 /* CLOCK_MONOTONIC */, 0, 0, 77, 0 };
	if (call(SIM_TIMER_CREATE, create, p[1], &rep) != (long)sizeof rep || rep.ret < 0) {
		printf("timer-pipe: create refused (%lld)\n", (long long)rep.ret);
		return 1;
	}
	int64_t set[6] = { SIM_TK_FD, 77, 1, 1, 1 };
	call(SIM_TIMER_SET, set, -1, &rep);
	int64_t sleep[6] = { 20000, 0 }; /* 20 us: 20000 expirations */
	call(SIM_SLEEP, sleep, -1, &rep);
	printf("timer-pipe: woke\n");
	fflush(stdout);
	return 0;
}

/* ---- random messages ----
 *
 * Mostly well-formed requests (a header, a payload of exactly its length,
 * an fd only on the requests that carry one) with random ops and
 * arguments, so that they get past the checks in recv_req and reach the
 * handlers; now and then a malformed one.  The sockets handed over with
 * SIM_THREAD_NEW and SIM_FORK are kept (the other end), and later requests
 * go out on them too: the supervisor then serves "threads" that are all
 * this one, in whatever order it gives them the turn.
 */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

#define MAX_CHANS 16
static int chans[MAX_CHANS]; /* [0] is the channel; the others, sockets handed over */
static int nchans;
static int64_t real_pid;      /* this process's, from SIM_PROCINFO */
static int64_t last_child;    /* the vpid the last SIM_FORK reply gave, or 0 */
static int holder;            /* index in chans of the last one a reply came on:
				 the "thread" that probably holds the turn */

/* Arguments that reach edges: ids and pids of this run, signals, limits. */
static int64_t arg(void)
{
	static const int64_t pick[] = {
		0, 1, -1, 2, 3, 9, 10, 14, 17, 19, 64, 65, 100, 101, 102, 1000,
		INT32_MAX, INT32_MIN, (int64_t)UINT32_MAX, (int64_t)1 << 32, INT64_MAX, INT64_MIN,
		INT64_MAX - 1, 1000000, 1000000000, 86400000000000LL, -4, -22,
	};
	switch (below(5)) {
	case 0: return (int64_t)rnd();
	case 1: return (int64_t)below(16);
	case 2: return below(4) ? (int64_t)below(2000000000) : real_pid;
	default: return pick[below(sizeof pick / sizeof *pick)];
	}
}

static bool carries_fd(int op)
{
	return op == SIM_THREAD_NEW || op == SIM_FORK || op == SIM_TIMER_CREATE ||
	       op == SIM_NET_SOCKET || op == SIM_NET_CONNECT || op == SIM_SYNC || op == SIM_DISK;
}

/* An fd to attach: the write end of a pipe without a reader, /dev/null, a
 * socketpair end (the other end kept as a channel if it is a thread's or
 * a child's socket), or the channel itself. */
static int some_fd(int op)
{
	int p[2];
	switch ((op == SIM_THREAD_NEW || op == SIM_FORK) && below(4) ? 1 : below(4)) {
	case 0:
		if (pipe(p) < 0)
			return -1;
		close(p[0]);
		return p[1];
	case 1:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p) < 0)
			return -1;
		if (nchans < MAX_CHANS && (op == SIM_THREAD_NEW || op == SIM_FORK)) {
			chans[nchans++] = p[1];
			return p[0];
		}
		/* kept open anyway: a thread whose channel closed while its
		 * process lives on is ended after seconds of grace (turn.c's
		 * death_status), which would only slow the run down */
		return p[0];
	case 2: return open("/dev/null", O_RDWR);
	default: return chan;
	}
}

/* Reads whatever replies are queued on every channel. */
static void drain(void)
{
	for (int i = 0; i < nchans; i++) {
		char buf[sizeof(struct sim_config)];
		int avail = 0;
		while (ioctl(chans[i], FIONREAD, &avail) == 0 && avail > 0) {
			if (recv(chans[i], buf, sizeof buf, 0) <= 0)
				break;
			holder = i;
		}
	}
}

static void random_message(void)
{
	static char buf[sizeof(struct sim_req) + SIM_PAYLOAD_MAX + 64];
	struct sim_req rq;
	memset(&rq, 0, sizeof rq);
	rq.op = (uint16_t)(1 + below(SIM_OP_MAX - 1));
	/* a hello, an exit or a fork done ends most runs at once: fewer */
	while ((rq.op == SIM_HELLO || rq.op == SIM_EXIT || rq.op == SIM_FORK_DONE) && below(8))
		rq.op = (uint16_t)(1 + below(SIM_OP_MAX - 1));
	rq.flags = (uint16_t)below(2);
	rq.now = below(32) ? 0 : arg();
	for (int i = 0; i < 6; i++)
		rq.a[i] = arg();
	if (rq.op == SIM_FORK_DONE && last_child && below(4)) {
		rq.a[0] = last_child;
		rq.a[1] = below(2) ? -(int64_t)below(40) : arg(); /* a failed clone, or a lie */
	}
	if (rq.op == SIM_THREAD_EXIT && below(4))
		rq.a[3] = (int64_t)below(110); /* a failed clone's thread, which may exist */
	uint32_t plen = below(4) ? (uint32_t)below(32) : (uint32_t)below(SIM_PAYLOAD_MAX + 1);
	for (uint32_t i = 0; i < plen; i++)
		buf[sizeof rq + i] = below(4) ? (char)('a' + below(26)) : (char)rnd();
	rq.len = plen;
	size_t len = sizeof rq + plen;
	int shape = (int)below(400); /* mostly well-formed: those reach the handlers */
	if (shape == 0)
		len = below(sizeof rq);        /* truncated */
	else if (shape == 1)
		rq.len = (uint32_t)rnd();      /* a length that lies */
	else if (shape == 2)
		rq.op = (uint16_t)rnd();       /* any op */
	if (shape == 3)                        /* random bytes */
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)rnd();
	else
		memcpy(buf, &rq, len < sizeof rq ? len : sizeof rq);
	int fds[MAX_FDS], nfds = 0;
	if (carries_fd(rq.op) ? below(32) != 0 : below(400) == 0)
		nfds = below(100) ? 1 : 2;
	for (int i = 0; i < nfds; i++)
		if ((fds[i] = some_fd(rq.op)) < 0)
			nfds = i; /* send what there is */
	int at = below(8) ? holder : (int)below((uint64_t)nchans);
	int on = chans[at];
	send_on(on, buf, len, fds, nfds);
	for (int i = 0; i < nfds; i++)
		if (fds[i] != chan)
			close(fds[i]);
	if (len >= sizeof rq && shape != 3 &&
	    (rq.op == SIM_EXIT || (rq.op == SIM_THREAD_EXIT && !rq.a[3])))
		_exit(0); /* as the shim would: nothing after an exit */
	if (rq.op == SIM_FORK && len >= sizeof rq && shape != 3) {
		struct sim_rep rep;
		if (recv_on(on, &rep, sizeof rep, 20000) == (long)sizeof rep && rep.ret > 0)
			last_child = rep.ret, holder = at;
	} else if (below(2)) {
		struct sim_rep rep;
		if (recv_on(on, &rep, sizeof rep, 2000) > 0)
			holder = at;
	}
	drain();
}

static int m_random(unsigned long long seed)
{
	rng = seed * 0x2545f4914f6cdd1dULL + 1;
	chans[nchans++] = chan;
	struct sim_rep rep;
	int64_t a[6] = { 0 };
	real_pid = call(SIM_PROCINFO, a, -1, &rep) == (long)sizeof rep ? rep.a[3] : 0;
	int n = 1 + (int)below(300);
	for (int i = 0; i < n; i++)
		random_message();
	return 0;
}

/* ---- the channel page (SIM_CHAN) ---- */

static long long page_ret;

/* A memfd of the page's size, sealed against shrinking if `sealed`, given
 * to the supervisor as this thread's page (page_ret: the reply's ret).
 * Returns the page mapped here, or NULL.  Once the supervisor has the page,
 * nothing may make the shim send a request of its own (stdio included): it
 * knows nothing of this page, and the supervisor would find a message on
 * the socket that the page did not announce. */
static struct sim_chan *give_page(bool sealed)
{
	int fd = memfd_create("fake-chan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, SIM_CHAN_SIZE) < 0)
		return NULL;
	if (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		return NULL;
	void *p = mmap(NULL, SIM_CHAN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct sim_rep rep;
	long n = call(SIM_CHAN, NULL, fd, &rep);
	close(fd);
	page_ret = n == (long)sizeof rep ? (long long)rep.ret : -9999LL;
	return p == MAP_FAILED || page_ret != 0 ? NULL : p;
}

/* A page the target could shrink under the supervisor: refused, and the
 * thread keeps to its socket. */
static int m_chan_unsealed(void)
{
	give_page(false);
	printf("chan: %lld\n", page_ret);
	return 0;
}

/* The shim, unaware of the page, sends its own request on the socket. */
static int m_chan_unannounced(void)
{
	if (!give_page(true))
		return 1;
	printf("chan: %lld\n", page_ret); /* stdio's write: the shim asks */
	fflush(stdout);
	linger();
	return 0;
}

/* Requests counted past the one the supervisor expects (no futex wake: the
 * supervisor looks at the page every 50 ms anyway). */
static int m_chan_skip(void)
{
	struct sim_chan *ch = give_page(true);
	if (!ch)
		return 1;
	ch->rq = (struct sim_req){ .op = SIM_YIELD };
	__atomic_store_n(&ch->nreq, ch->nreq + 5, __ATOMIC_RELEASE);
	linger();
	return 0;
}

/* A request in the page whose length is past any payload. */
static int m_chan_oversized(void)
{
	struct sim_chan *ch = give_page(true);
	if (!ch)
		return 1;
	ch->rq = (struct sim_req){ .op = SIM_NOTE, .len = 1u << 30 };
	__atomic_store_n(&ch->nreq, ch->nreq + 1, __ATOMIC_RELEASE);
	linger();
	return 0;
}

/* ---- main ---- */

static const struct {
	const char *name;
	int (*run)(void);
} modes[] = {
	{ "chan-unsealed", m_chan_unsealed },
	{ "chan-skip", m_chan_skip },
	{ "chan-unannounced", m_chan_unannounced },
	{ "chan-oversized", m_chan_oversized },
	{ "truncated", m_truncated },
	{ "empty", m_empty },
	{ "oversized", m_oversized },
	{ "len-mismatch", m_len_mismatch },
	{ "op-zero", m_op_zero },
	{ "op-max", m_op_max },
	{ "op-huge", m_op_huge },
	{ "garbage", m_garbage },
	{ "hello-again", m_hello_again },
	{ "hello-version", m_hello_version },
	{ "pipelined", m_pipelined },
	{ "flood", m_flood },
	{ "thread-no-fd", m_thread_no_fd },
	{ "fork-no-fd", m_fork_no_fd },
	{ "fork-done-unknown", m_fork_done_unknown },
	{ "exit-garbage", m_exit_garbage },
	{ "unexpected-fd", m_unexpected_fd },
	{ "two-fds", m_two_fds },
	{ "timer-overflow", m_timer_overflow },
	{ "timer-pipe", m_timer_pipe },
	{ "net-pass", m_net_pass },
	{ "clock-extremes", m_clock_extremes },
};

int main(int argc, char **argv)
{
	const char *e = getenv(SIM_ENV_FD);
	if (!e || argc < 2) {
		fprintf(stderr, "usage: fake_target MODE [SEED|PID] [TAG] (under simsup)\n");
		return 2;
	}
	chan = atoi(e);
	if (!strcmp(argv[1], "random")) { /* the seed: argv[2], or "-": the run's (a sweep) */
		const char *seed = argc > 2 && strcmp(argv[2], "-") ? argv[2] : getenv("SIMSUP_SEED");
		return m_random(seed ? strtoull(seed, NULL, 10) : 1);
	}
	if (!strcmp(argv[1], "fork-done-host-pid"))
		return m_fork_done_host_pid(argc > 2 ? strtol(argv[2], NULL, 10) : 0);
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].run();
	fprintf(stderr, "fake_target: unknown mode %s\n", argv[1]);
	return 2;
}
