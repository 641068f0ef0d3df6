/* supervisor/sched.c: finding a process by its real pid.  The host gives
 * the pid of a process the supervisor reaped to new processes (pid_max is
 * 32768 on many machines, so a long run wraps it): such a pid names the
 * new process, never the old simulated one. */
#include <criterion/criterion.h>

#include "sup.h"

Test(procs, a_reaped_process_does_not_own_its_old_real_pid)
{
	struct sup_proc old = { .pid = 4242, .vpid = 101, .exited = true, .reaped = true };
	struct sup_proc live = { .pid = 4243, .vpid = 102 };
	struct sup_proc *procs[] = { &old, &live };
	struct sup_run R = { .procs = procs, .nprocs = 2 };
	cr_expect_null(sup_proc_by_pid(&R, 4242), "the host may have reused 4242");
	cr_expect_eq(sup_proc_by_pid(&R, 4243), &live);
	cr_expect_null(sup_proc_by_pid(&R, 0));
	cr_expect_null(sup_proc_by_pid(&R, -1));
	/* the host reused it: a new simulated process with the same real pid */
	struct sup_proc again = { .pid = 4242, .vpid = 103 };
	struct sup_proc *more[] = { &old, &live, &again };
	R.procs = more;
	R.nprocs = 3;
	cr_expect_eq(sup_proc_by_pid(&R, 4242), &again);
}
