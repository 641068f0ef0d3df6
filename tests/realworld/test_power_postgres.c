/*
 * PostgreSQL 15 from Debian, unmodified, with a power loss while a client
 * commits rows one at a time (pg-power-check.sh), from a data directory
 * initdb made (copied and synced into the storage dir: pg-node.sh).  With fsync=off, which
 * PostgreSQL's documentation says risks unrecoverable data loss on a power
 * failure, acknowledged rows are lost on some seeds; with fsync=on, never,
 * over 16 seeds here (a run costs several seconds; docs/faults.md reports
 * a longer sweep made by hand).
 */
#include "realworld.h"

/* One data directory made by initdb outside the simulation, copied into
 * each seed's storage dir (pg-node.sh): initdb is most of a run's cost,
 * and test_postgres.c runs it under simsup already. */
static const char *template(void)
{
	static char *t;
	if (!t) {
		char *d = test_dir("pgtemplate"), *cmd;
		cr_assert(asprintf(&t, "%s/pgdata", d) > 0);
		cr_assert(asprintf(&cmd, "chown postgres %s && su postgres -s /bin/sh -c "
				   "'/usr/lib/postgresql/15/bin/initdb -D %s -A trust -U postgres' >/dev/null 2>&1",
				   d, t) > 0);
		cr_assert_eq(system(cmd), 0, "initdb of the template failed");
		free(cmd);
		free(d);
	}
	return t;
}

/* rollback: "" for the outcome each seed draws, or ",rollback=N" for one */
static int sweep(const char *seeds, const char *fsync, const char *rollback)
{
	char *node = source_file("pg-node.sh"), *check = source_file("pg-power-check.sh");
	struct run r;
	run_sim(&r, "simsup %s --seeds %s -j2 --reboot at=2s,proc=0,kind=power,down=1s%s "
		    "--workload '%s {ip:0} 12' -- %s {ip} %s %s", WATCHDOG, seeds, rollback, check, node, fsync,
		template());
	const char *p = strstr(r.err, " passed, ");
	int failed = p ? atoi(p + 9) : -1;
	cr_assert_geq(failed, 0, "no sweep summary: %s", r.err);
	cr_expect(!failed || strstr(r.err, "workload exited 1"), "fsync=%s failed for another reason: %s",
		  fsync, r.err);
	run_free(&r);
	free(node);
	free(check);
	return failed;
}

static void need_postgres(void)
{
	need_program("/usr/lib/postgresql/15/bin/postgres");
	need_program("psql");
	if (geteuid() != 0)
		cr_skip_test("SKIPPED: runs postgres as user postgres (needs root)");
}

Test(power_postgres, fsync_off_loses_acknowledged_rows, .timeout = 900)
{
	need_postgres();
	/* rollback=7 seeds the outcome that writes nothing back: what fsync=off
	 * left unsynced is gone */
	cr_expect_gt(sweep("1-2", "off", ",rollback=7"), 0);
}

Test(power_postgres, fsync_on_never_loses_a_row, .timeout = 1800)
{
	need_postgres();
	cr_expect_eq(sweep("1-16", "on", ""), 0);
}
