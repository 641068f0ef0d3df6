/*
 * Connecting over the virtual network: the echo example, a non-blocking
 * connect in flight (DESIGN.md §6), a refused connect, unknown hosts, and
 * what a failing workload does to the run.
 */
#include "net_harness.h"

#define LAT "--latency 100us:800us" /* no tail: timings stay within bounds */

Test(net_connect, echo_example_by_address_and_by_name)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --workload '%s 10.0.1.1 7000 20 3000' --workload '%s p0 7000' -- %s 7000",
		example("echo_client"), example("echo_client"), example("echo_server"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "w0 | echo_client: 20 messages of 3000 bytes echoed intact"), "%s", r.out);
	cr_expect(strstr(r.out, "w1 | echo_client: 10 messages of 100 bytes echoed intact"), "%s", r.out);
	run_free(&r);
}

Test(net_connect, nonblocking_connect_is_writable_only_once_established)
{
	struct run r;
	run_sim(&r, "simsup --seed 2 " LAT " --workload '%s nbconnect 10.0.1.1 7000' -- %s 7000",
		example("netprobe"), example("echo_server"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	long long ns = number_after(r.out, "connected after ");
	/* the handshake is a round trip: two deliveries of at least 100us */
	cr_expect(ns >= 200000 && ns <= 1700000, "connect took %lld ns: %s", ns, r.out);
	run_free(&r);
}

Test(net_connect, no_listener_is_refused_after_a_round_trip)
{
	struct run r;
	run_sim(&r, "simsup --seed 3 " LAT " --workload '%s refused 10.0.1.1 7001' -- %s 7000",
		example("netprobe"), example("echo_server"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	long long ns = number_after(r.out, "refused after ");
	cr_expect(ns >= 200000 && ns <= 1700000, "refusal took %lld ns: %s", ns, r.out);
	cr_expect(strstr(r.out, "refused: ok"), "%s", r.out);
	run_free(&r);
}

Test(net_connect, unknown_hosts_are_unreachable)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 4 -- /usr/bin/python3 -c '"
		"import socket, errno\n"
		"for host in (\"10.0.1.9\", \"8.8.8.8\"):\n"
		"    s = socket.socket()\n"
		"    try: s.connect((host, 80))\n"
		"    except OSError as e: print(host, errno.errorcode[e.errno])\n"
		"'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "10.0.1.9 EHOSTUNREACH"), "%s", r.out);
	cr_expect(strstr(r.out, "8.8.8.8 ENETUNREACH"), "%s", r.out);
	run_free(&r);
}

Test(net_connect, loopback_stays_on_the_node)
{
	need_program("/usr/bin/python3");
	struct run r;
	/* p0 listens on 127.0.0.1; p1 cannot reach it there, p0 itself can */
	run_sim(&r, "simsup --seed 5 --procs 2 -- /usr/bin/python3 -c '"
		"import os, socket, time\n"
		"if os.environ[\"SIMSUP_INDEX\"] == \"0\":\n"
		"    l = socket.socket(); l.bind((\"127.0.0.1\", 9000)); l.listen()\n"
		"    c = socket.create_connection((\"localhost\", 9000)); a, peer = l.accept()\n"
		"    print(\"p0 local\", peer[0], a.getsockname())\n"
		"    time.sleep(1)\n"
		"else:\n"
		"    time.sleep(0.5)\n"
		"    try: socket.create_connection((\"10.0.1.1\", 9000))\n"
		"    except ConnectionRefusedError: print(\"p1 refused\")\n"
		"'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 local 127.0.0.1 ('127.0.0.1', 9000)"), "%s", r.out);
	cr_expect(strstr(r.out, "p1 refused"), "%s", r.out);
	run_free(&r);
}

Test(net_connect, failing_workload_fails_the_run_and_is_named)
{
	struct run r;
	run_sim(&r, "simsup --seed 6 --workload '%s p0 7000' --workload '%s refused p0 7000' -- %s 7000",
		example("echo_client"), example("netprobe"), example("echo_server"));
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "workload w1 (netprobe) exited with status 1"), "%s", r.err);
	run_free(&r);
}
