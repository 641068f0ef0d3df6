/*
 * Process groups and sessions inside a node: setpgid/setsid and their
 * errnos, kill(0), killpg, kill(-1), waitpid by group (examples/pgroups.c),
 * and job control in real shells, each compared with what the same shell
 * does natively.
 */
#include "harness.h"

Test(pgroups, groups_sessions_and_group_signals_behave_as_the_kernel)
{
	struct run r;
	char *prog = example("pgroups");
	run_sim(&r, "simsup --seed 1 -- %s", prog);
	cr_expect_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "pgroups: all ok"), "%s", r.out);
	cr_expect(!strstr(r.out, "FAIL"), "%s", r.out);
	run_free(&r);
	free(prog);
}

Test(pgroups, same_seed_same_hash)
{
	char *prog = example("pgroups"), *cmd;
	cr_assert(asprintf(&cmd, "simsup --seed 3 -- %s", prog) > 0);
	expect_same_hash(2, cmd);
	free(cmd);
	free(prog);
}

/* bash with job control puts the job in a group of its own; `kill %1`
 * signals that group (natively: "status 143" at once). */
Test(pgroups, bash_job_control_kills_the_job_by_its_group)
{
	need_program("bash");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- bash -c 'set -m; sleep 10 & kill %%1; wait $!; "
		    "echo \"status $?\"'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "status 143"), "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.err, "pass seed 1: 0.0"), "the sleep was not cut short: %s", r.err);
	run_free(&r);
}

/* dash without job control leaves the job in the shell's group but still
 * sends `kill %1` to the job's pid as a group: natively "kill: No such process",
 * and the wait lasts the whole sleep.  The same under simsup, not EPERM. */
Test(pgroups, dash_kill_job_without_job_control_is_esrch_as_natively)
{
	need_program("dash");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- dash -c 'sleep 10 & kill %%1; wait; echo \"status $?\"'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "kill: No such process"), "%s", r.out);
	cr_expect(strstr(r.err, "pass seed 1: 10.0"), "%s", r.err);
	run_free(&r);
}
