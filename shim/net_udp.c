/*
 * net_udp.c — virtual UDP sockets.
 *
 * A UDP socket is one end of an AF_UNIX datagram pair whose other end the
 * supervisor holds.  Each datagram carries a struct sim_dgram_hdr that the
 * shim adds on the way out (the destination) and strips on the way in (the
 * source), so datagram boundaries, MSG_PEEK and MSG_TRUNC are the kernel's
 * own.  A connected UDP socket keeps only its peer's datagrams, as Linux
 * does.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only, no stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "net.h"

#define WINDOW 64
#define UDP_MAX 65507
#define HDR ((long)sizeof(struct sim_dgram_hdr))

long shim_udp_socket(int family, int flags)
{
	int sv[2];
	long r = sys4(SYS_socketpair, AF_UNIX, SOCK_DGRAM | flags, 0, sv);
	if (r < 0)
		return r;
	if (sv[0] >= NET_MAX_FD) {
		sys1(SYS_close, sv[0]);
		sys1(SYS_close, sv[1]);
		return -EMFILE;
	}
	shim_fd_forget(sv[0]);
	r = shim_net_register(sv[0], family, SOCK_DGRAM, sv[1]);
	sys1(SYS_close, sv[1]);
	if (r < 0) {
		sys1(SYS_close, sv[0]);
		return r;
	}
	return sv[0];
}

static int64_t deadline_of(int64_t timeout)
{
	return timeout > 0 ? shim_deadline(timeout) : -1;
}

static long ensure_bound(struct shim_vsock *v)
{
	return v->lport ? 0 : shim_net_bind_to(v, 0, 0);
}

static long udp_connect(struct shim_vsock *v, const void *sa, unsigned len)
{
	uint32_t ip;
	uint16_t port;
	if (sa && len >= sizeof(sa_family_t) && ((const struct sockaddr *)sa)->sa_family == AF_UNSPEC) {
		v->rip = 0;
		v->rport = 0;
		v->state = v->lport ? VS_BOUND : VS_NEW;
		return 0;
	}
	long r = shim_net_parse_addr(v, sa, len, &ip, &port);
	if (r < 0)
		return r;
	if ((r = ensure_bound(v)) < 0)
		return r;
	if (v->lip == 0) /* the source address the route would choose */
		v->lip = (ip >> 24) == 127 ? 0x7f000001 : shim_proc.cfg.ip;
	v->rip = ip;
	v->rport = port;
	v->state = VS_CONNECTED;
	return 0;
}

static long udp_sendmsg(struct shim_vsock *v, int fd, const struct msghdr *mh, int flags)
{
	uint32_t ip;
	uint16_t port;
	long r;
	if (mh->msg_name && mh->msg_namelen) {
		if ((r = shim_net_parse_addr(v, mh->msg_name, mh->msg_namelen, &ip, &port)) < 0)
			return r;
	} else if (v->state == VS_CONNECTED) {
		ip = v->rip;
		port = v->rport;
	} else {
		return -EDESTADDRREQ;
	}
	if (port == 0)
		return -EINVAL;
	if (v->opts & VO_SHUT_WR) {
		shim_net_sigpipe(flags);
		return -EPIPE;
	}
	if ((r = ensure_bound(v)) < 0)
		return r;
	if (shim_net_iov_total(mh->msg_iov, (int)mh->msg_iovlen) > UDP_MAX ||
	    mh->msg_iovlen >= WINDOW)
		return -EMSGSIZE;
	struct sim_dgram_hdr h = { .ip = ip, .port = port, .magic = SIM_DGRAM_MAGIC };
	struct iovec iov[WINDOW];
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof h;
	for (size_t i = 0; i < mh->msg_iovlen; i++)
		iov[i + 1] = mh->msg_iov[i];
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = mh->msg_iovlen + 1 };
	bool flushed = false;
	int64_t deadline = deadline_of(v->sndtimeo);
	shim_self.dirty = true;
	for (;;) {
		r = sys3(SYS_sendmsg, fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r >= 0) {
			shim_proc.net_unsent = true;
			return r - HDR;
		}
		if (r != -EAGAIN)
			return r;
		if (!flushed) { /* the supervisor drains its end at once, then we retry */
			shim_call(SIM_NET_FLUSH, 0, 0, 0, 0);
			flushed = true;
			continue;
		}
		if (shim_net_fd_nonblock(fd, flags))
			return -EAGAIN;
		long w = shim_wait_fd_after(fd, POLLOUT, deadline, NULL); /* (a retry asks for a flush first) */
		if (w < 0)
			return w;
		flushed = false;
	}
}

static void discard_one(int fd)
{
	struct sim_dgram_hdr h;
	sys6(SYS_recvfrom, fd, &h, sizeof h, MSG_DONTWAIT, 0, 0);
}

/* IP_PKTINFO / IPV6_RECVPKTINFO: where the datagram was sent, and on which
 * interface it came in (lo for 127.x, else eth0: netif.c). */
static void put_pktinfo(const struct shim_vsock *v, struct msghdr *mh, size_t cap, uint32_t dst)
{
	bool v4 = shim_net_opt(v, IPPROTO_IP, IP_PKTINFO, 0);
	bool v6 = v->family == AF_INET6 && shim_net_opt(v, IPPROTO_IPV6, IPV6_RECVPKTINFO, 0);
	int ifindex = (dst >> 24) == 127 ? 1 : 2;
	if (!v4 && !v6)
		return;
	size_t used = mh->msg_control ? mh->msg_controllen : 0; /* the kernel's: none, usually */
	size_t need = v6 ? CMSG_SPACE(sizeof(struct in6_pktinfo)) : CMSG_SPACE(sizeof(struct in_pktinfo));
	if (!mh->msg_control || cap < used + need) {
		mh->msg_flags |= MSG_CTRUNC;
		return;
	}
	struct cmsghdr *cm = (struct cmsghdr *)((char *)mh->msg_control + used);
	if (v6) {
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof pi);
		pi.ipi6_ifindex = (unsigned)ifindex;
		pi.ipi6_addr.s6_addr[10] = pi.ipi6_addr.s6_addr[11] = 0xff;
		uint32_t be = __builtin_bswap32(dst);
		memcpy(&pi.ipi6_addr.s6_addr[12], &be, 4);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(cm), &pi, sizeof pi);
	} else {
		struct in_pktinfo pi = { .ipi_ifindex = ifindex };
		pi.ipi_spec_dst.s_addr = pi.ipi_addr.s_addr = __builtin_bswap32(dst);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(cm), &pi, sizeof pi);
	}
	mh->msg_controllen = used + need;
}

/* SO_TIMESTAMP(NS) and their _NEW forms: when the datagram reached the
 * socket, on the node's CLOCK_REALTIME (ntpd needs it: "fetch_timestamp:
 * no msghdrs" and exit without). */
static void put_timestamp(const struct shim_vsock *v, struct msghdr *mh, size_t cap, int64_t at)
{
	static const int names[] = { SO_TIMESTAMPNS_NEW, SO_TIMESTAMPNS_OLD, SO_TIMESTAMP_NEW, SO_TIMESTAMP_OLD };
	int name = 0;
	for (int i = 0; i < 4 && !name; i++)
		if (shim_net_opt(v, SOL_SOCKET, names[i], 0))
			name = names[i];
	if (!name)
		return;
	bool ns = name == SO_TIMESTAMPNS_NEW || name == SO_TIMESTAMPNS_OLD;
	int64_t t = shim_realtime_at(at);
	struct timespec ts = { t / 1000000000LL, t % 1000000000LL };
	struct timeval tv = { t / 1000000000LL, t % 1000000000LL / 1000 };
	size_t len = ns ? sizeof ts : sizeof tv;
	size_t used = mh->msg_control ? mh->msg_controllen : 0;
	if (!mh->msg_control || cap < used + CMSG_SPACE(len)) {
		mh->msg_flags |= MSG_CTRUNC;
		return;
	}
	struct cmsghdr *cm = (struct cmsghdr *)((char *)mh->msg_control + used);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = name; /* SCM_TIMESTAMP* are the option's numbers */
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), ns ? (const void *)&ts : (const void *)&tv, len);
	mh->msg_controllen = used + CMSG_SPACE(len);
}

static long udp_recvmsg(struct shim_vsock *v, int fd, struct msghdr *mh, int flags)
{
	if (v->opts & VO_SHUT_RD)
		return 0;
	int64_t deadline = deadline_of(v->rcvtimeo);
	size_t cap = mh->msg_control ? mh->msg_controllen : 0;
	struct sim_dgram_hdr h;
	struct iovec iov[WINDOW];
	size_t n = mh->msg_iovlen < WINDOW - 1 ? mh->msg_iovlen : WINDOW - 1;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof h;
	for (size_t i = 0; i < n; i++)
		iov[i + 1] = mh->msg_iov[i];
	bool retry = false;
	for (;;) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = n + 1, .msg_control = mh->msg_control,
				    .msg_controllen = mh->msg_controllen };
		long r = sys3(SYS_recvmsg, fd, &m, (flags & (MSG_PEEK | MSG_TRUNC)) | MSG_DONTWAIT);
		if (r == -EAGAIN) {
			if (shim_net_fd_nonblock(fd, flags)) {
				shim_spin_check();
				return -EAGAIN;
			}
			long w = shim_wait_fd_after(fd, POLLIN, deadline, &retry);
			if (w < 0)
				return w;
			continue;
		}
		if (r < 0)
			return r;
		retry = false; /* a datagram taken, kept or not, is progress */
		if (r == HDR && h.magic == SIM_DGRAM_UNREACH) {
			/* ICMP port unreachable: a connected socket's error, once */
			if (flags & MSG_PEEK)
				discard_one(fd);
			if (v->state == VS_CONNECTED && h.ip == v->rip && h.port == v->rport)
				return -ECONNREFUSED;
			continue;
		}
		bool foreign = r < HDR || h.magic != SIM_DGRAM_MAGIC ||
			       (v->state == VS_CONNECTED && (h.ip != v->rip || h.port != v->rport));
		if (foreign) { /* not from the connected peer: Linux would not queue it */
			if (flags & MSG_PEEK)
				discard_one(fd);
			continue;
		}
		if (mh->msg_name) {
			unsigned l = mh->msg_namelen;
			shim_net_put_addr(v, h.ip, h.port, mh->msg_name, &l);
			mh->msg_namelen = l;
		}
		mh->msg_flags = m.msg_flags;
		mh->msg_controllen = m.msg_controllen;
		put_pktinfo(v, mh, cap, h.dst);
		put_timestamp(v, mh, cap, h.at);
		return r - HDR;
	}
}

long shim_udp_ioctl(struct shim_vsock *v, int fd, unsigned long req, void *arg)
{
	if (req != FIONREAD)
		return sys3(SYS_ioctl, fd, req, arg);
	int n = 0;
	long r = sys3(SYS_ioctl, fd, FIONREAD, &n);
	if (r < 0)
		return r;
	*(int *)arg = n >= HDR ? n - (int)HDR : 0; /* the next datagram's payload */
	return 0;
}


long shim_udp_call(struct shim_vsock *v, int fd, struct sim_call *c)
{
	struct iovec one = { (void *)c->a[1], (size_t)c->a[2] };
	struct msghdr mh = { .msg_iov = &one, .msg_iovlen = 1 };
	long r;
	switch (c->nr) {
	case SYS_connect: return udp_connect(v, (const void *)c->a[1], (unsigned)c->a[2]);
	case SYS_listen: case SYS_accept: case SYS_accept4: case SYS_sendfile: return -EOPNOTSUPP;
	case SYS_shutdown:
		if ((int)c->a[1] < SHUT_RD || (int)c->a[1] > SHUT_RDWR)
			return -EINVAL;
		if (v->state != VS_CONNECTED)
			return -ENOTCONN;
		v->opts |= (int)c->a[1] != SHUT_WR ? VO_SHUT_RD : 0;
		v->opts |= (int)c->a[1] != SHUT_RD ? VO_SHUT_WR : 0;
		return 0;
	case SYS_read: return udp_recvmsg(v, fd, &mh, 0);
	case SYS_write: return udp_sendmsg(v, fd, &mh, 0);
	case SYS_recvfrom:
		if (c->a[4] && c->a[5]) {
			mh.msg_name = (void *)c->a[4];
			mh.msg_namelen = *(unsigned *)c->a[5];
		}
		r = udp_recvmsg(v, fd, &mh, (int)c->a[3]);
		if (r >= 0 && c->a[4] && c->a[5])
			*(unsigned *)c->a[5] = mh.msg_namelen;
		return r;
	case SYS_sendto:
		mh.msg_name = (void *)c->a[4];
		mh.msg_namelen = (unsigned)c->a[5];
		return udp_sendmsg(v, fd, &mh, (int)c->a[3]);
	case SYS_readv: case SYS_writev:
		mh.msg_iov = (struct iovec *)c->a[1];
		mh.msg_iovlen = (size_t)c->a[2];
		return c->nr == SYS_readv ? udp_recvmsg(v, fd, &mh, 0) : udp_sendmsg(v, fd, &mh, 0);
	case SYS_recvmsg: return udp_recvmsg(v, fd, (struct msghdr *)c->a[1], (int)c->a[2]);
	case SYS_sendmsg: return udp_sendmsg(v, fd, (const struct msghdr *)c->a[1], (int)c->a[2]);
	case SYS_recvmmsg: case SYS_sendmmsg:
		return shim_net_mmsg(v, fd, c, c->nr == SYS_sendmmsg, false, udp_sendmsg, udp_recvmsg);
	}
	return -EOPNOTSUPP;
}
