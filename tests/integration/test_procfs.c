/*
 * /proc as a node sees it (shim/procdir.c): listings of the node's
 * processes and threads by virtual id, /proc/<vpid>/... of the node's
 * processes only, and the procps tools (ps, pgrep, pidof, top) on top.
 */
#include "harness.h"

/* Lines of text that contain needle. */
static int lines_with(const char *text, const char *needle)
{
	int n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		char *line = strndup(l, len);
		n += strstr(line, needle) != NULL;
		free(line);
	}
	return n;
}

Test(procfs, ps_lists_the_node_processes_by_virtual_pid)
{
	need_program("ps");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'sleep 5 & sleep 0.1; ps -e -o pid=,comm='");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 |     100 sh\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 |     101 sleep\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 |     103 ps\n"), "%s", r.out);
	cr_expect_eq(lines_with(r.out, "p0 | "), 3, "only the node's three processes: %s", r.out);
	run_free(&r);
}

Test(procfs, each_node_sees_only_its_own_processes)
{
	need_program("ps");
	struct run r;
	run_sim(&r, "simsup --seed 1 --procs 2 -- sh -c 'sleep 5 & sleep 0.1; ps -e -o pid=,comm='");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect_eq(lines_with(r.out, "p0 | "), 3, "%s", r.out);
	cr_expect_eq(lines_with(r.out, "p1 | "), 3, "%s", r.out);
	cr_expect_eq(lines_with(r.out, "sleep"), 2, "%s", r.out);
	run_free(&r);
}

Test(procfs, pgrep_and_pidof_find_processes_by_name)
{
	need_program("pgrep");
	need_program("pidof");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'sleep 5 & sleep 6 & sleep 0.1; "
		    "echo pgrep $(pgrep -d, -x sleep); echo pidof $(pidof sleep); "
		    "pgrep -x nosuchprogram || echo none'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "pgrep 101,102\n"), "%s", r.out);
	cr_expect(strstr(r.out, "pidof 102 101\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | none\n"), "%s", r.out);
	run_free(&r);
}

Test(procfs, top_batch_shows_the_node_tasks)
{
	need_program("top");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'sleep 5 & sleep 0.1; top -b -n1'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "Tasks:   3 total"), "%s", r.out);
	cr_expect(strstr(r.out, "MiB Mem :   8192.0 total"), "%s", r.out);
	cr_expect(strstr(r.out, " sleep\n"), "%s", r.out);
	run_free(&r);
}

/* The ids a program sees name its /proc entries; host pids name nothing. */
Test(procfs, proc_paths_take_virtual_pids_only)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'echo self $(readlink /proc/self) $$; "
		    "tr \"\\0\" \" \" < /proc/$$/cmdline; echo; "
		    "echo task $(ls /proc/$$/task); test -d /proc/$$ && echo dir; "
		    "test -e /proc/%d/stat || echo host-pid-absent; "
		    "cat /proc/99999/stat 2>/dev/null || echo absent'", (int)getpid());
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | self 101 100\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | sh -c echo self"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | task 100\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | dir\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | host-pid-absent\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | absent\n"), "%s", r.out);
	run_free(&r);
}

/* A threaded process's task directory lists its threads by virtual tid,
 * and each thread's stat names it. */
Test(procfs, task_directory_lists_virtual_tids)
{
	struct run r;
	char *prog = example("hostinfo");
	run_sim(&r, "simsup --seed 1 -- %s tasks", prog);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "tasks: 100 101 102\n"), "%s", r.out);
	cr_expect(strstr(r.out, "task 102 stat: 102 ("), "%s", r.out);
	run_free(&r);
	free(prog);
}

/* Host counters and layout are refused by name, and not listed. */
Test(procfs, host_only_files_are_refused_by_name)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'cat /proc/diskstats || echo absent; "
		    "ls /proc | grep -c -x -e vmstat -e interrupts -e diskstats; true'");
	cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | absent\np0 | 0\n"), "%s", r.out);
	cr_expect(strstr(r.err, "refused openat: describes the host, not simulated "
				"(docs/pseudo-files.md): /proc/diskstats (ENOENT)"), "%s", r.err);
	run_free(&r);
}

Test(procfs, ps_run_same_seed_same_hash)
{
	need_program("ps");
	expect_same_hash(2, "simsup --seed 2 -- sh -c 'sleep 5 & ps -e; top -b -n1'");
}
