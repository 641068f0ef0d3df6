/*
 * test_power.c — power loss (--reboot kind=power, supervisor/storage.c and
 * power.c): what was made durable survives, what was only written may not,
 * a crash keeps the page cache, names follow the profile, and one seed
 * gives one result.
 */
#include "harness.h"

static char *script(const char *name)
{
	const char *src = getenv("SIMSUP_SOURCE");
	cr_assert(src && *src);
	char *p;
	cr_assert(asprintf(&p, "%s/tests/integration/power/%s", src, name) > 0);
	return p;
}

Test(power, unsynced_data_survives_a_crash_and_may_not_a_power_loss, .timeout = 120)
{
	need_program("/usr/bin/python3");
	char *py = script("append.py");
	struct run r;
	run_sim(&r, "simsup --seed 1 --reboot at=2s,proc=0,kind=crash,down=1s -- /usr/bin/python3 %s", py);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "log: durable 1609"), "a crash keeps the page cache: %s", r.out);
	run_free(&r);
	for (int posix = 0; posix < 2; posix++) {
		int lost = 0, kept = 0, torn = 0;
		for (int seed = 1; seed <= 24; seed++) {
			run_sim(&r, "simsup --seed %d --durability %s --reboot at=2s,proc=0,kind=power,down=1s "
				    "-- /usr/bin/python3 %s", seed, posix ? "posix" : "ext4", py);
			cr_expect_eq(r.status, 0, "%s", r.err);
			/* the fsynced line always */
			cr_expect(strstr(r.out, "log: durable "), "seed %d lost durable data: %s", seed, r.out);
			const char *n = strstr(r.out, "log: durable ");
			long len = n ? atol(n + 13) : -1;
			lost += len == 8;
			kept += len == 1609;
			torn += len > 8 && len < 1609;
			/* a torn append ends where a file's size can: a sector
			 * (posix), a page (ext4: none inside this file) */
			cr_expect(len == 8 || len == 1609 || (posix && len % 512 == 0),
				  "seed %d: torn at %ld: %s", seed, len, r.out);
			run_free(&r);
		}
		cr_expect_gt(lost, 0, "no seed lost the unsynced line");
		cr_expect_gt(kept, 0, "no seed had it written back");
		cr_expect(!posix || torn > 0, "no seed tore it (posix)");
		cr_expect_eq(lost + kept + torn, 24);
	}
	free(py);
}

/* fsync a file, rename it into place, never fsync the directory. */
static void rename_case(const char *profile, const char *wait, const char *at, const char *want)
{
	need_program("/usr/bin/python3");
	char *py = script("rename.py");
	struct run r;
	/* rollback=7 seeds the outcome that writes nothing back ("lost") */
	run_sim(&r, "simsup --seed 1 --durability %s --reboot at=%s,proc=0,kind=power,down=1s,rollback=7 "
		    "-- /usr/bin/python3 %s %s", profile, at, py, wait);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, want), "%s, power at %s: want \"%s\": %s", profile, at, want, r.out);
	run_free(&r);
	free(py);
}

Test(power, posix_loses_a_rename_its_directory_never_synced, .timeout = 60)
{
	/* the file's own name was never made durable either */
	rename_case("posix", "1", "8s", "data: absent tmp: absent");
}

Test(power, ext4_keeps_a_rename_once_the_journal_committed, .timeout = 60)
{
	rename_case("ext4", "1", "3s", "data: absent tmp: new");
	rename_case("ext4", "1", "8s", "data: new tmp: absent"); /* the 5s commit */
	rename_case("ext4,commit=10s", "1", "8s", "data: absent tmp: new");
}

/* ext4's auto_da_alloc: a file renamed over another (durable or not), or
 * an existing file truncated and rewritten, has its data written back
 * before the journal commit that makes the rename or the truncation
 * durable; a new file does not (the empty file after a power loss).  The
 * rename and the truncation came back empty, or with the old contents,
 * after a commit: states no default-mounted ext4 reaches. */
static void da_case(const char *at, const char *script, const char *want)
{
	struct run r;
	/* rollback=7: the outcome that writes nothing back beyond the durable */
	run_sim(&r, "simsup --seed 1 --servers-may-exit --reboot at=%s,proc=0,kind=power,down=1s,rollback=7 "
		    "-- /bin/sh -c 'if [ $SIMSUP_BOOT = 2 ]; then echo c=[$(cat c 2>/dev/null)] "
		    "d=[$(cat d 2>/dev/null)]; exit 0; fi; %s; sleep 100'", at, script);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, want), "power at %s after \"%s\": want \"%s\": %s", at, script, want, r.out);
	run_free(&r);
}

Test(power, ext4_auto_da_alloc_on_rename_and_truncate, .timeout = 60)
{
	const char *ren = "echo one > a; mv a c; echo two > b; mv b c; echo new > d";
	const char *trunc = "echo one > c; sync; echo two > c; echo new > d";
	da_case("7s", ren, "c=[two] d=[]");  /* after the 5s commit */
	da_case("7s", trunc, "c=[two] d=[]");
	da_case("3s", trunc, "c=[one] d=[]"); /* before it: the truncation is not durable */
}

Test(power, one_seed_one_rollback, .timeout = 60)
{
	need_program("/usr/bin/python3");
	char *py = script("append.py");
	struct run r;
	run_sim(&r, "simsup --check-determinism --seed 4 --reboot at=2s,proc=0,kind=power,down=1s "
		    "-- /usr/bin/python3 %s", py);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "deterministic: both runs"), "%s", r.err);
	run_free(&r);
	free(py);
}

Test(power, rolled_back_paths_are_in_the_trace, .timeout = 60)
{
	need_program("/usr/bin/python3");
	char *py = script("append.py"), *d = test_dir("power");
	struct run r;
	run_sim(&r, "simsup --seed 1 --run-dir %s/run --reboot at=2s,proc=0,kind=power,down=1s,rollback=7 "
		    "-- /usr/bin/python3 %s", d, py);
	char *path;
	cr_assert(asprintf(&path, "%s/run/trace.jsonl", d) > 0);
	char *t = slurp(path);
	cr_assert_not_null(t);
	cr_expect(strstr(t, "\"ev\":\"power-loss\",\"node\":\"p0\",\"path\":\"log\",\"what\":\"rolled-back\""),
		  "%s", t);
	cr_expect(strstr(t, "\"kind\":\"power-rollback\""), "%s", t);
	free(t);
	free(path);
	run_free(&r);
	free(d);
	free(py);
}

Test(power, chaos_kind_and_bad_specs, .timeout = 60)
{
	struct run r;
	run_sim(&r, "simsup --seed 2 --chaos=kinds=power:1,interval=1s-2s --chaos-duration 5s "
		    "--workload 'sleep 8' -- sleep 100");
	cr_expect_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --durability zfs --reboot at=1s,proc=0,kind=power -- true");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--durability \"zfs\": profile zfs: expected ext4 or posix"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --durability ext4,commit=0s -- true");
	cr_expect_eq(r.status, 2, "%s", r.err);
	run_free(&r);
}
