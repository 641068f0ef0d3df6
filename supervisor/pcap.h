/*
 * pcap.h — the virtual network's traffic as a pcap file (--pcap FILE) that
 * Wireshark and tshark read: IPv4 packets with the simulation's addresses
 * (10.0.1.x servers, 10.0.0.x workloads) stamped with virtual time.
 *
 * The network code describes what happened at the level it knows
 * (a connection attempt, bytes written, an orderly close, a reset, a
 * datagram) and this file synthesizes the packets a real stack would have
 * sent: TCP handshakes, sequence and acknowledgement numbers that stay
 * consistent per connection, FIN and RST segments, checksums.  No call here
 * changes the simulation or its trace: with no --pcap they do nothing.
 *
 * Addresses are host byte order (as sup_server_ip() returns them), ports
 * too.  Every call stamps its packets with R->now (plus the --epoch).
 */
#ifndef SUP_PCAP_H
#define SUP_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct sup_run;

/* flags for sup_pcap_tcp() */
enum {
	SUP_PCAP_SYN = 1, /* src connects to dst (first call: SYN); when dst answers a
	                     pending SYN with its own SUP_PCAP_SYN: SYN-ACK then ACK */
	SUP_PCAP_FIN = 2, /* src closed its sending side (shutdown, close): FIN */
	SUP_PCAP_RST = 4, /* src reset the connection (refused, aborted): RST */
};

/* Opens path for writing (nanosecond pcap, LINKTYPE_RAW: each record is an
 * IPv4 packet) and attaches it to R.  0 | -errno. */
int sup_pcap_open(struct sup_run *R, const char *path);
/* Flushes and closes R's capture, if any. */
void sup_pcap_close(struct sup_run *R);

/* One TCP event of the connection (src_ip:sport -> dst_ip:dport).
 * len bytes of data (any length; cut into segments of at most 65495 bytes)
 * and/or flags.  Data for a connection not seen before gets a synthesized
 * handshake first, so the capture always shows a whole conversation. */
void sup_pcap_tcp(struct sup_run *R, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
		  uint16_t dport, const void *data, size_t len, int flags);
/* One UDP datagram (at most 65507 bytes are kept). */
void sup_pcap_udp(struct sup_run *R, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
		  uint16_t dport, const void *data, size_t len);

#endif
