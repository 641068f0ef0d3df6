/*
 * Determinism under perturbation: each test pins one way wall-clock timing
 * or host state once leaked into a run (found by bench/soak, see
 * docs/benchmarks.md), with a program from tests/integration/determinism/
 * that makes it likely.  The runs of one seed go two at a time, side by
 * side, so that they also compete for the CPUs; every one must trace the
 * same hash and print the same output.
 */
#include "harness.h"

/* Every "trace hash X" in text, up to max. */
static int hashes(const char *text, char (*h)[40], int max)
{
	int n = 0;
	for (const char *p = text; p && n < max && (p = strstr(p, "trace hash ")); p += 11)
		if (sscanf(p + 11, "%39s", h[n]) == 1)
			n++;
	return n;
}

/* Runs `simsup --seed SEED ARGS` 2 * pairs times, two at a time, and
 * expects one hash and, when want is given, that line in every output. */
static void same_hash_side_by_side(int pairs, const char *want, const char *fmt, ...)
{
	char *args;
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) > 0);
	va_end(ap);
	char first[40] = "";
	for (int i = 0; i < pairs; i++) {
		struct run r;
		run_sim(&r, "{ simsup %s & simsup %s; wait; }", args, args);
		char h[2][40];
		int n = hashes(r.err, h, 2);
		cr_assert_eq(n, 2, "two runs, two hashes expected:\n%s\n%s", r.out, r.err);
		if (!first[0])
			snprintf(first, sizeof first, "%s", h[0]);
		cr_expect_str_eq(h[0], first, "pair %d: %s\n%s", i, r.out, r.err);
		cr_expect_str_eq(h[1], first, "pair %d: %s\n%s", i, r.out, r.err);
		if (want) {
			const char *a = strstr(r.out, want), *b = a ? strstr(a + 1, want) : NULL;
			cr_expect(a && b, "pair %d: both runs must print \"%s\":\n%s", i, want, r.out);
		}
		run_free(&r);
	}
	free(args);
}

/* A signal sent while a thread waits for the turn inside a clock read (the
 * vDSO or a PLT wrapper, outside any trap) is delivered when that thread
 * has the turn again, not at once in wall-clock time. */
Test(determinism, signal_to_a_thread_waiting_in_a_clock_read, .timeout = 120)
{
	char *h = built_helper("det_clock_signal");
	struct run r;
	run_sim(&r, "simsup --seed 7 -- %s", h);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	char *line = strstr(r.out, "p0 | handled ");
	cr_assert(line, "%s", r.out);
	char want[128];
	snprintf(want, sizeof want, "%.*s", (int)strcspn(line, "\n"), line);
	run_free(&r);
	same_hash_side_by_side(2, want, "--seed 7 -- %s", h);
	free(h);
}

/* Whether the shim's inode cache misses depends on host inode numbers and
 * birth times; asking the supervisor again must leave the schedule as it
 * was.  Five processes, each with its own files: about an even chance per
 * process that two of them share a cache slot. */
Test(determinism, inode_cache_misses_leave_the_schedule_alone, .timeout = 120)
{
	char *h = built_helper("det_inode_cache");
	same_hash_side_by_side(2, NULL, "--seed 3 -- sh -c 'for i in 1 2 3 4 5; do %s d$i || exit 1; done'",
			       h);
	free(h);
}
