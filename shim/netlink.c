/*
 * netlink.c — netlink sockets.  NETLINK_ROUTE answers what programs ask of
 * it about the node's interfaces (netif.c): link, address and route dumps
 * (getifaddrs, if_nameindex, `ip addr`, `ip route`), one link, and the
 * route to one address (`ip route get`).  Requests that would change
 * anything, other rtnetlink requests and other netlink protocols are
 * refused by name; no event is ever multicast (the interfaces never change).
 *
 * A netlink socket is a real AF_UNIX datagram socket (autobound, so it can
 * send to itself): the shim answers each request at once by queueing the
 * replies, datagram by datagram as the kernel splits a dump, on the
 * socket itself, so the program's own poll/epoll see them.  Its netlink
 * identity (port id, groups, options) lives in the virtual socket table
 * (net.h): family AF_NETLINK, lip = port id, rip = groups, side = protocol.
 *
 * Reachable from the SIGSYS handler: no allocation (static buffers: only
 * the turn holder runs), kernel only through the gate, no stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "net.h"
#include "netif.h"
#include "simsup/netif.h"

#define NL_DGRAM_MAX 3776 /* Linux's NLMSG_GOODSIZE on 4 KiB pages: where a dump splits */

/* Options of a netlink socket, kept in shim_vsock.opts above VO_*. */
#define VO_NL_STRICT (1 << 12)
#define VO_NL_EXTACK (1 << 13)
#define VO_NL_CAPACK (1 << 14)
#define VO_NL_PASSCRED (1 << 15)

/* Per process, written by the turn holder only. */
static char req_buf[32768];          /* one request, gathered */
static char out[NL_DGRAM_MAX + 4096]; /* the datagram being filled */
static size_t outlen;
static char msg[4096];               /* the message being built */
static size_t msglen;
static int32_t next_portid = -4096;  /* later sockets' port ids, as Linux's rover */
static int32_t pid_portid_owner;     /* the vpid whose first socket took port id = vpid */

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }

static char *put_hex(char *p, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[8];
	int n = 0;
	do
		tmp[n++] = hex[v & 0xf];
	while ((v >>= 4));
	*p++ = '0';
	*p++ = 'x';
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "<what> <0xN><rest>" as a refusal in the trace. */
static void refuse_n(long nr, const char *what, unsigned n, const char *rest)
{
	char buf[256], *p = buf;
	p = stpcpy(p, what);
	*p++ = ' ';
	p = put_hex(p, n);
	size_t room = sizeof buf - (size_t)(p - buf) - 1;
	size_t l = strlen(rest);
	memcpy(p, rest, l < room ? l : room);
	p[l < room ? l : room] = 0;
	shim_refuse(nr, buf);
}

/* ---- socket() ---- */

bool shim_netlink_socket(struct sim_call *c, long *ret)
{
	int type = (int)c->a[1], proto = (int)c->a[2];
	int base = type & 0xf, flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c->nr != SYS_socket || (int)c->a[0] != AF_NETLINK)
		return false;
	if (base != SOCK_RAW && base != SOCK_DGRAM) {
		*ret = -ESOCKTNOSUPPORT;
		return true;
	}
	if (proto != NETLINK_ROUTE && proto != NETLINK_SOCK_DIAG) {
		static const char *const names[] = {
			[NETLINK_NFLOG] = "NETLINK_NFLOG", [NETLINK_XFRM] = "NETLINK_XFRM",
			[NETLINK_SELINUX] = "NETLINK_SELINUX", [NETLINK_ISCSI] = "NETLINK_ISCSI",
			[NETLINK_AUDIT] = "NETLINK_AUDIT", [NETLINK_FIB_LOOKUP] = "NETLINK_FIB_LOOKUP",
			[NETLINK_CONNECTOR] = "NETLINK_CONNECTOR", [NETLINK_NETFILTER] = "NETLINK_NETFILTER",
			[NETLINK_KOBJECT_UEVENT] = "NETLINK_KOBJECT_UEVENT (device events)",
			[NETLINK_GENERIC] = "NETLINK_GENERIC (nl80211, taskstats, ...)",
			[NETLINK_CRYPTO] = "NETLINK_CRYPTO",
		};
		const char *n = proto >= 0 && proto < (int)(sizeof names / sizeof *names) && names[proto]
					? names[proto] : NULL;
		if (n) {
			char what[200], *p = what;
			p = stpcpy(p, "netlink protocol ");
			p = stpcpy(p, n);
			stpcpy(p, " is not simulated: only NETLINK_ROUTE (interfaces, addresses, routes) "
			       "and NETLINK_SOCK_DIAG (TCP and UDP sockets)");
			shim_refuse(c->nr, what);
		} else
			refuse_n(c->nr, "netlink protocol", (unsigned)proto,
				 " is not simulated: only NETLINK_ROUTE (interfaces, addresses, routes) "
				 "and NETLINK_SOCK_DIAG (TCP and UDP sockets)");
		*ret = -EPROTONOSUPPORT;
		return true;
	}
	long fd = sys3(SYS_socket, AF_UNIX, SOCK_DGRAM | flags, 0);
	if (fd < 0) {
		*ret = fd;
		return true;
	}
	sa_family_t fam = AF_UNIX;
	long r = sys3(SYS_bind, fd, &fam, sizeof fam); /* autobind: a name to send to itself */
	struct shim_vsock *v = r < 0 ? NULL : shim_vs_new((int)fd);
	if (!v) {
		sys1(SYS_close, fd);
		*ret = r < 0 ? r : -EMFILE;
		return true;
	}
	shim_fd_forget((int)fd);
	v->family = AF_NETLINK;
	v->type = (uint8_t)base;
	v->side = (uint8_t)proto;
	v->state = VS_NEW;
	*ret = fd;
	return true;
}

/* ---- replies ---- */

static long flush(int fd)
{
	if (!outlen)
		return 0;
	struct sockaddr_un self;
	unsigned sl = sizeof self;
	long r = sys3(SYS_getsockname, fd, &self, &sl);
	if (r == 0)
		r = sys6(SYS_sendto, fd, out, outlen, MSG_DONTWAIT | MSG_NOSIGNAL, &self, sl);
	outlen = 0;
	shim_self.dirty = true;
	return r < 0 ? (r == -EAGAIN ? -ENOBUFS : r) : 0;
}

static void msg_start(const struct shim_vsock *v, uint16_t type, uint16_t flags, uint32_t seq,
		      const void *fixed, size_t flen)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq,
			      .nlmsg_pid = v->lip };
	memset(msg, 0, NLMSG_ALIGN(sizeof h) + NLMSG_ALIGN(flen));
	memcpy(msg, &h, sizeof h);
	memcpy(msg + NLMSG_HDRLEN, fixed, flen);
	msglen = NLMSG_HDRLEN + NLMSG_ALIGN(flen);
}

static void attr(uint16_t type, const void *data, size_t len)
{
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };
	if (msglen + RTA_SPACE(len) > sizeof msg)
		return;
	memset(msg + msglen, 0, RTA_SPACE(len));
	memcpy(msg + msglen, &a, sizeof a);
	memcpy(msg + msglen + RTA_LENGTH(0), data, len);
	msglen += RTA_SPACE(len);
}

static void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, 4); }
static void attr_u8(uint16_t type, uint8_t v) { attr(type, &v, 1); }
static void attr_str(uint16_t type, const char *s) { attr(type, s, strlen(s) + 1); }
static void attr_ip(uint16_t type, uint32_t ip)
{
	uint32_t n = be32(ip);
	attr(type, &n, 4);
}

/* Appends the built message to the datagram, sending the datagram first
 * if the message does not fit (a dump splits where Linux's would). */
static long msg_end(int fd)
{
	((struct nlmsghdr *)msg)->nlmsg_len = (uint32_t)msglen;
	long r = 0;
	if (outlen + msglen > NL_DGRAM_MAX)
		r = flush(fd);
	memcpy(out + outlen, msg, msglen);
	outlen += msglen;
	return r;
}

static long reply_error(const struct shim_vsock *v, int fd, const struct nlmsghdr *rq, int err)
{
	bool capped = (v->opts & VO_NL_CAPACK) || err == 0;
	size_t copy = capped ? sizeof *rq : rq->nlmsg_len;
	if (copy > sizeof msg - NLMSG_HDRLEN - sizeof(int))
		copy = sizeof *rq, capped = true;
	msg_start(v, NLMSG_ERROR, capped && err ? NLM_F_CAPPED : 0, rq->nlmsg_seq, &err, sizeof err);
	msglen = NLMSG_HDRLEN + sizeof(int);
	memcpy(msg + msglen, rq, copy);
	msglen += NLMSG_ALIGN(copy);
	return msg_end(fd);
}

static long dump_done(const struct shim_vsock *v, int fd, const struct nlmsghdr *rq)
{
	int zero = 0;
	msg_start(v, NLMSG_DONE, NLM_F_MULTI, rq->nlmsg_seq, &zero, sizeof zero);
	return msg_end(fd);
}

/* ---- links ---- */

static long put_link(const struct shim_vsock *v, int fd, const struct nlmsghdr *rq, int index,
		     uint16_t flags)
{
	struct shim_netif f;
	shim_netif_get(index, &f);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_type = (unsigned short)f.type,
				 .ifi_index = f.index, .ifi_flags = f.flags };
	msg_start(v, RTM_NEWLINK, flags, rq->nlmsg_seq, &ifi, sizeof ifi);
	attr_str(IFLA_IFNAME, f.name);
	attr_u32(IFLA_TXQLEN, SIM_NETIF_TXQLEN);
	attr_u8(IFLA_OPERSTATE, (uint8_t)f.oper);
	attr_u8(IFLA_LINKMODE, 0);
	attr_u32(IFLA_MTU, (uint32_t)f.mtu);
	attr_u32(IFLA_GROUP, 0);
	attr_u32(IFLA_PROMISCUITY, 0);
	attr_u32(IFLA_NUM_TX_QUEUES, 1);
	attr_u32(IFLA_NUM_RX_QUEUES, 1);
	attr_u8(IFLA_CARRIER, 1);
	attr_str(IFLA_QDISC, "noqueue");
	attr(IFLA_ADDRESS, f.mac, 6);
	attr(IFLA_BROADCAST, f.brdmac, 6);
	return msg_end(fd);
}

static const struct rtattr *find_attr(const struct nlmsghdr *rq, size_t fixed, int type)
{
	int len = (int)rq->nlmsg_len - (int)NLMSG_SPACE(fixed);
	const struct rtattr *a = (const struct rtattr *)((const char *)rq + NLMSG_SPACE(fixed));
	for (; len > 0 && RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

static long get_link(const struct shim_vsock *v, int fd, const struct nlmsghdr *rq)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(rq);
	if (rq->nlmsg_flags & NLM_F_DUMP) { /* a dump may carry a bare rtgenmsg (glibc's) */
		for (int i = 1; i <= NETIF_COUNT; i++)
			put_link(v, fd, rq, i, NLM_F_MULTI);
		return dump_done(v, fd, rq);
	}
	if (rq->nlmsg_len < NLMSG_LENGTH(sizeof *ifi))
		return reply_error(v, fd, rq, -EINVAL);
	int index = ifi->ifi_index;
	const struct rtattr *name = find_attr(rq, sizeof *ifi, IFLA_IFNAME);
	if (index <= 0 && name) {
		char n[IFNAMSIZ] = "";
		size_t l = RTA_PAYLOAD(name) < IFNAMSIZ - 1 ? RTA_PAYLOAD(name) : IFNAMSIZ - 1;
		memcpy(n, RTA_DATA(name), l);
		index = shim_netif_by_name(n);
	} else if (index <= 0)
		return reply_error(v, fd, rq, -EINVAL);
	struct shim_netif f;
	if (shim_netif_get(index, &f) < 0)
		return reply_error(v, fd, rq, -ENODEV);
	return put_link(v, fd, rq, index, 0);
}

/* ---- addresses ---- */

static void cacheinfo(void)
{
	struct ifa_cacheinfo ci = { .ifa_prefered = 0xffffffffu, .ifa_valid = 0xffffffffu };
	attr(IFA_CACHEINFO, &ci, sizeof ci);
}

static long get_addr(const struct shim_vsock *v, int fd, const struct nlmsghdr *rq)
{
	const struct ifaddrmsg *q = NLMSG_DATA(rq);
	bool full = rq->nlmsg_len >= NLMSG_LENGTH(sizeof *q); /* else a bare rtgenmsg */
	if (rq->nlmsg_len < NLMSG_LENGTH(1))
		return reply_error(v, fd, rq, -EINVAL);
	if (!(rq->nlmsg_flags & NLM_F_DUMP))
		return reply_error(v, fd, rq, -EOPNOTSUPP); /* as Linux for IPv4 */
	int only = full && (v->opts & VO_NL_STRICT) ? (int)q->ifa_index : 0;
	if (q->ifa_family == AF_UNSPEC || q->ifa_family == AF_INET)
		for (int i = 1; i <= NETIF_COUNT; i++) {
			struct shim_netif f;
			shim_netif_get(i, &f);
			if (only && only != i)
				continue;
			struct ifaddrmsg a = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)f.prefix,
					       .ifa_flags = IFA_F_PERMANENT,
					       .ifa_scope = (unsigned char)f.scope, .ifa_index = (unsigned)i };
			msg_start(v, RTM_NEWADDR, NLM_F_MULTI, rq->nlmsg_seq, &a, sizeof a);
			attr_ip(IFA_ADDRESS, f.ip);
			attr_ip(IFA_LOCAL, f.ip);
			if (f.brd)
				attr_ip(IFA_BROADCAST, f.brd);
			attr_str(IFA_LABEL, f.name);
			attr_u32(IFA_FLAGS, IFA_F_PERMANENT);
			cacheinfo();
			msg_end(fd);
		}
	if ((q->ifa_family == AF_UNSPEC || q->ifa_family == AF_INET6) && (!only || only == NETIF_LO)) {
		struct ifaddrmsg a = { .ifa_family = AF_INET6, .ifa_prefixlen = 128,
				       .ifa_flags = IFA_F_PERMANENT, .ifa_scope = RT_SCOPE_HOST,
				       .ifa_index = NETIF_LO };
		struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
		msg_start(v, RTM_NEWADDR, NLM_F_MULTI, rq->nlmsg_seq, &a, sizeof a);
		attr(IFA_ADDRESS, &lo6, sizeof lo6);
		cacheinfo();
		attr_u32(IFA_FLAGS, IFA_F_PERMANENT);
		msg_end(fd);
	}
	return dump_done(v, fd, rq);
}

/* ---- routes ---- */

struct route {
	int family;
	uint32_t dst;      /* IPv4, host order; IPv6: only ::1 (dst_len 128) */
	int dst_len;
	int table, type, scope, oif;
	uint32_t prefsrc;  /* 0: none */
	int prio;          /* -1: none */
};

static void put_route(const struct shim_vsock *v, int fd, const struct nlmsghdr *rq,
		      const struct route *r, uint16_t flags, unsigned rtm_flags)
{
	struct rtmsg m = { .rtm_family = (unsigned char)r->family, .rtm_dst_len = (unsigned char)r->dst_len,
			   .rtm_table = (unsigned char)r->table, .rtm_protocol = RTPROT_KERNEL,
			   .rtm_scope = (unsigned char)r->scope, .rtm_type = (unsigned char)r->type,
			   .rtm_flags = rtm_flags };
	msg_start(v, RTM_NEWROUTE, flags, rq->nlmsg_seq, &m, sizeof m);
	attr_u32(RTA_TABLE, (uint32_t)r->table);
	if (r->family == AF_INET6) {
		struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
		attr(RTA_DST, &lo6, sizeof lo6);
	} else if (r->dst_len)
		attr_ip(RTA_DST, r->dst);
	if (r->prio >= 0)
		attr_u32(RTA_PRIORITY, (uint32_t)r->prio);
	if (r->prefsrc)
		attr_ip(RTA_PREFSRC, r->prefsrc);
	attr_u32(RTA_OIF, (uint32_t)r->oif);
	msg_end(fd);
}

/* The node's routing tables, as Linux builds them from its addresses. */
static int routes(struct route *rt)
{
	uint32_t ip = shim_proc.cfg.ip, net = ip & 0xff000000u;
	int n = 0;
	rt[n++] = (struct route){ AF_INET, net, 8, RT_TABLE_MAIN, RTN_UNICAST, RT_SCOPE_LINK, NETIF_ETH, ip, -1 };
	rt[n++] = (struct route){ AF_INET, 0x7f000000, 8, RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST, NETIF_LO, 0x7f000001, -1 };
	rt[n++] = (struct route){ AF_INET, 0x7f000001, 32, RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST, NETIF_LO, 0x7f000001, -1 };
	rt[n++] = (struct route){ AF_INET, 0x7fffffff, 32, RT_TABLE_LOCAL, RTN_BROADCAST, RT_SCOPE_LINK, NETIF_LO, 0x7f000001, -1 };
	rt[n++] = (struct route){ AF_INET, ip, 32, RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST, NETIF_ETH, ip, -1 };
	rt[n++] = (struct route){ AF_INET, net | 0x00ffffffu, 32, RT_TABLE_LOCAL, RTN_BROADCAST, RT_SCOPE_LINK, NETIF_ETH, ip, -1 };
	rt[n++] = (struct route){ AF_INET6, 0, 128, RT_TABLE_MAIN, RTN_UNICAST, RT_SCOPE_UNIVERSE, NETIF_LO, 0, 256 };
	rt[n++] = (struct route){ AF_INET6, 0, 128, RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST, NETIF_LO, 0, 0 };
	return n;
}

static long get_route(const struct shim_vsock *v, int fd, const struct nlmsghdr *rq)
{
	const struct rtmsg *q = NLMSG_DATA(rq);
	struct route rt[8];
	int n = routes(rt);
	bool full = rq->nlmsg_len >= NLMSG_LENGTH(sizeof *q); /* else a bare rtgenmsg */
	if (rq->nlmsg_len < NLMSG_LENGTH(1))
		return reply_error(v, fd, rq, -EINVAL);
	if (rq->nlmsg_flags & NLM_F_DUMP) {
		int table = full && (v->opts & VO_NL_STRICT) ? q->rtm_table : 0;
		for (int i = 0; i < n; i++)
			if ((q->rtm_family == AF_UNSPEC || q->rtm_family == rt[i].family) &&
			    (!table || table == rt[i].table))
				put_route(v, fd, rq, &rt[i], NLM_F_MULTI, 0);
		return dump_done(v, fd, rq);
	}
	if (!full)
		return reply_error(v, fd, rq, -EINVAL);
	/* the route to one destination (`ip route get`) */
	const struct rtattr *d = find_attr(rq, sizeof *q, RTA_DST);
	uint32_t ip = shim_proc.cfg.ip, dst = 0;
	if (q->rtm_family == AF_INET6) {
		struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
		if (!d || RTA_PAYLOAD(d) != 16 || memcmp(RTA_DATA(d), &lo6, 16))
			return reply_error(v, fd, rq, -ENETUNREACH);
		put_route(v, fd, rq, &rt[7], 0, RTM_F_CLONED);
		return 0;
	}
	if (q->rtm_family != AF_INET)
		return reply_error(v, fd, rq, -EAFNOSUPPORT);
	if (d && RTA_PAYLOAD(d) == 4) {
		memcpy(&dst, RTA_DATA(d), 4);
		dst = be32(dst);
	}
	struct route one;
	if ((dst >> 24) == 127 || dst == ip || dst == 0)
		one = (struct route){ AF_INET, dst, 32, RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST, NETIF_LO,
				      dst == ip ? ip : 0x7f000001, -1 };
	else if ((dst >> 24) == (ip >> 24))
		one = (struct route){ AF_INET, dst, 32, RT_TABLE_MAIN, RTN_UNICAST, RT_SCOPE_UNIVERSE,
				      NETIF_ETH, ip, -1 };
	else
		return reply_error(v, fd, rq, -ENETUNREACH);
	put_route(v, fd, rq, &one, 0, RTM_F_CLONED);
	return 0;
}

/* ---- requests ---- */

/* A change to a link that does not exist (none named, or an unknown one,
 * without NLM_F_CREATE): Linux answers ENODEV and changes nothing. */
static bool link_missing(const struct nlmsghdr *rq)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(rq);
	int t = rq->nlmsg_type;
	if ((t != RTM_NEWLINK && t != RTM_SETLINK && t != RTM_DELLINK) ||
	    rq->nlmsg_len < NLMSG_LENGTH(sizeof *ifi) || (rq->nlmsg_flags & NLM_F_CREATE))
		return false;
	struct shim_netif f;
	if (ifi->ifi_index > 0)
		return shim_netif_get(ifi->ifi_index, &f) < 0;
	const struct rtattr *name = find_attr(rq, sizeof *ifi, IFLA_IFNAME);
	if (!name)
		return true;
	char n[IFNAMSIZ] = "";
	size_t l = RTA_PAYLOAD(name) < IFNAMSIZ - 1 ? RTA_PAYLOAD(name) : IFNAMSIZ - 1;
	memcpy(n, RTA_DATA(name), l);
	return shim_netif_by_name(n) < 0;
}

static long route_request(struct shim_vsock *v, int fd, const struct nlmsghdr *rq)
{
	int type = rq->nlmsg_type;
	long r;
	switch (type) {
	case RTM_GETLINK: r = get_link(v, fd, rq); break;
	case RTM_GETADDR: r = get_addr(v, fd, rq); break;
	case RTM_GETROUTE: r = get_route(v, fd, rq); break;
	default:
		if (type < RTM_BASE || type >= RTM_MAX)
			return reply_error(v, fd, rq, -EOPNOTSUPP);
		if ((type - RTM_BASE) % 4 == 2) { /* another RTM_GET* */
			refuse_n(SYS_sendmsg, "rtnetlink request type", (unsigned)type,
				 ": only links, addresses and routes (RTM_GETLINK, RTM_GETADDR, "
				 "RTM_GETROUTE) are simulated");
			return reply_error(v, fd, rq, -EOPNOTSUPP);
		}
		if (link_missing(rq)) /* iproute2 probes with such a request: nothing to change */
			return reply_error(v, fd, rq, -ENODEV);
		refuse_n(SYS_sendmsg, "rtnetlink request type", (unsigned)type,
			 ": the simulated interfaces, addresses and routes cannot be changed");
		return reply_error(v, fd, rq, -EPERM);
	}
	if (r == 0 && (rq->nlmsg_flags & NLM_F_ACK) && !(rq->nlmsg_flags & NLM_F_DUMP))
		r = reply_error(v, fd, rq, 0);
	return r;
}

/* ---- NETLINK_SOCK_DIAG: the node's TCP and UDP sockets (ss) ---- */

static void diag_addr(uint32_t *out4, int family, uint32_t ip)
{
	memset(out4, 0, 16);
	if (family == AF_INET6) {
		if (ip) { /* v4-mapped, as the socket's own family shows it */
			out4[2] = be32(0xffff);
			out4[3] = be32(ip);
		}
	} else
		out4[0] = be32(ip);
}

static long diag_request(struct shim_vsock *v, int fd, const struct nlmsghdr *rq)
{
	const struct inet_diag_req_v2 *q = NLMSG_DATA(rq);
	if (rq->nlmsg_type != SOCK_DIAG_BY_FAMILY || rq->nlmsg_len < NLMSG_LENGTH(2)) {
		refuse_n(SYS_sendmsg, "sock_diag request type", rq->nlmsg_type,
			 ": only SOCK_DIAG_BY_FAMILY dumps of TCP and UDP sockets are simulated");
		return reply_error(v, fd, rq, -EOPNOTSUPP);
	}
	if (q->sdiag_family != AF_INET && q->sdiag_family != AF_INET6) {
		refuse_n(SYS_sendmsg, "sock_diag of address family", q->sdiag_family,
			 ": only AF_INET and AF_INET6 TCP and UDP sockets are listed (local AF_UNIX "
			 "sockets are the host kernel's)");
		return reply_error(v, fd, rq, -EOPNOTSUPP);
	}
	if (rq->nlmsg_len < NLMSG_LENGTH(sizeof *q))
		return reply_error(v, fd, rq, -EINVAL);
	if (q->sdiag_protocol != IPPROTO_TCP && q->sdiag_protocol != IPPROTO_UDP) {
		refuse_n(SYS_sendmsg, "sock_diag of protocol", q->sdiag_protocol,
			 ": only TCP and UDP sockets are simulated");
		return reply_error(v, fd, rq, -EOPNOTSUPP);
	}
	if (!(rq->nlmsg_flags & NLM_F_DUMP))
		return reply_error(v, fd, rq, -EOPNOTSUPP); /* one socket by its id: not kept */
	int type = q->sdiag_protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct sim_req lr = { .op = SIM_NET_LIST };
	struct sim_rep rep;
	for (long cur = 0;;) {
		lr.a[0] = cur;
		lr.a[1] = type;
		cur = shim_request(&lr, NULL, -1, &rep);
		if (cur <= 0)
			break;
		int family = (int)(rep.a[3] & 0xff), state = (int)rep.a[2];
		if (family != q->sdiag_family || !(q->idiag_states & (1u << state)))
			continue;
		struct inet_diag_msg m;
		memset(&m, 0, sizeof m);
		m.idiag_family = (uint8_t)family;
		m.idiag_state = (uint8_t)state;
		m.id.idiag_sport = __builtin_bswap16((uint16_t)rep.a[0]);
		m.id.idiag_dport = __builtin_bswap16((uint16_t)rep.a[1]);
		diag_addr(m.id.idiag_src, family, (uint32_t)((uint64_t)rep.a[0] >> 16));
		diag_addr(m.id.idiag_dst, family, (uint32_t)((uint64_t)rep.a[1] >> 16));
		m.id.idiag_cookie[0] = m.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
		if (state == SIM_NL_LISTEN)
			m.idiag_wqueue = (uint32_t)(rep.a[3] >> 8); /* a listener's backlog */
		msg_start(v, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, rq->nlmsg_seq, &m, sizeof m);
		long r = msg_end(fd);
		if (r < 0)
			return r;
	}
	return dump_done(v, fd, rq);
}

static void autobind(struct shim_vsock *v)
{
	if (v->state != VS_NEW)
		return;
	if (pid_portid_owner != shim_proc.cfg.vpid) { /* a process's first socket: its pid */
		pid_portid_owner = shim_proc.cfg.vpid;
		next_portid = -4096;
		v->lip = (uint32_t)shim_proc.cfg.vpid;
	} else
		v->lip = (uint32_t)next_portid--;
	v->state = VS_BOUND;
}

static long nl_sendmsg(struct shim_vsock *v, int fd, const struct msghdr *mh, int flags)
{
	(void)flags;
	if (mh->msg_name && mh->msg_namelen) {
		const struct sockaddr_nl *to = mh->msg_name;
		if (mh->msg_namelen < sizeof *to || to->nl_family != AF_NETLINK)
			return -EINVAL;
		if (to->nl_pid != 0 || to->nl_groups != 0) {
			shim_refuse(SYS_sendmsg, "netlink: only requests to the kernel are simulated "
						 "(no user-space peers or multicast)");
			return -ECONNREFUSED;
		}
	}
	size_t total = 0;
	for (size_t i = 0; i < mh->msg_iovlen; i++) {
		size_t l = mh->msg_iov[i].iov_len;
		if (total + l > sizeof req_buf)
			return -EMSGSIZE;
		memcpy(req_buf + total, mh->msg_iov[i].iov_base, l);
		total += l;
	}
	autobind(v);
	outlen = 0;
	long r = 0;
	int len = (int)total;
	for (const struct nlmsghdr *h = (const void *)req_buf; r == 0 && NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		if (!(h->nlmsg_flags & NLM_F_REQUEST) || h->nlmsg_type < NLMSG_MIN_TYPE) {
			if (h->nlmsg_flags & NLM_F_ACK)
				r = reply_error(v, fd, h, 0);
			continue;
		}
		r = v->side == NETLINK_SOCK_DIAG ? diag_request(v, fd, h) : route_request(v, fd, h);
	}
	if (r == 0)
		r = flush(fd);
	outlen = 0;
	return r < 0 ? r : (long)total;
}

static long nl_recvmsg(struct shim_vsock *v, int fd, struct msghdr *mh, int flags)
{
	if (!shim_net_fd_nonblock(fd, flags)) {
		int64_t dl = v->rcvtimeo > 0 ? shim_deadline(v->rcvtimeo) : -1;
		long w = shim_wait_fd(fd, POLLIN, dl);
		if (w < 0)
			return w;
	}
	struct sockaddr_un from;
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = mh->msg_iov,
			    .msg_iovlen = mh->msg_iovlen };
	long r = sys3(SYS_recvmsg, fd, &m, flags | MSG_DONTWAIT);
	if (r < 0)
		return r;
	if (mh->msg_name) {
		struct sockaddr_nl k = { .nl_family = AF_NETLINK };
		memcpy(mh->msg_name, &k, mh->msg_namelen < sizeof k ? mh->msg_namelen : sizeof k);
		mh->msg_namelen = sizeof k;
	}
	size_t room = mh->msg_control ? mh->msg_controllen : 0;
	mh->msg_controllen = 0;
	mh->msg_flags = m.msg_flags & ~MSG_CTRUNC;
	if (v->opts & VO_NL_PASSCRED) { /* the sender is the kernel: pid, uid and gid 0 */
		if (room >= CMSG_SPACE(sizeof(struct ucred))) {
			struct cmsghdr *cm = mh->msg_control;
			struct ucred cr = { 0, 0, 0 };
			cm->cmsg_len = CMSG_LEN(sizeof cr);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_CREDENTIALS;
			memcpy(CMSG_DATA(cm), &cr, sizeof cr);
			mh->msg_controllen = CMSG_SPACE(sizeof cr);
		} else
			mh->msg_flags |= MSG_CTRUNC;
	}
	return r;
}

/* ---- options ---- */

static long nl_setsockopt(struct shim_vsock *v, int fd, int level, int name, const void *val,
			  unsigned len)
{
	int on = val && len >= sizeof(int) ? *(const int *)val != 0 : 0;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_PASSCRED:
			v->opts = (uint16_t)(on ? v->opts | VO_NL_PASSCRED : v->opts & ~VO_NL_PASSCRED);
			return 0;
		case SO_RCVTIMEO_OLD: {
			const struct timeval *tv = val;
			if (!val || len < sizeof *tv)
				return -EINVAL;
			v->rcvtimeo = (int64_t)tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
			return 0;
		}
		}
		return sys5(SYS_setsockopt, fd, level, name, val, len); /* buffers, filters */
	}
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	if (!val || len < sizeof(int))
		return -EINVAL;
	uint16_t bit = 0;
	switch (name) {
	case NETLINK_ADD_MEMBERSHIP: /* events: the interfaces never change, none come */
		if (*(const int *)val > 0 && *(const int *)val <= 32)
			v->rip |= 1u << (*(const int *)val - 1);
		return 0;
	case NETLINK_DROP_MEMBERSHIP:
		if (*(const int *)val > 0 && *(const int *)val <= 32)
			v->rip &= ~(1u << (*(const int *)val - 1));
		return 0;
	case NETLINK_PKTINFO: case NETLINK_BROADCAST_ERROR: case NETLINK_NO_ENOBUFS:
	case NETLINK_LISTEN_ALL_NSID:
		return 0;
	case NETLINK_CAP_ACK: bit = VO_NL_CAPACK; break;
	case NETLINK_EXT_ACK: bit = VO_NL_EXTACK; break;
	case NETLINK_GET_STRICT_CHK: bit = VO_NL_STRICT; break;
	default:
		return -ENOPROTOOPT;
	}
	v->opts = (uint16_t)(on ? v->opts | bit : v->opts & ~bit);
	return 0;
}

static long nl_getsockopt(struct shim_vsock *v, int fd, int level, int name, void *val,
			  unsigned *len)
{
	int out_v;
	if (!len || !val)
		return -EFAULT;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_DOMAIN: out_v = AF_NETLINK; break;
		case SO_PROTOCOL: out_v = v->side; break;
		case SO_TYPE: out_v = v->type; break;
		case SO_PASSCRED: out_v = !!(v->opts & VO_NL_PASSCRED); break;
		default: return sys5(SYS_getsockopt, fd, level, name, val, len);
		}
	} else if (level == SOL_NETLINK) {
		switch (name) {
		case NETLINK_CAP_ACK: out_v = !!(v->opts & VO_NL_CAPACK); break;
		case NETLINK_EXT_ACK: out_v = !!(v->opts & VO_NL_EXTACK); break;
		case NETLINK_GET_STRICT_CHK: out_v = !!(v->opts & VO_NL_STRICT); break;
		case NETLINK_PKTINFO: case NETLINK_BROADCAST_ERROR: case NETLINK_NO_ENOBUFS:
		case NETLINK_LISTEN_ALL_NSID: out_v = 0; break;
		default: return -ENOPROTOOPT;
		}
	} else
		return -ENOPROTOOPT;
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &out_v, sizeof out_v);
	*len = sizeof out_v;
	return 0;
}

/* ---- calls ---- */

static long nl_bind(struct shim_vsock *v, const void *sa, unsigned len)
{
	const struct sockaddr_nl *a = sa;
	if (!a || len < sizeof *a || a->nl_family != AF_NETLINK)
		return -EINVAL;
	if (v->state != VS_NEW && a->nl_pid && a->nl_pid != v->lip)
		return -EINVAL;
	if (a->nl_pid && v->state == VS_NEW) {
		v->lip = a->nl_pid;
		v->state = VS_BOUND;
	}
	autobind(v);
	v->rip = a->nl_groups;
	return 0;
}

static long nl_name(struct shim_vsock *v, struct sim_call *c)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	void *sa = (void *)c->a[1];
	unsigned *len = (unsigned *)c->a[2];
	if (!len || !sa)
		return -EFAULT;
	if (c->nr == SYS_getsockname) {
		a.nl_pid = v->lip;
		a.nl_groups = v->rip;
	}
	memcpy(sa, &a, *len < sizeof a ? *len : sizeof a);
	*len = sizeof a;
	return 0;
}

long shim_netlink_call(struct shim_vsock *v, int fd, struct sim_call *c)
{
	struct iovec one = { (void *)c->a[1], (size_t)c->a[2] };
	struct msghdr mh = { .msg_iov = &one, .msg_iovlen = 1 };
	long r;
	switch (c->nr) {
	case SYS_bind: return nl_bind(v, (const void *)c->a[1], (unsigned)c->a[2]);
	case SYS_connect: {
		const struct sockaddr_nl *a = (const void *)c->a[1];
		if (!a || (unsigned)c->a[2] < sizeof *a || a->nl_family != AF_NETLINK)
			return -EINVAL;
		if (a->nl_pid || a->nl_groups)
			return -ECONNREFUSED;
		autobind(v);
		return 0;
	}
	case SYS_getsockname: case SYS_getpeername: return nl_name(v, c);
	case SYS_setsockopt:
		return nl_setsockopt(v, fd, (int)c->a[1], (int)c->a[2], (const void *)c->a[3],
				     (unsigned)c->a[4]);
	case SYS_getsockopt:
		return nl_getsockopt(v, fd, (int)c->a[1], (int)c->a[2], (void *)c->a[3],
				     (unsigned *)c->a[4]);
	case SYS_write: return nl_sendmsg(v, fd, &mh, 0);
	case SYS_read: return nl_recvmsg(v, fd, &mh, 0);
	case SYS_sendto:
		mh.msg_name = (void *)c->a[4];
		mh.msg_namelen = (unsigned)c->a[5];
		return nl_sendmsg(v, fd, &mh, (int)c->a[3]);
	case SYS_recvfrom:
		if (c->a[4] && c->a[5]) {
			mh.msg_name = (void *)c->a[4];
			mh.msg_namelen = *(unsigned *)c->a[5];
		}
		r = nl_recvmsg(v, fd, &mh, (int)c->a[3]);
		if (r >= 0 && c->a[4] && c->a[5])
			*(unsigned *)c->a[5] = mh.msg_namelen;
		return r;
	case SYS_readv: case SYS_writev:
		mh.msg_iov = (struct iovec *)c->a[1];
		mh.msg_iovlen = (size_t)c->a[2];
		return c->nr == SYS_readv ? nl_recvmsg(v, fd, &mh, 0) : nl_sendmsg(v, fd, &mh, 0);
	case SYS_recvmsg: return nl_recvmsg(v, fd, (struct msghdr *)c->a[1], (int)c->a[2]);
	case SYS_sendmsg: return nl_sendmsg(v, fd, (const struct msghdr *)c->a[1], (int)c->a[2]);
	case SYS_recvmmsg: case SYS_sendmmsg:
		return shim_net_mmsg(v, fd, c, c->nr == SYS_sendmmsg, false, nl_sendmsg, nl_recvmsg);
	case SYS_ioctl:
		return shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], 0, 0, 0);
	}
	return -EOPNOTSUPP; /* listen, accept, shutdown, sendfile: as Linux's netlink */
}
