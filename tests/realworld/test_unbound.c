/*
 * unbound 1.17 from Debian, unmodified, with `interface: <the node's ip>`
 * and two threads (tests/realworld/unbound-node.sh), queried with dig
 * (tests/realworld/unbound-check.sh) over UDP and TCP.  unbound lists the
 * host's interfaces with getifaddrs (netlink) before it binds: that needs
 * the node's virtual interfaces (docs/network.md).  Then the server
 * crashes and restarts, and the first UDP query after the restart must be
 * answered: the dead boot's two SO_REUSEPORT sockets are gone with it.
 */
#include "realworld.h"

#define CRASH "--reboot at=1500ms,proc=0,kind=crash,down=1s"

static void need_unbound(void)
{
	need_program("unbound");
	need_program("dig");
}

static int run_unbound(struct run *r, const char *opts, const char *after)
{
	char *check = source_file("unbound-check.sh"), *node = source_file("unbound-node.sh");
	int st = run_sim(r, "simsup %s " WATCHDOG " --workload '%s {ip:0} %s' -- %s", opts, check,
			 after, node);
	free(check);
	free(node);
	return st;
}

Test(unbound, answers_dig_over_udp_and_tcp_on_its_interface, .timeout = 120)
{
	need_unbound();
	struct run r;
	run_unbound(&r, "--seed 1", "");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "w0 | udp answer 10.9.9.9"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | tcp answer 10.9.9.9"), "%s", r.out);
	cr_expect(!strstr(r.err, "refused"), "%s", r.err);
	run_free(&r);
}

Test(unbound, answers_the_first_query_after_a_crash, .timeout = 120)
{
	need_unbound();
	struct run r;
	run_unbound(&r, "--seed 2 " CRASH, "3");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "w0 | after the restart, the first udp query: answer 10.9.9.9"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "w0 | after the restart, tcp answer 10.9.9.9"), "%s", r.out);
	run_free(&r);
}

Test(unbound, same_seed_same_trace_hash, .timeout = 180)
{
	need_unbound();
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		char *dir = scratch_dir(), *opts;
		cr_assert(asprintf(&opts, "--seed 7 " CRASH " --run-dir %s", dir) > 0);
		struct run r;
		run_unbound(&r, opts, "3");
		cr_assert_eq(r.status, 0, "run %d: stdout: %s\nstderr: %s", i, r.out, r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d", i);
		run_free(&r);
		free(opts);
		scratch_remove(dir);
	}
	cr_expect_neq(first[0], 0, "no trace hash printed");
}
