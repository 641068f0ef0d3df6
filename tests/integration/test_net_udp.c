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

/* A live host answers a datagram to a port nobody has bound with ICMP port
 * unreachable: a connected socket's next receive fails with ECONNREFUSED
 * (once), an unconnected one hears nothing.  A resolver whose nameserver
 * does not run (127.0.0.1 in the virtual /etc/resolv.conf) fails at once
 * instead of waiting out its timeouts. */
Test(net_udp, a_connected_socket_hears_port_unreachable)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 2 --procs 2 -- /usr/bin/python3 -c '"
		"import socket, time\n"
		"c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"c.connect((\"10.0.1.2\", 9999))\n"
		"c.send(b\"anyone\")\n"
		"c.settimeout(0.5)\n"
		"t = time.monotonic()\n"
		"try: c.recv(100)\n"
		"except ConnectionRefusedError: print(\"refused\", time.monotonic() - t < 0.1)\n"
		"try: c.recv(100)\n"
		"except TimeoutError: print(\"then nothing\")\n"
		"u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"u.sendto(b\"anyone\", (\"127.0.0.1\", 53))\n"
		"u.settimeout(0.2)\n"
		"try: u.recvfrom(100)\n"
		"except TimeoutError: print(\"unconnected: timed out\")\n"
		"'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | refused True\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | then nothing\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | unconnected: timed out\n"), "%s", r.out);
	run_free(&r);
}

/* A UDP server with two SO_REUSEPORT sockets on one port (as unbound's
 * threads) crashes and restarts: the first datagram after the restart is
 * answered (the dead sockets do not share the port with the new ones), and
 * a datagram sent while the node is down is dropped as "node down". */
static const char udp_pair_server[] =
	"import socket, select\n"
	"ss = []\n"
	"for i in range(2):\n"
	"    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
	"    s.bind(('0.0.0.0', 7000))\n"
	"    ss.append(s)\n"
	"while True:\n"
	"    for s in select.select(ss, [], [])[0]:\n"
	"        d, a = s.recvfrom(100)\n"
	"        s.sendto(d, a)\n";
static const char udp_one_query[] =
	"import socket, sys, time\n"
	"time.sleep(float(sys.argv[1]))\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"s.settimeout(0.5)\n"
	"s.sendto(b'ping', ('10.0.1.1', 7000))\n"
	"try: print('answered', s.recvfrom(100)[0].decode())\n"
	"except TimeoutError: print('lost')\n";

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(net_udp, a_crashed_servers_sockets_are_gone_at_once)
{
	need_program("/usr/bin/python3");
	char *dir = scratch_dir(), py[4200];
	snprintf(py, sizeof py, "%s/py", dir);
	cr_assert_eq(mkdir(py, 0755), 0);
	put_file(py, "server.py", udp_pair_server);
	put_file(py, "query.py", udp_one_query);
	struct run r;
	run_sim(&r, "simsup --seed 3 --run-dir %s/run --reboot at=1s,proc=0,kind=crash,down=1s "
		"--workload '/usr/bin/python3 %s/query.py 1.5' --workload '/usr/bin/python3 %s/query.py 3' "
		"-- /usr/bin/python3 %s/server.py", dir, py, py, py);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "w0 | lost"), "sent while p0 was down: %s", r.out);
	cr_expect(strstr(r.out, "w1 | answered ping"), "the first datagram after the restart: %s",
		  r.out);
	char path[4200];
	snprintf(path, sizeof path, "%s/run/trace.jsonl", dir);
	char *trace = slurp(path);
	cr_assert(trace);
	cr_expect(strstr(trace, "\"why\":\"node down\""), "the drop is not a partition");
	cr_expect(!strstr(trace, "\"why\":\"partition\""));
	free(trace);
	run_free(&r);
}

/* IP_PKTINFO: a server bound to 0.0.0.0 learns which address and
 * interface each datagram came to (dnsmasq answers only then). */
static const char pktinfo_server[] =
	"import socket, struct\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"IP_PKTINFO = 8\n"
	"s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)\n"
	"s.bind(('0.0.0.0', 7000))\n"
	"while True:\n"
	"    d, anc, flags, a = s.recvmsg(100, 100)\n"
	"    for level, kind, data in anc:\n"
	"        if level == socket.IPPROTO_IP and kind == IP_PKTINFO:\n"
	"            ifindex, spec, dst = struct.unpack('i4s4s', data)\n"
	"            print(d.decode(), 'to', socket.inet_ntoa(dst), 'on', socket.if_indextoname(ifindex),\n"
	"                  flush=True)\n"
	"    s.sendto(d, a)\n";
static const char pktinfo_client[] =
	"import socket, sys\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"s.settimeout(0.2)\n"
	"for i in range(20):\n" /* until the server has bound its port */
	"    s.sendto(sys.argv[2].encode(), (sys.argv[1], 7000))\n"
	"    try: print(s.recvfrom(100)[0].decode()); break\n"
	"    except TimeoutError: pass\n";

Test(net_udp, ip_pktinfo_says_where_a_datagram_was_sent)
{
	need_program("/usr/bin/python3");
	char *dir = scratch_dir(), py[4200];
	snprintf(py, sizeof py, "%s/py", dir);
	cr_assert_eq(mkdir(py, 0755), 0);
	put_file(py, "server.py", pktinfo_server);
	put_file(py, "client.py", pktinfo_client);
	struct run r;
	run_sim(&r, "simsup --seed 1 --workload \"sh -c 'sleep 1; /usr/bin/python3 %s/client.py "
		"10.0.1.1 remote'\" -- sh -c '/usr/bin/python3 %s/server.py & /usr/bin/python3 "
		"%s/client.py 127.0.0.1 local; wait'", py, py, py);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | remote to 10.0.1.1 on eth0"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | local to 127.0.0.1 on lo"), "%s", r.out);
	run_free(&r);
}

/* A datagram sent just before its socket is closed has left: logger -d
 * sends one and closes, and rsyslog never got it (the supervisor dropped
 * its end of the socket, the datagram unread in it). */
Test(net_udp, a_datagram_sent_just_before_close_arrives)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 --workload \"/usr/bin/python3 -c '"
		"import socket, time\n"
		"u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"u.sendto(b\\\"hello\\\", (\\\"10.0.1.1\\\", 514))\n"
		"u.close()\n"
		"time.sleep(1)'\" -- /usr/bin/python3 -c '"
		"import socket\n"
		"u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"u.bind((\"0.0.0.0\", 514))\n"
		"print(\"got\", u.recvfrom(100)[0].decode())\n"
		"import time; time.sleep(5)'");
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | got hello"), "stdout: %s\nstderr: %s", r.out, r.err);
	run_free(&r);
}

/* SO_TIMESTAMPNS gives each datagram the node's realtime when it reached
 * the socket (ntpd exits without: "fetch_timestamp: no msghdrs");
 * SO_TIMESTAMPING (kernel and hardware stamps) is refused, named. */
Test(net_udp, so_timestampns_stamps_each_datagram)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 --workload \"/usr/bin/python3 -c '"
		"import socket, time\n"
		"time.sleep(0.5)\n"
		"socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\\\"x\\\", (\\\"10.0.1.1\\\", 5123))\n"
		"time.sleep(1)'\" -- /usr/bin/python3 -c '"
		"import socket, struct, time\n"
		"u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"u.setsockopt(socket.SOL_SOCKET, 35, 1)\n"
		"u.bind((\"0.0.0.0\", 5123))\n"
		"m, anc, fl, a = u.recvmsg(100, 256)\n"
		"now = time.time()\n"
		"for l, t, d in anc:\n"
		"  s, ns = struct.unpack(\"qq\", d)\n"
		"  print(\"stamp\", l, t, \"%%.3f\" %% (now - (s + ns / 1e9)))\n"
		"try: u.setsockopt(socket.SOL_SOCKET, 37, 1)\n"
		"except OSError as e: print(\"timestamping\", e.errno)\n"
		"time.sleep(5)'");
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | stamp 1 35 0.000"), "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | timestamping 22"), "%s", r.out);
	cr_expect(strstr(r.err, "refused setsockopt: SO_TIMESTAMPING"), "%s", r.err);
	run_free(&r);
}

/* SO_REUSEADDR set on a socket after its bind counts at the next bind
 * (ntpd: a wildcard bound without it, then set on it and on each
 * per-address socket before that one binds).  As on Linux, the third
 * bind fails once the wildcard has it off again. */
Test(net_udp, so_reuseaddr_set_after_bind_counts)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c '"
		"import socket, os\n"
		"ip = os.environ[\"SIMSUP_IP\"]\n"
		"R = lambda s, v: s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, v)\n"
		"U = lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"w = U(); R(w, 0); w.bind((\"0.0.0.0\", 123))\n"
		"b = U(); R(b, 1); R(w, 1); b.bind((ip, 123)); print(\"per-address bound\")\n"
		"R(w, 0); d = U(); R(d, 1)\n"
		"try: d.bind((ip, 123))\n"
		"except OSError as e: print(\"third\", e.errno)'");
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | per-address bound"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | third 98"), "%s\n%s", r.out, r.err);
	run_free(&r);
}

/* A datagram to an address goes to the socket bound to that address, not
 * to one bound to any address on the same port (ntpd's per-address sockets
 * beside its "listen and drop" wildcard: it answered nothing). */
Test(net_udp, the_socket_bound_to_the_address_gets_the_datagram)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c '"
		"import socket, os\n"
		"ip = os.environ[\"SIMSUP_IP\"]\n"
		"def U(a):\n"
		"  s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"  s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((a, 5123)); s.settimeout(0.2)\n"
		"  return s\n"
		"w = U(\"0.0.0.0\"); e = U(ip)\n"
		"socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\"x\", (ip, 5123))\n"
		"for n, k in ((\"wildcard\", w), (\"exact\", e)):\n"
		"  try: k.recv(9); print(n, \"got it\")\n"
		"  except socket.timeout: print(n, \"nothing\")'");
	cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | wildcard nothing") && strstr(r.out, "p0 | exact got it"), "%s\n%s", r.out,
		  r.err);
	run_free(&r);
}
