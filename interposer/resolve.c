/*
 * resolve.c — host names of the simulation, as libc functions libsimsup.so
 * exports: getaddrinfo, freeaddrinfo, getnameinfo, gethostbyname{,2}{,_r},
 * gethostbyaddr{,_r}.
 *
 * Names never reach the host's resolver (/etc/hosts, /etc/resolv.conf,
 * nsswitch): a run must not depend on the machine it runs on.  Known:
 * numeric IPv4 and IPv6 addresses, "localhost" (127.0.0.1, ::1 for
 * AF_INET6), and the simulation's hosts p0, p1, ... (servers, 10.0.1.x)
 * and w0, w1, ... (workloads, 10.0.0.x), answered by the supervisor.  Every
 * other name is unknown (EAI_NONAME / HOST_NOT_FOUND).  Services are port
 * numbers or a few well-known names (http, https, ...).
 *
 * Called by the program like any libc function, never from the SIGSYS
 * handler, so it may allocate (freeaddrinfo frees what glibc's would:
 * each entry one block with its address, ai_canonname separate).  Outside
 * simsup the real libc functions answer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "shim.h"

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static const struct {
	const char *name;
	int port;
} services[] = {
	{ "echo", 7 }, { "ftp", 21 }, { "ssh", 22 }, { "telnet", 23 }, { "smtp", 25 },
	{ "domain", 53 }, { "http", 80 }, { "pop3", 110 }, { "ntp", 123 }, { "imap", 143 },
	{ "https", 443 }, { "mysql", 3306 }, { "postgresql", 5432 }, { "redis", 6379 },
	{ "http-alt", 8080 }, { "memcache", 11211 },
};

static bool simulated(void)
{
	shim_ready();
	return shim_proc.active && shim_self.sock >= 0;
}

/* One request to the supervisor with the program's signals held, since
 * this runs outside the trap handler. */
static long ask(long a0, long a1, const char *name, int64_t *out)
{
	uint64_t all = ~0ULL, old;
	struct sim_req rq = { .op = SIM_NET_RESOLVE, .a = { a0, a1 } };
	struct sim_rep rep;
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
	rq.len = name ? (uint32_t)strnlen(name, 255) : 0;
	long r = shim_request(&rq, name, -1, &rep);
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	if (out)
		memcpy(out, rep.a, sizeof rep.a);
	return r;
}

/* A host name to an IPv4 address (host order).  0 | -1 unknown. */
static int name_to_ip(const char *name, uint32_t *ip)
{
	char buf[256];
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, name, n + 1);
	if (buf[n - 1] == '.') /* "p0." is fully qualified "p0" */
		buf[n - 1] = 0;
	if (!strcasecmp(buf, "localhost") || !strcasecmp(buf, "localhost.localdomain")) {
		*ip = 0x7f000001;
		return 0;
	}
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	long r = ask(0, 0, buf, NULL);
	if (r < 0)
		return -1;
	*ip = (uint32_t)r;
	return 0;
}

/* The name of an IPv4 address, or -1. */
static int ip_to_name(uint32_t ip, char *out, size_t n)
{
	int64_t a[4];
	if (ask(1, ip, NULL, a) < 0)
		return -1;
	char name[33];
	memcpy(name, a, 32);
	name[32] = 0;
	if (strlen(name) + 1 > n)
		return -2;
	strcpy(out, name);
	return 0;
}

static int service_port(const char *serv, int flags, int *port)
{
	char *end;
	if (!serv) {
		*port = 0;
		return 0;
	}
	long v = strtol(serv, &end, 10);
	if (*serv && !*end) {
		if (v < 0 || v > 65535)
			return EAI_SERVICE;
		*port = (int)v;
		return 0;
	}
	if (flags & AI_NUMERICSERV)
		return EAI_NONAME;
	for (size_t i = 0; i < sizeof services / sizeof *services; i++)
		if (!strcmp(serv, services[i].name)) {
			*port = services[i].port;
			return 0;
		}
	return EAI_SERVICE;
}

/* ---- getaddrinfo ---- */

struct ai_block {
	struct addrinfo ai;
	struct sockaddr_in6 sa; /* big enough for either family */
};

static struct addrinfo *new_ai(int family, const void *addr, int port, int socktype, int proto)
{
	struct ai_block *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->ai.ai_family = family;
	b->ai.ai_socktype = socktype;
	b->ai.ai_protocol = proto;
	b->ai.ai_addr = (struct sockaddr *)&b->sa;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&b->sa;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, addr, 4);
		b->ai.ai_addrlen = sizeof *in;
	} else {
		b->sa.sin6_family = AF_INET6;
		b->sa.sin6_port = htons((uint16_t)port);
		memcpy(&b->sa.sin6_addr, addr, 16);
		b->ai.ai_addrlen = sizeof b->sa;
	}
	return &b->ai;
}

SHIM_EXPORT void freeaddrinfo(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;
		free(ai->ai_canonname);
		free(ai);
		ai = next;
	}
}

/* The addresses node stands for, as (family, 16 address bytes) pairs. */
static int resolve_node(const char *node, int family, int flags, int *fam, uint8_t (*addr)[16],
			int *n)
{
	struct in_addr v4;
	struct in6_addr v6;
	uint32_t ip;
	bool have4 = false;
	*n = 0;
	if (!node) {
		ip = flags & AI_PASSIVE ? 0 : 0x7f000001;
		if (family == AF_INET6) {
			memset(addr[0], 0, 16);
			if (!(flags & AI_PASSIVE))
				addr[0][15] = 1;
			fam[(*n)++] = AF_INET6;
			return 0;
		}
		have4 = true;
	} else if (inet_aton(node, &v4)) {
		ip = ntohl(v4.s_addr);
		have4 = true;
	} else if (inet_pton(AF_INET6, node, &v6) == 1) {
		if (family == AF_INET)
			return EAI_ADDRFAMILY;
		memcpy(addr[0], &v6, 16);
		fam[(*n)++] = AF_INET6;
		return 0;
	} else if (flags & AI_NUMERICHOST) {
		return EAI_NONAME;
	} else if (name_to_ip(node, &ip) < 0) {
		return EAI_NONAME;
	} else {
		have4 = true;
		if (family == AF_INET6 && ip == 0x7f000001) { /* localhost: ::1 */
			memset(addr[0], 0, 16);
			addr[0][15] = 1;
			fam[(*n)++] = AF_INET6;
			return 0;
		}
	}
	if (!have4)
		return EAI_NONAME;
	uint32_t be = htonl(ip);
	if (family == AF_INET6) {
		if (!(flags & AI_V4MAPPED))
			return node && inet_aton(node, &v4) ? EAI_ADDRFAMILY : EAI_NONAME;
		memset(addr[0], 0, 16);
		if (ip) {
			addr[0][10] = addr[0][11] = 0xff;
			memcpy(addr[0] + 12, &be, 4);
		}
		fam[(*n)++] = AF_INET6;
		return 0;
	}
	memcpy(addr[0], &be, 4);
	fam[(*n)++] = AF_INET;
	return 0;
}

SHIM_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			    struct addrinfo **res)
{
	if (!simulated())
		return REAL(getaddrinfo)(node, service, hints, res);
	int flags = hints ? hints->ai_flags : AI_V4MAPPED | AI_ADDRCONFIG;
	int family = hints ? hints->ai_family : AF_UNSPEC;
	int socktype = hints ? hints->ai_socktype : 0, proto = hints ? hints->ai_protocol : 0;
	int known = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL |
		    AI_ADDRCONFIG | AI_NUMERICSERV | AI_IDN | AI_CANONIDN;
	if (!node && !service)
		return EAI_NONAME;
	if (flags & ~known)
		return EAI_BADFLAGS;
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return EAI_FAMILY;
	if (socktype != 0 && socktype != SOCK_STREAM && socktype != SOCK_DGRAM && socktype != SOCK_RAW)
		return EAI_SOCKTYPE;
	int port, r = service_port(service, flags, &port);
	if (r)
		return r;
	int fam[2], n;
	uint8_t addr[2][16];
	if ((r = resolve_node(node, family, flags, fam, addr, &n)))
		return r;
	int types[2][2] = { { SOCK_STREAM, IPPROTO_TCP }, { SOCK_DGRAM, IPPROTO_UDP } };
	struct addrinfo *head = NULL, **tail = &head;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			if (socktype && socktype != types[k][0] && socktype != SOCK_RAW)
				continue;
			int st = socktype ? socktype : types[k][0];
			struct addrinfo *ai = new_ai(fam[i], addr[i], port, st,
						     proto ? proto : socktype == SOCK_RAW ? 0 : types[k][1]);
			if (!ai) {
				freeaddrinfo(head);
				return EAI_MEMORY;
			}
			*tail = ai;
			tail = &ai->ai_next;
			if (socktype)
				break;
		}
	if ((flags & AI_CANONNAME) && head) {
		head->ai_canonname = strdup(node ? node : "localhost");
		if (!head->ai_canonname) {
			freeaddrinfo(head);
			return EAI_MEMORY;
		}
	}
	*res = head;
	return 0;
}

/* ---- getnameinfo ---- */

SHIM_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
			    char *serv, socklen_t servlen, int flags)
{
	if (!simulated())
		return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
	if (!sa || salen < sizeof(sa_family_t))
		return EAI_FAMILY;
	uint16_t port;
	uint32_t ip = 0;
	bool v4 = false;
	const void *raw;
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;
		port = ntohs(in->sin_port);
		ip = ntohl(in->sin_addr.s_addr);
		raw = &in->sin_addr;
		v4 = true;
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		port = ntohs(in6->sin6_port);
		raw = &in6->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(&ip, in6->sin6_addr.s6_addr + 12, 4);
			ip = ntohl(ip);
			v4 = true;
		} else if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
			ip = 0x7f000001;
			v4 = true;
		}
	} else {
		return EAI_FAMILY;
	}
	if (host && hostlen) {
		int r = -1;
		if (!(flags & NI_NUMERICHOST) && v4)
			r = ip_to_name(ip, host, hostlen);
		if (r == -2)
			return EAI_OVERFLOW;
		if (r < 0) {
			if (flags & NI_NAMEREQD)
				return EAI_NONAME;
			if (!inet_ntop(sa->sa_family, raw, host, hostlen))
				return EAI_OVERFLOW;
		}
	}
	if (serv && servlen) {
		const char *name = NULL;
		for (size_t i = 0; !(flags & NI_NUMERICSERV) && i < sizeof services / sizeof *services; i++)
			if (services[i].port == port)
				name = services[i].name;
		int k = name ? snprintf(serv, servlen, "%s", name) : snprintf(serv, servlen, "%u", port);
		if (k < 0 || (socklen_t)k >= servlen)
			return EAI_OVERFLOW;
	}
	return 0;
}

/* ---- gethostbyname and gethostbyaddr ---- */

/* Fills a hostent with one address in buf.  0 | ERANGE. */
static int fill_hostent(struct hostent *h, char *buf, size_t len, const char *name, int af,
			const void *addr)
{
	size_t alen = af == AF_INET ? 4 : 16, nlen = strlen(name) + 1;
	size_t need = 4 * sizeof(char *) + alen + nlen + 16;
	if (len < need)
		return ERANGE;
	char **ptrs = (char **)(((uintptr_t)buf + 7) & ~(uintptr_t)7);
	char *a = (char *)(ptrs + 4), *nm = a + alen;
	memcpy(a, addr, alen);
	memcpy(nm, name, nlen);
	ptrs[0] = a;
	ptrs[1] = NULL; /* h_addr_list end */
	ptrs[2] = NULL; /* h_aliases: none */
	h->h_name = nm;
	h->h_aliases = &ptrs[2];
	h->h_addrtype = af;
	h->h_length = (int)alen;
	h->h_addr_list = ptrs;
	return 0;
}

static int byname(const char *name, int af, struct hostent *h, char *buf, size_t len, int *herr)
{
	struct addrinfo hints = { .ai_family = af, .ai_socktype = SOCK_STREAM,
				  .ai_flags = af == AF_INET6 ? AI_V4MAPPED : 0 }, *ai;
	if (af != AF_INET && af != AF_INET6) {
		*herr = NO_RECOVERY;
		return EAFNOSUPPORT;
	}
	if (!name || getaddrinfo(name, NULL, &hints, &ai)) {
		*herr = HOST_NOT_FOUND;
		return ENOENT;
	}
	const void *addr = af == AF_INET ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
					 : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	int r = fill_hostent(h, buf, len, name, af, addr);
	freeaddrinfo(ai);
	*herr = r ? NETDB_INTERNAL : 0;
	return r;
}

static int byaddr(const void *addr, socklen_t alen, int af, struct hostent *h, char *buf,
		  size_t len, int *herr)
{
	uint32_t ip;
	char name[64];
	if (!addr || (af == AF_INET && alen < 4) || (af == AF_INET6 && alen < 16) ||
	    (af != AF_INET && af != AF_INET6)) {
		*herr = NO_RECOVERY;
		return EINVAL;
	}
	const uint8_t *b = addr;
	if (af == AF_INET6 && !IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr)) {
		*herr = HOST_NOT_FOUND;
		return ENOENT;
	}
	memcpy(&ip, af == AF_INET ? b : b + 12, 4);
	if (ip_to_name(ntohl(ip), name, sizeof name) < 0) {
		*herr = HOST_NOT_FOUND;
		return ENOENT;
	}
	int r = fill_hostent(h, buf, len, name, af, addr);
	*herr = r ? NETDB_INTERNAL : 0;
	return r;
}

static struct hostent static_host; /* the non-reentrant calls' result, as glibc's */
static char static_buf[512];

SHIM_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
				 size_t buflen, struct hostent **result, int *h_errnop)
{
	if (!simulated())
		return REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
	int r = byname(name, af, ret, buf, buflen, h_errnop);
	*result = r ? NULL : ret;
	return r == ENOENT ? 0 : r;
}

SHIM_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
				struct hostent **result, int *h_errnop)
{
	if (!simulated())
		return REAL(gethostbyname_r)(name, ret, buf, buflen, result, h_errnop);
	return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

SHIM_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	if (!simulated())
		return REAL(gethostbyname2)(name, af);
	int herr;
	if (byname(name, af, &static_host, static_buf, sizeof static_buf, &herr)) {
		h_errno = herr;
		return NULL;
	}
	return &static_host;
}

SHIM_EXPORT struct hostent *gethostbyname(const char *name)
{
	if (!simulated())
		return REAL(gethostbyname)(name);
	return gethostbyname2(name, AF_INET);
}

SHIM_EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
				char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
	if (!simulated())
		return REAL(gethostbyaddr_r)(addr, len, type, ret, buf, buflen, result, h_errnop);
	int r = byaddr(addr, len, type, ret, buf, buflen, h_errnop);
	*result = r ? NULL : ret;
	return r == ENOENT ? 0 : r;
}

SHIM_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	if (!simulated())
		return REAL(gethostbyaddr)(addr, len, type);
	int herr;
	if (byaddr(addr, len, type, &static_host, static_buf, sizeof static_buf, &herr)) {
		h_errno = herr;
		return NULL;
	}
	return &static_host;
}
