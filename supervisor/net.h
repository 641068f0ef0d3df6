/*
 * net.h — the supervisor's virtual network, shared by net.c (sockets,
 * ports, listeners, the SIM_NET_* requests) and relay.c (the bytes: reading
 * each connection's ends, latency, delivery, close and reset).
 *
 * Every virtual socket of a program is a real AF_UNIX socket bound to an
 * abstract name built from its id; every TCP connection has two ends here,
 * one connected to each program's socket.  State changes happen only in the
 * supervisor's one thread, at deterministic points: while serving the turn
 * holder's requests, in timed events, and in sup_net_pump() after a turn.
 */
#ifndef SUP_NET_H
#define SUP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sup.h"

#define NET_NODE_NONE (-1000000)  /* an address no node has */
#define NET_PORT_LO 32768         /* ephemeral ports, as Linux's default range */
#define NET_PORT_HI 60999
#define NET_INFLIGHT_MAX (256 * 1024) /* bytes one direction may hold in the relay */
#define NET_DGRAM_QUEUE_MAX (256 * 1024)

enum sup_sock_state { SS_NEW, SS_BOUND, SS_LISTEN, SS_CONNECT, SS_DEAD };

struct sup_dgram {
	struct sup_dgram *next, *prev; /* in flight: N->flight; waiting: the socket's queue */
	uint32_t src_ip, dst_ip;
	uint16_t sport, dport;
	int from, to;             /* nodes */
	uint32_t src_sock;        /* the sender's socket (id) */
	uint32_t len;
	char data[];
};

struct sup_sock {
	uint32_t id;
	int node;
	int type;                 /* SOCK_STREAM or SOCK_DGRAM */
	int family;
	enum sup_sock_state state;
	uint32_t ip;              /* bound address, 0: any */
	uint16_t port;            /* 0: not bound */
	int flags;                /* SIM_NBF_* */
	int backlog;
	struct sup_sock *hnext;   /* chain of the port hash */
	/* UDP */
	int end;                  /* our end of the datagram pair, -1 */
	struct sup_dgram *pend, *pend_tail; /* waiting for room in the program's socket */
	size_t pend_bytes;
	uint32_t events;          /* epoll mask of end */
	int64_t last_due;         /* datagrams leave one socket in order */
};

enum chunk_kind { CH_DATA, CH_FIN, CH_RST, CH_SYNACK };

struct relay_chunk {
	struct relay_chunk *next;
	int64_t sent, due;
	uint32_t len, off;
	enum chunk_kind kind;
	char data[];
};

/* One direction of a connection: from side i's program to side 1-i's. */
struct relay_dir {
	struct relay_chunk *head, *tail;
	int64_t last_due;         /* FIFO: nothing is due before an earlier chunk */
	size_t inflight;          /* data bytes read and not yet delivered */
	bool eof;                 /* the source's last byte (FIN or RST) is queued */
	bool paused;              /* not reading the source: NET_INFLIGHT_MAX reached */
	bool blocked;             /* the destination's socket is full */
};

enum conn_state { C_SYN, C_ESTAB, C_DONE };

struct sup_conn {
	uint32_t id;
	enum conn_state state;
	int node[2];              /* [0] the connecting side, [1] the accepting side */
	uint32_t ip[2];
	uint16_t port[2];
	int end[2];               /* our fd facing side i's program; -1 once closed */
	uint32_t events[2];       /* epoll mask of end[i] */
	bool gone[2];             /* side i's program closed its socket */
	bool abort[2];            /* side i closed with SO_LINGER 0: reset, not FIN */
	bool rst[2];              /* side i has sent a reset */
	int err[2];               /* what SIM_NET_STATUS tells side i (positive errno) */
	uint32_t sock;            /* the connecting socket's id */
	int filler;               /* bytes holding the connecting socket unwritable */
	int app;                  /* the connecting program's socket, until established; -1 */
	int app_sndbuf;           /* its SO_SNDBUF to give back then */
	int syn_tries;
	struct relay_dir dir[2];  /* dir[i]: side i -> side 1-i */
};

struct sup_net {
	int ep;                   /* epoll over every end we hold */
	int relay;                /* listener that connecting sockets connect to */
	int pid;
	unsigned run;
	uint64_t rng[4];          /* latency and choices: its own stream of the seed */
	struct sup_sock **socks;  /* by id - 1 */
	uint32_t nsocks, capsocks;
	struct sup_conn **conns;  /* by id - 1 */
	uint32_t nconns, capconns;
	struct sup_sock *hash[4096]; /* (node, type, port) -> sockets */
	int *next_port;           /* per node (sup_node_of order) */
	char *buf;                /* one I/O buffer, 64 KiB + a header */
	void *evbuf;
	int evcap;
	struct sup_dgram *flight; /* datagrams on their way (events hold them) */
	struct sup_passed *passed; /* sockets sent over SCM_RIGHTS (net.c, on_pass) */
	uint32_t npassed, passed_next;
};

#define NET_UNWATCHED 0x80000000u /* an end not in the epoll set */

/* net.c */
struct sup_net *sup_net_get(struct sup_run *R); /* created on first use */
int sup_net_node_of_ip(struct sup_run *R, uint32_t ip, int from);
void sup_net_addr_str(uint32_t ip, uint16_t port, char *buf, size_t n);
struct sup_sock *sup_net_sock(struct sup_net *N, uint64_t id);
struct sup_conn *sup_net_conn(struct sup_net *N, uint64_t id);
bool sup_net_alive(struct sup_net *N, struct sup_sock *s);
int sup_net_name(struct sup_net *N, void *sun, char kind, uint32_t id);
uint64_t sup_net_rand(struct sup_net *N);
int64_t sup_net_latency(struct sup_run *R, int from, int to);
bool sup_net_link_down(struct sup_run *R, int from, int to);
uint16_t sup_net_ephemeral(struct sup_run *R, struct sup_sock *s);
bool sup_net_autobind(struct sup_run *R, struct sup_sock *s); /* UDP's first send */
int sup_net_listeners(struct sup_run *R, int node, uint32_t ip, uint16_t port,
		      struct sup_sock **out, int max);
struct sup_sock *sup_net_udp_target(struct sup_run *R, int node, uint32_t ip, uint16_t port);
void sup_net_sock_dead(struct sup_run *R, struct sup_sock *s);
uint32_t sup_net_node_ip(int node);

/* relay.c */
void relay_watch(struct sup_net *N, int fd, uint64_t key, uint32_t events);
void relay_set_events(struct sup_net *N, int fd, uint64_t key, uint32_t *have, uint32_t want);
void relay_conn_events(struct sup_run *R, struct sup_conn *c, int side);
void relay_push(struct sup_run *R, struct sup_conn *c, int d, enum chunk_kind kind,
		const void *data, size_t len);
void relay_read(struct sup_run *R, struct sup_conn *c, int side, bool no_eof);
void relay_close_end(struct sup_run *R, struct sup_conn *c, int side);
void relay_udp_read(struct sup_run *R, struct sup_sock *s);
void relay_udp_flush(struct sup_run *R, struct sup_sock *s);
void relay_udp_events(struct sup_run *R, struct sup_sock *s);
void relay_syn(struct sup_run *R, void *arg);
void relay_free_flight(struct sup_net *N);
void sup_net_links_changed(struct sup_run *R);

/* epoll keys: what an end is */
#define KEY_CONN0 0ULL
#define KEY_CONN1 1ULL
#define KEY_UDP 2ULL
#define KEY(kind, id) (((uint64_t)(id) << 2) | (kind))

#endif
