/*
 * Threads under one-thread-at-a-time scheduling: a thread-pool server on a
 * mutex and condition variable, a data race whose outcome follows the seed
 * (with and without --preempt), and a lock-order deadlock that is reported
 * instead of hanging.
 */
#include "harness.h"

/* The line of stdout that contains `key`, copied, or "" */
static char *line_with(const char *out, const char *key)
{
	const char *p = out ? strstr(out, key) : NULL;
	if (!p)
		return strdup("");
	const char *e = strchr(p, '\n');
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

static char *racy_outcome(unsigned seed, const char *opts, const char *mode, char *hash)
{
	struct run r;
	char *prog = example("racy");
	run_sim(&r, "simsup --seed %u %s -- %s %s", seed, opts, prog, mode);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	char *l = line_with(r.out, "counter = ");
	if (hash)
		strcpy(hash, trace_hash(&r));
	run_free(&r);
	free(prog);
	return l;
}

Test(threads, threadpool_serves_every_request)
{
	struct run r;
	char *prog = example("threadpool");
	run_sim(&r, "simsup --seed 1 -- %s 4 40", prog);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "40/40 responses correct"), "%s", r.out);
	run_free(&r);
	free(prog);
}

Test(threads, threadpool_same_seed_same_hash_five_times, .timeout = 120)
{
	char first[40] = "";
	char *prog = example("threadpool");
	for (int i = 0; i < 5; i++) {
		struct run r;
		run_sim(&r, "simsup --seed 5 -- %s 4 40", prog);
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i);
		run_free(&r);
	}
	cr_expect(first[0], "no trace hash printed");
	free(prog);
}

Test(threads, racy_counter_same_seed_same_outcome)
{
	char h1[40], h2[40];
	char *a = racy_outcome(3, "", "", h1), *b = racy_outcome(3, "", "", h2);
	cr_expect(a[0], "no counter line");
	cr_expect_str_eq(a, b);
	cr_expect_str_eq(h1, h2);
	free(a), free(b);
}

Test(threads, racy_counter_outcome_varies_with_the_seed, .timeout = 120)
{
	char *first = racy_outcome(1, "", "", NULL);
	bool differs = false;
	for (unsigned s = 2; s <= 10 && !differs; s++) {
		char *o = racy_outcome(s, "", "", NULL);
		differs = strcmp(o, first) != 0;
		free(o);
	}
	cr_expect(differs, "seeds 1-10 all gave \"%s\"", first);
	free(first);
}

Test(threads, racy_clock_loop_interleaves_only_with_preempt, .timeout = 120)
{
	char *calm = racy_outcome(1, "", "clock", NULL);
	cr_expect(strstr(calm, "lost 0 updates"), "without --preempt: %s", calm);
	bool lost = false;
	for (unsigned s = 1; s <= 8 && !lost; s++) {
		char *o = racy_outcome(s, "--preempt 200", "clock", NULL);
		lost = !strstr(o, "lost 0 updates");
		free(o);
	}
	cr_expect(lost, "--preempt 200 never interleaved the clock loop (seeds 1-8)");
	char h1[40], h2[40];
	char *a = racy_outcome(4, "--preempt 200", "clock", h1);
	char *b = racy_outcome(4, "--preempt 200", "clock", h2);
	cr_expect_str_eq(a, b);
	cr_expect_str_eq(h1, h2);
	free(calm), free(a), free(b);
}

Test(threads, lock_order_deadlock_is_reported_with_wait_reasons, .timeout = 60)
{
	struct run r;
	char *prog = example("deadlock");
	run_sim(&r, "simsup --seed 2 -- %s", prog);
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "deadlock"), "%s", r.err);
	int waits = 0;
	for (const char *p = r.err; (p = strstr(p, ": futex wait (mutex")); p++)
		waits++;
	cr_expect_eq(waits, 3, "main (join) and both threads (mutex) should be named:\n%s", r.err);
	run_free(&r);
	free(prog);
}
