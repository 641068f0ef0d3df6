/*
 * etcd 3.4 from Debian (etcd-server, a Go program, dynamically linked),
 * unmodified and with no settings of its environment, as a three-member
 * cluster under simsup (tests/realworld/etcd-node.sh), driven by etcdctl
 * (etcd-client, Go too) from tests/realworld/etcd-check.sh.  One member
 * crashes and comes back, another is rebooted gracefully (SIGTERM, which
 * Go handles on its own signal stack); every key written through the
 * cluster reads back from each member, and the seed gives one trace hash.
 */
#include "realworld.h"

#define FAULTS "--reboot at=3s,proc=1,kind=crash,down=1s --reboot at=6s,proc=2,kind=graceful,down=1s"

Test(etcd, cluster_survives_a_crash_and_a_graceful_reboot_with_one_hash_per_seed, .timeout = 300)
{
	need_program("etcd");
	need_program("etcdctl");
	char *dir = scratch_dir(), *node = source_file("etcd-node.sh"), *check = source_file("etcd-check.sh");
	struct run r;
	run_sim(&r, "simsup --seed 1 --check-determinism --keep --run-dir %s/run --procs 3 " WATCHDOG " " FAULTS
		    " --workload '%s 12 {ip:0} {ip:1} {ip:2}' -- %s", dir, check, node);
	/* simsup's verdicts come last, after thousands of lines of etcd's log */
	const char *tail = r.err ? r.err + (strlen(r.err) > 3000 ? strlen(r.err) - 3000 : 0) : "";
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr ends: %s", r.out, tail);
	cr_expect(strstr(r.err, "simsup: deterministic: both runs of seed 1 gave"), "%s", tail);
	/* three members, in each of the two runs */
	cr_expect_eq(count_of(r.out, "has 12 of 12 keys"), 6, "%s", r.out);
	char *trace = run_file(dir, "run/trace.jsonl");
	cr_expect(strstr(trace, "\"kind\":\"crash\",\"node\":\"p1\""), "no crash of p1 in the trace");
	cr_expect(strstr(trace, "\"kind\":\"graceful\",\"node\":\"p2\""), "no graceful reboot of p2");
	cr_expect(!strstr(trace, "\"ev\":\"watchdog\""), "a thread kept the turn");
	free(trace);
	for (int i = 0; i < 3; i++) {
		char rel[32];
		snprintf(rel, sizeof rel, "run/logs/p%d.err", i);
		char *log = run_file(dir, rel);
		cr_expect(log && !strstr(log, "not on signal stack") && !strstr(log, "fatal error"),
			  "p%d: %s", i, log);
		if (i == 2)
			cr_expect(log && strstr(log, "received terminated signal, shutting down"),
				  "p2 did not shut down on SIGTERM: %s", log);
		free(log);
	}
	run_free(&r);
	free(node);
	free(check);
	scratch_remove(dir);
}
