/*
 * redis-server 7 from Debian, unmodified, as a three-node replicated
 * cluster under simsup: the leader p0 and two followers started with
 * --replicaof (tests/realworld/redis-node.sh), RDB snapshots and AOF on,
 * so redis forks children to save and to feed replicas.  The workload
 * (tests/realworld/redis-check.sh) uses redis-cli only: it writes keys to
 * the leader and polls each follower until every key reads back.
 */
#include "realworld.h"

/* Three nodes: p0 leads; a crash of p1 at 6.5 s (when asked) falls between
 * the workload's writes, so p1 restarts and must resync from the leader
 * before the final check passes. */
#define CLUSTER "--procs 3 --tag role=leader,follower,follower " WATCHDOG
#define CRASH "--reboot at=6500ms,proc=1,kind=crash,down=2s"
#define WORKLOAD "--workload '%s 100 3 30 {ip:0} {ip:1} {ip:2}' -- %s {ip:0}"

static void need_redis(void)
{
	need_program("redis-server");
	need_program("redis-cli");
}

static int run_redis(struct run *r, const char *opts, const char *dir)
{
	char *check = source_file("redis-check.sh"), *node = source_file("redis-node.sh");
	int st = run_sim(r, "simsup %s --run-dir %s " CLUSTER " " WORKLOAD, opts, dir, check, node);
	free(check);
	free(node);
	return st;
}

Test(redis, followers_replicate_every_key_written_to_the_leader, .timeout = 120)
{
	need_redis();
	char *dir = scratch_dir();
	struct run r;
	run_redis(&r, "--seed 1", dir);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "w0 | follower 10.0.1.2 has all 300 keys"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | follower 10.0.1.3 has all 300 keys"), "%s", r.out);
	for (int i = 1; i <= 2; i++) {
		char rel[32];
		snprintf(rel, sizeof rel, "logs/p%d.out", i);
		char *log = run_file(dir, rel);
		cr_expect(log && strstr(log, "MASTER <-> REPLICA sync: Finished with success"), "p%d: %s", i, log);
		free(log);
	}
	run_free(&r);
	scratch_remove(dir);
}

/* BGSAVE and the replication feed fork children that write, fsync and
 * rename files and report back through a pipe; the parent reaps them with
 * wait4(WNOHANG) after SIGCHLD.  The files land in each storage dir. */
Test(redis, snapshots_fork_children_that_are_reaped_and_leave_files, .timeout = 120)
{
	need_redis();
	char *dir = scratch_dir();
	struct run r;
	run_redis(&r, "--seed 2", dir);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	char *log = run_file(dir, "logs/p0.out");
	cr_expect(strstr(log, "Background saving terminated with success"), "%s", log);
	cr_expect(!strstr(log, "Background saving error"), "%s", log);
	free(log);
	for (int i = 0; i < 3; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "data/p%d/dump.rdb", i);
		cr_expect(run_file_exists(dir, rel), "%s is missing", rel);
		snprintf(rel, sizeof rel, "data/p%d/appendonlydir/appendonly.aof.manifest", i);
		cr_expect(run_file_exists(dir, rel), "%s is missing", rel);
	}
	/* every fork has its child's exit in the trace: none left unreaped */
	char *trace = run_file(dir, "trace.jsonl");
	int forks = count_of(trace, "\"ev\":\"fork\"");
	cr_expect_geq(forks, 3, "redis forked %d children", forks);
	cr_expect(!strstr(trace, "\"ev\":\"refused\""), "a call was refused");
	free(trace);
	run_free(&r);
	scratch_remove(dir);
}

Test(redis, crashed_follower_restarts_and_resyncs_before_the_check, .timeout = 120)
{
	need_redis();
	char *dir = scratch_dir();
	struct run r;
	run_redis(&r, "--seed 3 " CRASH, dir);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "w0 | follower 10.0.1.2 has all 300 keys"), "%s", r.out);
	char *trace = run_file(dir, "trace.jsonl");
	cr_expect(strstr(trace, "\"kind\":\"crash\",\"node\":\"p1\""), "no crash of p1 in the trace");
	cr_expect(strstr(trace, "\"kind\":\"restart\",\"node\":\"p1\""), "no restart of p1 in the trace");
	free(trace);
	/* p1 started twice and synced from the leader after each start */
	char *log = run_file(dir, "logs/p1.out");
	cr_expect_eq(count_of(log, "Ready to accept connections"), 2, "%s", log);
	const char *again = strstr(log, "Redis is starting");
	again = again ? strstr(again + 1, "Redis is starting") : NULL;
	cr_expect(again && strstr(again, "MASTER <-> REPLICA sync: Finished with success"),
		  "p1 did not resync after its restart: %s", log);
	free(log);
	run_free(&r);
	scratch_remove(dir);
}

Test(redis, same_seed_same_trace_hash_with_a_crash, .timeout = 180)
{
	need_redis();
	char first[40] = "";
	for (int i = 0; i < 3; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_redis(&r, "--seed 7 " CRASH, dir);
		cr_assert_eq(r.status, 0, "run %d: stderr: %s", i, r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d", i);
		run_free(&r);
		scratch_remove(dir);
	}
	cr_expect_neq(first[0], 0, "no trace hash printed");
}

/* The 50-seed sweeps are in docs/realworld.md; the suite runs 10. */
Test(redis, ten_seeds_with_a_crashed_follower_all_pass, .timeout = 300)
{
	need_redis();
	char *dir = scratch_dir();
	struct run r;
	run_redis(&r, "--seeds 1-10 -j 2 " CRASH, dir);
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.err, "10 passed, 0 failed"), "%s", r.err);
	run_free(&r);
	scratch_remove(dir);
}

Test(redis, default_bind_and_daemonize)
{
	/* redis binds 0.0.0.0 and :: (IPV6_V6ONLY) on one port by default, and
	 * --daemonize forks the server off and exits 0: both are a running
	 * server, not a failure */
	need_program("redis-server");
	need_program("redis-cli");
	char *dir = scratch_dir();
	struct run r;
	run_sim(&r, "simsup %s --run-dir %s/run --seed 3 --workload "
		    "\"sh -c 'sleep 1; redis-cli -h {ip:0} set a 1; redis-cli -h {ip:0} get a'\" "
		    "-- redis-server --protected-mode no --save '' --appendonly no --daemonize yes",
		WATCHDOG, dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "w0 | OK\nw0 | 1\n"), "%s", r.out);
	run_free(&r);
	scratch_remove(dir);
	free(dir);
}
