/*
 * relay.c — the virtual network's data plane as the supervisor sees it:
 * every byte a program writes to a virtual TCP socket lands in one of our
 * connection ends; after each turn sup_net_pump() reads it, stamps it with
 * the virtual time, and schedules its delivery after a seeded latency, in
 * order per direction.  Delivery writes it into the other program's socket
 * and wakes pollers.  Orderly close is a FIN after the data, a reset
 * closes the destination's end (its shim then reports ECONNRESET).
 *
 * Backpressure: a direction holds at most NET_INFLIGHT_MAX bytes; beyond
 * that its source end is not read, the kernel buffers fill and the writer
 * parks.  A destination whose buffer is full holds its chunks until the
 * program reads (EPOLLOUT on our end).  Datagrams are never held: UDP drops.
 *
 * Deterministic because the only writer since the last pump is the thread
 * that held the turn: the ready set is complete when we look, and is
 * handled in key order, never in the kernel's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "net.h"
#include "pcap.h"

/* Wakes the parked pollers that could see this: those of one node. */
static void changed(struct sup_run *R, int node)
{
	if (node == NET_NODE_NONE)
		R->gen++;
	else
		sup_node_changed(R, node);
}

static void dir_flush(struct sup_run *R, struct sup_conn *c, int d);

/* ---- epoll ---- */

void relay_watch(struct sup_net *N, int fd, uint64_t key, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = key };
	epoll_ctl(N->ep, EPOLL_CTL_ADD, fd, &ev);
}

void relay_set_events(struct sup_net *N, int fd, uint64_t key, uint32_t *have, uint32_t want)
{
	if (*have == want)
		return;
	struct epoll_event ev = { .events = want, .data.u64 = key };
	if (want == NET_UNWATCHED)
		epoll_ctl(N->ep, EPOLL_CTL_DEL, fd, NULL);
	else
		epoll_ctl(N->ep, *have == NET_UNWATCHED ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
	*have = want;
}

/* What we wait for on end[side]: data while the direction reads, room
 * while the other direction is blocked.  A closed program's end raises
 * EPOLLHUP forever, so it leaves the set. */
void relay_conn_events(struct sup_run *R, struct sup_conn *c, int side)
{
	if (c->end[side] < 0)
		return;
	uint32_t want = 0;
	struct relay_dir *d = &c->dir[side];
	if (c->gone[side])
		want = NET_UNWATCHED;
	else {
		if (!d->eof && !d->paused && !(side == 0 && c->state == C_SYN))
			want |= EPOLLIN | EPOLLRDHUP;
		if (c->dir[1 - side].blocked)
			want |= EPOLLOUT;
	}
	relay_set_events(R->net, c->end[side], KEY(side, c->id), &c->events[side], want);
}

void relay_close_end(struct sup_run *R, struct sup_conn *c, int side)
{
	if (c->end[side] < 0)
		return;
	if (c->events[side] != NET_UNWATCHED)
		epoll_ctl(R->net->ep, EPOLL_CTL_DEL, c->end[side], NULL);
	close(c->end[side]);
	c->end[side] = -1;
	c->events[side] = NET_UNWATCHED;
}

/* ---- chunks ---- */

static void trace_conn(struct sup_run *R, struct sup_conn *c, const char *ev, int side, int64_t bytes,
		       int64_t due)
{
	if (due >= 0)
		sup_trace_ev(R, NULL, 0, ev, "iiii", "conn", (int64_t)c->id, "from", (int64_t)side, "bytes",
			     bytes, "due", due);
	else if (bytes >= 0)
		sup_trace_ev(R, NULL, 0, ev, "iii", "conn", (int64_t)c->id, "to", (int64_t)side, "bytes",
			     bytes);
	else
		sup_trace_ev(R, NULL, 0, ev, "ii", "conn", (int64_t)c->id, "side", (int64_t)side);
}

static void relay_due(struct sup_run *R, void *arg)
{
	uintptr_t k = (uintptr_t)arg;
	struct sup_conn *c = R->net ? sup_net_conn(R->net, k >> 1) : NULL;
	if (c)
		dir_flush(R, c, (int)(k & 1));
}

/* Queues a chunk from side d to side 1-d.  For CH_RST, len is the errno the
 * receiving side will be told. */
void relay_push(struct sup_run *R, struct sup_conn *c, int d, enum chunk_kind kind,
		const void *data, size_t len)
{
	struct relay_dir *dir = &c->dir[d];
	struct relay_chunk *ch = malloc(sizeof *ch + (kind == CH_DATA ? len : 0));
	if (!ch)
		abort();
	ch->next = NULL;
	ch->kind = kind;
	ch->len = (uint32_t)len;
	ch->off = 0;
	ch->sent = R->now;
	if (kind == CH_DATA)
		memcpy(ch->data, data, len);
	int64_t due = R->now + sup_net_latency(R, c->node[d], c->node[1 - d]);
	if (due < dir->last_due)
		due = dir->last_due; /* in order: never before an earlier chunk */
	dir->last_due = ch->due = due;
	if (dir->tail)
		dir->tail->next = ch;
	else
		dir->head = ch;
	dir->tail = ch;
	int pflags = kind == CH_FIN ? SUP_PCAP_FIN : kind == CH_RST ? SUP_PCAP_RST : 0;
	if (kind == CH_DATA) {
		dir->inflight += len;
		trace_conn(R, c, "net-send", d, (int64_t)len, due);
	} else if (kind == CH_FIN) {
		trace_conn(R, c, "net-fin", d, -1, -1);
	} else if (kind == CH_RST) {
		c->rst[d] = true;
		trace_conn(R, c, "net-rst", d, -1, -1);
	}
	if (kind != CH_SYNACK) /* the capture shows packets when they leave */
		sup_pcap_tcp(R, c->ip[d], c->port[d], c->ip[1 - d], c->port[1 - d], data,
			     kind == CH_DATA ? len : 0, pflags);
	sup_event_at(R, due, relay_due, (void *)(uintptr_t)((c->id << 1) | (uint32_t)d));
}

static void drop_dir(struct relay_dir *dir)
{
	for (struct relay_chunk *ch = dir->head, *nx; ch; ch = nx) {
		nx = ch->next;
		free(ch);
	}
	dir->head = dir->tail = NULL;
	dir->inflight = 0;
	dir->blocked = false;
}

/* Reads what side's program wrote, up to the direction's bound.  no_eof:
 * epoll said readable without a hang-up or shutdown, so a read shorter
 * than asked emptied the queue (an AF_UNIX stream read stops short only
 * there, or at passed fds, which the relay never has) and no EOF waits
 * behind it: no read for the EAGAIN. */
void relay_read(struct sup_run *R, struct sup_conn *c, int side, bool no_eof)
{
	struct relay_dir *d = &c->dir[side];
	char *buf = R->net->buf;
	while (c->end[side] >= 0 && !d->eof && !(side == 0 && c->state == C_SYN) &&
	       d->inflight < NET_INFLIGHT_MAX) {
		size_t want = NET_INFLIGHT_MAX - d->inflight;
		if (want > 65536)
			want = 65536;
		ssize_t n = recv(c->end[side], buf, want, MSG_DONTWAIT);
		if (n > 0) {
			relay_push(R, c, side, CH_DATA, buf, (size_t)n);
			changed(R, c->node[side]); /* room in the writer's buffer */
			if (no_eof && (size_t)n < want)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		/* 0: FIN.  ECONNRESET: the program closed with unread data, as TCP resets */
		d->eof = true;
		if (n == 0 && !c->abort[side])
			relay_push(R, c, side, CH_FIN, NULL, 0);
		else if (!c->rst[side])
			relay_push(R, c, side, CH_RST, NULL, ECONNRESET);
	}
	d->paused = !d->eof && d->inflight >= NET_INFLIGHT_MAX;
	relay_conn_events(R, c, side);
}

/* ---- delivery ---- */

/* Lets go of the connecting program's socket, giving its SO_SNDBUF back
 * first when it connected. */
static void release_app(struct sup_conn *c, bool connected)
{
	if (c->app < 0)
		return;
	if (connected && c->app_sndbuf > 0)
		setsockopt(c->app, SOL_SOCKET, SO_SNDBUF, &c->app_sndbuf, sizeof c->app_sndbuf);
	close(c->app);
	c->app = -1;
}

static void maybe_done(struct sup_run *R, struct sup_conn *c)
{
	if (c->state == C_DONE || (c->state == C_SYN && !c->err[0]))
		return;
	for (int s = 0; s < 2; s++)
		if (c->end[s] >= 0 && c->gone[s] && c->dir[s].eof && !c->dir[1 - s].head)
			relay_close_end(R, c, s);
	if (c->end[0] < 0 && c->end[1] < 0 && !c->dir[0].head && !c->dir[1].head) {
		c->state = C_DONE;
		trace_conn(R, c, "net-closed", 0, -1, -1);
	}
}

/* A reset (or refusal) reaches side `to`: its program is told err. */
static void deliver_reset(struct sup_run *R, struct sup_conn *c, int to, int err)
{
	if (!c->err[to])
		c->err[to] = err;
	trace_conn(R, c, err == ECONNREFUSED ? "net-refused" : "net-reset", to, -1, -1);
	drop_dir(&c->dir[to]); /* what it had sent is lost with the connection */
	if (to == 0)
		release_app(c, false);
	c->dir[to].eof = true;
	relay_close_end(R, c, to);
	if (c->state == C_SYN)
		c->state = C_ESTAB; /* decided: maybe_done may finish it */
	changed(R, c->node[to]);
}

/* The SYN-ACK reaches the connecting side: the connect is over. */
static void established(struct sup_run *R, struct sup_conn *c)
{
	if (c->end[0] < 0 || c->gone[0]) { /* the connecting socket is gone: reset the server side */
		release_app(c, false);
		c->state = C_ESTAB;
		c->dir[0].eof = true;
		if (!c->rst[0])
			relay_push(R, c, 0, CH_RST, NULL, ECONNRESET);
		return;
	}
	release_app(c, true);
	int left = c->filler;
	while (left > 0) {
		ssize_t n = recv(c->end[0], R->net->buf, (size_t)left, MSG_DONTWAIT);
		if (n <= 0)
			break;
		left -= (int)n;
	}
	c->state = C_ESTAB;
	trace_conn(R, c, "net-established", 0, -1, -1);
	relay_conn_events(R, c, 0);
	changed(R, c->node[0]);
}

/* A data chunk could not go to side `to`: its program has closed, and TCP
 * answers data for a closed socket with a reset. */
static void closed_destination(struct sup_run *R, struct sup_conn *c, int d)
{
	int to = 1 - d;
	drop_dir(&c->dir[d]);
	c->dir[to].eof = true;
	if (!c->rst[to] && !c->err[d] && c->end[d] >= 0)
		relay_push(R, c, to, CH_RST, NULL, ECONNRESET);
}

/* Traffic waits while its link is down.  The reset that announces a
 * crashed node is the exception: it leaves as the node dies, and only a
 * partition or the receiver being down too holds it. */
static bool held(struct sup_run *R, int from, int to, const struct relay_chunk *ch)
{
	if (ch->kind != CH_RST)
		return sup_net_link_down(R, from, to);
	return from != to && (sup_node_of(R, to)->down || (R->faults && sup_fault_link_cut(R, from, to)));
}

static void dir_flush(struct sup_run *R, struct sup_conn *c, int d)
{
	struct relay_dir *dir = &c->dir[d];
	int to = 1 - d;
	while (dir->head && dir->head->due <= R->now) {
		struct relay_chunk *ch = dir->head;
		if (c->node[to] != NET_NODE_NONE && held(R, c->node[d], c->node[to], ch))
			break; /* held until the link heals (sup_net_links_changed) */
		if (ch->kind == CH_DATA) {
			if (c->end[to] < 0) {
				closed_destination(R, c, d);
				break;
			}
			ssize_t n = send(c->end[to], ch->data + ch->off, ch->len - ch->off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				ch->off += (uint32_t)n;
				dir->inflight -= (size_t)n;
				trace_conn(R, c, "net-deliver", to, n, -1);
				R->st.deliveries++;
				changed(R, c->node[to]);
				if (ch->off < ch->len)
					continue;
			} else if (n < 0 && errno == EINTR) {
				continue;
			} else if (n < 0 && errno == EAGAIN) {
				dir->blocked = true;
				break;
			} else {
				closed_destination(R, c, d);
				break;
			}
		}
		dir->head = ch->next;
		if (!dir->head)
			dir->tail = NULL;
		if (ch->kind == CH_FIN) {
			if (c->end[to] >= 0)
				shutdown(c->end[to], SHUT_WR);
			trace_conn(R, c, "net-eof", to, -1, -1);
			changed(R, c->node[to]);
		} else if (ch->kind == CH_RST) {
			deliver_reset(R, c, to, (int)ch->len);
		} else if (ch->kind == CH_SYNACK) {
			established(R, c);
		}
		free(ch);
	}
	relay_conn_events(R, c, to);
	if (dir->paused && dir->inflight < NET_INFLIGHT_MAX) {
		dir->paused = false;
		relay_read(R, c, d, false);
	}
	maybe_done(R, c);
}

/* ---- connection set-up ---- */

static void fail_connect(struct sup_run *R, struct sup_conn *c, int err)
{
	c->err[0] = err;
	release_app(c, false);
	sup_trace_ev(R, NULL, 0, "net-connect-failed", "ii", "conn", (int64_t)c->id, "errno",
		     (int64_t)err);
	relay_close_end(R, c, 0);
	c->state = C_ESTAB;
	maybe_done(R, c);
	changed(R, c->node[0]);
}

/* An unanswered SYN is sent again after 1, 2, 4, ... 32 s; after the sixth
 * the connect fails with ETIMEDOUT 64 s later (Linux's tcp_syn_retries). */
static void syn_retry(struct sup_run *R, struct sup_conn *c)
{
	c->syn_tries++;
	int64_t wait = (int64_t)1000000000 << (c->syn_tries <= 6 ? c->syn_tries - 1 : 6);
	sup_event_at(R, R->now + wait, relay_syn, (void *)(uintptr_t)c->id);
}

/* Our end of the connection, connected into the program's listener. */
static int connect_into(struct sup_run *R, struct sup_conn *c, struct sup_sock *l)
{
	struct sup_net *N = R->net;
	struct sockaddr_un me, it;
	int ml = sup_net_name(N, &me, 'c', c->id), il = sup_net_name(N, &it, 's', l->id);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -EAGAIN;
	if (bind(fd, (struct sockaddr *)&me, (socklen_t)ml) < 0 ||
	    connect(fd, (struct sockaddr *)&it, (socklen_t)il) < 0) {
		int e = errno;
		close(fd);
		return e == EAGAIN ? -EAGAIN : -ECONNREFUSED;
	}
	c->end[1] = fd;
	c->events[1] = EPOLLIN | EPOLLRDHUP;
	relay_watch(N, fd, KEY(KEY_CONN1, c->id), c->events[1]);
	sup_trace_ev(R, NULL, 0, "net-syn", "ii", "conn", (int64_t)c->id, "listener", (int64_t)l->id);
	sup_pcap_tcp(R, c->ip[1], c->port[1], c->ip[0], c->port[0], NULL, 0, SUP_PCAP_SYN);
	relay_push(R, c, 1, CH_SYNACK, NULL, 0);
	changed(R, c->node[1]); /* the listener is readable */
	return 0;
}

/* The SYN reaches the destination node. */
void relay_syn(struct sup_run *R, void *arg)
{
	struct sup_conn *c = R->net ? sup_net_conn(R->net, (uintptr_t)arg) : NULL;
	if (!c || c->state != C_SYN || c->err[0] || c->end[1] >= 0)
		return;
	if (c->gone[0] || c->end[0] < 0) { /* the connecting socket was closed meanwhile */
		release_app(c, false);
		relay_close_end(R, c, 0);
		c->state = C_DONE;
		return;
	}
	if (c->node[1] == NET_NODE_NONE) {
		fail_connect(R, c, EHOSTUNREACH);
		return;
	}
	if (c->syn_tries > 6) {
		fail_connect(R, c, ETIMEDOUT);
		return;
	}
	int cf = sup_fault_connect(R, c->node[1]);
	if (sup_net_link_down(R, c->node[0], c->node[1]) || cf < 0) {
		syn_retry(R, c); /* lost SYN: retried, then ETIMEDOUT */
		return;
	}
	if (cf == ECONNREFUSED) {
		relay_push(R, c, 1, CH_RST, NULL, ECONNREFUSED);
		return;
	}
	struct sup_sock *cand[64];
	int n = sup_net_listeners(R, c->node[1], c->ip[1], c->port[1], cand, 64);
	while (n > 0) {
		int k = n == 1 ? 0 : (int)(sup_net_rand(R->net) % (uint64_t)n);
		int r = connect_into(R, c, cand[k]);
		if (r == 0)
			return;
		if (r == -EAGAIN) { /* the accept queue is full: the SYN is dropped */
			syn_retry(R, c);
			return;
		}
		sup_net_sock_dead(R, cand[k]);
		cand[k] = cand[--n];
	}
	relay_push(R, c, 1, CH_RST, NULL, ECONNREFUSED); /* no listener: the host answers RST */
}

/* ---- the pump ---- */

static int by_key(const void *a, const void *b)
{
	uint64_t x = ((const struct epoll_event *)a)->data.u64, y = ((const struct epoll_event *)b)->data.u64;
	return x < y ? -1 : x > y;
}

static void end_ready(struct sup_run *R, struct sup_conn *c, int side, uint32_t ev)
{
	if (c->end[side] < 0)
		return;
	if (ev & EPOLLOUT) {
		c->dir[1 - side].blocked = false;
		dir_flush(R, c, 1 - side);
	}
	if (c->end[side] < 0)
		return;
	if (ev & (EPOLLHUP | EPOLLERR))
		c->gone[side] = true;
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		relay_read(R, c, side, !(ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)));
	relay_conn_events(R, c, side);
	maybe_done(R, c);
}

void sup_net_pump(struct sup_run *R)
{
	struct sup_net *N = R->net;
	if (!N)
		return;
	int n;
	for (;;) {
		n = epoll_wait(N->ep, N->evbuf, N->evcap, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < N->evcap)
			break;
		N->evcap *= 2; /* level-triggered: a bigger buffer sees them all again */
		N->evbuf = realloc(N->evbuf, (size_t)N->evcap * sizeof(struct epoll_event));
	}
	if (n <= 0)
		return;
	struct epoll_event *ev = N->evbuf;
	qsort(ev, (size_t)n, sizeof *ev, by_key);
	for (int i = 0; i < n; i++) {
		uint64_t key = ev[i].data.u64, id = key >> 2;
		if ((key & 3) == KEY_UDP) {
			struct sup_sock *s = sup_net_sock(N, id);
			if (s && s->end >= 0 && (ev[i].events & EPOLLOUT))
				relay_udp_flush(R, s);
			if (s && s->end >= 0 && (ev[i].events & EPOLLIN))
				relay_udp_read(R, s);
		} else {
			struct sup_conn *c = sup_net_conn(N, id);
			if (c)
				end_ready(R, c, (int)(key & 3), ev[i].events);
		}
	}
}

/* A partition healed or a node came back: deliver what was held. */
void sup_net_links_changed(struct sup_run *R)
{
	struct sup_net *N = R->net;
	for (uint32_t i = 0; N && i < N->nconns; i++)
		for (int d = 0; d < 2; d++)
			if (N->conns[i]->dir[d].head && N->conns[i]->dir[d].head->due <= R->now)
				dir_flush(R, N->conns[i], d);
}

/* The node's machine crashed: its side of every connection vanishes, and
 * the other side is told ECONNRESET at once (DESIGN.md §9). */
void sup_net_node_down(struct sup_run *R, int node)
{
	struct sup_net *N = R->net;
	for (uint32_t i = 0; N && i < N->nconns; i++) {
		struct sup_conn *c = N->conns[i];
		if (c->state == C_DONE)
			continue;
		for (int s = 0; s < 2; s++) {
			if (c->node[s] != node || c->node[1 - s] == node)
				continue;
			c->gone[s] = true;
			if (s == 0)
				release_app(c, false);
			drop_dir(&c->dir[s]);
			c->dir[s].eof = true;
			relay_close_end(R, c, s);
			if (c->end[1 - s] >= 0 && !c->err[1 - s])
				deliver_reset(R, c, 1 - s, ECONNRESET);
		}
		if (c->node[0] == node && c->node[1] == node) {
			relay_close_end(R, c, 0);
			relay_close_end(R, c, 1);
			drop_dir(&c->dir[0]);
			drop_dir(&c->dir[1]);
		}
		maybe_done(R, c);
	}
}
