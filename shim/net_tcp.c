/*
 * net_tcp.c — virtual TCP sockets: listen, connect, accept, reads, writes,
 * shutdown, sendfile.
 *
 * A TCP socket is a real AF_UNIX stream socket.  listen() makes it a real
 * listener that the supervisor connects into when a virtual connection
 * arrives; connect() connects it to the supervisor's relay listener and
 * holds it unwritable (minimum SO_SNDBUF, a few filler bytes the supervisor
 * leaves unread) until the virtual handshake is over, so that poll/epoll
 * see a connect in flight as TCP would.  Data then flows through the kernel;
 * the shim only turns the kernel's AF_UNIX answers into TCP's (EOF after a
 * reset is ECONNRESET, no SIGPIPE for a reset, no addresses on reads) and
 * makes blocking calls park instead of blocking in the kernel.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only, no stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "net.h"

#define WINDOW 64 /* iovecs handed to the kernel per attempt */

static int64_t deadline_of(int64_t timeout)
{
	return timeout > 0 ? shim_deadline(timeout) : -1;
}

/* Registers a new AF_UNIX socket as virtual socket fd: the supervisor's id,
 * then the abstract name it knows the socket by. */
long shim_net_register(int fd, int family, int type, int sendfd)
{
	struct sim_req rq = { .op = SIM_NET_SOCKET, .a = { family, type } };
	struct sim_rep rep;
	long id = shim_request(&rq, NULL, sendfd, &rep);
	if (id < 0)
		return id;
	shim_net_set_prefix(rep.a[0], rep.a[1]);
	struct sockaddr_un sun;
	int len = shim_net_name(&sun, (uint32_t)id, false);
	long r = sys3(SYS_bind, fd, &sun, len);
	if (r < 0)
		return r;
	struct shim_vsock *v = shim_vs_new(fd);
	v->id = (uint32_t)id;
	v->family = (uint8_t)family;
	v->type = (uint8_t)type;
	v->state = VS_NEW;
	return 0;
}

long shim_tcp_socket(int family, int flags)
{
	long fd = sys3(SYS_socket, AF_UNIX, SOCK_STREAM | flags, 0);
	if (fd < 0)
		return fd;
	if (fd >= NET_MAX_FD) {
		sys1(SYS_close, fd);
		return -EMFILE;
	}
	shim_fd_forget((int)fd);
	long r = shim_net_register((int)fd, family, SOCK_STREAM, -1);
	if (r < 0) {
		sys1(SYS_close, fd);
		return r;
	}
	return fd;
}

/* ---- connect ---- */

static void restore_sndbuf(struct shim_vsock *v, int fd)
{
	int half = v->sndbuf ? v->sndbuf : v->ksndbuf / 2;
	if (half > 0)
		sys5(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDBUF, &half, sizeof half);
}

long shim_tcp_update(struct shim_vsock *v, int fd)
{
	if (v->state != VS_CONNECTING)
		return 0;
	long s = shim_call(SIM_NET_STATUS, v->conn, v->side, 0, 0);
	if (s == 1)
		return 1;
	if (s == 0) {
		v->state = VS_CONNECTED;
		return 0;
	}
	v->state = VS_FAILED;
	v->err = (int32_t)-s;
	v->opts |= VO_FINAL;
	return s;
}

/* Parks a blocking connect until it is decided.  0, -errno (consumed), or
 * -EINPROGRESS when SO_SNDTIMEO ran out first. */
static long wait_connected(struct shim_vsock *v, int fd, int64_t deadline)
{
	for (;;) {
		if (shim_tcp_update(v, fd) != 1)
			break;
		long w = shim_wait_fd(fd, POLLOUT, deadline);
		if (w == 0 && shim_tcp_update(v, fd) == 1)
			w = shim_park_poll(deadline) == 0 ? -EAGAIN : 0; /* never spin on the turn */
		if (w == -EAGAIN)
			return -EINPROGRESS;
		if (w < 0)
			return w;
	}
	if (v->state != VS_FAILED)
		return 0;
	long e = v->err ? v->err : ECONNREFUSED;
	v->err = 0;
	return -e;
}

static long tcp_connect(struct shim_vsock *v, int fd, const void *sa, unsigned len)
{
	uint32_t ip;
	uint16_t port;
	if (v->state == VS_CONNECTING) {
		/* a second connect is how hiredis and others ask whether a
		 * non-blocking connect is done: EISCONN once it is */
		long st = shim_tcp_update(v, fd);
		if (st == 1)
			return -EALREADY;
		if (st < 0) {
			v->err = 0;
			return st;
		}
	}
	switch (v->state) {
	case VS_CONNECTING: return -EALREADY;
	case VS_CONNECTED: case VS_LISTEN: return -EISCONN;
	case VS_FAILED:
		if (v->err) {
			long e = v->err;
			v->err = 0;
			return -e;
		}
		return -ECONNABORTED; /* the socket's one connection attempt is spent */
	}
	long r = shim_net_parse_addr(v, sa, len, &ip, &port);
	if (r < 0)
		return r;
	/* held unwritable until the handshake is over (DESIGN.md §6) */
	int sz = 0, one = 1;
	unsigned sl = sizeof sz;
	sys5(SYS_getsockopt, fd, SOL_SOCKET, SO_SNDBUF, &sz, &sl);
	v->ksndbuf = sz;
	sys5(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
	struct sockaddr_un relay;
	int rl = shim_net_relay_name(&relay);
	r = sys3(SYS_connect, fd, &relay, rl);
	if (r < 0) {
		restore_sndbuf(v, fd);
		return -ECONNREFUSED;
	}
	int filler = 0;
	char z = 0;
	while (filler < 64 && sys6(SYS_sendto, fd, &z, 1, MSG_DONTWAIT | MSG_NOSIGNAL, 0, 0) == 1)
		filler++;
	v->filler = (uint8_t)filler;
	/* the supervisor gives the socket its SO_SNDBUF back when the handshake
	 * is over, before the program can run: one EPOLLOUT edge, as TCP's */
	int keep = v->sndbuf ? v->sndbuf : v->ksndbuf / 2;
	struct sim_req rq = { .op = SIM_NET_CONNECT, .a = { v->id, ip, port, filler, keep } };
	struct sim_rep rep;
	long cid = shim_request(&rq, NULL, fd, &rep);
	shim_self.dirty = true;
	v->rip = ip;
	v->rport = port;
	if (cid < 0) {
		restore_sndbuf(v, fd);
		v->state = VS_FAILED;
		v->opts |= VO_FINAL;
		return cid;
	}
	v->conn = (uint32_t)cid;
	v->side = 0;
	v->lip = (uint32_t)rep.a[0];
	v->lport = (uint16_t)rep.a[1];
	v->state = VS_CONNECTING;
	if (shim_net_fd_nonblock(fd, 0))
		return -EINPROGRESS;
	return wait_connected(v, fd, deadline_of(v->sndtimeo));
}

/* Before a read or write: 0 to go on, 1 with *ret the call's result. */
static int tcp_pre(struct shim_vsock *v, int fd, int flags, bool out, long *ret)
{
	if (v->state == VS_CONNECTING) {
		long s = shim_tcp_update(v, fd);
		if (s == 1) {
			if (shim_net_fd_nonblock(fd, flags)) {
				*ret = -EAGAIN;
				return 1;
			}
			s = wait_connected(v, fd, deadline_of(out ? v->sndtimeo : v->rcvtimeo));
			if (s == -EINPROGRESS || s == -EINTR) {
				*ret = s == -EINTR ? -EINTR : -EAGAIN;
				return 1;
			}
			if (s < 0)
				v->err = (int32_t)-s; /* reported by this call, below */
		}
	}
	if (v->state == VS_FAILED) {
		if (v->err) {
			*ret = -v->err;
			v->err = 0;
		} else if (out) {
			shim_net_sigpipe(flags);
			*ret = -EPIPE;
		} else {
			*ret = 0;
		}
		return 1;
	}
	if (v->state != VS_CONNECTED) {
		if (out)
			shim_net_sigpipe(flags);
		*ret = out ? -EPIPE : -ENOTCONN;
		return 1;
	}
	return 0;
}

/* The kernel says the supervisor's end is gone or shut (EOF, EPIPE,
 * ECONNRESET): was the connection reset?  The supervisor knows. */
static long tcp_broken(struct shim_vsock *v, int flags, bool out)
{
	if (!(v->opts & VO_FINAL)) {
		long s = shim_call(SIM_NET_STATUS, v->conn, v->side, 0, 0);
		if (s < 0) {
			v->opts |= VO_FINAL;
			v->err = (int32_t)-s;
		}
	}
	if (v->err) {
		long e = v->err;
		v->err = 0;
		v->state = VS_FAILED;
		return -e;
	}
	if (out) {
		shim_net_sigpipe(flags);
		return -EPIPE;
	}
	return 0;
}

/* ---- data ---- */

static long tcp_recvmsg(struct shim_vsock *v, int fd, struct msghdr *mh, int flags)
{
	long ret;
	if (tcp_pre(v, fd, flags, false, &ret))
		return ret;
	if (v->opts & VO_SHUT_RD)
		return 0;
	/* (O_NONBLOCK is looked up only when it matters: most calls find
	 * bytes, or room, at once) */
	bool waitall = (flags & MSG_WAITALL) && !(flags & MSG_PEEK) && !shim_net_fd_nonblock(fd, flags);
	int64_t deadline = deadline_of(v->rcvtimeo);
	size_t total = shim_net_iov_total(mh->msg_iov, (int)mh->msg_iovlen), done = 0;
	struct net_iov cur = { mh->msg_iov, (int)mh->msg_iovlen, 0, 0 };
	struct msghdr m = *mh;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	bool retry = false;
	for (;;) {
		struct iovec win[WINDOW];
		m.msg_iov = win;
		m.msg_iovlen = (size_t)shim_net_iov_window(&cur, win, WINDOW);
		long n = sys3(SYS_recvmsg, fd, &m, (flags & ~MSG_WAITALL) | MSG_DONTWAIT);
		if (n > 0) {
			retry = false;
			done += (size_t)n;
			shim_net_iov_advance(&cur, (size_t)n);
			if (!waitall || done >= total)
				break;
			continue;
		}
		if (n == 0 || n == -ECONNRESET || n == -EPIPE) {
			if (done || total == 0)
				break;
			return tcp_broken(v, flags, false);
		}
		if (n != -EAGAIN)
			return done ? (long)done : n;
		if (shim_net_fd_nonblock(fd, flags)) {
			if (!done)
				shim_spin_check();
			return done ? (long)done : -EAGAIN;
		}
		long w = shim_wait_fd_after(fd, POLLIN, deadline, &retry);
		if (w < 0)
			return done ? (long)done : w;
	}
	mh->msg_flags = m.msg_flags;
	mh->msg_controllen = m.msg_controllen;
	mh->msg_namelen = 0;
	return (long)done;
}

static long tcp_sendmsg(struct shim_vsock *v, int fd, const struct msghdr *mh, int flags)
{
	long ret;
	if (tcp_pre(v, fd, flags, true, &ret))
		return ret;
	if (v->opts & VO_SHUT_WR) {
		shim_net_sigpipe(flags);
		return -EPIPE;
	}
	int64_t deadline = deadline_of(v->sndtimeo);
	size_t total = shim_net_iov_total(mh->msg_iov, (int)mh->msg_iovlen), done = 0;
	struct net_iov cur = { mh->msg_iov, (int)mh->msg_iovlen, 0, 0 };
	struct msghdr m = *mh;
	m.msg_name = NULL; /* TCP ignores a destination */
	m.msg_namelen = 0;
	shim_self.dirty = true;
	bool retry = false;
	for (;;) {
		struct iovec win[WINDOW];
		m.msg_iov = win;
		m.msg_iovlen = (size_t)shim_net_iov_window(&cur, win, WINDOW);
		long n = sys3(SYS_sendmsg, fd, &m, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			retry = false;
			shim_proc.net_unsent = true;
			done += (size_t)n;
			shim_net_iov_advance(&cur, (size_t)n);
			m.msg_control = NULL; /* ancillary data goes with the first bytes */
			m.msg_controllen = 0;
		}
		if (done >= total)
			return (long)done;
		if (n == -EPIPE || n == -ECONNRESET)
			return done ? (long)done : tcp_broken(v, flags, true);
		if (n < 0 && n != -EAGAIN)
			return done ? (long)done : n;
		if (shim_net_fd_nonblock(fd, flags)) {
			if (!done) { /* full: what it holds is unsent */
				shim_proc.net_unsent = true;
				shim_spin_check();
			}
			return done ? (long)done : -EAGAIN;
		}
		if (n > 0)
			continue;
		long w = shim_wait_fd_after(fd, POLLOUT, deadline, &retry);
		if (w < 0)
			return done ? (long)done : w;
	}
}

/* sendfile(out = virtual socket): the kernel copies from the file, the
 * shim keeps it from blocking. */
static long tcp_sendfile(struct shim_vsock *v, int fd, struct sim_call *c)
{
	long ret;
	if (tcp_pre(v, fd, 0, true, &ret))
		return ret;
	bool nb = shim_net_fd_nonblock(fd, 0);
	long fl = sys2(SYS_fcntl, fd, F_GETFL);
	size_t total = (size_t)c->a[3], done = 0;
	int64_t deadline = deadline_of(v->sndtimeo);
	shim_self.dirty = true;
	for (;;) {
		if (!nb)
			sys3(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
		long n = sys4(SYS_sendfile, fd, c->a[1], c->a[2], total - done);
		if (!nb)
			sys3(SYS_fcntl, fd, F_SETFL, fl);
		if (n > 0) {
			done += (size_t)n;
			shim_proc.net_unsent = true;
		}
		if (n == 0 || done >= total)
			return (long)done;
		if (n == -EPIPE || n == -ECONNRESET)
			return done ? (long)done : tcp_broken(v, 0, true);
		if (n < 0 && n != -EAGAIN)
			return done ? (long)done : n;
		if (nb)
			return done ? (long)done : -EAGAIN;
		if (n > 0)
			continue;
		long w = shim_wait_fd(fd, POLLOUT, deadline);
		if (w < 0)
			return done ? (long)done : w;
	}
}

/* ---- listen, accept, shutdown ---- */

static long tcp_listen(struct shim_vsock *v, int fd, int backlog)
{
	if (v->state != VS_NEW && v->state != VS_BOUND && v->state != VS_LISTEN)
		return -EINVAL;
	long r = sys2(SYS_listen, fd, backlog);
	if (r < 0 || v->state == VS_LISTEN)
		return r;
	struct sim_req rq = { .op = SIM_NET_LISTEN, .a = { v->id, backlog } };
	struct sim_rep rep;
	r = shim_request(&rq, NULL, -1, &rep);
	if (r < 0)
		return r;
	v->lip = (uint32_t)rep.a[0];
	v->lport = (uint16_t)rep.a[1];
	v->state = VS_LISTEN;
	return 0;
}

/* The connection id in an accepted socket's peer name ("...cID"), or 0. */
static uint32_t conn_of_name(const struct sockaddr_un *sun, unsigned len)
{
	const char *p = sun->sun_path, *end = (const char *)sun + len;
	if (len < 10 || sun->sun_family != AF_UNIX || p[0] != 0 || memcmp(p + 1, "simsup.", 7))
		return 0;
	const char *dot = NULL;
	for (const char *q = p + 1; q < end; q++)
		if (*q == '.')
			dot = q;
	if (!dot || end - dot < 3 || dot[1] != 'c')
		return 0;
	uint32_t id = 0;
	for (const char *q = dot + 2; q < end; q++) {
		if (*q < '0' || *q > '9')
			return 0;
		id = id * 10 + (uint32_t)(*q - '0');
	}
	return id;
}

static long tcp_accept(struct shim_vsock *v, int fd, struct sim_call *c)
{
	void *addr = (void *)c->a[1];
	unsigned *alen = (unsigned *)c->a[2];
	int fl = c->nr == SYS_accept4 ? (int)c->a[3] : 0;
	if (fl & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (v->state != VS_LISTEN)
		return -EINVAL;
	bool nb = shim_net_fd_nonblock(fd, 0);
	int64_t deadline = deadline_of(v->rcvtimeo);
	for (;;) {
		struct sockaddr_un pa;
		unsigned pl = sizeof pa;
		if (!nb) { /* a blocking accept4 must find a connection waiting */
			long w = shim_wait_fd(fd, POLLIN, deadline);
			if (w < 0)
				return w;
		}
		long nfd = sys4(SYS_accept4, fd, &pa, &pl, fl);
		if (nfd == -EAGAIN && !nb)
			continue;
		if (nfd == -EAGAIN)
			shim_spin_check();
		if (nfd < 0)
			return nfd;
		shim_fd_forget((int)nfd);
		uint32_t cid = conn_of_name(&pa, pl);
		if (!cid || nfd >= NET_MAX_FD)
			return nfd; /* not a connection of the simulated network */
		struct sim_req rq = { .op = SIM_NET_ACCEPT, .a = { cid } };
		struct sim_rep rep;
		long r = shim_request(&rq, NULL, -1, &rep);
		struct shim_vsock *n = shim_vs_new((int)nfd);
		n->conn = cid;
		n->side = 1;
		n->family = v->family;
		n->type = SOCK_STREAM;
		n->state = VS_CONNECTED;
		n->opts = v->opts & (VO_NODELAY | VO_KEEPALIVE | VO_OOBINLINE | VO_LINGER);
		n->linger_s = v->linger_s;
		n->sndbuf = v->sndbuf;
		n->rcvbuf = v->rcvbuf;
		if (r == 0) {
			n->lip = (uint32_t)rep.a[0];
			n->lport = (uint16_t)rep.a[1];
			n->rip = (uint32_t)rep.a[2];
			n->rport = (uint16_t)rep.a[3];
		}
		shim_net_put_addr(n, n->rip, n->rport, addr, alen);
		shim_self.dirty = true;
		return nfd;
	}
}

static long tcp_shutdown(struct shim_vsock *v, int fd, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (v->state == VS_LISTEN)
		return sys2(SYS_shutdown, fd, how);
	if (v->state == VS_CONNECTING && shim_tcp_update(v, fd) == 1)
		return -ENOTCONN;
	if (v->state != VS_CONNECTED)
		return -ENOTCONN;
	shim_self.dirty = true;
	if (how != SHUT_WR)
		v->opts |= VO_SHUT_RD; /* TCP's SHUT_RD is local: the kernel's would stop the relay */
	if (how == SHUT_RD)
		return 0;
	v->opts |= VO_SHUT_WR;
	return sys2(SYS_shutdown, fd, SHUT_WR);
}

/* ---- entry ---- */


long shim_tcp_call(struct shim_vsock *v, int fd, struct sim_call *c)
{
	struct iovec one = { (void *)c->a[1], (size_t)c->a[2] };
	struct msghdr mh = { .msg_iov = &one, .msg_iovlen = 1 };
	long r;
	switch (c->nr) {
	case SYS_listen: return tcp_listen(v, fd, (int)c->a[1]);
	case SYS_connect: return tcp_connect(v, fd, (const void *)c->a[1], (unsigned)c->a[2]);
	case SYS_accept: case SYS_accept4: return tcp_accept(v, fd, c);
	case SYS_shutdown: return tcp_shutdown(v, fd, (int)c->a[1]);
	case SYS_read: return tcp_recvmsg(v, fd, &mh, 0);
	case SYS_write: return tcp_sendmsg(v, fd, &mh, 0);
	case SYS_recvfrom:
		r = tcp_recvmsg(v, fd, &mh, (int)c->a[3]);
		if (r >= 0 && c->a[4] && c->a[5])
			*(unsigned *)c->a[5] = 0; /* TCP names no source */
		return r;
	case SYS_sendto: return tcp_sendmsg(v, fd, &mh, (int)c->a[3]);
	case SYS_readv: case SYS_writev:
		mh.msg_iov = (struct iovec *)c->a[1];
		mh.msg_iovlen = (size_t)c->a[2];
		return c->nr == SYS_readv ? tcp_recvmsg(v, fd, &mh, 0) : tcp_sendmsg(v, fd, &mh, 0);
	case SYS_recvmsg: return tcp_recvmsg(v, fd, (struct msghdr *)c->a[1], (int)c->a[2]);
	case SYS_sendmsg: return tcp_sendmsg(v, fd, (const struct msghdr *)c->a[1], (int)c->a[2]);
	case SYS_recvmmsg: case SYS_sendmmsg:
		return shim_net_mmsg(v, fd, c, c->nr == SYS_sendmmsg, true, tcp_sendmsg, tcp_recvmsg);
	case SYS_sendfile: return tcp_sendfile(v, fd, c);
	}
	return -ENOTSUP;
}
