/*
 * What redis and memcached read about "their machine" besides the
 * pseudo-files of docs/pseudo-files.md: kernel settings under /proc/sys
 * and /sys (fixed values of the virtual machine, writes refused), the
 * memory figures of /proc/self/smaps (zero; redis's fork children sum
 * Private_Dirty from it), and resource limits (fixed at launch).
 * shim/hostfiles.c and supervisor/launch.c (fixed_rlimits).
 */
#include "realworld.h"

Test(compat, kernel_settings_read_the_virtual_machine_values)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'cat /proc/sys/vm/overcommit_memory "
		    "/proc/sys/net/core/somaxconn /sys/kernel/mm/transparent_hugepage/enabled "
		    "/proc/sys/net/ipv4/ip_local_port_range'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | 0\np0 | 4096\np0 | always [madvise] never\np0 | 32768\t60999\n"),
		  "%s", r.out);
	run_free(&r);
}

Test(compat, writing_a_kernel_setting_is_refused_with_eacces)
{
	struct run r;
	char *dir = scratch_dir();
	run_sim(&r, "simsup --seed 1 --run-dir %s -- sh -c 'echo 1 > /proc/sys/vm/overcommit_memory; echo rc=$?'",
		dir);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "Permission denied"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | rc=2"), "%s", r.out);
	char *trace = run_file(dir, "trace.jsonl");
	cr_expect(strstr(trace, "\"ev\":\"refused\""), "no refused event in the trace");
	free(trace);
	run_free(&r);
	scratch_remove(dir);
}

Test(compat, smaps_keeps_the_mappings_with_memory_figures_zero)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'grep -c \"^Size: *[1-9]\" /proc/self/smaps; "
		    "grep -E \"^(Rss|Pss|Private_Dirty|Swap):\" /proc/self/smaps | grep -vc \" 0 kB\"; "
		    "grep Private_Dirty /proc/self/smaps_rollup'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	long sizes = -1, nonzero = -1;
	const char *p = strstr(r.out, "p0 | ");
	cr_assert(p && sscanf(p, "p0 | %ld\np0 | %ld", &sizes, &nonzero) == 2, "%s", r.out);
	cr_expect_gt(sizes, 5, "mappings with a size: %ld", sizes);
	cr_expect_eq(nonzero, 0, "figures that are not 0: %ld", nonzero);
	cr_expect(strstr(r.out, "p0 | Private_Dirty:         0 kB"), "%s", r.out);
	run_free(&r);
}

Test(compat, smaps_reads_the_same_bytes_in_every_run)
{
	char first[40] = "";
	for (int i = 0; i < 3; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_sim(&r, "simsup -vv --seed 4 --run-dir %s -- sh -c 'cat /proc/self/smaps | md5sum'", dir);
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d", i);
		run_free(&r);
		scratch_remove(dir);
	}
}

Test(compat, resource_limits_are_the_same_on_every_host)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'echo $(ulimit -n) $(ulimit -Hn) $(ulimit -s) $(ulimit -c) $(ulimit -l)'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | 16384 16384 8192 0 8192\n"),
		  "%s (a host whose hard limits are lower keeps its own)", r.out);
	run_free(&r);
}

/* redis sizes maxclients by RLIMIT_NOFILE: asked for more than the fixed
 * hard limit allows, it reduces maxclients to fit 16384 fds, on every
 * host. */
Test(compat, redis_fits_maxclients_to_the_fixed_open_file_limit, .timeout = 60)
{
	need_program("redis-server");
	need_program("redis-cli");
	struct run r;
	char *dir = scratch_dir();
	run_sim(&r, "simsup --seed 1 --run-dir %s --workload \"sh -c 'sleep 0.5; redis-cli -h {ip:0} config get maxclients'\" "
		    "-- redis-server --bind {ip} --protected-mode no --save '' --appendonly no --maxclients 20000", dir);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "w0 | 16352"), "%s", r.out);
	char *log = run_file(dir, "logs/p0.out");
	cr_expect(strstr(log, "Current maximum open files is 16384"), "%s", log);
	free(log);
	run_free(&r);
	scratch_remove(dir);
}
