/*
 * Signals between threads and processes: exact thread targets, signalfd
 * with epoll, SIGPIPE/EPIPE, the sigwait family, and the report of a
 * program's fatal signal with its backtrace and virtual time.
 */
#include "harness.h"

static void mode_passes(const char *mode)
{
	struct run r;
	char *prog = example("signals");
	run_sim(&r, "simsup --seed 1 -- %s %s", prog, mode);
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "signals: all ok"), "%s", r.out);
	run_free(&r);
	free(prog);
}

Test(signals, pthread_kill_and_tgkill_reach_the_thread_named) { mode_passes("tgkill"); }
Test(signals, signalfd_in_epoll_reads_another_process_kill) { mode_passes("signalfd"); }
Test(signals, epipe_when_ignored_death_by_sigpipe_otherwise) { mode_passes("sigpipe"); }
Test(signals, sigtimedwait_times_out_and_sigwaitinfo_takes_a_thread_signal) { mode_passes("sigwait"); }
Test(signals, handlers_run_on_the_alternate_stack_the_program_installed) { mode_passes("altstack"); }
Test(signals, threads_sharing_one_alternate_stack_trap_and_park_together) { mode_passes("sharedalt"); }
Test(signals, sleep_and_usleep_in_virtual_time_and_ended_by_a_signal) { mode_passes("sleeps"); }

Test(signals, same_seed_same_hash_five_times, .timeout = 120)
{
	char first[40] = "";
	char *prog = example("signals");
	for (int i = 0; i < 5; i++) {
		struct run r;
		run_sim(&r, "simsup --seed 4 -- %s signalfd", prog);
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i);
		run_free(&r);
	}
	free(prog);
}

Test(signals, null_dereference_is_reported_with_backtrace_and_virtual_time)
{
	struct run r;
	char *prog = example("signals");
	run_sim(&r, "simsup --seed 1 -- %s crash", prog);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "crashed with signal 11 (Segmentation fault) at 0.0"), "%s", r.err);
	cr_expect(strstr(r.err, " main+0x"), "no backtrace: %s", r.err);
	run_free(&r);
	free(prog);
}

Test(signals, abort_is_reported_with_backtrace)
{
	struct run r;
	char *prog = example("signals");
	run_sim(&r, "simsup --seed 1 -- %s abort", prog);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "crashed with signal 6 (Aborted)"), "%s", r.err);
	cr_expect(strstr(r.err, " abort+0x"), "no backtrace: %s", r.err);
	run_free(&r);
	free(prog);
}
