/*
 * net.c — the virtual network's control plane: sockets, addresses, ports,
 * listeners, connection set-up, names, and the SIM_NET_* requests.
 *
 * Addresses: server i is 10.0.1.(i+1), workload j is 10.0.0.(j+1), 127.x
 * and 0.0.0.0 are the caller's own node.  Ports are per node and per
 * protocol; ephemeral ports come from a counter per node (32768-60999).
 * Whether a program's socket still exists is asked of the kernel by binding
 * a probe to its abstract name (free name: the socket is gone), so a port
 * is released however the socket ended (close, exit, crash).
 *
 * Never reads the host clock or uses pointer values: every choice comes
 * from the network's own PRNG stream, seeded from the run's seed, so runs
 * without network traffic schedule exactly as before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net.h"
#include "pcap.h"

#define NET_STREAM_SEED 0x6e6574776f726b21ULL /* "network!": the network's PRNG stream */

/* ---- set-up ---- */

static void free_sock(struct sup_sock *s);

struct sup_net *sup_net_get(struct sup_run *R)
{
	/* per supervisor process: names stay unique across runs; from a
	 * random start, since a supervisor in another pid namespace that
	 * shares the network namespace (containers on the host's network)
	 * can have the same pid, and its relay's name was then taken */
	static unsigned runs;
	if (R->net)
		return R->net;
	while (!runs && getrandom(&runs, sizeof runs, 0) < 0 && errno == EINTR)
		;
	struct sup_net *N = calloc(1, sizeof *N);
	if (!N)
		abort();
	N->pid = (int)getpid();
	N->run = ++runs;
	sup_rand_seed(N->rng, R->seed ^ NET_STREAM_SEED);
	N->ep = epoll_create1(EPOLL_CLOEXEC);
	N->relay = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun;
	int len = sup_net_name(N, &sun, 'r', 0);
	if (N->ep < 0 || N->relay < 0 || bind(N->relay, (struct sockaddr *)&sun, (socklen_t)len) < 0 ||
	    listen(N->relay, 4096) < 0) {
		fprintf(stderr, "simsup: cannot set up the virtual network's relay: %s\n", strerror(errno));
		abort();
	}
	N->next_port = calloc((size_t)R->nnodes, sizeof *N->next_port);
	for (int i = 0; i < R->nnodes; i++)
		N->next_port[i] = NET_PORT_LO;
	N->buf = malloc(65536 + 64);
	N->evcap = 256;
	N->evbuf = calloc((size_t)N->evcap, sizeof(struct epoll_event));
	R->net = N;
	sup_on_links_changed = sup_net_links_changed;
	return N;
}

void sup_net_free(struct sup_run *R)
{
	struct sup_net *N = R->net;
	if (!N)
		return;
	for (uint32_t i = 0; i < N->nconns; i++) {
		struct sup_conn *c = N->conns[i];
		if (c->app >= 0)
			close(c->app);
		for (int s = 0; s < 2; s++) {
			if (c->end[s] >= 0)
				close(c->end[s]);
			for (struct relay_chunk *ch = c->dir[s].head, *nx; ch; ch = nx) {
				nx = ch->next;
				free(ch);
			}
		}
		free(c);
	}
	for (uint32_t i = 0; i < N->nsocks; i++)
		free_sock(N->socks[i]);
	relay_free_flight(N);
	close(N->ep);
	close(N->relay);
	free(N->socks);
	free(N->conns);
	free(N->next_port);
	free(N->buf);
	free(N->evbuf);
	free(N->passed);
	free(N);
	R->net = NULL;
	sup_on_links_changed = NULL;
}

int sup_net_name(struct sup_net *N, void *sunv, char kind, uint32_t id)
{
	struct sockaddr_un *sun = sunv;
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	int n;
	if (kind == 'r')
		n = snprintf(sun->sun_path + 1, sizeof sun->sun_path - 1, SIM_NET_RELAY_NAME, N->pid, N->run);
	else
		n = snprintf(sun->sun_path + 1, sizeof sun->sun_path - 1,
			     kind == 'c' ? SIM_NET_CONN_NAME : SIM_NET_NAME, N->pid, N->run, id);
	return (int)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* The network's own random stream. */
uint64_t sup_net_rand(struct sup_net *N)
{
	return sup_rand_next(N->rng);
}

static int64_t uniform(struct sup_net *N, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)(sup_net_rand(N) % (uint64_t)(hi - lo + 1));
}

/* One message's latency.  Same node (loopback): 10-30us.  Otherwise
 * --latency MIN:MAX:TAILPCT:TAILMAX, FoundationDB's shape by default: most
 * deliveries 0.1-0.8 ms, one in a thousand up to 100 ms. */
int64_t sup_net_latency(struct sup_run *R, int from, int to)
{
	struct sup_net *N = sup_net_get(R);
	const struct sup_opts *o = R->o;
	if (from == to)
		return uniform(N, 10000, 30000);
	int64_t extra = sup_fault_extra_latency(R, from, to);
	if (o->lat_tail_ppm > 0 && (int64_t)(sup_net_rand(N) % 1000000) < o->lat_tail_ppm)
		return extra + uniform(N, o->lat_max_ns, o->lat_tail_max_ns);
	return extra + uniform(N, o->lat_min_ns, o->lat_max_ns);
}

bool sup_net_link_down(struct sup_run *R, int from, int to)
{
	if (from == to)
		return false;
	if (sup_node_of(R, to)->down || sup_node_of(R, from)->down)
		return true;
	return R->faults && sup_fault_link_cut(R, from, to);
}

/* ---- addresses ---- */

uint32_t sup_net_node_ip(int node)
{
	return node >= 0 ? sup_server_ip(node) : sup_workload_ip(-1 - node);
}

int sup_net_node_of_ip(struct sup_run *R, uint32_t ip, int from)
{
	uint32_t s0 = sup_server_ip(0), w0 = sup_workload_ip(0);
	if (ip == 0 || (ip >> 24) == 127)
		return from;
	if (ip >= s0 && ip - s0 < (uint32_t)R->o->procs)
		return (int)(ip - s0);
	if (ip >= w0 && ip - w0 < (uint32_t)R->o->nworkloads)
		return -1 - (int)(ip - w0);
	return NET_NODE_NONE;
}

void sup_net_addr_str(uint32_t ip, uint16_t port, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
		 port);
}

/* ---- sockets and ports ---- */

struct sup_sock *sup_net_sock(struct sup_net *N, uint64_t id)
{
	return id >= 1 && id <= N->nsocks ? N->socks[id - 1] : NULL;
}

struct sup_conn *sup_net_conn(struct sup_net *N, uint64_t id)
{
	return id >= 1 && id <= N->nconns ? N->conns[id - 1] : NULL;
}

static unsigned bucket(int node, int type, uint16_t port)
{
	return ((unsigned)node * 31u + (unsigned)type * 7u + port) & 4095u;
}

static void hash_add(struct sup_net *N, struct sup_sock *s)
{
	unsigned b = bucket(s->node, s->type, s->port);
	s->hnext = N->hash[b];
	N->hash[b] = s;
}

static void hash_del(struct sup_net *N, struct sup_sock *s)
{
	if (!s->port)
		return;
	for (struct sup_sock **p = &N->hash[bucket(s->node, s->type, s->port)]; *p; p = &(*p)->hnext)
		if (*p == s) {
			*p = s->hnext;
			return;
		}
}

static void free_sock(struct sup_sock *s)
{
	if (s->end >= 0)
		close(s->end);
	for (struct sup_dgram *d = s->pend, *nx; d; d = nx) {
		nx = d->next;
		free(d);
	}
	free(s);
}

/* Does the program's socket still exist?  Its abstract name is bound
 * exactly as long as it does. */
bool sup_net_alive(struct sup_net *N, struct sup_sock *s)
{
	if (s->state == SS_DEAD)
		return false;
	struct sockaddr_un sun;
	int len = sup_net_name(N, &sun, 's', s->id);
	int p = socket(AF_UNIX, s->type | SOCK_CLOEXEC, 0);
	if (p < 0)
		return true;
	int r = bind(p, (struct sockaddr *)&sun, (socklen_t)len);
	close(p); /* releases the name again */
	return r < 0;
}

void sup_net_sock_dead(struct sup_run *R, struct sup_sock *s)
{
	struct sup_net *N = R->net;
	char a[32], nb[16];
	if (s->state == SS_DEAD)
		return;
	if (s->state == SS_LISTEN) {
		sup_net_addr_str(s->ip, s->port, a, sizeof a);
		sup_trace_ev(R, NULL, 0, "net-unlisten", "ss", "host",
			     sup_node_name(R, s->node, nb, sizeof nb), "addr", a);
	}
	hash_del(N, s);
	s->state = SS_DEAD;
	if (s->end >= 0) {
		epoll_ctl(N->ep, EPOLL_CTL_DEL, s->end, NULL);
		close(s->end);
		s->end = -1;
	}
	for (struct sup_dgram *d = s->pend, *nx; d; d = nx) {
		nx = d->next;
		free(d);
	}
	s->pend = s->pend_tail = NULL;
	s->pend_bytes = 0;
}

static bool overlap(uint32_t a, uint32_t b)
{
	return a == 0 || b == 0 || a == b;
}

static bool shareable(const struct sup_sock *s, const struct sup_sock *o)
{
	int both = s->flags & o->flags;
	if (both & SIM_NBF_REUSEPORT)
		return true;
	if (!(both & SIM_NBF_REUSEADDR))
		return false;
	return s->type == SOCK_DGRAM || (o->state != SS_LISTEN && s->state != SS_LISTEN);
}

/* Is (ip, port) taken on s's node by a live socket s may not share with?
 * Dead sockets found on the way are released. */
static bool port_taken(struct sup_run *R, struct sup_sock *s, uint32_t ip, uint16_t port,
		       bool listening)
{
	struct sup_net *N = R->net;
	struct sup_sock *o = N->hash[bucket(s->node, s->type, port)], *nx;
	for (; o; o = nx) {
		nx = o->hnext;
		if (o == s || o->node != s->node || o->type != s->type || o->port != port ||
		    !overlap(o->ip, ip))
			continue;
		/* an IPV6_V6ONLY socket and an IPv4 one share a port, as on
		 * Linux (redis binds both 0.0.0.0 and :: by default) */
		if ((s->flags ^ o->flags) & SIM_NBF_V6ONLY)
			continue;
		if (listening ? o->state != SS_LISTEN || (s->flags & o->flags & SIM_NBF_REUSEPORT)
			      : shareable(s, o))
			continue;
		if (!sup_net_alive(N, o)) {
			sup_net_sock_dead(R, o);
			continue;
		}
		return true;
	}
	return false;
}

static int node_index(struct sup_run *R, int node)
{
	return node >= 0 ? node : R->o->procs + (-1 - node);
}

uint16_t sup_net_ephemeral(struct sup_run *R, struct sup_sock *s)
{
	int *next = &R->net->next_port[node_index(R, s->node)];
	for (int tries = 0; tries <= NET_PORT_HI - NET_PORT_LO; tries++) {
		uint16_t p = (uint16_t)*next;
		*next = *next >= NET_PORT_HI ? NET_PORT_LO : *next + 1;
		if (!port_taken(R, s, 0, p, false))
			return p;
	}
	return 0;
}

bool sup_net_autobind(struct sup_run *R, struct sup_sock *s)
{
	if (s->port)
		return true;
	if (!(s->port = sup_net_ephemeral(R, s)))
		return false;
	if (s->state == SS_NEW)
		s->state = SS_BOUND;
	hash_add(R->net, s);
	return true;
}

/* Listening sockets for (ip, port) on node, in id order. */
int sup_net_listeners(struct sup_run *R, int node, uint32_t ip, uint16_t port,
		      struct sup_sock **out, int max)
{
	struct sup_net *N = R->net;
	int n = 0;
	for (struct sup_sock *o = N->hash[bucket(node, SOCK_STREAM, port)]; o; o = o->hnext)
		if (o->node == node && o->type == SOCK_STREAM && o->port == port &&
		    o->state == SS_LISTEN && (o->ip == 0 || o->ip == ip) && n < max &&
		    !(o->flags & SIM_NBF_V6ONLY)) /* every simulated host is IPv4 */
			out[n++] = o;
	for (int i = 1; i < n; i++) /* the hash chain's order is creation-reversed: sort by id */
		for (int j = i; j > 0 && out[j - 1]->id > out[j]->id; j--) {
			struct sup_sock *t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* The socket bound to (ip, port) that receives a datagram, or NULL. */
struct sup_sock *sup_net_udp_target(struct sup_run *R, int node, uint32_t ip, uint16_t port)
{
	struct sup_net *N = R->net;
	struct sup_sock *best = NULL;
	/* a socket bound to the address itself before one bound to any (as
	 * Linux scores them: ntpd's per-address sockets beside its wildcard
	 * "listen and drop" one), then the oldest */
	for (struct sup_sock *o = N->hash[bucket(node, SOCK_DGRAM, port)]; o; o = o->hnext)
		if (o->node == node && o->type == SOCK_DGRAM && o->port == port && o->state != SS_DEAD &&
		    (o->ip == 0 || o->ip == ip) && !(o->flags & SIM_NBF_V6ONLY) &&
		    (!best || (o->ip != 0 && best->ip == 0) ||
		     ((o->ip != 0) == (best->ip != 0) && o->id < best->id)))
			best = o;
	return best;
}

/* ---- requests ---- */

static struct sup_sock *caller_sock(struct sup_run *R, struct sup_thread *t, int64_t id)
{
	struct sup_sock *s = sup_net_sock(R->net, (uint64_t)id);
	return s && s->node == t->proc->node ? s : NULL;
}

static int64_t on_socket(struct sup_run *R, struct sup_thread *t, const int64_t *a, int *fd,
			 int64_t *out)
{
	struct sup_net *N = R->net;
	if ((a[0] != AF_INET && a[0] != AF_INET6) || (a[1] != SOCK_STREAM && a[1] != SOCK_DGRAM) ||
	    (a[1] == SOCK_DGRAM) != (*fd >= 0))
		return -EINVAL;
	struct sup_sock *s = calloc(1, sizeof *s);
	if (N->nsocks == N->capsocks) {
		N->capsocks = N->capsocks ? 2 * N->capsocks : 64;
		N->socks = realloc(N->socks, N->capsocks * sizeof *N->socks);
	}
	if (!s || !N->socks)
		abort();
	N->socks[N->nsocks++] = s;
	s->id = N->nsocks;
	s->node = t->proc->node;
	s->family = (int)a[0];
	s->type = (int)a[1];
	s->end = -1;
	if (s->type == SOCK_DGRAM) {
		s->end = *fd;
		*fd = -1;
		fcntl(s->end, F_SETFL, O_NONBLOCK);
		s->events = EPOLLIN;
		relay_watch(N, s->end, KEY(KEY_UDP, s->id), s->events);
	}
	out[0] = N->pid;
	out[1] = N->run;
	return s->id;
}

static int64_t on_bind(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_sock *s = caller_sock(R, t, a[0]);
	uint32_t ip = (uint32_t)a[1];
	uint16_t port = (uint16_t)a[2];
	if (s && (a[3] & SIM_NBF_UPDATE) && s->port) {
		s->flags = (int)(a[3] & ~SIM_NBF_UPDATE);
		return 0;
	}
	if (!s || s->state != SS_NEW || s->port || (a[3] & SIM_NBF_UPDATE))
		return -EINVAL;
	if (ip != 0 && (ip >> 24) != 127 && ip != sup_net_node_ip(s->node))
		return -EADDRNOTAVAIL;
	s->flags = (int)a[3];
	if (port == 0 && !(port = sup_net_ephemeral(R, s)))
		return -EADDRINUSE;
	if (port_taken(R, s, ip, port, false))
		return -EADDRINUSE;
	s->ip = ip;
	s->port = port;
	s->state = SS_BOUND;
	hash_add(R->net, s);
	out[0] = ip;
	return port;
}

static int64_t on_listen(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_sock *s = caller_sock(R, t, a[0]);
	char addr[32];
	if (s && s->type == SOCK_STREAM && s->state == SS_LISTEN) {
		/* listen again, from a process that shares the socket and
		 * saw it bound only (uvicorn's workers each call listen):
		 * the kernel's only change is the backlog */
		s->backlog = (int)a[1];
		out[0] = s->ip;
		out[1] = s->port;
		return 0;
	}
	if (!s || s->type != SOCK_STREAM || (s->state != SS_NEW && s->state != SS_BOUND))
		return -EINVAL;
	if (!s->port) {
		if (!(s->port = sup_net_ephemeral(R, s)))
			return -EADDRINUSE;
		hash_add(R->net, s);
	}
	if (port_taken(R, s, s->ip, s->port, true))
		return -EADDRINUSE;
	s->state = SS_LISTEN;
	s->backlog = (int)a[1];
	sup_net_addr_str(s->ip, s->port, addr, sizeof addr);
	sup_trace_ev(R, t->proc, t->vtid, "net-listen", "s", "addr", addr);
	out[0] = s->ip;
	out[1] = s->port;
	return 0;
}

/* The connection the program's socket id just made to the relay listener.
 * Anything else waiting there (a process that died half-way) is closed. */
static int take_relay_client(struct sup_net *N, uint32_t id)
{
	struct sockaddr_un want, got;
	int wl = sup_net_name(N, &want, 's', id);
	for (;;) {
		socklen_t gl = sizeof got;
		int fd = accept4(N->relay, (struct sockaddr *)&got, &gl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EINTR || errno == ECONNABORTED ? take_relay_client(N, id) : -1;
		if ((int)gl == wl && !memcmp(&got, &want, (size_t)wl))
			return fd;
		close(fd);
	}
}

static int64_t on_connect(struct sup_run *R, struct sup_thread *t, const int64_t *a, int *app,
			  int64_t *out)
{
	struct sup_net *N = R->net;
	struct sup_sock *s = caller_sock(R, t, a[0]);
	uint32_t ip = (uint32_t)a[1];
	if (!s || s->type != SOCK_STREAM || (s->state != SS_NEW && s->state != SS_BOUND))
		return -EINVAL;
	int fd = take_relay_client(N, s->id);
	if (fd < 0)
		return -ECONNREFUSED;
	int to = sup_net_node_of_ip(R, ip, s->node);
	if (to == NET_NODE_NONE && (ip >> 24) != 10) {
		close(fd);
		s->state = SS_CONNECT;
		return -ENETUNREACH;
	}
	if (ip == 0)
		ip = 0x7f000001; /* 0.0.0.0 is this host */
	uint32_t lip = s->ip ? s->ip : (ip >> 24) == 127 ? 0x7f000001 : sup_net_node_ip(s->node);
	if (!s->port) {
		if (!(s->port = sup_net_ephemeral(R, s))) {
			close(fd);
			return -EADDRNOTAVAIL;
		}
		hash_add(N, s);
	}
	s->state = SS_CONNECT;
	struct sup_conn *c = calloc(1, sizeof *c);
	if (N->nconns == N->capconns) {
		N->capconns = N->capconns ? 2 * N->capconns : 64;
		N->conns = realloc(N->conns, N->capconns * sizeof *N->conns);
	}
	if (!c || !N->conns)
		abort();
	N->conns[N->nconns++] = c;
	c->id = N->nconns;
	c->state = C_SYN;
	c->node[0] = s->node;
	c->node[1] = to;
	c->ip[0] = lip;
	c->port[0] = s->port;
	c->ip[1] = ip;
	c->port[1] = (uint16_t)a[2];
	c->end[0] = fd;
	c->end[1] = -1;
	c->sock = s->id;
	c->filler = a[3] < 0 ? 0 : a[3] > 64 ? 64 : (int)a[3];
	c->app = *app;
	c->app_sndbuf = (int)a[4];
	*app = -1;
	c->events[0] = c->events[1] = 0;
	relay_watch(N, fd, KEY(KEY_CONN0, c->id), 0);
	char src[32], dst[32];
	sup_net_addr_str(lip, s->port, src, sizeof src);
	sup_net_addr_str(ip, c->port[1], dst, sizeof dst);
	sup_trace_ev(R, t->proc, t->vtid, "net-connect", "iss", "conn", (int64_t)c->id, "from", src,
		     "to", dst);
	sup_pcap_tcp(R, lip, s->port, ip, c->port[1], NULL, 0, SUP_PCAP_SYN);
	sup_event_at(R, R->now + (to == NET_NODE_NONE ? 3000000000LL : sup_net_latency(R, s->node, to)),
		     relay_syn, (void *)(uintptr_t)c->id);
	out[0] = lip;
	out[1] = s->port;
	return c->id;
}

static int64_t on_status(struct sup_run *R, struct sup_thread *t, const int64_t *a)
{
	struct sup_conn *c = sup_net_conn(R->net, (uint64_t)a[0]);
	int side = a[1] ? 1 : 0;
	if (!c || c->node[side] != t->proc->node)
		return -ENOTCONN;
	if (side == 0 && c->state == C_SYN && !c->err[0])
		return 1;
	return -c->err[side];
}

static int64_t on_accept(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_conn *c = sup_net_conn(R->net, (uint64_t)a[0]);
	if (!c || c->node[1] != t->proc->node)
		return -ENOTCONN;
	out[0] = c->ip[1];
	out[1] = c->port[1];
	out[2] = c->ip[0];
	out[3] = c->port[0];
	sup_trace_ev(R, t->proc, t->vtid, "net-accept", "i", "conn", (int64_t)c->id);
	return 0;
}

static void on_close(struct sup_run *R, struct sup_thread *t, const int64_t *a)
{
	if (a[1]) {
		struct sup_conn *c = sup_net_conn(R->net, (uint64_t)a[2]);
		int side = a[3] ? 1 : 0;
		if (c && c->node[side] == t->proc->node)
			c->abort[side] = true;
	}
	struct sup_sock *s = caller_sock(R, t, a[0]);
	if (s && !sup_net_alive(R->net, s)) {
		/* what it sent before it closed has left (logger sends one
		 * datagram and closes): relayed before its end goes */
		if (s->type == SOCK_DGRAM && s->end >= 0 && s->state != SS_DEAD)
			relay_udp_read(R, s);
		sup_net_sock_dead(R, s);
	}
}

/* One socket of the caller's node per request, for ss (NETLINK_SOCK_DIAG):
 * cursor 1..nsocks walks the sockets (listeners; bound UDP sockets), then
 * nsocks+1.. the two sides of every connection.  A socket whose program is
 * gone is not listed. */
static int64_t on_list(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_net *N = R->net;
	int node = t->proc->node, type = (int)a[1];
	if (a[0] < 0 || (type != SOCK_STREAM && type != SOCK_DGRAM))
		return -EINVAL;
	for (uint64_t k = (uint64_t)a[0]; k < N->nsocks; k++) {
		struct sup_sock *s = N->socks[k];
		if (s->node != node || s->type != type || !s->port || s->state == SS_DEAD ||
		    (type == SOCK_STREAM && s->state != SS_LISTEN))
			continue;
		if (!sup_net_alive(N, s)) {
			sup_net_sock_dead(R, s);
			continue;
		}
		out[0] = (int64_t)s->ip << 16 | s->port;
		out[1] = 0;
		out[2] = type == SOCK_STREAM ? SIM_NL_LISTEN : SIM_NL_CLOSE;
		out[3] = s->family | (int64_t)(s->backlog < 0 ? 0 : s->backlog) << 8;
		return (int64_t)k + 1;
	}
	if (type != SOCK_STREAM)
		return 0;
	uint64_t from = (uint64_t)a[0] > N->nsocks ? (uint64_t)a[0] - N->nsocks : 0;
	for (uint64_t k = from; k < 2 * (uint64_t)N->nconns; k++) {
		struct sup_conn *c = N->conns[k / 2];
		int side = (int)(k % 2);
		if (c->node[side] != node || c->gone[side] || c->end[side] < 0 || c->state == C_DONE ||
		    (side == 1 && c->state != C_ESTAB))
			continue;
		struct sup_sock *s = side == 0 ? sup_net_sock(N, c->sock) : NULL;
		out[0] = (int64_t)c->ip[side] << 16 | c->port[side];
		out[1] = (int64_t)c->ip[1 - side] << 16 | c->port[1 - side];
		out[2] = c->state == C_SYN ? SIM_NL_SYN_SENT : SIM_NL_ESTABLISHED;
		out[3] = s ? s->family : AF_INET;
		return (int64_t)(N->nsocks + k + 1);
	}
	return 0;
}

/* p0, p1, ... are the servers, w0, w1, ... the workloads. */
static int64_t on_resolve(struct sup_run *R, struct sup_thread *t, const int64_t *a,
			  const char *name, int64_t *out)
{
	if (a[0] == 1) {
		int node = sup_net_node_of_ip(R, (uint32_t)a[1], NET_NODE_NONE);
		char buf[32] = "";
		if (node == NET_NODE_NONE) {
			if (((uint32_t)a[1] >> 24) != 127)
				return -ENOENT;
			snprintf(buf, sizeof buf, "localhost");
		} else {
			sup_node_name(R, node, buf, sizeof buf);
		}
		memcpy(out, buf, sizeof buf);
		return 0;
	}
	if ((name[0] != 'p' && name[0] != 'w') || name[1] < '0' || name[1] > '9' ||
	    (name[1] == '0' && name[2]))
		return -ENOENT;
	char *end;
	long i = strtol(name + 1, &end, 10);
	if (*end || i < 0)
		return -ENOENT;
	if (name[0] == 'p')
		return i < R->o->procs ? (int64_t)sup_server_ip((int)i) : -ENOENT;
	return i < R->o->nworkloads ? (int64_t)sup_workload_ip((int)i) : -ENOENT;
}

/* ---- sockets passed between processes (SCM_RIGHTS) ----
 *
 * The sender's shim leaves what its table knows of the socket, keyed by
 * the inode of the AF_UNIX socket under it; the receiver's shim takes it
 * back 32 bytes per request.  The bytes are the shims' business: kept,
 * bounded, never read here.  A node's sockets stay the node's: a receiver
 * on another node finds nothing. */

#define NET_PASSED_MAX 1024

struct sup_passed {
	uint64_t dev, ino;
	int node;
	uint32_t len;
	char data[SIM_NET_PASS_MAX];
};

static int64_t on_pass(struct sup_run *R, struct sup_thread *t, const int64_t *a, const char *payload,
		       uint32_t len)
{
	struct sup_net *N = R->net;
	if (len == 0 || len > SIM_NET_PASS_MAX)
		return -EINVAL;
	struct sup_passed *p = NULL;
	for (uint32_t i = 0; i < N->npassed && !p; i++)
		if (N->passed[i].dev == (uint64_t)a[0] && N->passed[i].ino == (uint64_t)a[1])
			p = &N->passed[i];
	if (!p && N->npassed < NET_PASSED_MAX) {
		struct sup_passed *more = realloc(N->passed, (N->npassed + 1) * sizeof *more);
		if (!more)
			return -ENOMEM;
		N->passed = more;
		p = &N->passed[N->npassed++];
	}
	if (!p) /* full: the oldest slot goes, in turn */
		p = &N->passed[N->passed_next++ % NET_PASSED_MAX];
	p->dev = (uint64_t)a[0];
	p->ino = (uint64_t)a[1];
	p->node = t->proc->node;
	p->len = len;
	memcpy(p->data, payload, len);
	return 0;
}

static int64_t on_adopt(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_net *N = R->net;
	for (uint32_t i = 0; i < N->npassed; i++) {
		struct sup_passed *p = &N->passed[i];
		if (p->dev != (uint64_t)a[0] || p->ino != (uint64_t)a[1] || p->node != t->proc->node)
			continue;
		if (a[2] < 0 || a[2] >= (int64_t)p->len)
			return -EINVAL;
		size_t n = p->len - (size_t)a[2];
		memcpy(out, p->data + a[2], n < 32 ? n : 32);
		return p->len;
	}
	return -ENOENT;
}

bool sup_net_serve(struct sup_run *R, struct sup_thread *t, const struct sim_req *rq,
		   const char *payload, int *fd)
{
	const int64_t *a = rq->a;
	int64_t out[4] = { 0 }, ret = -ENOSYS;
	sup_net_get(R);
	switch (rq->op) {
	case SIM_NET_SOCKET: ret = on_socket(R, t, a, fd, out); break;
	case SIM_NET_BIND: ret = on_bind(R, t, a, out); break;
	case SIM_NET_LISTEN: ret = on_listen(R, t, a, out); break;
	case SIM_NET_CONNECT: ret = on_connect(R, t, a, fd, out); break;
	case SIM_NET_STATUS: ret = on_status(R, t, a); break;
	case SIM_NET_ACCEPT: ret = on_accept(R, t, a, out); break;
	case SIM_NET_CLOSE: on_close(R, t, a); return false; /* no reply */
	case SIM_NET_RESOLVE: ret = on_resolve(R, t, a, payload, out); break;
	case SIM_NET_FLUSH: sup_net_pump(R); ret = 0; break;
	case SIM_NET_LIST: ret = on_list(R, t, a, out); break;
	case SIM_NET_PASS: ret = on_pass(R, t, a, payload, rq->len); break;
	case SIM_NET_ADOPT: ret = on_adopt(R, t, a, out); break;
	}
	sup_reply(R, t, ret, out);
	return false;
}

/* A crash (faults.c): the node's programs died without closing anything, so
 * its peers see their connections reset, as after a host crash, not closed
 * in order.  Their ends read EOF now; marking the sides aborted makes the
 * relay answer that EOF with a reset.  Every socket of the node is gone at
 * once, listeners and UDP included: a restarted program binding the same
 * port (SO_REUSEADDR, SO_REUSEPORT) shares it with nothing of the old boot. */
void sup_net_node_crashed(struct sup_run *R, int node)
{
	struct sup_net *N = R->net;
	if (!N)
		return;
	for (uint32_t i = 0; i < N->nconns; i++) {
		struct sup_conn *c = N->conns[i];
		for (int side = 0; c && side < 2; side++)
			if (c->node[side] == node)
				c->abort[side] = true;
	}
	for (uint32_t i = 0; i < N->nsocks; i++)
		if (N->socks[i]->node == node)
			sup_net_sock_dead(R, N->socks[i]);
	sup_net_pump(R);
}

/* Chaos: one established connection, chosen by pick among them in id
 * order, is reset in both directions, as a middlebox or a peer's crash
 * would. */
bool sup_net_reset_random(struct sup_run *R, uint64_t pick, char *what, size_t n)
{
	struct sup_net *N = R->net;
	uint32_t live = 0;
	for (uint32_t i = 0; N && i < N->nconns; i++)
		live += N->conns[i] && N->conns[i]->state == C_ESTAB && !N->conns[i]->rst[0] &&
			!N->conns[i]->rst[1];
	if (!live)
		return false;
	uint32_t k = (uint32_t)(pick % live);
	for (uint32_t i = 0; i < N->nconns; i++) {
		struct sup_conn *c = N->conns[i];
		if (!c || c->state != C_ESTAB || c->rst[0] || c->rst[1] || k-- != 0)
			continue;
		char a[32], b[32];
		sup_net_addr_str(c->ip[0], c->port[0], a, sizeof a);
		sup_net_addr_str(c->ip[1], c->port[1], b, sizeof b);
		snprintf(what, n, "conn %u %s-%s", c->id, a, b);
		relay_push(R, c, 0, CH_RST, NULL, ECONNRESET);
		relay_push(R, c, 1, CH_RST, NULL, ECONNRESET);
		return true;
	}
	return false;
}
