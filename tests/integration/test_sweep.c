/*
 * Sweeps as a user meets them: many seeds over examples/flaky (which fails
 * on the seeds whose first random byte is below 20), in parallel, in
 * shards, stopped early, and the replay command of each failure.
 */
#include <dirent.h>
#include <stdint.h>

#include "harness.h"

#define MAX_SEEDS 400

struct seeds {
	uint64_t v[MAX_SEEDS];
	int n;
};

static bool has(const struct seeds *s, uint64_t seed)
{
	for (int i = 0; i < s->n; i++)
		if (s->v[i] == seed)
			return true;
	return false;
}

static char *seeds_str(const struct seeds *s)
{
	static char buf[4096];
	size_t k = 0;
	buf[0] = 0;
	for (int i = 0; i < s->n && k < sizeof buf - 24; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%llu", i ? "," : "",
				      (unsigned long long)s->v[i]);
	return buf;
}

static void expect_same(const struct seeds *a, const struct seeds *b, const char *what)
{
	char sa[4096];
	snprintf(sa, sizeof sa, "%s", seeds_str(a));
	cr_expect_eq(a->n, b->n, "%s: %s vs %s", what, sa, seeds_str(b));
	for (int i = 0; i < a->n; i++)
		cr_expect(has(b, a->v[i]), "%s: seed %llu only on one side (%s vs %s)", what,
			  (unsigned long long)a->v[i], sa, seeds_str(b));
}

/* The seeds of "simsup: replay with: simsup --seed N ..." lines, and the
 * commands themselves (malloc'd) when cmds is given. */
static void replays(const char *err, struct seeds *s, char **cmds)
{
	s->n = 0;
	for (const char *p = err; (p = strstr(p, "replay with: ")); p++) {
		const char *cmd = p + strlen("replay with: ");
		unsigned long long seed;
		cr_assert(sscanf(cmd, "simsup --seed %llu", &seed) == 1, "odd replay line: %.80s", cmd);
		cr_assert(s->n < MAX_SEEDS);
		if (cmds)
			cmds[s->n] = strndup(cmd, strcspn(cmd, "\n"));
		s->v[s->n++] = seed;
	}
}

/* The seeds that fail when each runs alone, as plain `simsup --seed N`. */
static void failing_alone(uint64_t lo, uint64_t hi, struct seeds *s)
{
	char *flaky = example("flaky");
	s->n = 0;
	for (uint64_t seed = lo; seed <= hi; seed++) {
		struct run r;
		run_sim(&r, "simsup -q --seed %llu -- %s", (unsigned long long)seed, flaky);
		cr_assert(r.status == 0 || r.status == 1, "seed %llu: status %d: %s",
			  (unsigned long long)seed, r.status, r.err);
		if (r.status == 1)
			s->v[s->n++] = seed;
		run_free(&r);
	}
	free(flaky);
}

static void sweep(struct seeds *failed, char **cmds, const char *opts)
{
	char *flaky = example("flaky");
	struct run r;
	run_sim(&r, "simsup %s -- %s", opts, flaky);
	cr_assert_eq(r.status, 1, "sweep %s: status %d: %s", opts, r.status, r.err);
	replays(r.err, failed, cmds);
	run_free(&r);
	free(flaky);
}

Test(sweep, lists_exactly_the_seeds_that_fail_alone, .timeout = 240)
{
	struct seeds alone, swept;
	failing_alone(1, 200, &alone);
	cr_assert(alone.n > 0 && alone.n < 100, "flaky should fail on some seeds: %d", alone.n);
	sweep(&swept, NULL, "--seeds 1-200 -j 1 -q");
	expect_same(&alone, &swept, "seeds failing alone vs in a sweep");
}

Test(sweep, two_jobs_find_the_same_seeds_as_one, .timeout = 240)
{
	struct seeds one, two;
	sweep(&one, NULL, "--seeds 1-200 -j 1 -q");
	sweep(&two, NULL, "--seeds 1-200 -j 2 -q");
	expect_same(&one, &two, "-j 1 vs -j 2");
}

Test(sweep, each_replay_command_reproduces_its_failure, .timeout = 240)
{
	struct seeds failed;
	char *cmds[MAX_SEEDS];
	sweep(&failed, cmds, "--seeds 1-200 -j 2 -q");
	cr_assert(failed.n > 0);
	for (int i = 0; i < failed.n; i++) {
		struct run r;
		run_sim(&r, "%s", cmds[i]);
		cr_expect_eq(r.status, 1, "`%s` gave status %d", cmds[i], r.status);
		cr_expect(strstr(r.err, "exited with status 1"), "`%s`: %s", cmds[i], r.err);
		cr_expect(strstr(r.err, "replay with: simsup --seed"), "`%s`: %s", cmds[i], r.err);
		run_free(&r);
		free(cmds[i]);
	}
}

/* The seeds a JUnit file lists. */
static void junit_seeds(const char *path, struct seeds *s)
{
	char *x = slurp(path);
	cr_assert(x, "no JUnit file %s", path);
	s->n = 0;
	for (const char *p = x; (p = strstr(p, "<testcase name=\"seed ")); p++) {
		cr_assert(s->n < MAX_SEEDS);
		s->v[s->n++] = strtoull(p + strlen("<testcase name=\"seed "), NULL, 10);
	}
	free(x);
}

Test(sweep, shards_cover_every_seed_exactly_once, .timeout = 240)
{
	char *flaky = example("flaky");
	char tmpl[] = "/tmp/simsup-test-shard-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	int count[101] = { 0 };
	struct seeds failing_in_shards = { .n = 0 }, whole;
	for (int k = 1; k <= 4; k++) {
		struct run r;
		run_sim(&r, "simsup --seeds 1-100 --shard %d/4 -q --junit %s/shard%d.xml -- %s", k, tmpl, k,
			flaky);
		cr_assert(r.status == 0 || r.status == 1, "shard %d: %d: %s", k, r.status, r.err);
		char path[256];
		struct seeds s, f;
		snprintf(path, sizeof path, "%s/shard%d.xml", tmpl, k);
		junit_seeds(path, &s);
		cr_expect_eq(s.n, 25, "shard %d ran %d seeds", k, s.n);
		for (int i = 0; i < s.n; i++) {
			cr_assert(s.v[i] >= 1 && s.v[i] <= 100, "shard %d ran seed %llu", k,
				  (unsigned long long)s.v[i]);
			count[s.v[i]]++;
		}
		replays(r.err, &f, NULL);
		for (int i = 0; i < f.n; i++)
			failing_in_shards.v[failing_in_shards.n++] = f.v[i];
		run_free(&r);
	}
	for (int seed = 1; seed <= 100; seed++)
		cr_expect_eq(count[seed], 1, "seed %d ran %d times over the 4 shards", seed, count[seed]);
	sweep(&whole, NULL, "--seeds 1-100 -q");
	expect_same(&whole, &failing_in_shards, "whole sweep vs its 4 shards");
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
	cr_assert_eq(system(cmd), 0);
	free(flaky);
}

Test(sweep, exit_status_is_0_when_every_seed_passes)
{
	struct run r;
	char *flaky = example("flaky");
	run_sim(&r, "simsup --seeds 1-20 -j 2 -- %s --threshold 0", flaky);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "20 passed, 0 failed"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --seeds 1-20 -j 2 -q -- %s --threshold 0", flaky);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_empty(r.err, "-q and every seed passed: nothing to say");
	run_free(&r);
	free(flaky);
}

Test(sweep, exit_status_is_2_on_a_setup_error)
{
	struct run r;
	char *flaky = example("flaky");
	run_sim(&r, "simsup --seeds 1-5 --run-dir /dev/null/x -- %s", flaky);
	cr_expect_eq(r.status, 2, "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --seeds 5-1 -- %s", flaky);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "--seeds \"5-1\""), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --seeds 1-5 --seed 3 -- %s", flaky);
	cr_expect_eq(r.status, 2, "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --iterations 10 --shard 1/2 -- %s", flaky);
	cr_expect_eq(r.status, 2, "random first seed with shards: %s", r.err);
	run_free(&r);
	free(flaky);
}

Test(sweep, fail_fast_stops_at_the_first_failure)
{
	struct seeds failed;
	sweep(&failed, NULL, "--seeds 1-200 -j 1 -q --fail-fast");
	cr_expect_eq(failed.n, 1, "failures after --fail-fast: %s", seeds_str(&failed));
}

Test(sweep, budget_ends_the_sweep_without_failing_it)
{
	struct run r;
	char *flaky = example("flaky");
	run_sim(&r, "simsup --seed 1 --iterations 1000000 --budget 0.5s -q -- %s --threshold 0", flaky);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "stopped early (--budget)"), "%s", r.err);
	run_free(&r);
	free(flaky);
}

Test(sweep, iterations_count_up_from_the_seed)
{
	char *flaky = example("flaky");
	struct run r;
	struct seeds s;
	run_sim(&r, "simsup --seed 10 --iterations 5 -q --junit /tmp/simsup-test-iter.xml -- %s", flaky);
	cr_assert(r.status == 0 || r.status == 1, "%s", r.err);
	junit_seeds("/tmp/simsup-test-iter.xml", &s);
	cr_expect_eq(s.n, 5);
	for (int i = 0; i < s.n; i++)
		cr_expect_eq(s.v[i], 10 + (uint64_t)i);
	unlink("/tmp/simsup-test-iter.xml");
	run_free(&r);
	free(flaky);
}

static bool dir_exists(const char *dir, const char *sub)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, sub);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

Test(sweep, failing_seeds_keep_their_run_dir_passing_ones_do_not)
{
	char *flaky = example("flaky");
	char tmpl[] = "/tmp/simsup-test-dirs-XXXXXX", cmd[128];
	cr_assert(mkdtemp(tmpl));
	struct run r;
	struct seeds failed;
	run_sim(&r, "simsup --seeds 1-30 -q --run-dir %s/sweep -- %s", tmpl, flaky);
	replays(r.err, &failed, NULL);
	char sweepdir[128];
	snprintf(sweepdir, sizeof sweepdir, "%s/sweep", tmpl);
	for (uint64_t seed = 1; seed <= 30; seed++) {
		char sub[32];
		snprintf(sub, sizeof sub, "seed-%llu", (unsigned long long)seed);
		cr_expect_eq(dir_exists(sweepdir, sub), has(&failed, seed), "%s/%s", sweepdir, sub);
		if (has(&failed, seed)) {
			snprintf(sub, sizeof sub, "seed-%llu/report.txt", (unsigned long long)seed);
			char p[512];
			snprintf(p, sizeof p, "%s/%s", sweepdir, sub);
			cr_expect_eq(access(p, R_OK), 0, "no %s", p);
		}
	}
	run_free(&r);
	/* -v keeps them all */
	run_sim(&r, "simsup --seeds 1-5 -v --run-dir %s/all -- %s", tmpl, flaky);
	snprintf(sweepdir, sizeof sweepdir, "%s/all", tmpl);
	for (int seed = 1; seed <= 5; seed++) {
		char sub[32];
		snprintf(sub, sizeof sub, "seed-%d", seed);
		cr_expect(dir_exists(sweepdir, sub), "-v: no %s/%s", sweepdir, sub);
	}
	run_free(&r);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
	cr_assert_eq(system(cmd), 0);
	free(flaky);
}

Test(sweep, summary_groups_failures_by_kind)
{
	char *flaky = example("flaky");
	struct run r;
	/* --kinds: exit 1, crash or deadlock depending on the seed */
	run_sim(&r, "simsup --seeds 1-150 -j 2 -q -- %s --kinds", flaky);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "failures by kind:"), "%s", r.err);
	cr_expect(strstr(r.err, "server exited 1 "), "%s", r.err);
	cr_expect(strstr(r.err, "deadlock "), "%s", r.err);
	cr_expect(strstr(r.err, "crash "), "%s", r.err);
	/* the first failure in detail */
	cr_expect(strstr(r.err, "in detail"), "%s", r.err);
	cr_expect(strstr(r.err, "last events before the end"), "%s", r.err);
	run_free(&r);
	free(flaky);
}

Test(sweep, check_determinism_runs_each_seed_twice)
{
	char *flaky = example("flaky");
	struct run r;
	run_sim(&r, "simsup --seeds 1-10 -j 2 --check-determinism -- %s --threshold 0", flaky);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "10 passed"), "%s", r.err);
	run_free(&r);
	free(flaky);
}
