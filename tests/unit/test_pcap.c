/*
 * test_pcap.c — unit tests of supervisor/pcap.c: a capture synthesized
 * through the API the network code calls, read back by tshark (Wireshark's
 * command line; `apt-get install tshark`), which must find the
 * conversations, the payloads, consistent sequence numbers and correct
 * checksums.  Without tshark the tests skip, saying so.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap.h"
#include "sup.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct sup_opts opts = { .epoch_ns = INT64_C(1735689600) * 1000000000 };
static struct sup_run run = { .o = &opts };
static char path[] = "/tmp/simsup-test-pcap-XXXXXX";

static void need_tshark(void)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		cr_skip_test("SKIPPED: tshark is not installed (apt-get install tshark; .ci/run does)");
}

/* Runs tshark on the capture with the given arguments; returns its stdout. */
static char *tshark(const char *args)
{
	char *cmd, *out = NULL;
	size_t cap = 0;
	cr_assert(asprintf(&cmd, "tshark -n -r %s %s 2>/dev/null", path, args) > 0);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	FILE *m = open_memstream(&out, &cap);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		fwrite(buf, 1, n, m);
	fclose(m);
	int st = pclose(p);
	cr_assert_eq(st, 0, "tshark failed (%d): %s", st, cmd);
	free(cmd);
	return out;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* One capture with every kind of event the network code reports. */
static void write_capture(void)
{
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(sup_pcap_open(&run, path), 0);
	uint32_t w0 = IP(10, 0, 0, 1), p0 = IP(10, 0, 1, 1), p1 = IP(10, 0, 1, 2);
	/* a whole conversation: connect, accept, both talk, both close */
	run.now = 1000;
	sup_pcap_tcp(&run, w0, 40000, p0, 7000, NULL, 0, SUP_PCAP_SYN);
	run.now = 2000;
	sup_pcap_tcp(&run, p0, 7000, w0, 40000, NULL, 0, SUP_PCAP_SYN);
	run.now = 3000;
	sup_pcap_tcp(&run, w0, 40000, p0, 7000, "hello", 5, 0);
	run.now = 4000;
	sup_pcap_tcp(&run, p0, 7000, w0, 40000, "world!", 6, 0);
	run.now = 5000;
	sup_pcap_tcp(&run, w0, 40000, p0, 7000, NULL, 0, SUP_PCAP_FIN);
	sup_pcap_tcp(&run, p0, 7000, w0, 40000, NULL, 0, SUP_PCAP_FIN);
	/* a refused connection */
	run.now = 6000;
	sup_pcap_tcp(&run, w0, 40001, p1, 7001, NULL, 0, SUP_PCAP_SYN);
	sup_pcap_tcp(&run, p1, 7001, w0, 40001, NULL, 0, SUP_PCAP_RST);
	/* data first (handshake synthesized), more than one segment, then a reset */
	static char big[100000];
	memset(big, 'x', sizeof big);
	run.now = 7000;
	sup_pcap_tcp(&run, p0, 5000, p1, 6000, big, sizeof big, 0);
	sup_pcap_tcp(&run, p1, 6000, p0, 5000, NULL, 0, SUP_PCAP_RST);
	/* a datagram */
	run.now = 8000;
	sup_pcap_udp(&run, w0, 5353, p0, 53, "ping?", 5);
	sup_pcap_close(&run);
	cr_assert_null(run.pcap);
}

static void cleanup(void)
{
	unlink(path);
}

TestSuite(pcap, .init = write_capture, .fini = cleanup);

Test(pcap, tshark_reads_every_packet)
{
	need_tshark();
	char *out = tshark("-T fields -e frame.number");
	/* 3 handshake + 2 data + 2x(FIN, ACK) = 9; SYN + RST = 2;
	 * 3 handshake + 2 segments + RST = 6; 1 datagram */
	cr_expect_eq(count_lines(out), 18, "packets:\n%s", out);
	free(out);
}

Test(pcap, virtual_addresses_and_timestamps)
{
	need_tshark();
	char *out = tshark("-T fields -E separator=, -e frame.time_epoch -e ip.src -e ip.dst -c 1");
	cr_expect(strstr(out, "1735689600.000001000,10.0.0.1,10.0.1.1"), "first packet: %s", out);
	free(out);
}

Test(pcap, tcp_conversations_are_whole)
{
	need_tshark();
	char *out = tshark("-q -z conv,tcp");
	cr_expect(strstr(out, "10.0.0.1:40000"), "%s", out);
	cr_expect(strstr(out, "10.0.1.1:5000"), "%s", out);
	free(out);
	out = tshark("-q -z follow,tcp,ascii,0");
	cr_expect(strstr(out, "hello"), "%s", out);
	cr_expect(strstr(out, "world!"), "%s", out);
	free(out);
}

Test(pcap, sequence_numbers_are_consistent)
{
	need_tshark();
	/* tshark's analysis flags lost segments, unseen ACKs, retransmissions,
	 * out-of-order data: none of them may appear (the refused RST and
	 * the reset are flagged by nothing) */
	char *out = tshark("-Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || "
			   "tcp.analysis.retransmission || tcp.analysis.out_of_order || "
			   "tcp.analysis.duplicate_ack' -T fields -e frame.number");
	cr_expect_str_empty(out, "frames with sequence trouble: %s", out);
	free(out);
	out = tshark("-o tcp.relative_sequence_numbers:TRUE -Y 'tcp.port == 40000 && tcp.flags.fin == 1' "
		     "-T fields -E separator=, -e tcp.seq -e tcp.ack");
	cr_expect(strstr(out, "6,7\n"), "the client's FIN (after 5 bytes): %s", out);
	cr_expect(strstr(out, "7,7\n"), "the server's FIN (after 6 bytes): %s", out);
	free(out);
}

Test(pcap, checksums_are_right)
{
	need_tshark();
	char *out = tshark("-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
			   "-Y 'ip.checksum.status != 1 || tcp.checksum.status == 0 || "
			   "udp.checksum.status == 0' -T fields -e frame.number");
	cr_expect_str_empty(out, "frames with bad checksums: %s", out);
	free(out);
}

Test(pcap, refused_connection_is_syn_then_rst)
{
	need_tshark();
	char *out = tshark("-Y 'tcp.port == 40001' -T fields -E separator=, -e tcp.flags.syn "
			   "-e tcp.flags.reset -e tcp.flags.ack");
	cr_expect_str_eq(out, "1,0,0\n0,1,1\n");
	free(out);
}

Test(pcap, udp_datagram)
{
	need_tshark();
	char *out = tshark("-Y udp -T fields -E separator=, -e ip.src -e udp.srcport -e udp.dstport "
			   "-e udp.length");
	cr_expect_str_eq(out, "10.0.0.1,5353,53,13\n");
	free(out);
}

Test(pcap, no_capture_no_output)
{
	struct sup_run quiet = { .o = &opts };
	sup_pcap_tcp(&quiet, 1, 2, 3, 4, "x", 1, 0); /* must do nothing without --pcap */
	sup_pcap_udp(&quiet, 1, 2, 3, 4, "x", 1);
	sup_pcap_close(&quiet);
	cr_assert_null(quiet.pcap);
}
