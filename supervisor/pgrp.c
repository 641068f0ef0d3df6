/*
 * pgrp.c — process groups and sessions of a node, and the signals sent to
 * more than one process: kill(0, sig), kill(-pgrp, sig) (killpg),
 * kill(-1, sig), and SIGKILL to one process.
 *
 * Groups and sessions are virtual: the supervisor keeps each process's
 * group and session (virtual pids) and applies the kernel's rules of
 * setpgid(2) and setsid(2) to them.  The kernel's own groups stay as the
 * launcher made them: every simulated process is a real child of the
 * supervisor (CLONE_PARENT), so the kernel would refuse a shell's setpgid
 * on the children it only virtually has.
 *
 * A process simsup launches is the leader of its own session and group,
 * as a service an init system starts; a child inherits both.  There are
 * no controlling terminals, so no SIGHUP when a session leader exits (as
 * the kernel, for a session without a terminal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sup.h"

/* Is there a live process of the node in group pgid (of session sid, or
 * any session when sid is 0)? */
static bool group_exists(struct sup_run *R, int node, int64_t pgid, int sid)
{
	for (int i = 0; i < R->nprocs; i++) {
		struct sup_proc *p = R->procs[i];
		if (p->node == node && !p->exited && p->vpgid == pgid && (!sid || p->vsid == sid))
			return true;
	}
	return false;
}

/* setpgid(pid, pgid), with the kernel's checks in the kernel's order. */
static int64_t set_pgid(struct sup_run *R, struct sup_proc *self, int64_t pid, int64_t pgid)
{
	if (pgid < 0)
		return -EINVAL;
	if (pid == 0)
		pid = self->vpid;
	if (pgid == 0)
		pgid = pid;
	struct sup_proc *p = pid > 0 ? sup_find_proc(R, self->node, pid) : NULL;
	if (!p)
		return -ESRCH;
	if (p->parent == self) {
		if (p->vsid != self->vsid)
			return -EPERM;
		if (p->execed)
			return -EACCES;
	} else if (p != self) {
		return -ESRCH;
	}
	if (p->vsid == p->vpid)
		return -EPERM; /* a session leader */
	if (pgid != p->vpid && !group_exists(R, self->node, pgid, self->vsid))
		return -EPERM;
	if (p->vpgid != pgid)
		sup_trace_ev(R, p, 0, "setpgid", "i", "pgid", pgid);
	p->vpgid = (int)pgid;
	return 0;
}

static int64_t set_sid(struct sup_run *R, struct sup_proc *self)
{
	if (group_exists(R, self->node, self->vpid, 0))
		return -EPERM; /* it leads a group already */
	self->vsid = self->vpgid = self->vpid;
	sup_trace_ev(R, self, 0, "setsid", "", NULL);
	return self->vpid;
}

int64_t sup_pgrp(struct sup_run *R, struct sup_thread *t, const int64_t *a)
{
	struct sup_proc *self = t->proc, *p;
	switch (a[0]) {
	case SIM_PG_GETPGID:
	case SIM_PG_GETSID:
		p = a[1] == 0 ? self : a[1] > 0 ? sup_find_proc(R, self->node, a[1]) : NULL;
		if (!p)
			return -ESRCH;
		return a[0] == SIM_PG_GETPGID ? p->vpgid : p->vsid;
	case SIM_PG_SETPGID:
		return set_pgid(R, self, a[1], a[2]);
	case SIM_PG_SETSID:
		return set_sid(R, self);
	}
	return -EINVAL;
}

/* Does kill(sel, ...) from self reach p?  sel > 0: that process; 0: the
 * sender's group; -1: every process of the node but the sender (there is
 * no init to spare); below: group -sel. */
static bool reaches(const struct sup_proc *self, const struct sup_proc *p, int64_t sel)
{
	if (sel > 0)
		return p->vpid == sel;
	if (sel == 0)
		return p->vpgid == self->vpgid;
	if (sel == -1)
		return p != self;
	return p->vpgid == -sel;
}

static void kill_now(struct sup_run *R, struct sup_proc *dst)
{
	kill(dst->pid, SIGKILL);
	siginfo_t si = { 0 };
	waitid(P_PID, (id_t)dst->pid, &si, WEXITED);
	dst->reaped = true;
	sup_proc_exited(R, dst, SIGKILL);
}

/* SIM_KILL: signals every process of the caller's node that kill(a0, a1)
 * reaches, except the caller itself, in creation order; out[0] = 1 tells
 * the caller's shim to queue the signal to its own process (it gives its
 * own signals their exact siginfo).  Other processes get SI_QUEUE with the
 * caller's virtual pid (sup_signal_from). */
int64_t sup_kill(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_proc *self = t->proc;
	int64_t sel = a[0], sig = a[1];
	if (sig < 0 || sig > 64 || sel < -INT32_MAX || sel > INT32_MAX)
		return -EINVAL;
	int found = 0;
	for (int i = 0; i < R->nprocs; i++) {
		struct sup_proc *p = R->procs[i];
		if (p->node != self->node || p->exited || p->pid <= 0 || !reaches(self, p, sel))
			continue;
		if (found++ == 0)
			sup_trace_ev(R, self, t->vtid, "kill", "ii", "to", sel > 0 ? p->vpid : sel,
				     "signal", sig);
		if (p == self) {
			out[0] = 1;
			continue;
		}
		if (sig == 0)
			continue;
		if (sig == SIGKILL)
			kill_now(R, p);
		else
			sup_signal_from(R, self, p, (int)sig);
	}
	if (!found)
		return -ESRCH;
	R->gen++;
	return 0;
}
