/*
 * The replicated key-value store example: leader and followers by tag, a
 * write-ahead log in each storage dir, a client workload that checks what
 * every server reads back.  Passes over many seeds, deterministically.
 */
#include "net_harness.h"

#define KV "simsup --seed %u --run-dir %s/run --procs 3 --tag role=leader,follower,follower " \
	   "--workload '%s {peers}' -- %s --role {tag:role} --peers {peers}"

Test(net_examples, kvstore_passes_over_twenty_seeds, .timeout = 240)
{
	char *dir = scratch_dir();
	for (unsigned seed = 1; seed <= 20; seed++) {
		struct run r;
		run_sim(&r, KV, seed, dir, example("kvclient"), example("kvstore"));
		cr_assert_eq(r.status, 0, "seed %u: stdout: %s\nstderr: %s", seed, r.out, r.err);
		cr_expect(strstr(r.out, "read back from 3 servers: all match"), "seed %u: %s", seed, r.out);
		run_free(&r);
	}
	char wal[4200];
	snprintf(wal, sizeof wal, "%s/run/data/p2/wal.log", dir);
	char *log = slurp(wal);
	cr_expect(log && strstr(log, "20 k19 v19-"), "the follower's write-ahead log: %s", log);
	free(log);
}

Test(net_examples, kvstore_same_seed_same_trace_hash_three_times)
{
	char *dir = scratch_dir();
	char first[40] = "";
	for (int i = 0; i < 3; i++) {
		struct run r;
		run_sim(&r, KV, 42u, dir, example("kvclient"), example("kvstore"));
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i + 1);
		run_free(&r);
	}
	cr_expect(first[0], "no trace hash");
}

Test(net_examples, kvstore_with_the_issues_round_robin_tags)
{
	/* --tag role=leader,follower on three servers tags p2 leader too: it
	 * finds p0 leading and follows it */
	char *dir = scratch_dir();
	for (unsigned seed = 1; seed <= 3; seed++) {
		struct run r;
		run_sim(&r, "simsup --seed %u --run-dir %s/run --procs 3 --tag role=leader,follower "
			    "--workload '%s {peers}' -- %s --role {tag:role} --peers {peers}",
			seed, dir, example("kvclient"), example("kvstore"));
		cr_expect_eq(r.status, 0, "seed %u: %s", seed, r.err);
		cr_expect(strstr(r.out, "p2 | kvstore: an earlier server leads already"), "%s", r.out);
		cr_expect(strstr(r.out, "written through 10.0.1.1, read back from 3 servers: all match"), "%s", r.out);
		run_free(&r);
	}
}
