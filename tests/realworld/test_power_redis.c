/*
 * Redis 7 from Debian, unmodified, with its append-only file, and a power
 * loss while a client sets keys one at a time (redis-power-check.sh).
 * With appendfsync no, which Redis documents as leaving the flush to the
 * OS, acknowledged keys are lost; with appendfsync always, never.
 */
#include "realworld.h"

static int sweep(const char *seeds, const char *fsync)
{
	char *check = source_file("redis-power-check.sh");
	struct run r;
	run_sim(&r, "simsup %s --seeds %s -j2 --reboot at=2s,proc=0,kind=power,down=1s "
		    "--workload '%s {ip:0}' -- redis-server --bind {ip} --port 6379 --protected-mode no "
		    "--dir . --appendonly yes --appendfsync %s --save ''", WATCHDOG, seeds, check, fsync);
	const char *p = strstr(r.err, " passed, ");
	int failed = p ? atoi(p + 9) : -1;
	cr_assert_geq(failed, 0, "no sweep summary: %s", r.err);
	cr_expect(!failed || strstr(r.err, "workload exited 1"), "appendfsync %s failed for another reason: %s",
		  fsync, r.err);
	run_free(&r);
	free(check);
	return failed;
}

Test(power_redis, appendfsync_no_loses_acknowledged_keys, .timeout = 600)
{
	need_program("redis-server");
	need_program("redis-cli");
	cr_expect_gt(sweep("1-4", "no"), 0);
}

Test(power_redis, appendfsync_always_never_loses_a_key, .timeout = 900)
{
	need_program("redis-server");
	need_program("redis-cli");
	cr_expect_eq(sweep("1-20", "always"), 0);
}
