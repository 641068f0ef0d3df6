/*
 * procnet.c — /proc/net as the node sees it.  The host's /proc/net lists
 * the host's sockets, interfaces and routes; here `tcp`, `tcp6`, `udp`,
 * `udp6` list the node's virtual sockets (the same table as ss's
 * NETLINK_SOCK_DIAG), and `dev`, `route`, `if_inet6` the node's
 * interfaces (netif.c).  The other socket lists (`unix`, `raw`, `packet`,
 * `netlink`, ...) and `arp` would show the host's and are refused by name.
 *
 * An open returns a memfd filled at once.  Reachable from the SIGSYS
 * handler: no allocation (a stack buffer), gate syscalls only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netif.h"

struct pout {
	int fd;
	size_t n;
	char buf[1024];
};

static void pflush(struct pout *o)
{
	for (size_t off = 0; off < o->n;) {
		long r = sys3(SYS_write, o->fd, o->buf + off, o->n - off);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	o->n = 0;
}

static void ps(struct pout *o, const char *s)
{
	for (; *s; s++) {
		if (o->n == sizeof o->buf)
			pflush(o);
		o->buf[o->n++] = *s;
	}
}

/* v as `digits` upper-case hex digits (0: as many as needed) */
static void phex(struct pout *o, unsigned long long v, int digits)
{
	char t[20];
	int n = 0;
	do
		t[n++] = "0123456789ABCDEF"[v & 0xf];
	while ((v >>= 4) || n < digits);
	char s[21];
	for (int i = 0; i < n; i++)
		s[i] = t[n - 1 - i];
	s[n] = 0;
	ps(o, s);
}

static void pdec(struct pout *o, unsigned long long v, int width)
{
	char t[24], s[48];
	int n = 0, k = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (; width > n; width--)
		s[k++] = ' ';
	while (n)
		s[k++] = t[--n];
	s[k] = 0;
	ps(o, s);
}

/* an IPv4 address as the kernel prints it: the network-order word in hex */
static void pip(struct pout *o, uint32_t ip)
{
	phex(o, __builtin_bswap32(ip), 8);
}

static void pip6(struct pout *o, uint32_t ip)
{
	if (!ip) {
		ps(o, "00000000000000000000000000000000");
		return;
	}
	ps(o, "0000000000000000FFFF0000"); /* ::ffff:a.b.c.d */
	pip(o, ip);
}

enum pn { PN_NONE, PN_TCP, PN_TCP6, PN_UDP, PN_UDP6, PN_DEV, PN_ROUTE, PN_IF_INET6, PN_REFUSED };

static void gen_socks(struct pout *o, int type, int family)
{
	if (family == AF_INET6)
		ps(o, "  sl  local_address                         remote_address                        "
		      "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
	else
		ps(o, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
		      "uid  timeout inode\n");
	struct sim_req rq = { .op = SIM_NET_LIST };
	struct sim_rep rep;
	int sl = 0;
	for (long cur = 0;;) {
		rq.a[0] = cur;
		rq.a[1] = type;
		cur = shim_request(&rq, NULL, -1, &rep);
		if (cur <= 0)
			break;
		if ((rep.a[3] & 0xff) != family)
			continue;
		uint32_t lip = (uint32_t)((uint64_t)rep.a[0] >> 16), rip = (uint32_t)((uint64_t)rep.a[1] >> 16);
		pdec(o, (unsigned)sl++, 4);
		ps(o, ": ");
		family == AF_INET6 ? pip6(o, lip) : pip(o, lip);
		ps(o, ":");
		phex(o, (uint16_t)rep.a[0], 4);
		ps(o, " ");
		family == AF_INET6 ? pip6(o, rip) : pip(o, rip);
		ps(o, ":");
		phex(o, (uint16_t)rep.a[1], 4);
		ps(o, " ");
		phex(o, (unsigned long long)rep.a[2], 2);
		ps(o, " 00000000:00000000 00:00000000 00000000     0        0 0 ");
		ps(o, type == SOCK_STREAM ? "1 0000000000000000 100 0 0 10 0\n" : "2 0000000000000000 0\n");
	}
}

static void gen_dev(struct pout *o)
{
	ps(o, "Inter-|   Receive                                                |  Transmit\n"
	      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
	      "errs drop fifo colls carrier compressed\n");
	for (int i = 1; i <= NETIF_COUNT; i++) {
		struct shim_netif f;
		shim_netif_get(i, &f);
		char name[8] = "      ";
		size_t l = strlen(f.name);
		memcpy(name + (l < 6 ? 6 - l : 0), f.name, l < 6 ? l : 6);
		ps(o, name);
		ps(o, ":       0       0    0    0    0     0          0         0        0       0    "
		      "0    0    0     0       0          0\n");
	}
}

static void gen_route(struct pout *o)
{
	uint32_t ip = shim_proc.cfg.ip;
	ps(o, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"
	      "                                                       \n");
	ps(o, "eth0\t");
	pip(o, ip & 0xff000000u);
	ps(o, "\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0"
	      "                                                                               \n");
}

static void gen_if_inet6(struct pout *o)
{
	ps(o, "00000000000000000000000000000001 01 80 10 80       lo\n");
}

static enum pn lookup(const char *path)
{
	const char *p = NULL;
	if (!strncmp(path, "/proc/net/", 10))
		p = path + 10;
	else if (!strncmp(path, "/proc/self/net/", 15))
		p = path + 15;
	else if (!strncmp(path, "/proc/thread-self/net/", 22))
		p = path + 22;
	else if (!strncmp(path, "/proc/", 6)) {
		const char *q = path + 6;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > path + 6 && !strncmp(q, "/net/", 5))
			p = q + 5;
	}
	if (!p)
		return PN_NONE;
	static const struct { const char *name; enum pn kind; } files[] = {
		{ "tcp", PN_TCP }, { "tcp6", PN_TCP6 }, { "udp", PN_UDP }, { "udp6", PN_UDP6 },
		{ "dev", PN_DEV }, { "route", PN_ROUTE }, { "if_inet6", PN_IF_INET6 },
		{ "unix", PN_REFUSED }, { "raw", PN_REFUSED }, { "raw6", PN_REFUSED },
		{ "packet", PN_REFUSED }, { "netlink", PN_REFUSED }, { "icmp", PN_REFUSED },
		{ "icmp6", PN_REFUSED }, { "udplite", PN_REFUSED }, { "udplite6", PN_REFUSED },
		{ "arp", PN_REFUSED },
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		if (!strcmp(p, files[i].name))
			return files[i].kind;
	return PN_NONE;
}

bool shim_procnet_open(long nr, const char *path, int flags, long *fd)
{
	enum pn kind = path ? lookup(path) : PN_NONE;
	if (kind == PN_NONE)
		return false;
	if (kind == PN_REFUSED) {
		char what[160], *p = what;
		p = stpcpy(p, "open of ");
		size_t l = strnlen(path, 64);
		memcpy(p, path, l);
		p += l;
		stpcpy(p, ": the host's sockets and neighbours are not shown (ss and /proc/net/tcp, "
			  "udp list the node's)");
		shim_refuse(nr, what);
		*fd = -EACCES;
		return true;
	}
	if ((flags & O_ACCMODE) != O_RDONLY) {
		*fd = -EACCES;
		return true;
	}
	long m = sys2(SYS_memfd_create, "simsup-procnet", flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
	if (m < 0) {
		*fd = m;
		return true;
	}
	shim_fd_forget((int)m);
	struct pout o = { .fd = (int)m };
	switch (kind) {
	case PN_TCP: gen_socks(&o, SOCK_STREAM, AF_INET); break;
	case PN_TCP6: gen_socks(&o, SOCK_STREAM, AF_INET6); break;
	case PN_UDP: gen_socks(&o, SOCK_DGRAM, AF_INET); break;
	case PN_UDP6: gen_socks(&o, SOCK_DGRAM, AF_INET6); break;
	case PN_DEV: gen_dev(&o); break;
	case PN_ROUTE: gen_route(&o); break;
	case PN_IF_INET6: gen_if_inet6(&o); break;
	default: break;
	}
	pflush(&o);
	sys3(SYS_lseek, m, 0, SEEK_SET);
	*fd = m;
	return true;
}
