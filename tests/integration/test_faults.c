/*
 * Reboots and seeded chaos: each reboot kind does what it says (boots,
 * storage dir, signals, scheduling), a wipe never leaves the storage dir,
 * and chaos is a function of the seed.
 */
#include "harness.h"

static char *dir;

static void mkrun(void)
{
	char tmpl[] = "/tmp/simsup-faults-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	dir = strdup(tmpl);
}

static void rmrun(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
	free(dir);
}

static char *log_of(const char *node, const char *ext)
{
	char path[512];
	snprintf(path, sizeof path, "%s/run/logs/%s.%s", dir, node, ext);
	char *s = slurp(path);
	cr_assert(s, "no %s", path);
	return s;
}

TestSuite(faults, .init = mkrun, .fini = rmrun);

Test(faults, crash_restarts_with_next_boot_and_keeps_storage)
{
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 1 --procs 2 --workload 'sleep 20' "
		    "--reboot at=5s,proc=0,kind=crash,down=2s -- %s", dir, example("bootlog.sh"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *out = log_of("p0", "out");
	cr_expect(strstr(out, "boot 1 at 00:00:00 files: \n"), "%s", out);
	cr_expect(strstr(out, "boot 2 at 00:00:07 files: data-1 \n"), "%s", out);
	char *p1 = log_of("p1", "out");
	cr_expect(!strstr(p1, "boot 2"), "p1 was rebooted too: %s", p1);
	free(out), free(p1), run_free(&r);
}

Test(faults, graceful_sends_term_then_restarts)
{
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 2 --workload 'sleep 20' "
		    "--reboot at=4s,proc=0,kind=graceful,down=3s,grace=5s -- %s", dir, example("bootlog.sh"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *out = log_of("p0", "out");
	cr_expect(strstr(out, "got TERM at 00:00:0"), "%s", out);
	cr_expect(strstr(out, "boot 2 at"), "%s", out);
	free(out), run_free(&r);
}

Test(faults, graceful_kills_after_the_grace_period)
{
	struct run r;
	/* ignores SIGTERM: killed when the grace period ends, then restarted */
	run_sim(&r, "simsup --run-dir %s/run --seed 2 --workload 'sleep 30' "
		    "--reboot at=4s,proc=0,kind=graceful,down=1s,grace=5s -- "
		    "sh -c 'trap \"\" TERM; echo boot $SIMSUP_BOOT at $(date -u +%%T); while :; do sleep 1; done'",
		dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *out = log_of("p0", "out");
	cr_expect(strstr(out, "boot 2 at 00:00:10"), "%s", out);
	free(out), run_free(&r);
}

Test(faults, wipe_empties_storage_but_not_through_symlinks)
{
	char outside[512], cmd[1024];
	snprintf(outside, sizeof outside, "%s/outside", dir);
	cr_assert_eq(mkdir(outside, 0755), 0);
	snprintf(cmd, sizeof cmd, "echo keep > %s/precious", outside);
	cr_assert_eq(system(cmd), 0);
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 3 --workload 'sleep 10' "
		    "--reboot at=5s,proc=0,kind=wipe,down=1s -- "
		    "sh -c 'echo boot $SIMSUP_BOOT: $(ls | tr \"\\n\" \" \"); mkdir -p sub; echo x > sub/f; "
		    "ln -sf %s link; ln -sf %s/precious file-link; ln -sf .. up; sleep 100'",
		dir, outside, outside);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *out = log_of("p0", "out");
	cr_expect(strstr(out, "boot 1:"), "%s", out);
	cr_expect(strstr(out, "boot 2:\n"), "storage dir not emptied: %s", out);
	snprintf(cmd, sizeof cmd, "%s/precious", outside);
	char *kept = slurp(cmd);
	cr_expect(kept && !strcmp(kept, "keep\n"), "wipe followed a symlink out of the storage dir");
	free(kept), free(out), run_free(&r);
	snprintf(cmd, sizeof cmd, "%s/run/logs/p0.out", dir);
	cr_expect_eq(access(cmd, F_OK), 0, "the wipe removed the logs");
}

Test(faults, pause_stops_scheduling_for_a_while)
{
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 4 --workload 'sleep 12' "
		    "--reboot at=3s,proc=0,kind=pause,down=5s -- %s", dir, example("bootlog.sh"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *err = log_of("p0", "err");
	/* ticks every second except during the pause 3s..8s */
	cr_expect(strstr(err, "tick 00:00:02") && strstr(err, "tick 00:00:09"), "%s", err);
	cr_expect(!strstr(err, "tick 00:00:05") && !strstr(err, "tick 00:00:06"), "ran while paused: %s", err);
	char *out = log_of("p0", "out");
	cr_expect(!strstr(out, "boot 2"), "a pause must not reboot: %s", out);
	free(err), free(out), run_free(&r);
}

Test(faults, unexpected_server_exit_fails_the_run)
{
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 1 --workload 'sleep 10' -- sh -c 'sleep 2; exit 0'", dir);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "while the workloads were running"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --run-dir %s/run --seed 1 --servers-may-exit --workload 'sleep 10' -- "
		    "sh -c 'sleep 2; exit 0'", dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	run_free(&r);
}

Test(faults, bad_specs_are_usage_errors)
{
	const char *bad[] = { "--reboot at=5s,proc=0", "--reboot at=5s,proc=9,kind=crash",
			      "--reboot at=x,proc=0,kind=crash", "--reboot at=1s,proc=0,kind=melt",
			      "--partition at=1s,for=2s,shape=moon", "--chaos=max-down=x" };
	for (int i = 0; i < 6; i++) {
		struct run r;
		run_sim(&r, "simsup --procs 3 %s -- true", bad[i]);
		cr_expect_eq(r.status, 2, "%s: %s", bad[i], r.err);
		run_free(&r);
	}
}

static char *faults_of(char *hash_out, unsigned seed)
{
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run-%u --seed %u --procs 3 --workload 'sleep 120' "
		    "--chaos --chaos-duration 100s -- %s; grep '\"fault\"' %s/run-%u/trace.jsonl",
		dir, seed, seed, example("bootlog.sh"), dir, seed);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *f = strdup(r.out);
	strcpy(hash_out, trace_hash(&r));
	run_free(&r);
	return f;
}

Test(faults, chaos_is_a_function_of_the_seed)
{
	char h1[40] = "", h2[40] = "", h3[40] = "";
	char *a = faults_of(h1, 5), *b = faults_of(h2, 5), *c = faults_of(h3, 6);
	cr_expect(strstr(a, "\"fault\""), "no faults at all: %s", a);
	cr_expect_str_eq(a, b, "same seed, different faults");
	cr_expect_str_eq(h1, h2);
	cr_expect_str_neq(a, c, "different seeds, same faults");
	free(a), free(b), free(c);
}

Test(faults, clock_jump_and_drift_move_realtime_only)
{
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 1 --procs 2 --clock at=5s,proc=1,jump=-1h "
		    "--clock at=5s,proc=0,drift=+100000ppm -- "
		    "sh -c 'sleep 10; date -u +%%T.%%N'", dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* p0: 5s at +10%% = +0.5s; p1: an hour back */
	cr_expect(strstr(r.out, "p0 | 00:00:10.5"), "%s", r.out);
	cr_expect(strstr(r.out, "p1 | 23:00:10"), "%s", r.out);
	run_free(&r);
}

static char *script(const char *name)
{
	char *p;
	cr_assert(asprintf(&p, "%s/tests/integration/scripts/%s", getenv("SIMSUP_SOURCE"), name) > 0);
	return p;
}

Test(faults, a_crashed_servers_peers_see_a_reset)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 3 --workload '/usr/bin/python3 %s {ip:0}' "
		    "--reboot at=2s,proc=0,kind=crash,down=1s -- /usr/bin/python3 %s {ip}",
		dir, script("reset_client.py"), script("hold_server.py"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "w0 | reset as expected"), "%s", r.out);
	run_free(&r);
}

Test(faults, a_partition_holds_traffic_until_it_heals)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --seed 4 --workload '/usr/bin/python3 %s {ip:0}' "
		    "--partition at=2s,for=3s,shape=isolate:0 -- /usr/bin/python3 %s {ip}",
		dir, script("partition_client.py"), script("hold_server.py"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* one echo waited for most of the 3 s partition, none was lost */
	cr_expect(strstr(r.out, "w0 | all 60 echoed; slowest 2.") || strstr(r.out, "w0 | all 60 echoed; slowest 3."),
		  "%s", r.out);
	run_free(&r);
}

Test(faults, chaos_network_family_spikes_refuses_and_resets)
{
	/* only the network family: across a few seeds every kind of trouble
	 * shows up, and the same seed gives the same troubles */
	char all[8192] = "";
	for (unsigned seed = 1; seed <= 4; seed++) {
		struct run r;
		run_sim(&r, "simsup --run-dir %s/run-%u --seed %u --procs 3 --workload 'sleep 200' "
			    "--chaos=kinds=crash:0,partitions=off,clocks=off,network=on,interval=1s-2s "
			    "--chaos-duration 150s -- sleep 1000; grep '\"fault\"' %s/run-%u/trace.jsonl",
			dir, seed, seed, dir, seed);
		cr_assert_eq(r.status, 0, "%s", r.err);
		strncat(all, r.out, sizeof all - strlen(all) - 1);
		run_free(&r);
	}
	cr_expect(strstr(all, "latency-spike"), "%s", all);
	cr_expect(strstr(all, "connect-fault"), "%s", all);
}
