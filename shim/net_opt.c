/*
 * net_opt.c — getsockopt/setsockopt on virtual sockets, answered as TCP and
 * UDP would.
 *
 * Options that change behaviour the simulation models are kept in the fd's
 * entry (reuse flags for bind, SO_LINGER for resets, SO_RCVTIMEO and
 * SO_SNDTIMEO in virtual time, SO_SNDBUF, which also sizes the kernel
 * buffer and so the backpressure); the rest are remembered and read back,
 * so a program sees its own settings.  The kernel's AF_UNIX socket is never
 * asked what TCP would say.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only, no stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "net.h"

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif

#define TCP_DEFAULT_SNDBUF 16384  /* net.ipv4.tcp_wmem[1] */
#define TCP_DEFAULT_RCVBUF 131072 /* net.ipv4.tcp_rmem[1] */
#define UDP_DEFAULT_BUF 212992    /* net.core.{w,r}mem_default */

static int key(int level, int name)
{
	return (level << 16) | (name & 0xffff) | (1 << 30);
}

static void remember(struct shim_vsock *v, int level, int name, int val)
{
	int k = key(level, name), slot = -1;
	for (int i = 0; i < VS_NOPTS; i++) {
		if (v->optkey[i] == k || (slot < 0 && v->optkey[i] == 0))
			slot = i;
		if (v->optkey[i] == k)
			break;
	}
	if (slot < 0)
		slot = VS_NOPTS - 1; /* full: the oldest settings stay */
	v->optkey[slot] = k;
	v->optval[slot] = val;
}

static int recall(const struct shim_vsock *v, int level, int name, int dflt)
{
	for (int i = 0; i < VS_NOPTS; i++)
		if (v->optkey[i] == key(level, name))
			return v->optval[i];
	return dflt;
}

static int flag_of(int level, int name)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: return VO_REUSEADDR;
		case SO_REUSEPORT: return VO_REUSEPORT;
		case SO_KEEPALIVE: return VO_KEEPALIVE;
		case SO_BROADCAST: return VO_BROADCAST;
		case SO_OOBINLINE: return VO_OOBINLINE;
		}
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY: return VO_NODELAY;
		case TCP_CORK: return VO_CORK;
		}
	} else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
		return VO_V6ONLY;
	}
	return 0;
}

static int64_t tv_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000000LL + (int64_t)tv->tv_usec * 1000;
}

static long set_sol_socket(struct shim_vsock *v, int fd, int name, const void *val, unsigned len,
			   int iv)
{
	switch (name) {
	case SO_SNDBUF: case SO_SNDBUFFORCE:
		v->sndbuf = iv < 0 ? 0 : iv;
		if (v->type == SOCK_STREAM && v->state != VS_CONNECTING)
			sys5(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDBUF, &iv, sizeof iv);
		return 0;
	case SO_RCVBUF: case SO_RCVBUFFORCE:
		v->rcvbuf = iv < 0 ? 0 : iv;
		return 0;
	case SO_LINGER: {
		if (len < sizeof(struct linger))
			return -EINVAL;
		const struct linger *l = val;
		v->opts = (uint16_t)(l->l_onoff ? v->opts | VO_LINGER : v->opts & ~VO_LINGER);
		v->linger_s = l->l_linger;
		return 0;
	}
	case SO_RCVTIMEO: case SO_SNDTIMEO: case SO_RCVTIMEO_NEW: case SO_SNDTIMEO_NEW: {
		if (len < sizeof(struct timeval))
			return -EINVAL;
		const struct timeval *tv = val;
		if (tv->tv_usec < 0 || tv->tv_usec >= 1000000)
			return -EDOM;
		int64_t ns = tv->tv_sec < 0 ? 0 : tv_ns(tv);
		if (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW)
			v->rcvtimeo = ns;
		else
			v->sndtimeo = ns;
		return 0;
	}
	case SO_ERROR: case SO_TYPE: case SO_DOMAIN: case SO_PROTOCOL: case SO_ACCEPTCONN:
	case SO_PEERCRED:
		return -ENOPROTOOPT;
	case SO_TIMESTAMPING_OLD: case SO_TIMESTAMPING_NEW:
		if (iv == 0)
			break;
		shim_refuse(SYS_setsockopt, "SO_TIMESTAMPING: kernel and hardware timestamps are not "
					    "simulated (SO_TIMESTAMP and SO_TIMESTAMPNS are, on UDP)");
		return -EINVAL;
	case SO_TIMESTAMP_OLD: case SO_TIMESTAMPNS_OLD: case SO_TIMESTAMP_NEW: case SO_TIMESTAMPNS_NEW:
		if (v->type != SOCK_DGRAM && iv) {
			shim_refuse(SYS_setsockopt, "SO_TIMESTAMP on a TCP socket: receive timestamps "
						    "are simulated on UDP only");
			return -EINVAL;
		}
		break;
	}
	remember(v, SOL_SOCKET, name, iv);
	return 0;
}

int shim_net_opt(const struct shim_vsock *v, int level, int name, int dflt)
{
	return recall(v, level, name, dflt);
}

long shim_net_setsockopt(struct shim_vsock *v, int fd, int level, int name, const void *val,
			 unsigned len)
{
	int iv = 0;
	if (!val && len)
		return -EFAULT;
	if (val && len >= sizeof(int))
		memcpy(&iv, val, sizeof iv);
	else if (val && len >= 1)
		iv = *(const unsigned char *)val;
	if ((level == IPPROTO_TCP && v->type != SOCK_STREAM) ||
	    (level == IPPROTO_UDP && v->type != SOCK_DGRAM) ||
	    (level == IPPROTO_IPV6 && v->family != AF_INET6))
		return -ENOPROTOOPT;
	if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_UDP &&
	    level != IPPROTO_IP && level != IPPROTO_IPV6)
		return -ENOPROTOOPT;
	int f = flag_of(level, name);
	if (f) {
		if (f == VO_V6ONLY && v->lport)
			return -EINVAL;
		int was = v->opts;
		v->opts = (uint16_t)(iv ? v->opts | f : v->opts & ~f);
		/* a bound socket's sharing is decided at each later bind by
		 * its flags as they are then (ntpd sets SO_REUSEADDR on its
		 * bound wildcard socket before it binds each address) */
		if ((f == VO_REUSEADDR || f == VO_REUSEPORT) && v->lport && v->opts != was)
			shim_call(SIM_NET_BIND, v->id, 0, 0, SIM_NBF_UPDATE | shim_net_bind_flags(v));
		return 0;
	}
	if (level == SOL_SOCKET)
		return set_sol_socket(v, fd, name, val, len, iv);
	if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_KEEPIDLE: case TCP_KEEPINTVL:
			if (iv < 1 || iv > 32767)
				return -EINVAL;
			break;
		case TCP_KEEPCNT:
			if (iv < 1 || iv > 127)
				return -EINVAL;
			break;
		case TCP_CONGESTION: case TCP_ULP:
			return name == TCP_ULP ? -ENOENT : 0; /* no kTLS; any congestion control */
		}
	}
	if (level == IPPROTO_IP && (name == IP_ADD_MEMBERSHIP || name == IP_DROP_MEMBERSHIP ||
				    name == IP_ADD_SOURCE_MEMBERSHIP || name == MCAST_JOIN_GROUP)) {
		shim_refuse(SYS_setsockopt, "multicast is not simulated");
		return -ENODEV;
	}
	remember(v, level, name, iv);
	return 0;
}

/* ---- getsockopt ---- */

static long put_int(void *val, unsigned *len, int iv)
{
	if (!len || !val)
		return -EFAULT;
	unsigned n = *len < sizeof iv ? *len : sizeof iv;
	memcpy(val, &iv, n);
	*len = n;
	return 0;
}

static long put_mem(void *val, unsigned *len, const void *src, unsigned size)
{
	if (!len || !val)
		return -EFAULT;
	unsigned n = *len < size ? *len : size;
	memcpy(val, src, n);
	*len = n;
	return 0;
}

static int pending_error(struct shim_vsock *v, int fd)
{
	if (v->type == SOCK_STREAM)
		shim_tcp_update(v, fd);
	int e = v->err, k = 0;
	unsigned kl = sizeof k;
	v->err = 0;
	sys5(SYS_getsockopt, fd, SOL_SOCKET, SO_ERROR, &k, &kl); /* the kernel's copy, cleared too */
	return e;
}

static int tcp_state(const struct shim_vsock *v)
{
	switch (v->state) {
	case VS_LISTEN: return 10;     /* TCP_LISTEN */
	case VS_CONNECTING: return 2;  /* TCP_SYN_SENT */
	case VS_CONNECTED: return 1;   /* TCP_ESTABLISHED */
	default: return 7;             /* TCP_CLOSE */
	}
}

static long get_sol_socket(struct shim_vsock *v, int fd, int name, void *val, unsigned *len)
{
	bool tcp = v->type == SOCK_STREAM;
	switch (name) {
	case SO_ERROR: return put_int(val, len, pending_error(v, fd));
	case SO_TYPE: return put_int(val, len, v->type);
	case SO_DOMAIN: return put_int(val, len, v->family);
	case SO_PROTOCOL: return put_int(val, len, tcp ? IPPROTO_TCP : IPPROTO_UDP);
	case SO_ACCEPTCONN: return put_int(val, len, v->state == VS_LISTEN);
	case SO_SNDBUF:
		return put_int(val, len, v->sndbuf ? (v->sndbuf * 2 > 4608 ? v->sndbuf * 2 : 4608)
					   : tcp ? TCP_DEFAULT_SNDBUF : UDP_DEFAULT_BUF);
	case SO_RCVBUF:
		return put_int(val, len, v->rcvbuf ? (v->rcvbuf * 2 > 2304 ? v->rcvbuf * 2 : 2304)
					   : tcp ? TCP_DEFAULT_RCVBUF : UDP_DEFAULT_BUF);
	case SO_LINGER: {
		struct linger l = { .l_onoff = !!(v->opts & VO_LINGER), .l_linger = v->linger_s };
		return put_mem(val, len, &l, sizeof l);
	}
	case SO_RCVTIMEO: case SO_SNDTIMEO: case SO_RCVTIMEO_NEW: case SO_SNDTIMEO_NEW: {
		int64_t ns = name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW ? v->rcvtimeo : v->sndtimeo;
		struct timeval tv = { .tv_sec = ns / 1000000000LL, .tv_usec = (ns % 1000000000LL) / 1000 };
		return put_mem(val, len, &tv, sizeof tv);
	}
	case SO_PEERCRED: {
		struct { int pid, uid, gid; } cred = { 0, 65534, 65534 }; /* no credentials over IP */
		return put_mem(val, len, &cred, sizeof cred);
	}
	case SO_COOKIE: {
		uint64_t c = ((uint64_t)v->id << 32) | v->conn;
		return put_mem(val, len, &c, sizeof c);
	}
	}
	int f = flag_of(SOL_SOCKET, name);
	if (f)
		return put_int(val, len, !!(v->opts & f));
	return put_int(val, len, recall(v, SOL_SOCKET, name, 0));
}

static long get_tcp(struct shim_vsock *v, int name, void *val, unsigned *len)
{
	switch (name) {
	case TCP_MAXSEG: return put_int(val, len, v->state == VS_CONNECTED ? 1448 : 536);
	case TCP_KEEPIDLE: return put_int(val, len, recall(v, IPPROTO_TCP, name, 7200));
	case TCP_KEEPINTVL: return put_int(val, len, recall(v, IPPROTO_TCP, name, 75));
	case TCP_KEEPCNT: return put_int(val, len, recall(v, IPPROTO_TCP, name, 9));
	case TCP_SYNCNT: return put_int(val, len, recall(v, IPPROTO_TCP, name, 6));
	case TCP_CONGESTION: return put_mem(val, len, "cubic\0\0\0\0\0\0\0\0\0\0", 16);
	case TCP_INFO: {
		struct tcp_info ti;
		memset(&ti, 0, sizeof ti);
		ti.tcpi_state = (uint8_t)tcp_state(v);
		ti.tcpi_snd_mss = ti.tcpi_rcv_mss = 1448;
		ti.tcpi_pmtu = 1500;
		ti.tcpi_snd_cwnd = 10;
		ti.tcpi_rtt = 1000;
		ti.tcpi_rttvar = 500;
		return put_mem(val, len, &ti, sizeof ti);
	}
	}
	int f = flag_of(IPPROTO_TCP, name);
	if (f)
		return put_int(val, len, !!(v->opts & f));
	return put_int(val, len, recall(v, IPPROTO_TCP, name, 0));
}

long shim_net_getsockopt(struct shim_vsock *v, int fd, int level, int name, void *val,
			 unsigned *len)
{
	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	switch (level) {
	case SOL_SOCKET:
		return get_sol_socket(v, fd, name, val, len);
	case IPPROTO_TCP:
		if (v->type != SOCK_STREAM)
			return -ENOPROTOOPT;
		return get_tcp(v, name, val, len);
	case IPPROTO_UDP:
		if (v->type != SOCK_DGRAM)
			return -ENOPROTOOPT;
		return put_int(val, len, recall(v, level, name, 0));
	case IPPROTO_IP:
		if (name == IP_TTL)
			return put_int(val, len, recall(v, level, name, 64));
		if (name == IP_MTU)
			return v->state == VS_CONNECTED ? put_int(val, len, 1500) : -ENOTCONN;
		if (name == IP_OPTIONS) { /* none: the simulated network sets no IP options */
			if (!len)
				return -EFAULT;
			*len = 0;
			return 0;
		}
		return put_int(val, len, recall(v, level, name, 0));
	case IPPROTO_IPV6:
		if (v->family != AF_INET6)
			return -ENOPROTOOPT;
		if (name == IPV6_V6ONLY)
			return put_int(val, len, !!(v->opts & VO_V6ONLY));
		return put_int(val, len, recall(v, level, name, 0));
	}
	return -ENOPROTOOPT;
}
