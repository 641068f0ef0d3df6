/*
 * The store examples under faults (docs/examples.md): kvstore keeps its
 * promise (every acknowledged write readable from every server) through
 * crashes, graceful reboots, partitions and seeded chaos; lazykv, which
 * acknowledges writes before they are durable, is caught by a sweep on some
 * seeds, and a failing seed's replay command fails the same way every time.
 */
#include "net_harness.h"

#define KVSTORE "--procs 3 --tag role=leader,follower,follower " \
		"--workload '%s {peers} --duration 20s' -- %s --role {tag:role} --peers {peers}"
/* Wipes are left out: a leader whose storage is wiped has lost the only
 * full log by definition (docs/examples.md). */
#define KV_CHAOS "--chaos=kinds=crash:1+graceful:1+pause:1 --chaos-duration 20s"
#define LAZYKV "--workload '%s {peers} --duration 20s' -- %s"

/* The contents of RUN_DIR/logs/NAME ("" when missing; malloc'd). */
static char *log_of(const char *dir, const char *name)
{
	char *path;
	cr_assert(asprintf(&path, "%s/run/logs/%s", dir, name) > 0);
	char *t = slurp(path);
	free(path);
	return t ? t : strdup("");
}

/* Runs kvstore with one fault option and checks the client's verdict;
 * returns the scratch dir that holds the run (RUN_DIR is DIR/run). */
static char *kvstore_passes_with(const char *fault)
{
	char *dir = scratch_dir();
	struct run r;
	run_sim(&r, "simsup --seed 1 --run-dir %s/run %s " KVSTORE, dir, fault, example("kvclient"),
		example("kvstore"));
	char *w0 = log_of(dir, "w0.out"), *w0err = log_of(dir, "w0.err");
	cr_assert_eq(r.status, 0, "%s: status %d\nclient: %s%s\nsimsup: %s", fault, r.status, w0, w0err,
		     r.err);
	cr_expect(strstr(w0, "read back from 3 servers: all match"), "client: %s", w0);
	char *rundir;
	cr_assert(asprintf(&rundir, "%s/run", dir) > 0);
	cr_expect(trace_count(rundir, "fault") > 0, "no fault event in the trace");
	free(rundir);
	free(w0);
	free(w0err);
	run_free(&r);
	return dir;
}

Test(kv_faults, kvstore_survives_a_follower_crash_and_resyncs_it, .timeout = 60)
{
	char *dir = kvstore_passes_with("--reboot at=3s,proc=1,kind=crash,down=2s");
	/* the leader sent the restarted follower what it missed while down */
	char *p0 = log_of(dir, "p0.out"), *p1 = log_of(dir, "p1.out"), *again = strstr(p1, "replayed");
	cr_expect(strstr(p0, "follower 10.0.1.2 caught up from seq"), "leader: %s", p0);
	cr_expect(again && strstr(again + 1, "replayed"), "the follower did not boot twice: %s", p1);
	free(p0);
	free(p1);
}

Test(kv_faults, kvstore_survives_a_graceful_leader_reboot, .timeout = 60)
{
	free(kvstore_passes_with("--reboot at=3s,proc=0,kind=graceful,down=2s"));
}

Test(kv_faults, kvstore_survives_an_isolated_follower, .timeout = 60)
{
	free(kvstore_passes_with("--partition at=3s,for=3s,shape=isolate:2"));
}

Test(kv_faults, kvstore_passes_a_chaos_sweep_of_twenty_seeds, .timeout = 240)
{
	struct run r;
	run_sim(&r, "simsup -q --seeds 1-20 -j 2 " KV_CHAOS " " KVSTORE, example("kvclient"),
		example("kvstore"));
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	cr_expect(!strstr(r.err, "replay with:"), "%s", r.err);
	run_free(&r);
}

Test(kv_faults, kvstore_under_chaos_same_seed_same_trace_hash, .timeout = 60)
{
	char first[40] = "";
	for (int i = 0; i < 3; i++) {
		struct run r;
		run_sim(&r, "simsup --seed 4 " KV_CHAOS " " KVSTORE, example("kvclient"),
			example("kvstore"));
		cr_assert_eq(r.status, 0, "run %d: %s", i + 1, r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i + 1);
		run_free(&r);
	}
	cr_expect(first[0], "no trace hash");
}

/* How many "replay with:" lines the text has. */
static int count_replays(const char *text)
{
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, "replay with: ")); p++)
		n++;
	return n;
}

/* The first "kvclient: ... is gone" line of the run's output, or ""
 * (static). */
static const char *loss(const struct run *r)
{
	const char *text = r->out && strstr(r->out, "is gone") ? r->out : r->err;
	static char line[256];
	const char *g = text ? strstr(text, "was acknowledged but is gone") : NULL;
	line[0] = 0;
	if (g) {
		const char *s = g;
		while (s > text && s[-1] != '\n' && strncmp(s, "kvclient: ", 10))
			s--;
		snprintf(line, sizeof line, "%.*s", (int)(strcspn(s, "\n")), s);
	}
	return line;
}

Test(kv_faults, lazykv_sweep_finds_lost_writes_on_some_seeds_not_all, .timeout = 120)
{
	struct run r;
	run_sim(&r, "simsup --seeds 1-40 -j 2 " KV_CHAOS " " LAZYKV, example("kvclient"),
		example("lazykv"));
	int failed = count_replays(r.err);
	cr_expect_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_expect(failed >= 1, "no seed of 1-40 found the bug");
	cr_expect(failed < 40, "every seed failed: %s", r.err);
	cr_expect(loss(&r)[0], "the failures are not lost writes: %s", r.err);
	run_free(&r);
}

Test(kv_faults, lazykv_failing_seed_replays_the_same_loss_three_times, .timeout = 120)
{
	struct run sweep;
	run_sim(&sweep, "simsup --seeds 1-40 --fail-fast " KV_CHAOS " " LAZYKV, example("kvclient"),
		example("lazykv"));
	const char *p = strstr(sweep.err, "replay with: ");
	cr_assert(p, "the sweep found no failing seed: %s", sweep.err);
	char *cmd = strndup(p + 13, strcspn(p + 13, "\n")), want[256], first[40] = "";
	snprintf(want, sizeof want, "%s", loss(&sweep));
	cr_assert(want[0], "the failure is not a lost write: %s", sweep.err);
	for (int i = 0; i < 3; i++) {
		struct run r;
		run_sim(&r, "%s", cmd);
		cr_assert_eq(r.status, 1, "replay %d of `%s`: status %d: %s", i + 1, cmd, r.status, r.err);
		cr_expect_str_eq(loss(&r), want, "replay %d: %s", i + 1, r.out);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "replay %d has another trace hash", i + 1);
		run_free(&r);
	}
	cr_expect(first[0], "no trace hash");
	free(cmd);
	run_free(&sweep);
}
