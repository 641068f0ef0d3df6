/*
 * pcap.c — synthesizes the packets of the virtual network into a pcap file.
 *
 * Format: the classic pcap file with nanosecond timestamps (magic
 * 0xa1b23c4d), LINKTYPE_RAW (101): every record is one IPv4 packet, no link
 * layer.  TCP state per connection (4-tuple, client = the side that sent
 * the first SYN) keeps sequence and acknowledgement numbers consistent, so
 * Wireshark follows streams and finds no gaps.  Initial sequence numbers
 * come from the 4-tuple, never from the host: the same run writes the same
 * file byte for byte.
 *
 * Nothing here touches the simulation or its trace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap.h"
#include "sup.h"

#define LINKTYPE_RAW 101
#define TCP_MAXDATA (65535 - 20 - 20)
#define UDP_MAXDATA (65535 - 20 - 8)

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10 };

struct pcap_conn {
	uint32_t ip[2];     /* [0] client, [1] server */
	uint16_t port[2];
	uint32_t next[2];   /* next sequence number each side sends */
	bool established;
	bool fin[2];
};

struct sup_pcap {
	FILE *f;
	uint16_t ip_id;
	struct pcap_conn *conns;
	int nconns, cap;
};

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The Internet checksum's running sum over bytes (RFC 1071). */
static uint32_t sum_bytes(uint32_t sum, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes one IPv4 packet: the 20-byte IP header, then hdr (the transport
 * header, whose checksum field at csum_off is filled in), then data. */
static void emit(struct sup_run *R, uint8_t proto, uint32_t src, uint32_t dst, unsigned char *hdr,
		 size_t hlen, size_t csum_off, const void *data, size_t len)
{
	struct sup_pcap *P = R->pcap;
	unsigned char ip[20] = { 0x45, 0 }, rec[16];
	size_t total = 20 + hlen + len;
	put16(ip + 2, (uint16_t)total);
	put16(ip + 4, P->ip_id++);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum_bytes(0, ip, 20)));

	unsigned char pseudo[12];
	put32(pseudo, src);
	put32(pseudo + 4, dst);
	pseudo[8] = 0;
	pseudo[9] = proto;
	put16(pseudo + 10, (uint16_t)(hlen + len));
	uint32_t s = sum_bytes(0, pseudo, sizeof pseudo);
	s = sum_bytes(s, hdr, hlen);
	/* the header has even length, so the data's sum lines up */
	uint16_t c = fold(sum_bytes(s, data, len));
	put16(hdr + csum_off, proto == 17 && c == 0 ? 0xffff : c);

	int64_t t = R->o->epoch_ns + R->now;
	uint32_t le[4] = { (uint32_t)(t / 1000000000), (uint32_t)(t % 1000000000), (uint32_t)total,
			   (uint32_t)total };
	memcpy(rec, le, sizeof rec); /* pcap records are in the writer's byte order */
	fwrite(rec, 1, sizeof rec, P->f);
	fwrite(ip, 1, sizeof ip, P->f);
	fwrite(hdr, 1, hlen, P->f);
	if (len)
		fwrite(data, 1, len, P->f);
}

int sup_pcap_open(struct sup_run *R, const char *path)
{
	struct sup_pcap *P = calloc(1, sizeof *P);
	if (!P)
		return -ENOMEM;
	P->f = fopen(path, "w");
	if (!P->f) {
		int e = errno;
		free(P);
		return -e;
	}
	/* magic (nanosecond variant), version 2.4, zone, sigfigs, snaplen, linktype */
	uint32_t magic = 0xa1b23c4d, zero = 0, snap = 65535, link = LINKTYPE_RAW;
	uint16_t major = 2, minor = 4;
	fwrite(&magic, 4, 1, P->f);
	fwrite(&major, 2, 1, P->f);
	fwrite(&minor, 2, 1, P->f);
	fwrite(&zero, 4, 1, P->f);
	fwrite(&zero, 4, 1, P->f);
	fwrite(&snap, 4, 1, P->f);
	fwrite(&link, 4, 1, P->f);
	P->ip_id = 1;
	R->pcap = P;
	return 0;
}

void sup_pcap_close(struct sup_run *R)
{
	struct sup_pcap *P = R->pcap;
	if (!P)
		return;
	fclose(P->f);
	free(P->conns);
	free(P);
	R->pcap = NULL;
}

/* ---- TCP ---- */

/* splitmix64 of the 4-tuple: an initial sequence number that is the same
 * in every run and differs between connections. */
static uint32_t isn(uint32_t a, uint16_t ap, uint32_t b, uint16_t bp)
{
	uint64_t z = ((uint64_t)a << 32 | b) ^ ((uint64_t)ap << 16 | bp) * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(z ^ (z >> 31));
}

/* The connection between the two ends, and which side src is (0 client). */
static struct pcap_conn *find(struct sup_pcap *P, uint32_t src, uint16_t sport, uint32_t dst,
			      uint16_t dport, int *dir)
{
	for (int i = 0; i < P->nconns; i++) {
		struct pcap_conn *c = &P->conns[i];
		for (int d = 0; d < 2; d++)
			if (c->ip[d] == src && c->port[d] == sport && c->ip[!d] == dst &&
			    c->port[!d] == dport) {
				*dir = d;
				return c;
			}
	}
	return NULL;
}

static struct pcap_conn *add(struct sup_pcap *P, uint32_t src, uint16_t sport, uint32_t dst,
			     uint16_t dport)
{
	if (P->nconns == P->cap) {
		int cap = P->cap ? 2 * P->cap : 16;
		struct pcap_conn *n = realloc(P->conns, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		P->conns = n;
		P->cap = cap;
	}
	struct pcap_conn *c = &P->conns[P->nconns++];
	memset(c, 0, sizeof *c);
	c->ip[0] = src;
	c->port[0] = sport;
	c->ip[1] = dst;
	c->port[1] = dport;
	c->next[0] = isn(src, sport, dst, dport);
	c->next[1] = isn(dst, dport, src, sport);
	return c;
}

static void drop(struct sup_pcap *P, struct pcap_conn *c)
{
	*c = P->conns[--P->nconns]; /* order of the table is never observed */
}

static void segment(struct sup_run *R, struct pcap_conn *c, int dir, uint8_t flags, uint32_t seq,
		    uint32_t ack, const void *data, size_t len)
{
	unsigned char h[20] = { 0 };
	put16(h, c->port[dir]);
	put16(h + 2, c->port[!dir]);
	put32(h + 4, seq);
	put32(h + 8, flags & TH_ACK ? ack : 0);
	h[12] = 5 << 4;
	h[13] = flags;
	put16(h + 14, 65535);
	emit(R, 6, c->ip[dir], c->ip[!dir], h, sizeof h, 16, data, len);
}

/* Sends side dir's segment with its current numbers and advances them. */
static void send_seg(struct sup_run *R, struct pcap_conn *c, int dir, uint8_t flags, const void *data,
		     size_t len)
{
	segment(R, c, dir, flags, c->next[dir], c->next[!dir], data, len);
	c->next[dir] += (uint32_t)len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

/* SYN-ACK from the server and the client's ACK. */
static void finish_handshake(struct sup_run *R, struct pcap_conn *c)
{
	send_seg(R, c, 1, TH_SYN | TH_ACK, NULL, 0);
	send_seg(R, c, 0, TH_ACK, NULL, 0);
	c->established = true;
}

void sup_pcap_tcp(struct sup_run *R, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
		  uint16_t dport, const void *data, size_t len, int flags)
{
	struct sup_pcap *P = R->pcap;
	if (!P)
		return;
	int dir = 0;
	struct pcap_conn *c = find(P, src_ip, sport, dst_ip, dport, &dir);
	if (!c && (flags & SUP_PCAP_RST) && !len) {
		/* a reset for a connection never seen: a bare RST */
		struct pcap_conn tmp = { .ip = { src_ip, dst_ip }, .port = { sport, dport } };
		segment(R, &tmp, 0, TH_RST, 0, 0, NULL, 0);
		return;
	}
	if (!c) {
		c = add(P, src_ip, sport, dst_ip, dport);
		if (!c)
			return;
		send_seg(R, c, 0, TH_SYN, NULL, 0);
		if (flags & SUP_PCAP_SYN)
			return; /* the attempt; the answer comes later */
	} else if (flags & SUP_PCAP_SYN) {
		if (c->established)
			return;
		if (dir == 0)
			send_seg(R, c, 0, TH_SYN, NULL, 0); /* a retransmitted attempt */
		else
			finish_handshake(R, c);
		return;
	}
	if (!c->established && (flags & SUP_PCAP_RST) && dir == 1 && !len) {
		/* refused: RST-ACK acknowledging the SYN */
		segment(R, c, 1, TH_RST | TH_ACK, 0, c->next[0], NULL, 0);
		drop(P, c);
		return;
	}
	if (!c->established)
		finish_handshake(R, c);
	const unsigned char *p = data;
	while (len) {
		size_t n = len < TCP_MAXDATA ? len : TCP_MAXDATA;
		send_seg(R, c, dir, TH_PSH | TH_ACK, p, n);
		p += n;
		len -= n;
	}
	if (flags & SUP_PCAP_RST) {
		send_seg(R, c, dir, TH_RST | TH_ACK, NULL, 0);
		drop(P, c);
		return;
	}
	if ((flags & SUP_PCAP_FIN) && !c->fin[dir]) {
		send_seg(R, c, dir, TH_FIN | TH_ACK, NULL, 0);
		segment(R, c, !dir, TH_ACK, c->next[!dir], c->next[dir], NULL, 0);
		c->fin[dir] = true;
		if (c->fin[!dir])
			drop(P, c);
	}
}

/* ---- UDP ---- */

void sup_pcap_udp(struct sup_run *R, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
		  uint16_t dport, const void *data, size_t len)
{
	if (!R->pcap)
		return;
	if (len > UDP_MAXDATA)
		len = UDP_MAXDATA;
	unsigned char h[8] = { 0 };
	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(8 + len));
	emit(R, 17, src_ip, dst_ip, h, sizeof h, 6, data, len);
}
