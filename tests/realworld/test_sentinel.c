/*
 * Redis Sentinel from Debian, unmodified: three nodes, each with a
 * redis-server (p0 the master, p1 and p2 replicas) and a redis-sentinel
 * (tests/realworld/sentinel-node.sh).  The master's node crashes at 12 s
 * (after the sentinels' first INFO round has shown them the replicas);
 * the two surviving sentinels agree on a new master and promote it, and
 * when p0 comes back they turn it into its replica.  The workload
 * (tests/realworld/sentinel-check.sh) checks each step with redis-cli.
 */
#include "realworld.h"

#define SENTINEL_CMD                                                                        \
	"simsup %s --run-dir %s/run --seed 1 --procs 3 --tag role=leader,follower,follower "   \
	"--reboot at=12s,proc=0,kind=crash,down=4s "                                          \
	"--workload '%s 60 {ip:0} {ip:1} {ip:2}' -- %s {ip:0}"

Test(sentinel, failover_after_the_master_crashed_passes_and_replays, .timeout = 600)
{
	need_program("redis-server");
	need_program("redis-sentinel");
	need_program("redis-cli");
	char *check = source_file("sentinel-check.sh"), *node = source_file("sentinel-node.sh");
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_sim(&r, SENTINEL_CMD, WATCHDOG, dir, check, node);
		cr_assert_eq(r.status, 0, "run %d\nstdout: %s\nstderr: %s", i, r.out, r.err);
		cr_expect(strstr(r.out, "w0 | the sentinels name 10.0.1."), "%s", r.out);
		cr_expect(strstr(r.out, "has before=failover"), "the key written before was lost: %s", r.out);
		cr_expect(strstr(r.out, "w0 | the old master 10.0.1.1 is a replica of 10.0.1."), "%s", r.out);
		char *p1 = run_file(dir, "run/logs/p1.out"), *p2 = run_file(dir, "run/logs/p2.out");
		cr_expect((p1 && strstr(p1, "+switch-master mymaster 10.0.1.1 6379")) ||
			  (p2 && strstr(p2, "+switch-master mymaster 10.0.1.1 6379")),
			  "no sentinel switched the master");
		free(p1);
		free(p2);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "the replay differs");
		run_free(&r);
		scratch_remove(dir);
		free(dir);
	}
	free(check);
	free(node);
}
