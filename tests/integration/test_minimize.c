/*
 * test_minimize.c — from a failing seed to the smallest story
 * (docs/faults.md, "Minimizing a failure"): faults made explicit give the
 * same run as chaos drew them; --minimize shrinks lazykv's lost write to one
 * crash and a planted two-fault bug to its two faults, and the command it
 * prints fails the same way with one trace hash; a sweep's fault-family
 * table singles out the family behind the failures.
 */
#include "harness.h"

#define LAZYKV_CHAOS "--chaos=kinds=crash:1+graceful:1+pause:1 --chaos-duration 20s"

static char *lazykv_cmd(void)
{
	char *c;
	cr_assert(asprintf(&c, "--workload '%s {peers} --duration 20s' -- %s", example("kvclient"),
			   example("lazykv")) > 0);
	return c;
}

static char *staleflag_cmd(void)
{
	const char *d = getenv("SIMSUP_COMPAT");
	char *c;
	cr_assert(d && *d);
	cr_assert(asprintf(&c, "--procs 2 --tag role=leader,follower --workload 'sleep 40' -- "
			   "%s/minimize_staleflag '{tag:role}' '{ip:0}'", d) > 0);
	return c;
}

/* The line after "simsup: minimal command: ", malloc'd, or NULL. */
static char *minimal_command(const struct run *r)
{
	const char *p = r->err ? strstr(r->err, "simsup: minimal command: ") : NULL;
	if (!p)
		return NULL;
	p += strlen("simsup: minimal command: ");
	return strndup(p, strcspn(p, "\n"));
}

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* The seeds of a sweep's "FAIL seed N" lines, in order; how many. */
static int failing_seeds(const struct run *r, unsigned long *seeds, int max)
{
	int n = 0;
	for (const char *p = r->err; p && n < max && (p = strstr(p, "simsup: FAIL seed ")); p++)
		seeds[n++] = strtoul(p + strlen("simsup: FAIL seed "), NULL, 10);
	return n;
}

/* The minimal command runs twice: both fail as expected, with one hash. */
static void replays_twice(const char *cmd, const char *failure)
{
	struct run a, b;
	run_sim(&a, "%s", cmd);
	run_sim(&b, "%s", cmd);
	cr_assert_eq(a.status, 1, "the minimal command did not fail:\n%s\n%s", cmd, a.err);
	cr_assert(strstr(a.err, failure), "it failed another way:\n%s", a.err);
	cr_assert_eq(b.status, 1);
	cr_assert(trace_hash(&a)[0]);
	char h[40];
	snprintf(h, sizeof h, "%s", trace_hash(&a));
	cr_assert_str_eq(h, trace_hash(&b), "the minimal command gave two trace hashes");
	run_free(&a);
	run_free(&b);
}

/* RUN_DIR/trace.jsonl without its fault notes, which say "chaos" in one
 * run and nothing in the other. */
static char *trace_without_faults(const char *dir)
{
	char *path, *t;
	cr_assert(asprintf(&path, "%s/trace.jsonl", dir) > 0);
	t = slurp(path);
	cr_assert(t, "no %s", path);
	char *w = t;
	for (char *line = t, *nl; *line; line = nl) {
		nl = strchr(line, '\n');
		nl = nl ? nl + 1 : line + strlen(line);
		if (strstr(line, "\"ev\":\"fault\"") && strstr(line, "\"ev\":\"fault\"") < nl)
			continue;
		memmove(w, line, (size_t)(nl - line));
		w += nl - line;
	}
	*w = 0;
	free(path);
	return t;
}

Test(minimize, chaos_faults_made_explicit_give_the_same_run, .timeout = 200)
{
	/* every family on, power and disk faults included; the trace without
	 * its fault notes must be the same event for event */
	char *kv;
	cr_assert(asprintf(&kv, "--procs 3 --tag role=leader,follower --workload '%s {peers} --duration 20s' "
			   "-- %s --role '{tag:role}' --peers '{peers}'", example("kvclient"), example("kvstore")) > 0);
	for (int seed = 12; seed <= 13; seed++) {
		char *d1 = test_dir("chaos"), *d2 = test_dir("expli"), *path;
		struct run r;
		run_sim(&r, "simsup --seed %d --run-dir %s --chaos=disk=on,kinds=crash:1+graceful:1+pause:1+power:1+wipe:1 "
			"--chaos-duration 20s %s", seed, d1, kv);
		run_free(&r);
		cr_assert(asprintf(&path, "%s/faults.args", d1) > 0);
		char *args = slurp(path);
		cr_assert(args, "no faults.args in %s", d1);
		cr_assert(count(args, "\n") >= 2, "seed %d made fewer than 2 faults:\n%s", seed, args);
		/* "--reboot at=..." lines become "--reboot=at=..." words */
		for (char *p = args; *p; p++)
			if (*p == '\n')
				*p = ' ';
			else if (*p == ' ' && p[1] != '-')
				*p = '=';
		run_sim(&r, "simsup --seed %d --run-dir %s %s %s", seed, d2, args, kv);
		run_free(&r);
		char *t1 = trace_without_faults(d1), *t2 = trace_without_faults(d2);
		cr_assert(strlen(t1) > 1000, "seed %d: a short trace in %s", seed, d1);
		cr_assert(!strcmp(t1, t2), "seed %d: the explicit faults (%s) gave another run than chaos (%s, %s)",
			  seed, args, d1, d2);
		free(t1);
		free(t2);
		free(args);
		free(path);
	}
}

/* One lazykv sweep: its family table singles out crash (pause and graceful
 * lose nothing: lazykv flushes on SIGTERM), and its first failing seed
 * shrinks to one crash. */
Test(minimize, lazykv_sweep_blames_crash_and_shrinks_to_one_crash, .timeout = 280)
{
	char *cmd = lazykv_cmd(), *sum;
	cr_assert(asprintf(&sum, "%s/summary.json", test_tmp()) > 0);
	struct run sw;
	run_sim(&sw, "simsup --seeds 1-50 -j 2 --summary %s " LAZYKV_CHAOS " %s", sum, cmd);
	cr_assert_eq(sw.status, 1, "no seed failed:\n%s", sw.err);
	cr_assert(strstr(sw.err, "simsup: fault families"), "no attribution table:\n%s", sw.err);
	const char *crash = strstr(sw.err, "simsup:   crash ");
	cr_assert(crash, "no crash row:\n%s", sw.err);
	cr_assert(strstr(crash, "\n") > strstr(crash, "every failure had it"), "crash is not singled out:\n%s", sw.err);
	const char *rows[] = { "simsup:   pause ", "simsup:   graceful " };
	for (int i = 0; i < 2; i++) {
		const char *row = strstr(sw.err, rows[i]);
		cr_assert(row, "no %s row", rows[i]);
		const char *eol = strchr(row, '\n'), *mark = strstr(row, "every failure had it");
		cr_assert(!mark || mark > eol, "%s is singled out too:\n%s", rows[i], sw.err);
	}
	char *json = slurp(sum);
	cr_assert(json && strstr(json, "\"family\":\"crash\"") && strstr(json, "\"failed_without\":0"),
		  "the summary file lacks the table:\n%s", json ? json : "(none)");
	free(json);

	unsigned long seeds[64];
	int n = failing_seeds(&sw, seeds, 64);
	cr_assert(n >= 1);
	struct run m;
	char *junit, *timeline;
	cr_assert(asprintf(&junit, "%s/min.xml", test_tmp()) > 0 && asprintf(&timeline, "%s/min.json", test_tmp()) > 0);
	run_sim(&m, "simsup --minimize --seed %lu -j 2 --junit %s --timeline %s " LAZYKV_CHAOS " %s", seeds[0], junit,
		timeline, cmd);
	cr_assert_eq(m.status, 1, "--minimize ended with %d:\n%s", m.status, m.err);
	char *min = minimal_command(&m);
	cr_assert(min, "no minimal command:\n%s", m.err);
	/* the story and the command in the JUnit failure and the timeline too */
	char *x = slurp(junit), *tl = slurp(timeline);
	cr_assert(x && strstr(x, "minimal command: simsup --seed") && strstr(x, "the story of the minimal run"),
		  "JUnit: %s", x ? x : "(none)");
	cr_assert(tl && strstr(tl, "\"minimal command\":\"simsup --seed") && strstr(tl, "\"story\":"),
		  "timeline lacks the story");
	free(x);
	free(tl);
	cr_assert_eq(count(min, "--reboot="), 1, "not one reboot: %s", min);
	cr_assert(strstr(min, "kind=crash"), "not a crash: %s", min);
	cr_assert(!strstr(min, "--chaos") && !strstr(min, "--partition") && !strstr(min, "--net-fault") &&
		  !strstr(min, "--clock"), "more than the crash: %s", min);
	cr_assert(strstr(m.err, "the story of the minimal run"), "no story:\n%s", m.err);
	cr_assert(strstr(m.err, "was acknowledged but is gone"), "the story lacks the workload's failing lines:\n%s",
		  m.err);
	replays_twice(min, "workload w0 (kvclient) exited with status 1");
	free(min);
	run_free(&m);
	run_free(&sw);
}

Test(minimize, planted_two_fault_bug_shrinks_to_its_two_faults, .timeout = 280)
{
	/* the follower must be cut off from the leader, then rebooted */
	char *cmd = staleflag_cmd(), *dir = test_dir("sweep");
	struct run sw;
	run_sim(&sw, "simsup --seeds 1-40 -j 2 --run-dir %s --chaos=interval=1s-3s --chaos-duration 30s %s", dir, cmd);
	unsigned long seeds[40];
	int n = failing_seeds(&sw, seeds, 40), pick = -1, fewest = 1000;
	for (int i = 0; i < n; i++) {
		char *path, *args;
		cr_assert(asprintf(&path, "%s/seed-%lu/faults.args", dir, seeds[i]) > 0);
		args = slurp(path);
		/* the failing seed with the fewest faults, more than the bug needs */
		int k = args ? count(args, "\n") : 0;
		if (k >= 3 && k < fewest) {
			pick = i;
			fewest = k;
		}
		free(args);
		free(path);
	}
	cr_assert(pick >= 0, "no failing seed with 3 faults or more in 1-40:\n%s", sw.err);
	struct run m;
	run_sim(&m, "simsup --minimize --seed %lu -j 2 --chaos=interval=1s-3s --chaos-duration 30s %s", seeds[pick],
		cmd);
	cr_assert_eq(m.status, 1, "--minimize ended with %d:\n%s", m.status, m.err);
	char *min = minimal_command(&m);
	cr_assert(min, "no minimal command:\n%s", m.err);
	int faults = count(min, "--reboot=") + count(min, "--partition=") + count(min, "--net-fault=") +
		     count(min, "--clock=") + count(min, "--disk=");
	cr_assert_eq(faults, 2, "not the two faults the bug needs: %s", min);
	cr_assert(strstr(min, "proc=1,kind="), "the follower is not rebooted: %s", min);
	replays_twice(min, "server p1 (minimize_staleflag) exited with status 3");
	free(min);
	run_free(&m);
	run_free(&sw);
}

Test(minimize, needs_one_failing_seed)
{
	struct run r;
	run_sim(&r, "simsup --minimize -- /bin/true");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--minimize needs the failing run's --seed N"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --minimize --seeds 1-3 -- /bin/true");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "not a seed list"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --minimize --seed 1 -- /bin/true");
	cr_assert_eq(r.status, 0, "a passing seed: %s", r.err);
	cr_assert(strstr(r.err, "seed 1 passed: nothing to minimize"), "%s", r.err);
	run_free(&r);
	/* a failure with faults says how to shrink it; one without does not */
	run_sim(&r, "simsup --seed 3 --reboot at=1s,proc=0,kind=crash -- /bin/false");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "simsup: shrink it with: simsup --minimize --seed 3 --reboot at=1s,proc=0,kind=crash -- "),
		  "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --seed 3 -- /bin/false");
	cr_assert(!strstr(r.err, "shrink it with"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --minimize=match:never-printed --seed 1 -- /bin/false");
	cr_assert_eq(r.status, 2, "a match the failure lacks: %s", r.err);
	cr_assert(strstr(r.err, "no output of it contains \"never-printed\""), "%s", r.err);
	run_free(&r);
}
