/*
 * relay_udp.c — datagrams: read from a program's UDP socket (our end of its
 * datagram pair), delivered after a seeded latency to the socket bound to
 * the destination, with the source in the header.  As UDP does, nothing is
 * retried: a datagram to a port nobody has bound, across a partition, or
 * beyond the receiver's buffer is dropped (and the drop is in the trace).
 * Each datagram's latency is drawn on its own, so datagrams may arrive out
 * of order, as on a real network.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net.h"
#include "pcap.h"

void relay_udp_events(struct sup_run *R, struct sup_sock *s)
{
	if (s->end < 0)
		return;
	relay_set_events(R->net, s->end, KEY(KEY_UDP, s->id), &s->events,
			 EPOLLIN | (s->pend ? EPOLLOUT : 0));
}

static void trace_dgram(struct sup_run *R, const char *ev, const struct sup_dgram *d,
			const char *why)
{
	char src[32], dst[32];
	sup_net_addr_str(d->src_ip, d->sport, src, sizeof src);
	sup_net_addr_str(d->dst_ip, d->dport, dst, sizeof dst);
	if (why)
		sup_trace_ev(R, NULL, 0, ev, "ssis", "from", src, "to", dst, "bytes", (int64_t)d->len,
			     "why", why);
	else
		sup_trace_ev(R, NULL, 0, ev, "ssi", "from", src, "to", dst, "bytes", (int64_t)d->len);
}

static void unlink_flight(struct sup_net *N, struct sup_dgram *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		N->flight = d->next;
	if (d->next)
		d->next->prev = d->prev;
	d->next = d->prev = NULL;
}

void relay_free_flight(struct sup_net *N)
{
	for (struct sup_dgram *d = N->flight, *nx; d; d = nx) {
		nx = d->next;
		free(d);
	}
	N->flight = NULL;
}

/* 0 sent, -EAGAIN no room, other: the program's socket is gone. */
static int send_to(struct sup_run *R, struct sup_sock *t, const struct sup_dgram *d)
{
	struct sim_dgram_hdr h = { .ip = d->src_ip, .port = d->sport, .magic = SIM_DGRAM_MAGIC,
				   .dst = d->dst_ip, .at = R->now };
	struct iovec iov[2] = { { &h, sizeof h }, { (void *)d->data, d->len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	for (;;) {
		ssize_t n = sendmsg(t->end, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return errno == EAGAIN || errno == ENOBUFS ? -EAGAIN : -errno;
	}
}

static void queue_at(struct sup_run *R, struct sup_sock *t, struct sup_dgram *d)
{
	if (t->pend_bytes + d->len > NET_DGRAM_QUEUE_MAX) {
		trace_dgram(R, "net-udp-drop", d, "receive buffer full");
		free(d);
		return;
	}
	d->next = NULL;
	if (t->pend_tail)
		t->pend_tail->next = d;
	else
		t->pend = d;
	t->pend_tail = d;
	t->pend_bytes += d->len;
	relay_udp_events(R, t);
}

/* No socket on a live host has the datagram's port: the host answers
 * with ICMP port unreachable, which the sender's socket hears (a connected
 * one reports ECONNREFUSED: shim/net_udp.c).  Best effort, as ICMP. */
static void port_unreachable(struct sup_run *R, const struct sup_dgram *d)
{
	struct sup_sock *s = sup_net_sock(R->net, d->src_sock);
	if (!s || s->state == SS_DEAD || s->end < 0)
		return;
	struct sim_dgram_hdr h = { .ip = d->dst_ip, .port = d->dport, .magic = SIM_DGRAM_UNREACH };
	if (send(s->end, &h, sizeof h, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof h)
		sup_node_changed(R, s->node);
}

static void udp_due(struct sup_run *R, void *arg)
{
	struct sup_dgram *d = arg;
	struct sup_net *N = R->net;
	if (!N)
		return;
	unlink_flight(N, d);
	if (d->to != d->from && (sup_node_of(R, d->to)->down || sup_node_of(R, d->from)->down)) {
		trace_dgram(R, "net-udp-drop", d, "node down"); /* no host answers: silence */
		free(d);
		return;
	}
	if (sup_net_link_down(R, d->from, d->to)) {
		trace_dgram(R, "net-udp-drop", d, "partition");
		free(d);
		return;
	}
	struct sup_sock *t;
	int r;
	for (;;) {
		t = sup_net_udp_target(R, d->to, d->dst_ip, d->dport);
		if (t && t->pend) {
			queue_at(R, t, d);
			return;
		}
		r = t ? send_to(R, t, d) : -ECONNREFUSED;
		if (r == -EAGAIN) {
			queue_at(R, t, d);
			return;
		}
		if (r == 0 || !t)
			break;
		/* the program's socket is gone (its process ended): another
		 * socket sharing the port gets the datagram, as in the kernel,
		 * where a closed socket is no longer in the port's table */
		sup_net_sock_dead(R, t);
	}
	if (r < 0) {
		trace_dgram(R, "net-udp-drop", d, "port unreachable");
		if (!t)
			port_unreachable(R, d);
	} else {
		trace_dgram(R, "net-udp-deliver", d, NULL);
		R->st.deliveries++;
		sup_node_changed(R, d->to);
	}
	free(d);
}

/* The program read: deliver what waited for room. */
void relay_udp_flush(struct sup_run *R, struct sup_sock *s)
{
	while (s->pend) {
		struct sup_dgram *d = s->pend;
		int r = send_to(R, s, d);
		if (r == -EAGAIN)
			break;
		s->pend = d->next;
		if (!s->pend)
			s->pend_tail = NULL;
		s->pend_bytes -= d->len;
		if (r < 0)
			trace_dgram(R, "net-udp-drop", d, "port unreachable");
		else {
			trace_dgram(R, "net-udp-deliver", d, NULL);
			R->st.deliveries++;
			sup_node_changed(R, d->to);
		}
		free(d);
	}
	relay_udp_events(R, s);
}

/* Everything the program sent since the last look. */
void relay_udp_read(struct sup_run *R, struct sup_sock *s)
{
	struct sup_net *N = R->net;
	for (;;) {
		struct sim_dgram_hdr h;
		struct iovec iov[2] = { { &h, sizeof h }, { N->buf, 65536 } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n = recvmsg(s->end, &mh, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		sup_node_changed(R, s->node); /* room in the sender's buffer */
		if (n < (ssize_t)sizeof h || h.magic != SIM_DGRAM_MAGIC || !sup_net_autobind(R, s))
			continue;
		uint32_t dst = h.ip ? h.ip : 0x7f000001;
		int to = sup_net_node_of_ip(R, dst, s->node);
		struct sup_dgram *d = malloc(sizeof *d + (size_t)n - sizeof h);
		if (!d)
			abort();
		d->len = (uint32_t)((size_t)n - sizeof h);
		memcpy(d->data, N->buf, d->len);
		d->dst_ip = dst;
		d->dport = h.port;
		d->src_ip = s->ip ? s->ip : (dst >> 24) == 127 ? 0x7f000001 : sup_net_node_ip(s->node);
		d->sport = s->port;
		d->from = s->node;
		d->to = to;
		d->src_sock = s->id;
		d->next = d->prev = NULL;
		if (to == NET_NODE_NONE) {
			trace_dgram(R, "net-udp-drop", d, "no route to host");
			free(d);
			continue;
		}
		sup_pcap_udp(R, d->src_ip, d->sport, d->dst_ip, d->dport, d->data, d->len);
		int64_t due = R->now + sup_net_latency(R, s->node, to);
		/* one sender's datagrams arrive in the order sent, as on one
		 * path (loopback never reorders); loss and reordering are faults */
		if (due < s->last_due)
			due = s->last_due;
		s->last_due = due;
		sup_trace_ev(R, NULL, 0, "net-udp-send", "iii", "sock", (int64_t)s->id, "bytes",
			     (int64_t)d->len, "due", due);
		d->next = N->flight;
		if (N->flight)
			N->flight->prev = d;
		N->flight = d;
		sup_event_at(R, due, udp_due, d);
	}
}
