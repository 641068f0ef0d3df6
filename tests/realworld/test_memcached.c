/*
 * memcached 1.6 from Debian, unmodified, with 4 worker threads, under the
 * workload examples/mcclient: 8 client threads, each on its own
 * connection, set, get (single and multi-key), delete and incr a shared
 * counter over the text protocol.
 */
#include "realworld.h"

#define MEMCACHED WATCHDOG " --workload '%s {ip:0} %d %d' -- memcached -t 4 -u root -l {ip} -U 0"

static int run_memcached(struct run *r, const char *opts, int threads, int keys)
{
	char *client = example("mcclient");
	int st = run_sim(r, "simsup %s " MEMCACHED, opts, client, threads, keys);
	free(client);
	return st;
}

Test(memcached, four_threads_answer_sets_and_gets_from_eight_clients, .timeout = 120)
{
	need_program("memcached");
	struct run r;
	run_memcached(&r, "--seed 1", 8, 50);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "w0 | mcclient: 8 threads x 50 keys: all answers as expected; hits 400; "
				"server threads 4"), "%s", r.out);
	run_free(&r);
}

Test(memcached, same_seed_same_trace_hash, .timeout = 180)
{
	need_program("memcached");
	char first[40] = "";
	for (int i = 0; i < 3; i++) {
		char *dir = scratch_dir(), *opts;
		cr_assert(asprintf(&opts, "--seed 11 --run-dir %s", dir) > 0);
		struct run r;
		run_memcached(&r, opts, 4, 50);
		cr_assert_eq(r.status, 0, "run %d: stderr: %s", i, r.err);
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

/* The 50-seed sweep is in docs/realworld.md; the suite runs 10. */
Test(memcached, ten_seeds_all_pass, .timeout = 300)
{
	need_program("memcached");
	struct run r;
	run_memcached(&r, "--seeds 1-10 -j 2", 4, 50);
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.err, "10 passed, 0 failed"), "%s", r.err);
	run_free(&r);
}
