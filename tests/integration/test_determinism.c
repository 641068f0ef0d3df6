/*
 * Determinism under perturbation: each test pins one way wall-clock timing
 * or host state once leaked into a run (found by bench/soak, see
 * docs/benchmarks.md), with a program from tests/integration/determinism/
 * that makes it likely.  The runs of one seed go two at a time, side by
 * side, so that they also compete for the CPUs; every one must trace the
 * same hash and print the same output.
 */
#include <errno.h>
#include <sys/sysmacros.h>

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

/* The first line of text that starts with prefix, as a string ("" if none). */
static void line_of(const char *text, const char *prefix, char *out, size_t n)
{
	const char *p = text ? strstr(text, prefix) : NULL;
	snprintf(out, n, "%.*s", p ? (int)strcspn(p, "\n") : 0, p ? p : "");
}

/* A new thread's stacks for the shim are mapped by its creator, with the
 * turn (shim/thread.c).  Mapped by the thread itself before its first
 * turn, they raced the creator's next mapping in wall-clock time: the
 * program's mappings landed elsewhere from run to run (Redis Sentinel's
 * traces parted a few calls after its threads started), nearly every run
 * on a busy machine. */
Test(determinism, the_address_space_does_not_depend_on_how_fast_threads_start, .timeout = 120)
{
	char *h = built_helper("det_thread_stacks");
	struct run r;
	run_sim(&r, "simsup --seed 3 -- %s", h);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	char want[128];
	line_of(r.out, "p0 | layout ", want, sizeof want);
	cr_assert(want[0], "%s", r.out);
	run_free(&r);
	same_hash_side_by_side(3, want, "--seed 3 -- %s", h);
	free(h);
}

/* What a program learns of /dev/urandom, of /dev/null and of its stdin is
 * the node's, whatever the host's /dev/null is.  The shim's stand-in for
 * /dev/urandom was an fd on the host's /dev/null, which a process on a
 * shared machine had removed and `> /dev/null` recreated as a regular file:
 * glibc's stdio then skipped its terminal check, one call fewer, and Redis
 * Sentinel traced another hash.  The same run with a null device and with
 * a regular file over /dev/null (a mount namespace of its own) must print
 * and trace the same. */
Test(determinism, the_hosts_dev_null_does_not_reach_the_programs, .timeout = 120)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (a mount namespace and a device node)");
	need_program("unshare");
	char *h = built_helper("det_entropy_device");
	const char *bin = getenv("SIMSUP_BIN");
	cr_assert(bin && *bin, "SIMSUP_BIN is not set: run the tests through meson test");
	char dev[4096], reg[4096];
	snprintf(dev, sizeof dev, "%s/null-device", test_tmp());
	snprintf(reg, sizeof reg, "%s/null-file", test_tmp());
	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) < 0)
		cr_skip_test("cannot make a device node in %s: %s", test_tmp(), strerror(errno));
	chmod(dev, 0666);
	FILE *f = fopen(reg, "w");
	cr_assert(f);
	fclose(f);
	const char *null[2] = { dev, reg };
	char line[2][512], hash[2][40];
	for (int i = 0; i < 2; i++) {
		struct run r;
		run_sim(&r, "unshare -m sh -c 'mount --bind %s /dev/null && %s --seed 3 -- %s'", null[i],
			bin, h);
		cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
		line_of(r.out, "p0 | bytes ", line[i], sizeof line[i]);
		cr_expect(strstr(line[i], " fstat chr 1:9 0666 ino 9 ") && strstr(line[i], " stat chr 1:9 ") &&
			  strstr(line[i], " entropy 256 ") && strstr(line[i], " stdin chr 1:3 0666 ino 3 "),
			  "with %s over /dev/null: %s", null[i], r.out);
		snprintf(hash[i], sizeof hash[i], "%s", trace_hash(&r));
		run_free(&r);
	}
	cr_expect_str_eq(line[1], line[0], "the program saw the host's /dev/null");
	cr_expect_str_eq(hash[1], hash[0], "the host's /dev/null changed the run");
	unlink(dev);
	unlink(reg);
	free(h);
}
