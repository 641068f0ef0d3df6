/*
 * nats-server 2.9 from Debian (a Go program, dynamically linked),
 * unmodified, as a three-server cluster under simsup
 * (tests/realworld/nats-node.sh): a message published on one server
 * reaches a subscriber on another through the cluster's routes, before,
 * during and after a crash of the third, and after a graceful reboot
 * (SIGTERM: Go's handler on its own signal stack; nats-server shuts down
 * instead of aborting).  The seed gives one trace hash.
 */
#include "realworld.h"

/* rounds at 2-4.5 s (p1 down), 6.5-9 s (p1 back), 11-13.5 s (p2 rebooted), 15.5-18 s */
#define FAULTS "--reboot at=2500ms,proc=1,kind=crash,down=3s --reboot at=9500ms,proc=2,kind=graceful,down=1s"

Test(nats, cluster_routes_messages_across_a_crash_and_a_graceful_reboot, .timeout = 300)
{
	need_program("nats-server");
	need_program("nc");
	char *dir = scratch_dir(), *node = source_file("nats-node.sh"), *check = source_file("nats-check.sh");
	struct run r;
	run_sim(&r, "simsup --seed 1 --check-determinism --keep --run-dir %s/run --procs 3 " WATCHDOG " " FAULTS
		    " --workload '%s 4 {ip:0} {ip:2}' -- %s", dir, check, node);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.err, "simsup: deterministic: both runs of seed 1 gave"), "%s", r.err);
	for (int n = 1; n <= 4; n++) {
		char want[32];
		snprintf(want, sizeof want, "round %d: got r%d \n", n, n);
		cr_expect_eq(count_of(r.out, want), 2, "%s missing: %s", want, r.out);
	}
	char *trace = run_file(dir, "run/trace.jsonl");
	cr_expect(strstr(trace, "\"kind\":\"crash\",\"node\":\"p1\""), "no crash of p1 in the trace");
	cr_expect(strstr(trace, "\"kind\":\"graceful\",\"node\":\"p2\""), "no graceful reboot of p2");
	free(trace);
	char *log = run_file(dir, "run/logs/p2.err");
	cr_expect(log && strstr(log, "Server Exiting"), "p2 did not shut down on SIGTERM: %s", log);
	cr_expect(log && !strstr(log, "not on signal stack") && !strstr(log, "fatal error"), "%s", log);
	free(log);
	run_free(&r);
	free(node);
	free(check);
	scratch_remove(dir);
}
