/*
 * UDP over the virtual network: datagram boundaries, MSG_PEEK and
 * MSG_TRUNC, and datagrams nobody receives being dropped (and traced).
 */
#include "net_harness.h"

Test(net_udp, datagram_boundaries_peek_and_trunc)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --workload '%s udp-client p0 7000' -- %s udp-echo 7000",
		example("netprobe"), example("netprobe"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "udp: 8 datagrams, boundaries kept"), "%s", r.out);
	run_free(&r);
}

Test(net_udp, datagrams_to_a_closed_port_are_dropped)
{
	need_program("/usr/bin/python3");
	char *dir = scratch_dir();
	struct run r;
	run_sim(&r, "simsup --seed 2 --run-dir %s/run --procs 2 -- /usr/bin/python3 -c '"
		"import socket\n"
		"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"s.sendto(b\"lost\", (\"10.0.1.2\", 9999))\n"
		"s.settimeout(0.2)\n"
		"try: s.recvfrom(100)\n"
		"except TimeoutError: print(\"timed out\")\n"
		"'", dir);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	char run_dir[4200];
	snprintf(run_dir, sizeof run_dir, "%s/run", dir);
	cr_expect_eq(trace_count(run_dir, "net-udp-drop"), 2, "one per server");
	cr_expect(strstr(r.out, "p0 | timed out"), "%s", r.out);
	run_free(&r);
}
