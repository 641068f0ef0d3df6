/*
 * test_untrusted.c — a target is untrusted input (include/simsup/proto.h):
 * whatever a simulated program sends on its channel, simsup ends the run
 * with one line saying what went wrong, exits 0 or 1 (never killed by a
 * signal, never hanging), and leaves no process behind.
 *
 * The program is untrusted/fake_target.c, which speaks the protocol itself
 * on the channel its shim opened: one case per mode, and a sweep of seeded
 * random message sequences.
 */
#include "harness.h"

#include <dirent.h>
#include <signal.h>
#include <time.h>

static char *fake_target(void)
{
	/* built next to the compat helpers (tests/integration/meson.build) */
	const char *d = getenv("SIMSUP_COMPAT");
	cr_assert(d && *d, "SIMSUP_COMPAT is not set: run the tests through meson test");
	char *p;
	cr_assert(asprintf(&p, "%s/untrusted_fake_target", d) > 0);
	return p;
}

/* Live processes whose command line holds tag (zombies are not counted:
 * whoever reaps them is still running).  Reads /proc itself, so that no
 * shell of ours, whose command line would hold the tag too, is counted. */
static int procs_with(const char *tag)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[4096], state = 0;
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
			state = 0;
		fclose(f);
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		if (state == 'Z' || !(f = fopen(path, "r")))
			continue;
		size_t k = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		for (size_t i = 0; i < k; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[k] = 0;
		n += strstr(buf, tag) != NULL;
	}
	closedir(d);
	return n;
}

/* No process of the run is left, allowing a moment for the kernel. */
static void expect_nothing_left(const char *tag)
{
	int n = 0;
	for (int i = 0; i < 40 && (n = procs_with(tag)) > 0; i++)
		usleep(50000);
	cr_expect_eq(n, 0, "%d process(es) of the run (%s) left behind", n, tag);
}

/* One case: simsup's exit status, a line it prints (stderr) and, if any,
 * one the target printed (stdout); nothing left running. */
static void expect_case(const char *mode, int status, const char *err, const char *out)
{
	char *prog = fake_target(), tag[96];
	struct run r;
	snprintf(tag, sizeof tag, "untrusted-%d-%s", (int)getpid(), mode);
	run_sim(&r, "simsup --seed 1 --watchdog 20s -- %s %s 0 %s", prog, mode, tag);
	cr_expect_eq(r.status, status, "%s: status %d\n%s", mode, r.status, r.err);
	cr_expect(strstr(r.err, err), "%s: no \"%s\" in:\n%s", mode, err, r.err);
	if (out)
		cr_expect(strstr(r.out, out), "%s: no \"%s\" in:\n%s", mode, out, r.out);
	expect_nothing_left(tag);
	run_free(&r);
	free(prog);
}

static void expect_malformed(const char *mode, const char *why)
{
	expect_case(mode, 1, why, NULL);
}

/* ---- messages that are not requests ---- */

Test(untrusted, truncated_header, .timeout = 120)
{
	expect_malformed("truncated", "sent a malformed message (shorter than a request header)");
}

/* recv returns 0 for it, as for a closed channel */
Test(untrusted, empty_message, .timeout = 120)
{
	expect_malformed("empty", "sent a malformed message (an empty message)");
}

/* its length field matches what the supervisor's buffer kept */
Test(untrusted, longer_than_any_request, .timeout = 120)
{
	expect_malformed("oversized", "sent a malformed message (longer than any request)");
}

Test(untrusted, length_field_that_lies, .timeout = 120)
{
	expect_malformed("len-mismatch", "its length says 100 bytes of payload, it has 10");
}

Test(untrusted, op_zero, .timeout = 120)
{
	expect_malformed("op-zero", "sent a malformed message (unknown request 0)");
}

Test(untrusted, op_past_the_last, .timeout = 120)
{
	expect_malformed("op-max", "sent a malformed message (unknown request ");
}

Test(untrusted, op_65535, .timeout = 120)
{
	expect_malformed("op-huge", "sent a malformed message (unknown request 65535)");
}

Test(untrusted, random_bytes, .timeout = 120)
{
	expect_malformed("garbage", "sent a malformed message (");
}

/* ---- requests out of order ---- */

Test(untrusted, second_hello, .timeout = 120)
{
	expect_malformed("hello-again", "sent a malformed message (a second hello)");
}

/* Allowed: two requests, then both replies, in order. */
Test(untrusted, two_requests_before_reading_a_reply, .timeout = 120)
{
	expect_case("pipelined", 0, "pass seed 1", "pipelined: two replies in order");
}

/* A blocking send would hang the supervisor once the channel is full. */
Test(untrusted, replies_never_read, .timeout = 120)
{
	expect_malformed("flood", "left its replies unread until its channel was full");
}

Test(untrusted, new_thread_without_its_socket, .timeout = 120)
{
	expect_malformed("thread-no-fd", "sent a malformed message (a new thread without its socket)");
}

Test(untrusted, fork_without_the_childs_socket, .timeout = 120)
{
	expect_malformed("fork-no-fd", "sent a malformed message (a fork without the child's socket)");
}

Test(untrusted, fork_done_for_an_unknown_child, .timeout = 120)
{
	expect_malformed("fork-done-unknown",
			 "(a fork done for pid 4242, which is not a fork it announced)");
}

/* An exit with a garbage status, and the process lives on: killed after
 * the grace simsup gives a dying process, and said so. */
Test(untrusted, exit_then_live_on, .timeout = 120)
{
	expect_case("exit-garbage", 1, "said it exited, but did not die; killed it", NULL);
}

/* ---- fds ---- */

Test(untrusted, fd_on_a_request_that_carries_none, .timeout = 120)
{
	expect_malformed("unexpected-fd", "an fd on a request that carries none");
}

/* the second would stay open in the supervisor */
Test(untrusted, two_fds_on_one_request, .timeout = 120)
{
	expect_malformed("two-fds", "sent a malformed message (request 8: more than one fd)");
}

/* ---- the channel page (SIM_CHAN) ---- */

/* a page the target could shrink would fault in the supervisor: refused,
 * and the run goes on on the socket */
Test(untrusted, channel_page_not_sealed, .timeout = 120)
{
	expect_case("chan-unsealed", 0, "pass seed 1", "chan: -22");
}

Test(untrusted, channel_page_counting_past_its_request, .timeout = 120)
{
	expect_malformed("chan-skip", "request 5 on its channel page, 1 expected");
}

Test(untrusted, channel_page_and_a_message_it_did_not_announce, .timeout = 120)
{
	expect_malformed("chan-unannounced", "one on its socket that its channel page did not announce");
}

Test(untrusted, channel_page_request_longer_than_any, .timeout = 120)
{
	expect_malformed("chan-oversized", "sent a malformed message (longer than any request)");
}

/* ---- arguments that used to hang the supervisor ---- */

/* The next expiry overflowed into the past and fired for ever. */
Test(untrusted, interval_timer_past_the_end_of_time, .timeout = 120)
{
	expect_case("timer-overflow", 0, "pass seed 1", "timer-overflow: woke");
}

/* A timerfd's "eventfd" that is a pipe nobody reads: the supervisor's
 * write to it blocked once the pipe was full. */
Test(untrusted, timerfd_that_is_a_full_pipe, .timeout = 120)
{
	expect_case("timer-pipe", 0, "pass seed 1", "timer-pipe: woke");
}

/* Clock requests (SIM_CLOCK_SET, SIM_CLOCK_ADJ) past what the kernel
 * takes: EINVAL, or kept in range, and the run ends when its programs do
 * (a 49-day slew used to keep it going as an event, to the time limit). */
Test(untrusted, clock_requests_out_of_range, .timeout = 120)
{
	expect_case("clock-extremes", 0, "pass seed 1", "clock-extremes: ok");
}

/* Sockets passed over SCM_RIGHTS: entries too long or empty refused, the
 * table bounded, lookups outside an entry refused. */
Test(untrusted, net_pass_and_adopt_out_of_bounds, .timeout = 120)
{
	expect_case("net-pass", 0, "pass seed 1", "net-pass: ok");
}

/* A fork whose child is said to be a process of the host: simsup must not
 * take it for one of its own, which it would signal and, at the end of the
 * run, kill. */
Test(untrusted, fork_done_naming_a_host_process, .timeout = 120)
{
	char *prog = fake_target(), tag[96];
	struct run r;
	pid_t victim = fork();
	cr_assert(victim >= 0);
	if (victim == 0) {
		execlp("sleep", "sleep", "300", (char *)NULL);
		_exit(127);
	}
	snprintf(tag, sizeof tag, "untrusted-%d-host-pid", (int)getpid());
	run_sim(&r, "simsup --seed 1 --watchdog 20s -- %s fork-done-host-pid %d %s", prog,
		(int)victim, tag);
	cr_expect_eq(r.status, 1, "status %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "which is not a new child of simsup"), "%s", r.err);
	cr_expect_eq(waitpid(victim, NULL, WNOHANG), 0, "simsup killed a host process");
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	expect_nothing_left(tag);
	run_free(&r);
	free(prog);
}

/* Seeded random message sequences, one per seed of a sweep (the target
 * takes its sequence from the run's seed).  Every run ends with a verdict
 * (a protocol error, a deadlock, the time limit, ...): exit status 1, and
 * never "simsup crashed", which is what a worker killed by a signal would
 * give.  Thousands of seeds by hand: the same line with --seeds 1-5000. */
Test(untrusted, random_messages_200_seeds, .timeout = 300)
{
	char *prog = fake_target(), tag[96];
	struct run r;
	snprintf(tag, sizeof tag, "untrusted-%d-random", (int)getpid());
	time_t t0 = time(NULL);
	run_sim(&r, "simsup --seeds 1-200 -j 2 --watchdog 2s -- %s random - %s", prog, tag);
	cr_expect(r.status == 0 || r.status == 1, "status %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "200 of 200 seeds run"), "%s", r.err);
	cr_expect(!strstr(r.err, "simsup crashed"), "%s", r.err);
	expect_nothing_left(tag);
	cr_log_info("200 random seeds in %lds", (long)(time(NULL) - t0));
	run_free(&r);
	free(prog);
}
