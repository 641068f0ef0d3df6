/*
 * Compatibility with real programs (docs/compatibility.md): each test pins
 * one failure found by running an unmodified Debian program under simsup,
 * reduced to the smallest program or command line that showed it.  Tests
 * that need a program which is not installed skip loudly.
 */
#include <time.h>

#include "harness.h"

/* Path of a helper built from tests/integration/compat/. */
static char *helper(const char *name)
{
	char *n, *p;
	cr_assert(asprintf(&n, "compat_%s", name) > 0);
	p = built_helper(n);
	free(n);
	return p;
}

/* simsup ignores SIGPIPE for itself; the targets must not inherit that. */
Test(compat_programs, sigpipe_kills_a_writer_to_a_closed_pipe)
{
	need_program("bash");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- bash -c 'yes | head -1; echo \"status ${PIPESTATUS[0]}\"'");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | status 141"), "yes must die of SIGPIPE (128+13): %s", r.out);
	cr_expect(!strstr(r.out, "Broken pipe"), "yes saw EPIPE instead of the signal: %s", r.out);
	run_free(&r);
}

static void masked_wait(const char *how, const char *pending)
{
	char *h = helper("pselect_sigchld");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s %s %s", h, how, pending);
	cr_assert_eq(r.status, 0, "%s: %s\n%s", how, r.out, r.err);
	cr_expect(strstr(r.out, "handler=1 sigchld-blocked-after=1"), "%s", r.out);
	run_free(&r);
	free(h);
}

/* GNU make -j deadlocked: pselect's mask, which unblocks SIGCHLD, was
 * ignored, so a child's exit never ended the wait. */
Test(compat_programs, pselect_mask_lets_sigchld_in)
{
	masked_wait("pselect", "");
}

Test(compat_programs, ppoll_mask_lets_sigchld_in)
{
	masked_wait("ppoll", "");
}

Test(compat_programs, epoll_pwait_mask_lets_sigchld_in)
{
	masked_wait("epoll", "");
}

Test(compat_programs, pselect_sees_a_sigchld_already_pending)
{
	masked_wait("pselect", "pending");
}

Test(compat_programs, make_j4_builds_a_c_project)
{
	need_program("make");
	need_program("cc");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c '"
		    "for i in 1 2 3 4 5 6; do echo \"int f$i(void) { return $i; }\" > f$i.c; done; "
		    "echo \"int f1(void),f2(void),f3(void),f4(void),f5(void),f6(void);\" > main.c; "
		    "echo \"int main(void) { return f1()+f2()+f3()+f4()+f5()+f6() - 21; }\" >> main.c; "
		    "printf \"prog: main.o f1.o f2.o f3.o f4.o f5.o f6.o\\n\\t\\$(CC) -o \\$@ \\$^\\n\" > Makefile; "
		    "make -s -j4 && ./prog && echo built-and-ran'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | built-and-ran"), "%s", r.out);
	run_free(&r);
}

/* libuv installs its signal handler with every signal blocked; a syscall
 * in it raised a blocked SIGSYS and the kernel killed node. */
Test(compat_programs, handler_blocking_every_signal_can_make_syscalls)
{
	char *h = helper("fullmask_handler");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s", h);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | handler wrote"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | fullmask ok"), "%s", r.out);
	run_free(&r);
	free(h);
}

/* postfix's master execs smtpd, which accepts on the listening socket it
 * inherited: the socket stays virtual in the next image (its clients'
 * addresses, the trace's net-accept), and a close-on-exec one is gone. */
Test(compat_programs, a_listening_socket_stays_virtual_across_exec)
{
	char *h = helper("exec_socket");
	struct run r;
	run_sim(&r, "simsup --seed 1 --check-determinism --workload "
		    "'sh -c \"echo hi | nc.openbsd -N 10.0.1.1 2525; echo hi | nc.openbsd -N p0 2525\"' "
		    "-- %s {ip} 2525", h);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | close-on-exec socket gone"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | a new socket on fd 3: family 2 port 0"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | family 2 peer 10.0.0.1 local 10.0.1.1:2525"), "%s", r.out);
	cr_expect(!strstr(r.out, "family 1"), "%s", r.out);
	run_free(&r);
	free(h);
}

/* A virtual socket sent to another process over SCM_RIGHTS is a virtual
 * socket there too: a listener (haproxy's and nginx's reloads hand them
 * over), and accepted connections (node's cluster module hands each to a
 * worker, whose request then knows its client). */
Test(compat_programs, a_virtual_socket_sent_over_scm_rights_stays_virtual)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c \""
		    "import os, socket\n"
		    "a, b = socket.socketpair()\n"
		    "l = socket.socket(); l.bind(('0.0.0.0', 7070)); l.listen(5)\n"
		    "if os.fork() == 0:\n"
		    "    m, fds, f, ad = socket.recv_fds(b, 16, 4)\n"
		    "    s = socket.socket(fileno=fds[0])\n"
		    "    print('child', s.family, s.type, s.getsockname()); os._exit(0)\n"
		    "socket.send_fds(a, [b'x'], [l.fileno()]); os.wait()\n"
		    "print('parent', l.family, l.getsockname())\"");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* AF_INET (2), SOCK_STREAM (1), and where it listens */
	cr_expect(strstr(r.out, "p0 | child 2 1 ('0.0.0.0', 7070)"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | parent 2 ('0.0.0.0', 7070)"), "%s", r.out);
	cr_expect(!strstr(r.err, "refused"), "%s", r.err);
	run_free(&r);
}

Test(compat_programs, node_cluster_workers_know_their_clients)
{
	need_program("node");
	char *dir = test_dir("cluster"), path[4200];
	snprintf(path, sizeof path, "%s/cluster.js", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("const cluster = require('cluster'), http = require('http');\n"
	      "if (cluster.isPrimary) { for (let i = 0; i < 2; i++) cluster.fork(); }\n"
	      "else http.createServer((q, s) => s.end('worker ' + cluster.worker.id + ' client ' +\n"
	      "  q.socket.remoteAddress + ' at ' + q.socket.localAddress + ':' + q.socket.localPort + '\\n'))\n"
	      "  .listen(8080, process.env.SIMSUP_IP);\n", f);
	fclose(f);
	struct run r;
	run_sim(&r, "simsup --seed 1 --check-determinism --workload "
		    "\"sh -c 'sleep 2; for i in 1 2 3; do curl -s -m 5 http://10.0.1.1:8080/; done'\" "
		    "-- node %s", path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "w0 | worker 1 client 10.0.0.1 at 10.0.1.1:8080"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | worker 2 client 10.0.0.1 at 10.0.1.1:8080"), "%s", r.out);
	cr_expect(!strstr(r.out, "undefined"), "%s", r.out);
	run_free(&r);
	free(dir);
}

/* sched_yield and usleep come in through the PLT wrappers, not the trap:
 * `-v` counts 1,100 wrapper calls and only the start-up's few traps. */
Test(compat_programs, sched_yield_and_usleep_need_no_trap)
{
	char *h = helper("yields");
	struct run r;
	run_sim(&r, "simsup -v --seed 1 -- %s", h);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | yields: done"), "%s", r.out);
	const char *p = strstr(r.err, "calls caught: ");
	long traps = -1, plt = -1;
	cr_assert(p && sscanf(p, "calls caught: %ld traps, %ld PLT wrapper calls", &traps, &plt) == 2, "%s", r.err);
	cr_expect(traps < 100 && plt >= 1100, "traps %ld, PLT wrapper calls %ld", traps, plt);
	run_free(&r);
	free(h);
}

/* A local socket bound to a path makes a file: it and its directory get
 * virtual times, as every file the program makes (php-fpm's socket had
 * the host's, different in every run). */
Test(compat_programs, a_socket_file_made_by_bind_has_virtual_times)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c \""
		    "import os, socket, time\n"
		    "os.mkdir('/tmp/x'); time.sleep(1)\n"
		    "s = socket.socket(socket.AF_UNIX); s.bind('/tmp/x/s.sock')\n"
		    "d, f = os.stat('/tmp/x').st_mtime, os.stat('/tmp/x/s.sock').st_mtime\n"
		    "print('virtual', 1735689601 <= d < 1735689602, 1735689601 <= f < 1735689602)\"");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | virtual True True"), "%s", r.out);
	run_free(&r);
}

/* The same refusal five times: one line, and a count at the end; -v
 * prints each.  The trace has each either way. */
Test(compat_programs, a_repeated_refusal_is_printed_once)
{
	need_program("/usr/bin/python3");
	static const char prog[] = "/usr/bin/python3 -c \""
				   "import socket\n"
				   "for i in range(5):\n"
				   "    try: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)\n"
				   "    except OSError: pass\n"
				   "print('done')\"";
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s", prog);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(count_of(r.err, "refused socket: socket(AF_PACKET"), 1, "%s", r.err);
	cr_expect(strstr(r.err, "simsup: 4 more refusals like those above were not printed"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup -v --seed 1 -- %s", prog);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(count_of(r.err, "refused socket: socket(AF_PACKET"), 5, "%s", r.err);
	cr_expect(!strstr(r.err, "more refusals"), "%s", r.err);
	run_free(&r);
}

Test(compat_programs, node_child_process_exec_sync)
{
	need_program("node");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- node -e "
		    "\"console.log(require('child_process').execSync('echo from-child').toString().trim())\"");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | from-child"), "%s", r.out);
	run_free(&r);
}

/* Ended threads' stack blocks are reused or unmapped by glibc at once;
 * the ending thread must touch neither its TLS nor its rseq area after
 * telling the supervisor.  Failed one run in five before the fix. */
Test(compat_programs, thread_churn_same_seed_same_hash, .timeout = 200)
{
	char *h = helper("thread_churn");
	char first[40] = "";
	for (int i = 0; i < 8; i++) {
		struct run r;
		run_sim(&r, "simsup --seed 1 -- %s 300", h);
		cr_assert_eq(r.status, 0, "run %d: %s", i, r.err);
		cr_assert(strstr(r.out, "p0 | churn ok"), "%s", r.out);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d", i);
		run_free(&r);
	}
	free(h);
}

Test(compat_programs, python_timer_after_threads_end, .timeout = 200)
{
	need_program("/usr/bin/python3");
	char first[40] = "";
	for (int i = 0; i < 8; i++) {
		struct run r;
		run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c '"
			    "import threading, time\n"
			    "ts = [threading.Thread(target=time.sleep, args=(0.01 * i,)) for i in range(5)]\n"
			    "[t.start() for t in ts]; [t.join() for t in ts]\n"
			    "ev = threading.Event(); threading.Timer(0.5, ev.set).start()\n"
			    "print(\"event\", ev.wait(5))'");
		cr_assert_eq(r.status, 0, "run %d: %s", i, r.err);
		cr_assert(strstr(r.out, "p0 | event True"), "%s", r.out);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d", i);
		run_free(&r);
	}
}

/* clone/clone3 that make a thread return its virtual tid, not the host's
 * (seen in -vv traces of git, which differed run to run). */
Test(compat_programs, clone_returns_the_virtual_tid)
{
	char *h = helper("thread_churn"), dir[] = "/tmp/simsup-compat-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct run r;
	run_sim(&r, "{ simsup -vv --seed 1 --run-dir %s/run -- %s 2 && "
		    "grep -o 'syscall 435([0-9]*) = [0-9]*' %s/run/trace.jsonl | sed 's/.* = //' && "
		    "grep -o '\"new\":[0-9]*' %s/run/trace.jsonl | sed 's/.*://'; }",
		    dir, h, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	int ret[2], made[2];
	const char *ids = strstr(r.out, "churn ok\n");
	cr_assert(ids, "%s\n%s", r.out, r.err);
	cr_assert_eq(sscanf(ids + 9, "%d %d %d %d", &ret[0], &ret[1], &made[0], &made[1]), 4,
		     "clone3 results, then new thread ids: %s", r.out);
	cr_expect_eq(ret[0], made[0]);
	cr_expect_eq(ret[1], made[1]);
	run_free(&r);
	run_sim(&r, "rm -rf %s", dir);
	run_free(&r);
	free(h);
}

Test(compat_programs, thread_without_its_own_tls_is_refused)
{
	char *h = helper("clone_no_settls");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s", h);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | clone: Function not implemented"), "%s", r.out);
	cr_expect(strstr(r.err, "refused clone"), "a diagnostic names the call: %s", r.err);
	run_free(&r);
	free(h);
}

/* libstdc++'s std::random_device reads RDSEED/RDRAND: two runs of one
 * seed printed different numbers and the same trace hash. */
Test(compat_programs, std_random_device_follows_the_seed)
{
	char *h = helper("random_device");
	if (access(h, X_OK) != 0)
		cr_skip_test("SKIPPED: no C++ compiler, %s was not built", h);
	struct run a, b, c;
	run_sim(&a, "simsup --seed 1 -- %s", h);
	run_sim(&b, "simsup --seed 1 -- %s", h);
	run_sim(&c, "simsup --seed 2 -- %s", h);
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_expect_str_eq(a.out, b.out, "same seed, same numbers");
	cr_expect_str_neq(a.out, c.out, "another seed, other numbers");
	run_free(&a);
	run_free(&b);
	run_free(&c);
	free(h);
}

/* A blocking call interrupted by an SA_RESTART handler went on natively
 * but ended with EINTR under simsup. */
Test(compat_programs, sa_restart_handler_restarts_a_blocking_read)
{
	char *h = helper("sa_restart");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s", h);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | read: 1 ok handler=1"), "%s", r.out);
	run_free(&r);
	free(h);
}

/* open() of a FIFO blocks in the kernel until the other side opens: it
 * held the turn and hung until the watchdog.  An anonymous pipe reopened
 * through /dev/fd (process substitution) must not wait at all: bash's
 * `read -t` timed out natively (142) but read the late line here. */
Test(compat_programs, named_pipes_open_without_hanging)
{
	need_program("bash");
	need_program("mkfifo");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- bash -c '"
		    "mkfifo a; (echo writer-first > a &); cat a; "
		    "mkfifo b; cat b & echo reader-first > b; wait; "
		    "mkfifo c; (exec 3>c; sleep 1; echo late-write >&3) & read -r l < c; echo $l; "
		    "mkfifo d; (: > d &); cat d; echo empty-writer; "
		    "mkfifo e; (exec 3>e; sleep 2; exec 3>&-) & cat e; echo idle-writer; "
		    "read -t 1 v < <(sleep 3; echo late); echo read-t $?'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | writer-first\np0 | reader-first\np0 | late-write\np0 | empty-writer\n"
				"p0 | idle-writer\np0 | read-t 142\n"),
		  "%s", r.out);
	run_free(&r);
}

/* A blocking waitpid was not interrupted by signals at all: the handler ran
 * only when the child ended, so an alarm-based timeout never fired. */
Test(compat_programs, signal_interrupts_a_blocking_waitpid)
{
	char *h = helper("waitpid_alarm");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s", h);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | waitpid: Interrupted system call after 1s, then reaped"), "%s", r.out);
	run_free(&r);
	free(h);
}

/* pthread_cancel of a thread blocked in read, poll, nanosleep, accept or a
 * condition variable, or running with asynchronous cancellation: glibc's
 * SIGCANCEL reached the other thread as SI_QUEUE, its handler dropped it,
 * and pthread_join deadlocked (or spun for ever).  A handler of a
 * pthread_kill from another thread sees SI_TKILL and getpid(), as natively,
 * and setgid in a process with a thread blocked in a read returns (glibc's
 * SIGSETXID round of every thread deadlocked the same way).
 * Three seeds each: three interleavings of the two threads. */
Test(compat_programs, pthread_cancel_ends_a_thread_blocked_in_a_call, .timeout = 120)
{
	static const char *kinds[] = { "read", "poll", "sleep", "accept", "cond", "async", "kill", "setxid" };
	char *h = helper("cancel");
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		for (int seed = 1; seed <= 3; seed++) {
			struct run r;
			run_sim(&r, "simsup --seed %d --watchdog 20s -- %s %s", seed, h, kinds[i]);
			cr_assert_eq(r.status, 0, "%s, seed %d:\n%s\n%s", kinds[i], seed, r.out, r.err);
			char want[64];
			snprintf(want, sizeof want, "p0 | %s ok", kinds[i]);
			cr_expect(strstr(r.out, want), "%s, seed %d: %s", kinds[i], seed, r.out);
			run_free(&r);
		}
	free(h);
}

/* Daemons that drop privileges and sandbox themselves (sshd, vsftpd,
 * dovecot, rsyslog, uvicorn, GHC's runtime: docs/compatibility.md), one
 * case of compat/daemon_calls.c each, all of whose checks must hold. */
static void daemon_case(const char *name, const char *refusal)
{
	char *h = helper("daemon_calls");
	struct run r;
	run_sim(&r, "simsup --seed 1 --watchdog 20s --time-limit 60s -- %s %s", h, name);
	char ok[64];
	snprintf(ok, sizeof ok, "p0 | %s ok", name);
	cr_expect_eq(r.status, 0, "%s: %s\n%s", name, r.out, r.err);
	cr_expect(strstr(r.out, ok), "%s: %s\n%s", name, r.out, r.err);
	if (refusal)
		cr_expect(strstr(r.err, refusal), "%s: no refusal naming \"%s\": %s", name, refusal, r.err);
	run_free(&r);
	free(h);
}

/* sched_setscheduler, prlimit, getpriority... name a thread by pid: the
 * node's virtual ones reach the kernel as real ones (glibc's
 * pthread_create with an explicit policy, rsyslog's threads), and a pid of
 * the host is no one's (it reached host pid 1 before). */
Test(compat_programs, calls_naming_a_pid_reach_only_the_node)
{
	daemon_case("pids", "refused ptrace");
}

/* -vv's notes show a call's first argument: the kernel's tid of a
 * process's first thread, which glibc passes to sched_getparam, differed
 * in every run and so did the hash; it is shown as the virtual one. */
Test(compat_programs, vv_notes_show_virtual_pids, .timeout = 60)
{
	char *h = helper("daemon_calls"), *cmd;
	cr_assert(asprintf(&cmd, "simsup -vv --seed 1 -- %s pids", h) > 0);
	expect_same_hash(3, cmd);
	free(cmd);
	free(h);
}

/* A new network namespace has none of the simulation's sockets (vsftpd
 * clones into one): refused as by a kernel without namespaces. */
Test(compat_programs, new_namespaces_are_refused)
{
	daemon_case("namespaces", "refused unshare: unshare of a namespace");
}

/* sshd's seccomp sandbox allows no rt_sigreturn, which ends every trap:
 * the filter is refused and the program goes on. */
Test(compat_programs, a_seccomp_filter_is_refused_and_the_program_goes_on)
{
	daemon_case("seccomp", "refused prctl: seccomp filter");
}

/* dovecot checks a local peer's pid against the pid it says it has. */
Test(compat_programs, local_peer_credentials_are_virtual_pids)
{
	daemon_case("creds", NULL);
}

/* sshd drops a connection whose IP options are not empty. */
Test(compat_programs, tcp_connections_have_no_ip_options)
{
	daemon_case("ipopts", NULL);
}

/* vsftpd's pre-login process sets RLIMIT_NOFILE to 0, then reads. */
Test(compat_programs, a_blocking_read_with_no_fds_allowed)
{
	daemon_case("nofile0", NULL);
}

Test(compat_programs, ports_below_1024_need_the_capability)
{
	daemon_case("lowport", NULL);
}

/* GHC's non-threaded runtime loops on select through its timer's EINTR. */
Test(compat_programs, select_interrupted_keeps_its_sets_and_time_left)
{
	daemon_case("select_eintr", NULL);
}

/* clock_settime, settimeofday and adjtimex as root set and slew the
 * node's clock (they set the host's before: chronyd, ntpd and `date -s`
 * under simsup); the kernel's PLL and host names are refused. */
Test(compat_programs, setting_the_clock_sets_the_nodes_only)
{
	struct timespec host0;
	clock_gettime(CLOCK_REALTIME, &host0);
	daemon_case("clock", "refused clock_adjtime: adjtimex: the kernel's PLL");
	struct timespec host1;
	clock_gettime(CLOCK_REALTIME, &host1);
	cr_expect(host1.tv_sec - host0.tv_sec < 60, "the host's clock moved: %ld -> %ld", (long)host0.tv_sec,
		  (long)host1.tv_sec);
}

/* uvicorn's workers each listen on the socket their parent bound. */
Test(compat_programs, listen_again_on_a_socket_shared_by_processes)
{
	daemon_case("relisten", NULL);
}

/* A program that holds a virtual socket and execs with an empty
 * environment keeps its shim (the environment built for it lost
 * LD_PRELOAD), and a program's own LD_PRELOAD lasts through every exec. */
Test(compat_programs, exec_with_an_empty_environment_and_a_preload_chain)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- python3 -c \"import socket,os; s=socket.socket(); "
		    "s.bind(('0.0.0.0',9000)); s.listen(); os.execve('/bin/sh',['sh','-c','echo child ran'],{})\"");
	cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | child ran"), "%s\n%s", r.out, r.err);
	run_free(&r);
	const char *so = "/lib/x86_64-linux-gnu/libm.so.6";
	run_sim(&r, "simsup --seed 1 -- env LD_PRELOAD=%s sh -c 'sh -c \"echo \\$LD_PRELOAD\"'", so);
	cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, ":/lib/x86_64-linux-gnu/libm.so.6\n"), "%s\n%s", r.out, r.err);
	run_free(&r);
}

/* A client that sends and then spins on checks that do not wait (httperf's
 * and iperf3's select loops): its request reached the network only when
 * its turn ended, which nothing ended (the watchdog stopped the run).  Each
 * round trip is at least the two one-way latencies, and not much more. */
Test(compat_programs, a_client_spinning_on_zero_timeouts_gets_its_answers, .timeout = 120)
{
	char *h = helper("spin_client");
	static const char *hows[] = { "poll", "select", "epoll", "recv" };
	for (size_t k = 0; k < sizeof hows / sizeof *hows; k++) {
		struct run r;
		run_sim(&r, "simsup --seed 1 --watchdog 20s --latency 1ms:1ms --workload '%s %s {ip:0} 9000 3' "
			    "-- %s server {ip} 9000", h, hows[k], h);
		cr_expect_eq(r.status, 0, "%s: %s\n%s", hows[k], r.out, r.err);
		for (int i = 0; i < 3; i++) {
			char want[32];
			double ms = 0;
			snprintf(want, sizeof want, "round trip %d: ", i);
			const char *p = strstr(r.out, want);
			cr_expect(p && sscanf(p + strlen(want), "%lf", &ms) == 1, "%s: %s", hows[k], r.out);
			cr_expect(ms >= 2.0 && ms < 50.0, "%s: round trip %d took %.3f ms", hows[k], i, ms);
		}
		run_free(&r);
	}
	free(h);
}

/* Abstract AF_UNIX names are per node: two nodes' daemons listen on one
 * name (libqb's "\0cmap" under corosync collided: "Address already in
 * use"), and the names a program reads back (getsockname, getpeername,
 * recvfrom, recvmsg) are the ones it gave. */
Test(compat_programs, abstract_unix_names_are_per_node)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 --procs 2 -- /usr/bin/python3 -c '"
		"import socket\n"
		"s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
		"s.bind(\"\\0cmap\"); s.listen()\n"
		"c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(\"\\0cmap\"); s.accept()\n"
		"d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d.bind(\"\\0to\")\n"
		"e = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); e.bind(\"\\0from\")\n"
		"e.sendto(b\"x\", \"\\0to\"); m, f1 = d.recvfrom(9)\n"
		"e.sendmsg([b\"y\"], [], 0, \"\\0to\"); m, a, fl, f2 = d.recvmsg(9)\n"
		"print(s.getsockname(), c.getpeername(), f1, f2)'");
	cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
	const char *want = "b'\\x00cmap' b'\\x00cmap' b'\\x00from' b'\\x00from'";
	cr_expect_eq(count_of(r.out, want), 2, "want \"%s\" from both nodes: %s\n%s", want, r.out, r.err);
	run_free(&r);
	/* a name padded with NULs to the whole sun_path, as libqb binds it
	 * (sizeof(struct sockaddr_un)): EINVAL before, with the node's
	 * prefix it did not fit */
	run_sim(&r, "simsup --seed 1 --procs 2 -- /usr/bin/python3 -c '"
		"import socket\n"
		"full = b\"\\0cmap\" + bytes(103)\n"
		"s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(full); s.listen()\n"
		"c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(full)\n"
		"print(\"full-length\", s.getsockname() == full, c.getpeername() == full)'");
	cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect_eq(count_of(r.out, "| full-length True True"), 2, "%s\n%s", r.out, r.err);
	run_free(&r);
}
