/*
 * The foundation as a user meets it: virtual hosts, virtual time, seeded
 * entropy, processes, the watchdog, deadlocks, time limits, and the same
 * seed giving the same trace hash.
 */
#include <signal.h>

#include "harness.h"

Test(foundation, three_hosts_sleep_an_hour_in_no_time)
{
	struct run r;
	run_sim(&r, "simsup --procs 3 --tag role=leader,follower --seed 1 -- "
		    "sh -c 'echo $SIMSUP_IP $SIMSUP_TAG_ROLE; sleep 3600; date -u +%%FT%%T'");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | 10.0.1.1 leader"), "%s", r.out);
	cr_expect(strstr(r.out, "p1 | 10.0.1.2 follower"), "%s", r.out);
	cr_expect(strstr(r.out, "p2 | 10.0.1.3 leader"), "%s", r.out);
	/* default epoch 2025-01-01T00:00:00Z, plus the hour slept */
	const char *p = r.out;
	int dates = 0;
	while ((p = strstr(p, "2025-01-01T01:00:00")))
		dates++, p++;
	cr_expect_eq(dates, 3, "%s", r.out);
	run_free(&r);
}

Test(foundation, placeholders_and_environment)
{
	struct run r;
	run_sim(&r, "simsup --procs 2 --tag zone=a,b --seed 3 -- "
		    "sh -c 'echo {ip} {index} {boot} {tag:zone} {peers} {ip:1} $SIMSUP_INDEX $SIMSUP_PEERS $SIMSUP_SEED' x");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | 10.0.1.1 0 1 a 10.0.1.1,10.0.1.2 10.0.1.2 0 10.0.1.1,10.0.1.2 3"), "%s", r.out);
	cr_expect(strstr(r.out, "p1 | 10.0.1.2 1 1 b 10.0.1.1,10.0.1.2 10.0.1.2 1 10.0.1.1,10.0.1.2 3"), "%s", r.out);
	run_free(&r);
}

static char *python_line(unsigned seed)
{
	struct run r;
	run_sim(&r, "simsup --seed %u -- /usr/bin/python3 -c "
		    "'import os,time; print(time.time(), os.urandom(8).hex(), os.getpid())'", seed);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	char *line = strdup(r.out);
	run_free(&r);
	return line;
}

Test(foundation, python_time_entropy_pid_follow_the_seed)
{
	need_program("/usr/bin/python3");
	char *a = python_line(7), *b = python_line(7), *c = python_line(8);
	cr_expect_str_eq(a, b, "same seed, different output");
	cr_expect_str_neq(a, c, "different seeds, same output: %s", a);
	cr_expect(strstr(a, "p0 | 17356896"), "time is not the virtual epoch: %s", a);
	free(a), free(b), free(c);
}

Test(foundation, every_clock_is_virtual)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s", example("clock"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "realtime 1735689600\n"), "%s", r.out);
	cr_expect(strstr(r.out, "vdso realtime 1735689600\n"), "%s", r.out);
	cr_expect(strstr(r.out, "slept an hour: monotonic +3600s"), "%s", r.out);
	cr_expect(strstr(r.out, "after poll 1.5s and select 2s: +3603.75s"), "%s", r.out);
	cr_expect(strstr(r.out, "rdtsc advanced by at least an hour"), "%s", r.out);
	cr_expect(strstr(r.out, "now 2025-01-01T01:00:03Z"), "%s", r.out);
	run_free(&r);
}

Test(foundation, epoch_option_moves_realtime)
{
	struct run r;
	run_sim(&r, "simsup --epoch 2030-06-01 --seed 1 -- date -u +%%F");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "2030-06-01"), "%s", r.out);
	run_free(&r);
}

Test(foundation, children_reaped_in_virtual_time_order)
{
	struct run r;
	run_sim(&r, "simsup --seed 4 -- %s", example("forks"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	const char *a = strstr(r.out, "status 2 at 1735689610");
	const char *b = strstr(r.out, "status 3 at 1735689620");
	const char *c = strstr(r.out, "status 1 at 1735689630");
	cr_expect(a && b && c && a < b && b < c, "reap order: %s", r.out);
	cr_expect(strstr(r.out, "spawned"), "posix_spawn: %s", r.out);
	cr_expect(strstr(r.out, "system: 3"), "system: %s", r.out);
	cr_expect(strstr(r.out, "popen read: through popen"), "popen: %s", r.out);
	/* the exec'd child cleared its environment and is still simulated */
	cr_expect(strstr(r.out, "exec'd child pid"), "%s", r.out);
	cr_expect(strstr(r.out, "sees time 17356896"), "exec without environment escaped: %s", r.out);
	run_free(&r);
}

Test(foundation, entropy_from_the_seed)
{
	struct run a, b, c;
	run_sim(&a, "simsup --seed 11 -- %s", example("entropy"));
	run_sim(&b, "simsup --seed 11 -- %s", example("entropy"));
	run_sim(&c, "simsup --seed 12 -- %s", example("entropy"));
	cr_assert_eq(a.status, 0, "stderr: %s", a.err);
	cr_expect_str_eq(a.out, b.out);
	cr_expect_str_neq(a.out, c.out);
	cr_expect(strstr(a.out, "pid 100 ppid 1"), "%s", a.out);
	run_free(&a), run_free(&b), run_free(&c);
}

Test(foundation, threads_work_queue)
{
	struct run r;
	run_sim(&r, "simsup --seed 2 -- %s", example("threads"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "all joined, tid 100"), "%s", r.out);
	run_free(&r);
}

static void same_hash_n_times(const char *cmd, int n)
{
	char first[40] = "";
	for (int i = 0; i < n; i++) {
		struct run r;
		run_sim(&r, "%s", cmd);
		cr_assert_eq(r.status, 0, "%s: stderr: %s", cmd, r.err);
		const char *h = trace_hash(&r);
		cr_assert(h[0], "no trace hash: %s", r.err);
		if (i == 0)
			strcpy(first, h);
		else
			cr_assert_str_eq(h, first, "%s: run %d differs", cmd, i + 1);
		run_free(&r);
	}
}

Test(foundation, same_seed_same_hash_twenty_times)
{
	char *cmd;
	cr_assert(asprintf(&cmd, "simsup --seed 5 --procs 2 -- %s", example("forks")) > 0);
	same_hash_n_times(cmd, 20);
	free(cmd);
	same_hash_n_times("simsup --procs 3 --seed 1 -- sh -c 'x=$(echo hi); sleep 2; echo $x'", 20);
}

Test(foundation, every_example_is_deterministic)
{
	const char *ex[] = { "clock", "entropy", "threads" };
	for (int i = 0; i < 3; i++) {
		char *cmd;
		cr_assert(asprintf(&cmd, "simsup --seed 9 -- %s", example(ex[i])) > 0);
		same_hash_n_times(cmd, 5);
		free(cmd);
	}
}

Test(foundation, check_determinism_option)
{
	struct run r;
	run_sim(&r, "simsup --check-determinism --seed 3 -- %s", example("forks"));
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "deterministic"), "%s", r.err);
	run_free(&r);
}

Test(foundation, watchdog_stops_a_spinning_thread)
{
	struct run r;
	run_sim(&r, "simsup --watchdog 1s --seed 1 -- %s", example("spin"));
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "watchdog"), "%s", r.err);
	cr_expect(strstr(r.err, "busy_loop"), "no backtrace naming the loop: %s", r.err);
	run_free(&r);
}

Test(foundation, deadlock_names_the_waits)
{
	struct run r;
	/* reads a pipe whose writer never writes and never closes */
	run_sim(&r, "simsup --seed 1 -- sh -c 'mkfifo f; exec 3<>f; read x <&3'");
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "deadlock"), "%s", r.err);
	cr_expect(strstr(r.err, "waiting for a local fd"), "%s", r.err);
	run_free(&r);
}

Test(foundation, time_limit_is_virtual)
{
	struct run r;
	run_sim(&r, "simsup --time-limit 10m --seed 1 -- sleep 7200");
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "time limit"), "%s", r.err);
	run_free(&r);
}

/* A program that never parks moves virtual time with its calls alone; it
 * used to yield past the limit, turn after turn, and never stop. */
Test(foundation, time_limit_stops_a_program_that_never_waits, .timeout = 120)
{
	struct run r;
	run_sim(&r, "simsup --time-limit 20ms --seed 1 -- sh -c 'yes > /dev/null'");
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "time limit reached (0.020s virtual)"), "%s", r.err);
	run_free(&r);
}

Test(foundation, failure_prints_seed_and_replay)
{
	struct run r;
	run_sim(&r, "simsup --seed 42 -- sh -c 'exit 3'");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "exited with status 3"), "%s", r.err);
	cr_expect(strstr(r.err, "replay with: simsup --seed 42"), "%s", r.err);
	run_free(&r);
}

Test(foundation, storage_dir_is_the_working_directory)
{
	char dir[] = "/tmp/simsup-it-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct run r;
	run_sim(&r, "simsup --run-dir %s/run --procs 2 --seed 1 -- sh -c 'pwd; echo data > f'", dir);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	char path[256];
	snprintf(path, sizeof path, "%s/run/data/p1/f", dir);
	cr_expect_eq(access(path, F_OK), 0, "no %s", path);
	snprintf(path, sizeof path, "%s/run/logs/p1.out", dir);
	char *log = slurp(path);
	/* programs see the run dir at one fixed path (as root), or its own */
	cr_expect(log && (strstr(log, "/tmp/.simsup-run/data/p1") || strstr(log, "/run/data/p1")),
		  "log: %s", log);
	free(log);
	snprintf(path, sizeof path, "%s/run/trace.jsonl", dir);
	cr_expect_eq(access(path, F_OK), 0);
	run_free(&r);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
}

/* simsup gets a signal while one process spins (holding the turn) and the
 * others sleep: none may survive it.  The sleep's duration is computed by
 * the inner shell so that only the simulated sleep has the number on its
 * command line. */
static void nothing_outlives(const char *sig)
{
	int n = 100000 + getpid() % 50000;
	char *cmd;
	cr_assert(asprintf(&cmd, "TMPDIR=%s \"%s\" -q --procs 2 --seed 1 -- sh -c 'sleep $((100000+%d)) & while :; do :; done' "
			   ">/dev/null 2>&1 & sleep 1; kill -%s $!; sleep 1; "
			   "pgrep -f 'sleep [%d]%05d' >/dev/null && echo LEFT || echo CLEAN",
			   test_tmp(), simsup_bin(), n - 100000, sig, n / 100000, n % 100000) > 0);
	FILE *f = popen(cmd, "r");
	char out[64] = "";
	cr_assert(f);
	fgets(out, sizeof out, f);
	pclose(f);
	cr_expect(strstr(out, "CLEAN"), "processes outlived simsup's SIG%s: %s", sig, out);
	free(cmd);
}

Test(foundation, nothing_outlives_a_killed_simsup) { nothing_outlives("KILL"); }
Test(foundation, nothing_outlives_ctrl_c) { nothing_outlives("INT"); }
Test(foundation, nothing_outlives_sigterm) { nothing_outlives("TERM"); }

Test(foundation, python_multiprocessing_pool)
{
	/* worker processes share a POSIX semaphore (a futex in MAP_SHARED
	 * memory) and a handler thread polls in a loop: both must work */
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 3 -- /usr/bin/python3 -c "
		    "'import multiprocessing as m; p=m.Pool(3); print(sum(p.map(abs, range(100))))'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | 4950"), "%s", r.out);
	run_free(&r);
}

Test(foundation, pipeline_through_a_pipe)
{
	/* tar writes into a pipe faster than gzip reads it: the writer parks,
	 * the reader drains, the end of the pipe is seen */
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'tar czf x.tgz /usr/share/doc/dpkg && tar tzf x.tgz | wc -l; "
		    "yes | head -c 1000000 | wc -c'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | 1000000"), "%s", r.out);
	run_free(&r);
}

Test(foundation, io_uring_is_refused_with_enosys)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c "
		    "'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); "
		    "r=l.syscall(425,1,ctypes.create_string_buffer(120)); print(r, os.strerror(ctypes.get_errno()))'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "-1 Function not implemented"), "%s", r.out);
	cr_expect(strstr(r.err, "refused io_uring_setup"), "%s", r.err);
	run_free(&r);
}

Test(foundation, programs_may_set_their_own_alternate_signal_stack)
{
	/* sigaltstack from inside the trap used to fail with EPERM (the
	 * handler runs on the shim's alternate stack): Python's faulthandler
	 * refused to start */
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -X faulthandler -c "
		    "'import faulthandler, signal, os; signal.signal(signal.SIGUSR1, lambda *a: print(\"handled\")); "
		    "os.kill(os.getpid(), signal.SIGUSR1); print(faulthandler.is_enabled())'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | handled") && strstr(r.out, "p0 | True"), "%s", r.out);
	run_free(&r);
}

Test(foundation, the_run_directory_does_not_change_the_run)
{
	/* two run dirs of different names and lengths: same cwd for the
	 * program, same trace hash */
	if (geteuid() != 0)
		cr_skip_test("SKIPPED: the fixed view of the run directory needs root");
	char h[2][40];
	const char *dirs[] = { "/tmp/simsup-view-a", "/tmp/simsup-view-a-much-longer-name" };
	for (int i = 0; i < 2; i++) {
		struct run r;
		char cmd[256];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dirs[i]);
		system(cmd);
		run_sim(&r, "simsup --run-dir %s --seed 5 -- /usr/bin/python3 -c "
			    "'import os; print(os.getcwd(), os.environ[\"PWD\"], len(os.listdir(\"..\")))'",
			dirs[i]);
		system(cmd);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_expect(strstr(r.out, "p0 | /tmp/.simsup-run/data/p0 /tmp/.simsup-run/data/p0 1"), "out: %s err: %s", r.out, r.err);
		strcpy(h[i], trace_hash(&r));
		run_free(&r);
	}
	cr_expect_str_eq(h[0], h[1]);
}

Test(foundation, sendfile_and_receive_timeouts_on_virtual_sockets)
{
	need_program("/usr/bin/python3");
	const char *src = getenv("SIMSUP_SOURCE");
	struct run r;
	run_sim(&r, "simsup --seed 2 --procs 2 --servers-may-exit "
		    "--workload '/usr/bin/python3 %s/tests/integration/scripts/sendfile_client.py {ip:0} {ip:1}' -- "
		    "sh -c 'if [ $SIMSUP_INDEX = 0 ]; then exec /usr/bin/python3 %s/tests/integration/scripts/sendfile_server.py {ip}; "
		    "else exec /usr/bin/python3 %s/tests/integration/scripts/quiet_server.py {ip}; fi'",
		src, src, src);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | sent 1048576"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | received 1048576 intact True"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | timed out after 2.0 s"), "SO_RCVTIMEO is virtual: %s", r.out);
	run_free(&r);
}

Test(foundation, file_times_are_virtual_and_git_is_deterministic)
{
	need_program("git");
	const char *src = getenv("SIMSUP_SOURCE");
	char first[40] = "";
	for (int i = 0; i < 3; i++) {
		char dir[] = "/tmp/simsup-git-XXXXXX";
		cr_assert(mkdtemp(dir));
		struct run r;
		run_sim(&r, "simsup --run-dir %s/run --seed 4 -- sh -c '%s/tests/integration/scripts/git-commits.sh; "
			    "stat -c \"%%n %%y %%z\" repo/file'", dir, src);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_expect(strstr(r.out, "p0 | repo/file 2025-01-01 00:00:02.") &&
			  strstr(r.out, "+0000 2025-01-01 00:00:02."), "times: %s", r.out);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i + 1);
		run_free(&r);
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		system(cmd);
	}
}

Test(foundation, udp_batches_arrive_in_order)
{
	const char *src = getenv("SIMSUP_SOURCE");
	char dir[] = "/tmp/simsup-mmsg-XXXXXX", cmd[512];
	cr_assert(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cc -o %s/mmsg %s/tests/integration/scripts/mmsg.c", dir, src);
	cr_assert_eq(system(cmd), 0);
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s/mmsg", dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | sent 3") && strstr(r.out, "p0 | received 3: one two three"), "%s", r.out);
	run_free(&r);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
}

Test(foundation, epollrdhup_peek_and_exclusive_on_virtual_sockets)
{
	need_program("/usr/bin/python3");
	const char *src = getenv("SIMSUP_SOURCE");
	struct run r;
	run_sim(&r, "simsup --seed 1 --servers-may-exit "
		    "--workload '/usr/bin/python3 %s/tests/integration/scripts/rdhup.py client {ip:0}' "
		    "-- /usr/bin/python3 %s/tests/integration/scripts/rdhup.py server {ip}", src, src);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | events [(True, True)]"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | peek b'hello' read b'hello' then b''"), "%s", r.out);
	run_free(&r);
}

Test(foundation, reused_inode_numbers_stay_deterministic)
{
	/* the kernel hands a removed file's inode number to the next new file
	 * at moments that differ between runs; the virtual numbers (and the
	 * device) that the program prints must not differ */
	char *first = NULL;
	for (int i = 0; i < 3; i++) {
		char dir[] = "/tmp/simsup-ino-XXXXXX";
		cr_assert(mkdtemp(dir));
		struct run r;
		run_sim(&r, "simsup -q --run-dir %s/run --seed 1 -- sh -c 'for i in 1 2 3 4 5; do echo x > f$i; "
			    "stat -c \"%%n %%i %%d\" f$i; rm f$i; done; touch a; ls -i a; stat -c \"%%i\" a'; "
			    "cat %s/run/logs/p0.out", dir, dir);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert(strstr(r.out, "f5 "), "%s", r.out);
		if (i == 0)
			first = strdup(r.out);
		else
			cr_expect_str_eq(r.out, first, "run %d printed other inode numbers", i + 1);
		run_free(&r);
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		system(cmd);
	}
	free(first);
}

static int occurrences(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Each node has its own /tmp and /var/tmp, empty at each boot: what the
 * host or an earlier boot left there is not seen, what a node writes there
 * does not reach the host or the other nodes, and a file a command line
 * names under /tmp stays visible. */
Test(foundation, each_node_boots_with_its_own_empty_tmp, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("SKIPPED: a private /tmp needs root (mount namespace)");
	char *dir = test_dir("privtmp"), *named, *probe;
	cr_assert(asprintf(&named, "%s/named.txt", dir) > 0);
	cr_assert(asprintf(&probe, "/tmp/%s-probe", strrchr(dir, '/') + 1) > 0);
	FILE *f = fopen(named, "w");
	cr_assert(f);
	fputs("named file\n", f);
	fclose(f);
	char h[2][40];
	for (int i = 0; i < 2; i++) {
		/* the second run with a host file where the program looks */
		if (i == 1) {
			f = fopen(probe, "w");
			cr_assert(f);
			fputs("left by the host\n", f);
			fclose(f);
		}
		struct run r;
		run_sim(&r, "PROBE=%s simsup --seed 3 --procs 2 --reboot at=1s,proc=0,kind=crash,down=1s "
			    "-- /bin/sh -c 'echo boot $SIMSUP_BOOT: $(ls -A /tmp /var/tmp | tr \"\\n\" \" \"); "
			    "cat $PROBE 2>/dev/null; cat %s; "
			    "touch /tmp/left-$SIMSUP_BOOT /var/tmp/left-$SIMSUP_BOOT $PROBE; sleep 5'",
			    probe, named);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_expect(!strstr(r.out, "left by the host"), "%s", r.out);
		cr_expect(!strstr(r.out, "left-"), "a node saw what a boot left: %s", r.out);
		cr_expect_eq(occurrences(r.out, "| named file"), 3, "%s", r.out);
		cr_expect_eq(occurrences(r.out, "| boot "), 3, "%s", r.out);
		snprintf(h[i], sizeof h[i], "%s", trace_hash(&r));
		run_free(&r);
	}
	cr_expect_str_eq(h[0], h[1], "the host's /tmp changed the trace hash");
	f = fopen(probe, "r");
	char line[64] = "";
	cr_expect(f && fgets(line, sizeof line, f) && !strcmp(line, "left by the host\n"),
		  "the program wrote the host's %s", probe);
	if (f)
		fclose(f);
	unlink(probe);
	free(probe);
	free(named);
	free(dir);
}

/* Each node has its own /run, reset at each boot: the host's is beneath,
 * read only, and what a node writes there (pid files, lock files: two
 * nodes of corosync each took /run/corosync.pid) reaches neither the other
 * nodes nor the host. */
Test(foundation, each_node_has_its_own_run, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("SKIPPED: a private /run needs root (mount namespace)");
	char *dir = test_dir("privrun"), *name;
	cr_assert(asprintf(&name, "/run/%s.pid", strrchr(dir, '/') + 1) > 0);
	struct run r;
	run_sim(&r, "N=%s simsup --seed 3 --procs 2 --reboot at=1s,proc=0,kind=crash,down=1s "
		    "-- /bin/sh -c 'echo boot $SIMSUP_BOOT: $(cat $N 2>/dev/null || echo none); "
		    "test -d /run/lock && echo host run seen; "
		    "echo $SIMSUP_IP > $N; sleep 0.5; echo has $(cat $N); sleep 5'",
		    name);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(occurrences(r.out, ": none"), 3, "a node saw another's or an earlier boot's: %s", r.out);
	cr_expect(strstr(r.out, "p0 | has 10.0.1.1") && strstr(r.out, "p1 | has 10.0.1.2") &&
			  !strstr(r.out, "p0 | has 10.0.1.2") && !strstr(r.out, "p1 | has 10.0.1.1"),
		  "%s", r.out);
	cr_expect_eq(occurrences(r.out, "| host run seen"), access("/run/lock", F_OK) == 0 ? 3 : 0, "%s",
		     r.out);
	run_free(&r);
	cr_expect(access(name, F_OK) != 0, "the program wrote the host's %s", name);
	unlink(name);
	free(name);
	free(dir);
}

/* "./prog" from a directory under /tmp (which every node sees privately):
 * the server and a workload named so run; their paths made absolute had a
 * "/./" that kept the directory out of the nodes' views (exit 127). */
Test(foundation, dot_slash_programs_under_tmp_run, .timeout = 60)
{
	char *dir = test_dir("dotslash"), *path;
	cr_assert(asprintf(&path, "%s/s.sh", dir) > 0);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("#!/bin/sh\necho \"$1 ran as $0\"\nsleep $2\n", f);
	fclose(f);
	chmod(path, 0755);
	free(path);
	struct run r;
	run_sim(&r, "cd %s && simsup --seed 1 --workload './s.sh workload 1' -- ./s.sh server 5", dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | server ran as ") && strstr(r.out, "dotslash"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | workload ran as "), "%s", r.out);
	cr_expect(!strstr(r.out, "/./"), "%s", r.out);
	run_free(&r);
	free(dir);
}

/* Workload arguments mean the directory simsup was started in: a script
 * named by a relative path runs, a relative data file is read, and what it
 * writes by a relative name lands in the workload's storage dir. */
Test(foundation, relative_workload_arguments_resolve_from_where_simsup_started, .timeout = 60)
{
	need_program("/usr/bin/python3");
	char *dir = test_dir("relwl"), *path;
	cr_assert(asprintf(&path, "%s/client.py", dir) > 0);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("import sys\nprint('client read', open(sys.argv[1]).read().strip())\n"
	      "open(sys.argv[2], 'w').write('out')\n", f);
	fclose(f);
	free(path);
	cr_assert(asprintf(&path, "%s/in.txt", dir) > 0);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("input data\n", f);
	fclose(f);
	free(path);
	struct run r;
	run_sim(&r, "cd %s && simsup --seed 1 --keep --run-dir %s/run "
		    "--workload '/usr/bin/python3 client.py in.txt out.txt' -- /bin/sleep 1", dir, dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "w0 | client read input data"), "%s", r.out);
	cr_assert(asprintf(&path, "%s/run/data/w0/out.txt", dir) > 0);
	cr_expect_eq(access(path, F_OK), 0, "out.txt is not in the storage dir");
	free(path);
	cr_assert(asprintf(&path, "%s/out.txt", dir) > 0);
	cr_expect_neq(access(path, F_OK), 0, "out.txt was written where simsup started");
	free(path);
	run_free(&r);
	free(dir);
}
