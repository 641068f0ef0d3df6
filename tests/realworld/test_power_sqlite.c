/*
 * SQLite from Debian (Python's sqlite3 module over libsqlite3) behind
 * kvstore's protocol (sqlite-kv.py), checked by kvclient, with a power loss
 * in the middle of its writes.  In the settings SQLite documents as not
 * durable (synchronous=OFF) acknowledged writes are lost on some seeds; in
 * its durable ones (FULL in WAL mode, EXTRA in rollback-journal mode) never,
 * over 50 seeds each.  FULL in rollback-journal mode loses the last
 * transaction when the power goes before the journal's removal is durable,
 * as SQLite's documentation of EXTRA says.
 */
#include "realworld.h"

/* Runs a sweep of power losses over SEEDS; returns how many seeds failed. */
static int sweep(const char *seeds, const char *sync, const char *journal)
{
	char *srv = source_file("sqlite-kv.py"), *kv = example("kvclient");
	struct run r;
	run_sim(&r, "simsup %s --seeds %s -j2 --reboot at=8s,proc=0,kind=power,down=1s "
		    "--workload '%s {peers} --duration 12s' -- /usr/bin/python3 %s %s %s",
		WATCHDOG, seeds, kv, srv, sync, journal);
	const char *p = strstr(r.err, " passed, ");
	int failed = p ? atoi(p + 9) : -1;
	cr_assert_geq(failed, 0, "no sweep summary: %s", r.err);
	/* a failure is an acknowledged write gone, or a database SQLite can
	 * no longer open ("database disk image is malformed") */
	cr_expect(!failed || strstr(r.err, "workload exited 1") || strstr(r.err, "server exited 1"),
		  "%s %s failed for another reason: %s", sync, journal, r.err);
	run_free(&r);
	free(srv);
	free(kv);
	return failed;
}

static void need_sqlite(void)
{
	need_program("/usr/bin/python3");
	if (system("/usr/bin/python3 -c 'import sqlite3' 2>/dev/null") != 0)
		cr_skip_test("SKIPPED: Python's sqlite3 module is missing (apt-get install python3)");
}

Test(power_sqlite, synchronous_off_loses_acknowledged_writes, .timeout = 600)
{
	need_sqlite();
	cr_expect_gt(sweep("1-8", "OFF", "DELETE"), 0, "OFF, rollback journal");
	cr_expect_gt(sweep("1-8", "OFF", "WAL"), 0, "OFF, WAL");
}

Test(power_sqlite, durable_settings_never_lose_a_write, .timeout = 600)
{
	need_sqlite();
	cr_expect_eq(sweep("1-50", "FULL", "WAL"), 0, "FULL, WAL");
	cr_expect_eq(sweep("1-50", "EXTRA", "DELETE"), 0, "EXTRA, rollback journal");
}

Test(power_sqlite, full_with_a_rollback_journal_can_lose_the_last_transaction, .timeout = 600)
{
	need_sqlite();
	cr_expect_gt(sweep("1-4", "FULL", "DELETE"), 0);
}
