/*
 * net.c — virtual sockets in the program: the per-fd table, addresses, and
 * the dispatcher hook that routes every socket call on a virtual fd (and
 * socket() itself) to net_tcp.c, net_udp.c or net_opt.c.
 *
 * AF_INET and AF_INET6 sockets become real AF_UNIX sockets bound to an
 * abstract name the supervisor knows ("\0simsup.PID.RUN.sID"), so the
 * program's own poll/epoll/select work on them natively; AF_UNIX stays a
 * plain local socket; NETLINK_ROUTE is answered by netlink.c; raw and
 * packet sockets and other netlink protocols are refused.
 *
 * Reachable from the SIGSYS handler: no allocation, kernel only through the
 * gate, no stdio, errno untouched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include "net.h"
#include "netif.h"

/* Per process (copied by fork, handed to the next image by exec and to
 * another process with the socket over SCM_RIGHTS: below); written only by
 * the thread that holds the turn. */
static struct shim_vsock table[NET_MAX_FD];
static int32_t name_pid;   /* the supervisor's pid and run number, from SIM_NET_SOCKET */
static uint32_t name_run;

struct shim_vsock *shim_vs(int fd)
{
	return fd >= 0 && fd < NET_MAX_FD && table[fd].on ? &table[fd] : NULL;
}

struct shim_vsock *shim_vs_new(int fd)
{
	if (fd < 0 || fd >= NET_MAX_FD)
		return NULL;
	memset(&table[fd], 0, sizeof table[fd]);
	table[fd].on = 1;
	return &table[fd];
}

void shim_vs_drop(int fd)
{
	if (fd >= 0 && fd < NET_MAX_FD)
		table[fd].on = 0;
}

bool shim_net_fd_nonblock(int fd, int flags)
{
	if (flags & MSG_DONTWAIT)
		return true;
	long fl = sys2(SYS_fcntl, fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

void shim_net_sigpipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		sys3(SYS_tgkill, sys0(SYS_getpid), sys0(SYS_gettid), SIGPIPE);
}

/* ---- names ---- */

static char *put_u(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = tmp[--n];
	return p;
}

void shim_net_set_prefix(int64_t pid, int64_t run)
{
	name_pid = (int32_t)pid;
	name_run = (uint32_t)run;
}

static int name_with(void *sunv, char kind, uint32_t id)
{
	struct sockaddr_un *sun = sunv;
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	char *p = sun->sun_path + 1; /* abstract: leading NUL */
	p = stpcpy(p, "simsup.");
	p = put_u(p, (uint64_t)name_pid);
	*p++ = '.';
	p = put_u(p, name_run);
	*p++ = '.';
	if (kind == 'r')
		p = stpcpy(p, "relay");
	else {
		*p++ = kind;
		p = put_u(p, id);
	}
	return (int)(p - (char *)sun);
}

int shim_net_name(void *sun, uint32_t id, bool conn)
{
	return name_with(sun, conn ? 'c' : 's', id);
}

/* Is fd the AF_UNIX socket under a virtual one (its name, or its peer's,
 * one of ours) without being in this process's table? */
bool shim_net_foreign_vsock(int fd)
{
	if (shim_vs(fd))
		return false;
	for (int peer = 0; peer < 2; peer++) {
		struct sockaddr_un sun;
		unsigned len = sizeof sun;
		memset(&sun, 0, sizeof sun);
		if (sys3(peer ? SYS_getpeername : SYS_getsockname, fd, &sun, &len) == 0 &&
		    sun.sun_family == AF_UNIX && len > sizeof(sa_family_t) + 8 && !sun.sun_path[0] &&
		    !memcmp(sun.sun_path + 1, "simsup.", 7))
			return true;
	}
	return false;
}

int shim_net_relay_name(void *sun)
{
	return name_with(sun, 'r', 0);
}

/* ---- addresses ---- */

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
static uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

int shim_net_parse_addr(const struct shim_vsock *v, const void *sa, unsigned len, uint32_t *ip,
			uint16_t *port)
{
	if (!sa || len < sizeof(sa_family_t))
		return -EINVAL;
	sa_family_t fam = ((const struct sockaddr *)sa)->sa_family;
	if (fam == AF_INET) {
		const struct sockaddr_in *in = sa;
		if (len < sizeof *in)
			return -EINVAL;
		*ip = be32(in->sin_addr.s_addr);
		*port = be16(in->sin_port);
		return 0;
	}
	if (fam != AF_INET6 || v->family != AF_INET6)
		return -EAFNOSUPPORT;
	const struct sockaddr_in6 *in6 = sa;
	if (len < sizeof *in6)
		return -EINVAL;
	const uint8_t *b = in6->sin6_addr.s6_addr;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[16];
	*port = be16(in6->sin6_port);
	if (!memcmp(b, mapped, 12)) {
		uint32_t a;
		memcpy(&a, b + 12, 4);
		*ip = be32(a);
		return 0;
	}
	if (!memcmp(b, zero, 16)) {
		*ip = 0;
		return 0;
	}
	if (!memcmp(b, zero, 15) && b[15] == 1) {
		*ip = 0x7f000001; /* ::1 is the node's loopback */
		return 0;
	}
	return -ENETUNREACH; /* the simulated network has IPv4 hosts only */
}

void shim_net_put_addr(const struct shim_vsock *v, uint32_t ip, uint16_t port, void *sa,
		       unsigned *len)
{
	if (!sa || !len)
		return;
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	unsigned n;
	memset(&u, 0, sizeof u);
	if (v->family == AF_INET6) {
		u.in6.sin6_family = AF_INET6;
		u.in6.sin6_port = be16(port);
		if (ip) {
			u.in6.sin6_addr.s6_addr[10] = 0xff;
			u.in6.sin6_addr.s6_addr[11] = 0xff;
			uint32_t a = be32(ip);
			memcpy(&u.in6.sin6_addr.s6_addr[12], &a, 4);
		}
		n = sizeof u.in6;
	} else {
		u.in.sin_family = AF_INET;
		u.in.sin_port = be16(port);
		u.in.sin_addr.s_addr = be32(ip);
		n = sizeof u.in;
	}
	memcpy(sa, &u, *len < n ? *len : n);
	*len = n;
}

/* ---- iovec cursor ---- */

size_t shim_net_iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

int shim_net_iov_window(struct net_iov *c, struct iovec *out, int max)
{
	int k = 0;
	for (int i = c->i; i < c->n && k < max; i++) {
		size_t skip = i == c->i ? c->off : 0;
		out[k].iov_base = (char *)c->iov[i].iov_base + skip;
		out[k].iov_len = c->iov[i].iov_len - skip;
		k++;
	}
	return k;
}

void shim_net_iov_advance(struct net_iov *c, size_t k)
{
	while (c->i < c->n && k) {
		size_t left = c->iov[c->i].iov_len - c->off;
		if (k < left) {
			c->off += k;
			return;
		}
		k -= left;
		c->i++;
		c->off = 0;
	}
	while (c->i < c->n && c->iov[c->i].iov_len == c->off) {
		c->i++;
		c->off = 0;
	}
}

/* ---- calls on any virtual socket ---- */

int shim_net_bind_flags(const struct shim_vsock *v)
{
	return (v->opts & VO_REUSEADDR ? SIM_NBF_REUSEADDR : 0) |
	       (v->opts & VO_REUSEPORT ? SIM_NBF_REUSEPORT : 0) |
	       (v->opts & VO_V6ONLY ? SIM_NBF_V6ONLY : 0);
}

long shim_net_bind_to(struct shim_vsock *v, uint32_t ip, uint16_t port)
{
	struct sim_req rq = { .op = SIM_NET_BIND, .a = { v->id, ip, port, shim_net_bind_flags(v) } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	if (r < 0)
		return r;
	v->lip = (uint32_t)rep.a[0];
	v->lport = (uint16_t)r;
	if (v->state == VS_NEW)
		v->state = VS_BOUND;
	return 0;
}

/* Ports below 1024 need CAP_NET_BIND_SERVICE in the effective set, as in
 * the kernel: a daemon that drops root before it binds fails here as it
 * would on a real host. */
static bool may_bind_low(void)
{
	return shim_has_cap(10 /* CAP_NET_BIND_SERVICE */, true);
}

static long net_bind(struct shim_vsock *v, const void *sa, unsigned len)
{
	uint32_t ip;
	uint16_t port;
	if (v->lport || v->state != VS_NEW || !v->id)
		return -EINVAL;
	long r = shim_net_parse_addr(v, sa, len, &ip, &port);
	if (r == -ENETUNREACH)
		return -EADDRNOTAVAIL;
	if (r < 0)
		return r;
	if (port && port < 1024 && !may_bind_low()) /* ip_unprivileged_port_start: 1024 */
		return -EACCES;
	return shim_net_bind_to(v, ip, port);
}

static long net_names(struct shim_vsock *v, struct sim_call *c)
{
	void *sa = (void *)c->a[1];
	unsigned *len = (unsigned *)c->a[2];
	if (!len)
		return -EFAULT;
	if (c->nr == SYS_getsockname) {
		shim_net_put_addr(v, v->lip, v->lport, sa, len);
		return 0;
	}
	if (v->state != VS_CONNECTED || !v->rport)
		return -ENOTCONN;
	shim_net_put_addr(v, v->rip, v->rport, sa, len);
	return 0;
}

static long net_close(int fd)
{
	struct shim_vsock v = table[fd];
	table[fd].on = 0;
	shim_fd_forget(fd);
	long r = sys1(SYS_close, fd);
	bool abort = v.type == SOCK_STREAM && (v.opts & VO_LINGER) && v.linger_s == 0 &&
		     v.state == VS_CONNECTED;
	if (r == 0 && (v.id || abort)) {
		struct sim_req rq = { .op = SIM_NET_CLOSE, .a = { v.id, abort, v.conn, v.side } };
		shim_request(&rq, NULL, -1, NULL);
	}
	shim_self.dirty = true;
	return r;
}

/* dup, dup2, dup3, fcntl(F_DUPFD*): the new fd is the same socket. */
static long net_dup(struct sim_call *c, int fd)
{
	long r;
	if (c->nr == SYS_dup2 || c->nr == SYS_dup3) {
		int nfd = (int)c->a[1];
		if (shim_fd_is_own(nfd))
			return -EBADF;
		if (nfd == fd)
			return c->nr == SYS_dup2 ? fd : -EINVAL;
		shim_vs_drop(nfd);
		shim_fd_forget(nfd);
	}
	r = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], 0, 0, 0);
	if (r >= 0 && r < NET_MAX_FD) {
		shim_fd_forget((int)r);
		table[r] = table[fd];
	}
	return r;
}

/* uname: each node has its own host name (p0, p1, ... and w0, w1, ...). */
static long uname_call(struct sim_call *c)
{
	long r = shim_syscall6(c->nr, c->a[0], 0, 0, 0, 0, 0);
	struct utsname *u = (struct utsname *)c->a[0];
	if (r < 0 || !u)
		return r;
	memset(u->nodename, 0, sizeof u->nodename);
	int node = shim_proc.cfg.node;
	u->nodename[0] = node >= 0 ? 'p' : 'w';
	put_u(u->nodename + 1, (uint64_t)(node >= 0 ? node : -1 - node));
	memset(u->domainname, 0, sizeof u->domainname);
	strcpy(u->domainname, "(none)");
	return r;
}

/* "socket(AF_PACKET (17), SOCK_RAW (3), protocol 1544): why" to the trace
 * and simsup's stderr: the call the program made, then the reason. */
static void refuse_socket(long nr, int dom, int type, int proto, const char *why)
{
	static const char *const doms[] = { [AF_INET] = "AF_INET", [AF_INET6] = "AF_INET6",
					    [AF_PACKET] = "AF_PACKET", [AF_NETLINK] = "AF_NETLINK" };
	static const char *const types[] = { [SOCK_STREAM] = "SOCK_STREAM", [SOCK_DGRAM] = "SOCK_DGRAM",
					     [SOCK_RAW] = "SOCK_RAW", [SOCK_SEQPACKET] = "SOCK_SEQPACKET" };
	char buf[400], *p = stpcpy(buf, "socket(");
	int base = type & 0xf;
	if (dom >= 0 && dom < (int)(sizeof doms / sizeof *doms) && doms[dom])
		p = stpcpy(stpcpy(p, doms[dom]), " (");
	p = put_u(p, (uint64_t)(unsigned)dom);
	if (dom >= 0 && dom < (int)(sizeof doms / sizeof *doms) && doms[dom])
		*p++ = ')';
	p = stpcpy(p, ", ");
	if (base < (int)(sizeof types / sizeof *types) && types[base])
		p = stpcpy(stpcpy(p, types[base]), " (");
	p = put_u(p, (uint64_t)base);
	if (base < (int)(sizeof types / sizeof *types) && types[base])
		*p++ = ')';
	p = stpcpy(p, ", protocol ");
	p = put_u(p, (uint64_t)(unsigned)proto);
	p = stpcpy(p, "): ");
	size_t room = sizeof buf - (size_t)(p - buf) - 1, n = strlen(why);
	memcpy(p, why, n < room ? n : room);
	p[n < room ? n : room] = 0;
	shim_refuse(nr, buf);
}

/* socket(): AF_INET/AF_INET6 TCP and UDP become virtual; AF_UNIX stays
 * local; the rest is refused with a reason in the trace. */
static bool net_socket(struct sim_call *c, long *ret)
{
	int dom = (int)c->a[0], type = (int)c->a[1], proto = (int)c->a[2];
	int base = type & 0xf, flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (dom == AF_UNIX)
		return false;
	if (dom == AF_NETLINK)
		return shim_netlink_socket(c, ret); /* netlink.c */
	if (dom != AF_INET && dom != AF_INET6) {
		refuse_socket(c->nr, dom, type, proto, "sockets of this address family are not simulated "
				   "(only AF_INET, AF_INET6 TCP/UDP, local AF_UNIX and NETLINK_ROUTE)");
		*ret = -EAFNOSUPPORT;
		return true;
	}
	if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		*ret = -EINVAL;
		return true;
	}
	if (base == SOCK_STREAM && (proto == 0 || proto == IPPROTO_TCP))
		*ret = shim_tcp_socket(dom, flags);
	else if (base == SOCK_DGRAM && (proto == 0 || proto == IPPROTO_UDP))
		*ret = shim_udp_socket(dom, flags);
	else if (base == SOCK_RAW || proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		refuse_socket(c->nr, dom, type, proto, "raw and ICMP sockets are not simulated");
		*ret = -EPERM;
	} else
		*ret = -EPROTONOSUPPORT;
	return true;
}

/* Calls that name no fd of ours but concern the table. */
/* A local socket's peer: SO_PEERCRED holds the peer's real pid, the
 * program must see its virtual one (dovecot compares it with the pid the
 * peer says it has); SO_PEERPIDFD would hand out a process fd of the host,
 * refused as pidfd_open is. */
static bool local_peer_opt(struct sim_call *c, long *ret)
{
	if ((int)c->a[1] != SOL_SOCKET)
		return false;
	if ((int)c->a[2] == 77 /* SO_PEERPIDFD */) {
		shim_refuse(SYS_getsockopt, "SO_PEERPIDFD: process fds would name host pids");
		*ret = -ENOPROTOOPT;
		return true;
	}
	if ((int)c->a[2] != SO_PEERCRED)
		return false;
	*ret = sys5(SYS_getsockopt, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
	unsigned *len = (unsigned *)c->a[4];
	if (*ret == 0 && c->a[3] && len && *len >= sizeof(int)) {
		int pid;
		memcpy(&pid, (void *)c->a[3], sizeof pid);
		pid = (int)shim_vpid_of_real(pid);
		memcpy((void *)c->a[3], &pid, sizeof pid);
	}
	return true;
}

static bool net_global(struct sim_call *c, long *ret)
{
	switch (c->nr) {
	case SYS_socket:
		return net_socket(c, ret);
	case SYS_uname:
		*ret = uname_call(c);
		return true;
	case SYS_close_range:
		if (!((int)c->a[2] & CLOSE_RANGE_CLOEXEC))
			for (unsigned long fd = (unsigned)c->a[0]; fd <= (unsigned)c->a[1] && fd < NET_MAX_FD;
			     fd++)
				table[fd].on = 0;
		return false;
	case SYS_dup2:
	case SYS_dup3:
		shim_vs_drop((int)c->a[1]); /* replaced by a non-virtual fd */
		return false;
	case SYS_getsockopt:
		return local_peer_opt(c, ret);
	}
	return false;
}

bool shim_net_call(struct sim_call *c, long *ret)
{
	switch (c->nr) {
	case SYS_bind: case SYS_listen: case SYS_connect: case SYS_accept: case SYS_accept4:
	case SYS_getsockname: case SYS_getpeername: case SYS_getsockopt: case SYS_setsockopt:
	case SYS_shutdown: case SYS_read: case SYS_readv: case SYS_write: case SYS_writev:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg: case SYS_sendto: case SYS_sendmsg:
	case SYS_sendmmsg: case SYS_sendfile: case SYS_close: case SYS_dup: case SYS_dup2:
	case SYS_dup3: case SYS_fcntl: case SYS_ioctl:
		break;
	case SYS_socket: case SYS_uname: case SYS_close_range:
		return net_global(c, ret);
	default:
		return false;
	}
	if (shim_netif_ioctl(c, ret)) /* interface queries on any socket (netif.c) */
		return true;
	int fd = (int)c->a[0];
	struct shim_vsock *v = shim_vs(fd);
	if (!v)
		return net_global(c, ret);
	if (v->family == AF_NETLINK && c->nr != SYS_close && c->nr != SYS_dup && c->nr != SYS_dup2 &&
	    c->nr != SYS_dup3 && c->nr != SYS_fcntl) {
		*ret = shim_netlink_call(v, fd, c);
		return true;
	}
	switch (c->nr) {
	case SYS_bind: *ret = net_bind(v, (const void *)c->a[1], (unsigned)c->a[2]); break;
	case SYS_getsockname: case SYS_getpeername: *ret = net_names(v, c); break;
	case SYS_getsockopt:
		*ret = shim_net_getsockopt(v, fd, (int)c->a[1], (int)c->a[2], (void *)c->a[3],
					   (unsigned *)c->a[4]);
		break;
	case SYS_setsockopt:
		*ret = shim_net_setsockopt(v, fd, (int)c->a[1], (int)c->a[2], (const void *)c->a[3],
					   (unsigned)c->a[4]);
		break;
	case SYS_close: *ret = net_close(fd); break;
	case SYS_dup: case SYS_dup2: case SYS_dup3: *ret = net_dup(c, fd); break;
	case SYS_fcntl:
		if ((int)c->a[1] != F_DUPFD && (int)c->a[1] != F_DUPFD_CLOEXEC)
			return false;
		*ret = net_dup(c, fd);
		break;
	case SYS_ioctl:
		if (v->type != SOCK_DGRAM)
			return false;
		*ret = shim_udp_ioctl(v, fd, (unsigned long)c->a[1], (void *)c->a[2]);
		break;
	default:
		*ret = v->type == SOCK_STREAM ? shim_tcp_call(v, fd, c) : shim_udp_call(v, fd, c);
	}
	return true;
}

/* recvmmsg/sendmmsg over a protocol's one-message calls: MSG_WAITFORONE
 * makes every message after the first non-blocking; an error after some
 * messages reports the count; a stream's EOF ends a receive. */
long shim_net_mmsg(struct shim_vsock *v, int fd, struct sim_call *c, bool out, bool stream,
		   long (*send1)(struct shim_vsock *, int, const struct msghdr *, int),
		   long (*recv1)(struct shim_vsock *, int, struct msghdr *, int))
{
	struct mmsghdr *vec = (struct mmsghdr *)c->a[1];
	unsigned n = (unsigned)c->a[2];
	int flags = (int)c->a[3];
	unsigned i;
	for (i = 0; i < n; i++) {
		int f = flags & ~MSG_WAITFORONE;
		if (i > 0 && (flags & MSG_WAITFORONE))
			f |= MSG_DONTWAIT;
		long r = out ? send1(v, fd, &vec[i].msg_hdr, f) : recv1(v, fd, &vec[i].msg_hdr, f);
		if (r < 0)
			return i ? (long)i : r;
		vec[i].msg_len = (unsigned)r;
		if (stream && !out && r == 0)
			return (long)i + 1;
	}
	return (long)i;
}

/* ---- across execve ----
 *
 * A server that execs with its sockets open (postfix's master and smtpd,
 * inetd-style servers, socket activation) must find them virtual in the
 * next image: otherwise its accept, getsockname and getpeername reach the
 * AF_UNIX socket underneath.  Before the exec the table goes into a memfd
 * (not close-on-exec, at the shim's fds), named to the next image in
 * SIM_ENV_VSOCKS; its shim takes back each entry whose fd is still the
 * same open file (device and inode: close-on-exec fds are gone) and closes
 * the memfd before the program runs. */

#define VS_MAGIC 0x564b5353u /* "SSKV" */
struct vs_handoff {
	uint32_t magic, count;
	int32_t name_pid;
	uint32_t name_run;
};
struct vs_handoff_ent {
	int32_t fd;
	uint32_t pad;
	uint64_t dev, ino;
	struct shim_vsock v;
};

int shim_net_exec_save(void)
{
	struct vs_handoff h = { VS_MAGIC, 0, name_pid, name_run };
	for (int fd = 0; fd < NET_MAX_FD; fd++)
		h.count += table[fd].on;
	if (!h.count)
		return -1;
	long m = sys2(SYS_memfd_create, "simsup-vsocks", 0);
	if (m < 0)
		return -1;
	long hi = sys3(SYS_fcntl, m, F_DUPFD, SIM_FD_MIN);
	if (hi >= 0) {
		sys1(SYS_close, m);
		m = hi;
	}
	bool ok = sys3(SYS_write, m, &h, sizeof h) == (long)sizeof h;
	for (int fd = 0; ok && fd < NET_MAX_FD; fd++) {
		struct stat st;
		if (!table[fd].on || sys2(SYS_fstat, fd, &st) < 0)
			continue;
		struct vs_handoff_ent e = { .fd = fd, .dev = st.st_dev, .ino = st.st_ino, .v = table[fd] };
		ok = sys3(SYS_write, m, &e, sizeof e) == (long)sizeof e;
	}
	if (!ok) {
		sys1(SYS_close, m);
		return -1;
	}
	return (int)m;
}

void shim_net_exec_restore(int m)
{
	if (m < 0)
		return;
	struct vs_handoff h;
	if (sys4(SYS_pread64, m, &h, sizeof h, 0) == (long)sizeof h && h.magic == VS_MAGIC &&
	    h.count <= NET_MAX_FD) {
		shim_net_set_prefix(h.name_pid, h.name_run);
		for (uint32_t i = 0; i < h.count; i++) {
			struct vs_handoff_ent e;
			struct stat st;
			if (sys4(SYS_pread64, m, &e, sizeof e, sizeof h + (uint64_t)i * sizeof e) != (long)sizeof e)
				break;
			if (e.fd < 0 || e.fd >= NET_MAX_FD || sys2(SYS_fstat, e.fd, &st) < 0 ||
			    st.st_dev != e.dev || st.st_ino != e.ino)
				continue;
			table[e.fd] = e.v;
			table[e.fd].on = 1;
		}
	}
	sys1(SYS_close, m);
}

/* ---- across SCM_RIGHTS ----
 *
 * A process that sends a virtual socket to another over a local socket
 * (node's cluster module hands each accepted connection to a worker;
 * haproxy's and nginx's reloads hand over listeners) leaves its entry with
 * the supervisor, keyed by the AF_UNIX socket's inode, before the kernel
 * moves the fd; the receiver's shim takes it back for the fd it got. */

struct vs_passed {
	int32_t name_pid;
	uint32_t name_run;
	struct shim_vsock v;
};
_Static_assert(sizeof(struct vs_passed) <= SIM_NET_PASS_MAX, "a passed entry fits SIM_NET_PASS");

void shim_net_pass_fds(const struct msghdr *mh)
{
	if (!mh || !mh->msg_control || mh->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;
			struct stat st;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			struct shim_vsock *v = shim_vs(fd);
			if (!v || sys2(SYS_fstat, fd, &st) < 0)
				continue;
			struct vs_passed p = { name_pid, name_run, *v };
			struct sim_req rq = { .op = SIM_NET_PASS, .a = { (int64_t)st.st_dev, (int64_t)st.st_ino },
					      .len = sizeof p };
			struct sim_rep rep;
			shim_request(&rq, &p, -1, &rep);
		}
	}
}

bool shim_net_adopt(int fd)
{
	struct stat st;
	if (fd < 0 || fd >= NET_MAX_FD || shim_vs(fd) || sys2(SYS_fstat, fd, &st) < 0)
		return false;
	struct vs_passed p;
	char *b = (char *)&p;
	for (size_t got = 0; got < sizeof p; got += 32) {
		struct sim_req rq = { .op = SIM_NET_ADOPT,
				      .a = { (int64_t)st.st_dev, (int64_t)st.st_ino, (int64_t)got } };
		struct sim_rep rep;
		if (shim_request(&rq, NULL, -1, &rep) != (long)sizeof p)
			return false;
		memcpy(b + got, rep.a, sizeof p - got < 32 ? sizeof p - got : 32);
	}
	if (name_pid && (p.name_pid != name_pid || p.name_run != name_run))
		return false; /* not of this run */
	shim_net_set_prefix(p.name_pid, p.name_run);
	table[fd] = p.v;
	table[fd].on = 1;
	return true;
}
