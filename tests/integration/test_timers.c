/*
 * Timers in virtual time: alarm, setitimer, timerfd, timer_create (signal,
 * thread id, SIGEV_THREAD), their lifetime across exit and exec, and the
 * CPU-time timers simsup refuses.
 */
#include "harness.h"

Test(timers, every_kind_fires_at_its_virtual_time)
{
	struct run r;
	char *prog = example("timers");
	run_sim(&r, "simsup --seed 1 -- %s", prog);
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "timers: all ok"), "%s", r.out);
	run_free(&r);
	free(prog);
}

Test(timers, sigev_thread_function_runs)
{
	struct run r;
	char *prog = example("timers");
	run_sim(&r, "simsup --seed 2 -- %s", prog);
	cr_expect(strstr(r.out, "ok   SIGEV_THREAD runs the function at each expiry"), "%s", r.out);
	run_free(&r);
	free(prog);
}

Test(timers, same_seed_same_hash_five_times, .timeout = 120)
{
	char first[40] = "";
	char *prog = example("timers");
	for (int i = 0; i < 5; i++) {
		struct run r;
		run_sim(&r, "simsup --seed 9 -- %s", prog);
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i);
		run_free(&r);
	}
	free(prog);
}

Test(timers, an_alarm_dies_with_its_process)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c 'import signal; signal.alarm(3600)'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "pass seed 1: 0.0"), "the run waited for a dead process's alarm: %s",
		  r.err);
	run_free(&r);
}

Test(timers, an_alarm_survives_exec)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c "
		    "'import signal,os; signal.alarm(2); os.execv(\"/bin/sleep\", [\"sleep\", \"60\"])'");
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "signal 14"), "sleep should die of SIGALRM: %s", r.err);
	cr_expect(strstr(r.err, " 2.0"), "at 2s of virtual time: %s", r.err);
	run_free(&r);
}

Test(timers, cpu_time_itimers_are_refused_clearly)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c "
		    "'import signal\ntry: signal.setitimer(signal.ITIMER_PROF, 1)\n"
		    "except OSError as e: print(\"refused\", e.errno)'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "refused 22"), "%s", r.out);
	cr_expect(strstr(r.err, "ITIMER_PROF"), "no diagnostic: %s", r.err);
	run_free(&r);
}
