/*
 * PostgreSQL 15 from Debian, unmodified: initdb, then the server (a
 * postmaster forking backends, System V and POSIX shared memory,
 * semaphores, fsync), driven by psql.  The same seed gives the same trace
 * hash: inode numbers, IPC ids and /dev/shm are the simulation's.
 */
#include "realworld.h"

Test(postgres, initdb_server_and_psql_deterministically, .timeout = 300)
{
	need_program("/usr/lib/postgresql/15/bin/postgres");
	need_program("psql");
	if (geteuid() != 0)
		cr_skip_test("SKIPPED: runs postgres as user postgres (needs root)");
	char *node = source_file("pg-node.sh");
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_sim(&r, "simsup %s --run-dir %s/run --seed 1 --workload \"sh -c 'sleep 20; "
			    "psql -h {ip:0} -U postgres -c \\\"create table t(a int); insert into t values (1),(2); "
			    "select sum(a) from t\\\"'\" -- %s {ip}", WATCHDOG, dir, node);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_expect(strstr(r.out, "w0 |    3\n"), "%s", r.out);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "second run differs");
		run_free(&r);
		scratch_remove(dir);
		free(dir);
	}
	free(node);
}
