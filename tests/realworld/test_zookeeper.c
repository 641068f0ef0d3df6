/*
 * ZooKeeper 3.8 from Debian (a JVM: OpenJDK 17), unmodified, as a
 * three-server ensemble under simsup (tests/realworld/zk-node.sh), with a
 * workload (zk-check.sh) that waits for the ensemble, creates a znode with
 * zkCli.sh through the first server, and reads it back through the last
 * one after the first server crashed and came back.  The seed gives one
 * trace hash, with or without a file where the host's JVMs keep their
 * perf data (/tmp/hsperfdata_<user>/<pid>: every simulated JVM is pid
 * 100, and each node has its own empty /tmp).
 */
#include <pwd.h>
#include <sys/stat.h>

#include "realworld.h"

#define FAULTS "--reboot at=8s,proc=0,kind=crash,down=2s"

Test(zookeeper, ensemble_survives_a_crash_with_one_hash_whatever_the_hosts_tmp_holds, .timeout = 900)
{
	need_program("java");
	need_program("nc");
	if (access("/usr/share/zookeeper/bin/zkCli.sh", X_OK) != 0)
		cr_skip_test("SKIPPED: zookeeper is not installed (apt-get install it; .ci/run does)");
	char *dir = scratch_dir(), *node = source_file("zk-node.sh"), *check = source_file("zk-check.sh");
	struct run a, b;
	run_sim(&a, "simsup --seed 1 --keep --run-dir %s/a --procs 3 " WATCHDOG " " FAULTS
		    " --workload '%s 6 {ip:0} {ip:1} {ip:2}' -- %s", dir, check, node);
	cr_assert_eq(a.status, 0, "stdout: %s\nstderr: %s", a.out, a.err);
	cr_expect(strstr(a.out, "w0 | Created /simsup"), "%s", a.out);
	cr_expect(strstr(a.out, "w0 | hello"), "the znode did not read back: %s", a.out);
	char *trace = run_file(dir, "a/trace.jsonl");
	cr_expect(strstr(trace, "\"kind\":\"crash\",\"node\":\"p0\""), "no crash of p0 in the trace");
	free(trace);
	/* a perf-data file at the simulated JVMs' pid, where a host JVM keeps it */
	char perf[64];
	struct passwd *pw = getpwuid(geteuid());
	snprintf(perf, sizeof perf, "/tmp/hsperfdata_%s", pw ? pw->pw_name : "root");
	bool made_dir = mkdir(perf, 0755) == 0;
	char file[96];
	snprintf(file, sizeof file, "%s/100", perf);
	bool made_file = false;
	if (access(file, F_OK) != 0) {
		FILE *f = fopen(file, "w");
		cr_assert(f, "cannot write %s", file);
		for (int i = 0; i < 4096; i++)
			fputs("host!", f);
		fclose(f);
		made_file = true;
	}
	run_sim(&b, "simsup --seed 1 --keep --run-dir %s/b --procs 3 " WATCHDOG " " FAULTS
		    " --workload '%s 6 {ip:0} {ip:1} {ip:2}' -- %s", dir, check, node);
	if (made_file)
		unlink(file);
	if (made_dir)
		rmdir(perf);
	cr_assert_eq(b.status, 0, "stdout: %s\nstderr: %s", b.out, b.err);
	char first[40];
	snprintf(first, sizeof first, "%s", trace_hash(&a));
	cr_expect(first[0] && !strcmp(first, trace_hash(&b)), "two hashes for seed 1: %s and %s",
		  first, trace_hash(&b));
	run_free(&a);
	run_free(&b);
	free(node);
	free(check);
	scratch_remove(dir);
}
