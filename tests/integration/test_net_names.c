/*
 * Host names inside the simulation: p0, p1, ... and w0, w1, ...,
 * localhost, numeric addresses, the node's own host name, reverse lookups
 * — answered without the host's resolver.
 */
#include "net_harness.h"

Test(net_names, simulation_names_resolve_both_ways)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 --procs 2 --servers-may-exit --workload 'true' --workload 'sleep 1' -- /usr/bin/python3 -c '"
		"import socket, sys\n"
		"if socket.gethostname() != \"p0\": sys.exit(0)\n"
		"print(\"A\", socket.gethostbyname(\"p1\"), socket.gethostbyname(\"w1\"), socket.gethostbyname(\"localhost\"))\n"
		"print(\"B\", socket.getaddrinfo(\"p0\", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4])\n"
		"print(\"C\", socket.getaddrinfo(None, 8000, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)[0][4])\n"
		"print(\"D\", socket.getaddrinfo(\"p1\", \"http\", socket.AF_INET6, socket.SOCK_STREAM, 0, socket.AI_V4MAPPED)[0][4][:2])\n"
		"print(\"E\", socket.gethostbyaddr(\"10.0.1.2\")[0], socket.getnameinfo((\"10.0.0.1\", 443), 0))\n"
		"for bad in (\"p2\", \"w2\", \"example.com\"):\n"
		"    try: socket.gethostbyname(bad)\n"
		"    except OSError: print(\"F\", bad, \"unknown\")\n"
		"'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "A 10.0.1.2 10.0.0.2 127.0.0.1"), "%s", r.out);
	cr_expect(strstr(r.out, "B ('10.0.1.1', 80)"), "%s", r.out);
	cr_expect(strstr(r.out, "C ('0.0.0.0', 8000)"), "%s", r.out);
	cr_expect(strstr(r.out, "D ('::ffff:10.0.1.2', 80)"), "%s", r.out);
	cr_expect(strstr(r.out, "E p1 ('w0', 'https')"), "%s", r.out);
	cr_expect(strstr(r.out, "F p2 unknown"), "%s", r.out);
	cr_expect(strstr(r.out, "F w2 unknown"), "%s", r.out);
	cr_expect(strstr(r.out, "F example.com unknown"), "%s", r.out);
	run_free(&r);
}

Test(net_names, ephemeral_ports_are_deterministic)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 2 -- /usr/bin/python3 -c '"
		"import socket\n"
		"l = socket.socket(); l.bind((\"0.0.0.0\", 0)); l.listen()\n"
		"c = socket.create_connection(l.getsockname())\n"
		"u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b\"x\", (\"127.0.0.1\", 9))\n"
		"print(\"ports\", l.getsockname()[1], c.getsockname(), u.getsockname()[1])\n"
		"'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "ports 32768 ('127.0.0.1', 32769) 32770"), "%s", r.out);
	run_free(&r);
}

/* Programs that resolve names themselves (Go, c-ares, musl) read
 * /etc/hosts and /etc/resolv.conf: they list the simulation's hosts and no
 * server of the host's (a Go server asked the host's nameserver for its
 * own name and waited 10 s of virtual time for the answer). */
Test(net_names, etc_hosts_and_resolv_conf_describe_the_simulation)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --procs 2 --workload 'cat /etc/hosts /etc/resolv.conf' -- sleep 1");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "w0 | 127.0.0.1\tlocalhost\nw0 | ::1\tlocalhost ip6-localhost ip6-loopback\n"
				"w0 | 10.0.1.1\tp0\nw0 | 10.0.1.2\tp1\nw0 | 10.0.0.1\tw0\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "w0 | nameserver 127.0.0.1\n"), "%s", r.out);
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "nameserver ", 11) && strcmp(line, "nameserver 127.0.0.1\n")) {
			line[strcspn(line, "\n")] = 0;
			cr_expect(!strstr(r.out, line), "the host's %s reached the simulation", line);
		}
	if (f)
		fclose(f);
	run_free(&r);
}

/* The virtual network's sockets have abstract names made of the
 * supervisor's pid and a per-process number, in the network namespace.  Two
 * supervisors in pid namespaces of their own (containers on the host's
 * network) have the same pid: the second one's relay name used to be
 * taken ("cannot set up the virtual network's relay: Address already in
 * use", and an abort).  Both runs must pass, with one hash. */
Test(net_names, supervisors_with_the_same_pid_in_one_network_namespace, .timeout = 120)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (pid namespaces)");
	need_program("unshare");
	need_program("/bin/nc.openbsd");
	const char *bin = getenv("SIMSUP_BIN");
	cr_assert(bin && *bin, "SIMSUP_BIN is not set: run the tests through meson test");
	/* each run takes a second or two of wall time (python3 starts): they overlap */
	const char *run = "unshare -p -f --mount-proc %s --seed 3 --servers-may-exit --workload "
			  "\"sh -c 'for i in 1 2 3 4; do python3 -c pass; done; "
			  "echo hello | /bin/nc.openbsd -N 10.0.1.1 9000'\" "
			  "-- /bin/nc.openbsd -l 10.0.1.1 9000";
	char *one;
	cr_assert(asprintf(&one, run, bin) > 0);
	struct run r;
	run_sim(&r, "{ %s 2>&1 & %s 2>&1; wait; }", one, one);
	const char *a = strstr(r.out, "p0 | hello"), *b = a ? strstr(a + 1, "p0 | hello") : NULL;
	cr_expect(a && b, "both runs must pass:\n%s\n%s", r.out, r.err);
	cr_expect(!strstr(r.out, "Address already in use"), "%s", r.out);
	const char *h1 = strstr(r.out, "trace hash "), *h2 = h1 ? strstr(h1 + 1, "trace hash ") : NULL;
	cr_assert(h1 && h2, "%s", r.out);
	cr_expect(!strncmp(h1, h2, 11 + 32), "one hash expected:\n%s", r.out);
	run_free(&r);
	free(one);
}
