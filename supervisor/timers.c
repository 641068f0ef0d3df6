/*
 * timers.c — timers in virtual time, and signals aimed at one thread.
 *
 * alarm/setitimer(ITIMER_REAL), timer_create and timerfd all become the same
 * object here: a deadline and an interval, driven by a timed event
 * (events.c).  When the event fires the timer sends its signal, a real one,
 * queued with rt_[tg]sigqueueinfo and a siginfo made here (si_code SI_TIMER,
 * the timer id, the overrun count and the program's sigval: what glibc's
 * SIGEV_THREAD helper thread looks for), or, for a timerfd, adds the
 * expiration count to the eventfd the program holds in its place, and bumps
 * R->gen so that parked pollers look again.  The signal reaches the program
 * when one of its threads next returns from a trap with the turn (see
 * sched.c sup_signal), so delivery is as deterministic as the turns.
 *
 * Timers are kept in one list in creation order; every walk follows it, so
 * nothing depends on addresses.  A process's timers end with it; exec ends
 * its POSIX timers and its close-on-exec timerfds and keeps alarm/itimer, as
 * Linux does (timer_create(2), alarm(2)).
 *
 * This file also sends the signals of tgkill/tkill/rt_[tg]sigqueueinfo
 * between processes: a siginfo with si_code SI_QUEUE and the sender's
 * virtual pid (the kernel refuses SI_USER and SI_TKILL from another
 * process), and it records each thread's kernel tid so a signal reaches
 * exactly the thread it names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sup.h"

#define MAX_FD_ALIASES 8

struct sup_timer {
	struct sup_timer *next;  /* R->timers, in creation order */
	struct sup_proc *proc;
	int kind;                /* SIM_TK_* */
	int id;                  /* POSIX: the timer id; ITIMER: 0; FD: unused */
	bool monotonic;          /* clock MONOTONIC/BOOTTIME (absolute times differ) */
	int notify, signo;       /* POSIX: SIGEV_SIGNAL / SIGEV_NONE / SIGEV_THREAD_ID */
	int64_t sigval;
	int target_vtid;         /* SIGEV_THREAD_ID */
	int efd;                 /* FD: the supervisor's copy of the program's eventfd */
	int fds[MAX_FD_ALIASES]; /* FD: the program's fd numbers for it (dup) */
	int nfds;
	bool cloexec;
	int64_t when;            /* next expiry (virtual ns), -1: disarmed */
	int64_t interval;
	int64_t overrun;         /* expirations missed while its signal was pending */
	int64_t overrun_last;    /* ... counted when that signal was delivered (getoverrun) */
	bool queued;             /* its signal was queued; delivery not yet seen */
	struct sup_event *ev;
};

/* ---- finding things ---- */

static struct sup_thread *main_thread(struct sup_run *R, struct sup_proc *p)
{
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *t = R->threads[i];
		if (t->proc == p && t->state != T_DEAD && t->real_tid == 0)
			return t;
	}
	return NULL;
}

/* A thread of p named by a virtual tid, or by the kernel tid a program may
 * hold for its main thread (glibc's struct pthread keeps the tid the kernel
 * wrote there before the shim existed). */
static struct sup_thread *thread_of(struct sup_run *R, struct sup_proc *p, int64_t tid)
{
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *t = R->threads[i];
		if (t->proc == p && t->state != T_DEAD && t->vtid == tid)
			return t;
	}
	if (p->pid > 0 && tid == p->pid)
		return main_thread(R, p);
	return NULL;
}

static pid_t kernel_tid(const struct sup_thread *t)
{
	return t->real_tid ? t->real_tid : t->proc->pid;
}

static struct sup_timer *find_timer(struct sup_run *R, struct sup_proc *p, int kind, int64_t id)
{
	for (struct sup_timer *tm = R->timers; tm; tm = tm->next) {
		if (tm->proc != p || tm->kind != kind)
			continue;
		if (kind != SIM_TK_FD && tm->id == id)
			return tm;
		for (int i = 0; kind == SIM_TK_FD && i < tm->nfds; i++)
			if (tm->fds[i] == id)
				return tm;
	}
	return NULL;
}

/* ---- signals ---- */

/* Is sig pending for the process (tid 0: its shared queue) or one thread?
 * Read from /proc while every thread of the process is parked, so the
 * answer depends only on the turns so far. */
static bool sig_pending(pid_t pid, pid_t tid, int sig)
{
	char path[64], buf[4096];
	if (tid)
		snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	else
		snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	const char *p = strstr(buf, tid ? "\nSigPnd:" : "\nShdPnd:");
	if (!p)
		return false;
	unsigned long long set = strtoull(p + 8, NULL, 16);
	return (set >> (sig - 1)) & 1;
}

static bool interruptible(const struct sup_thread *w)
{
	return w->state == T_SLEEP || w->state == T_POLL || w->state == T_FUTEX ||
	       w->state == T_SIGWAIT || w->state == T_WAITCHILD;
}

/* Ends the interruptible waits of one thread, or of every thread of p but
 * `except`: their shims look at what is pending and go on waiting if the
 * program will not see it. */
static void interrupt(struct sup_run *R, struct sup_proc *p, struct sup_thread *only,
		      const struct sup_thread *except)
{
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *w = R->threads[i];
		if (w->proc != p || w == except || (only && w != only) || !interruptible(w))
			continue;
		sup_thread_wake(R, w, -EINTR);
	}
	R->gen++;
}

/* Queues si to process p (to == NULL) or to one of its threads. */
static int queue_signal(struct sup_run *R, struct sup_proc *p, struct sup_thread *to, siginfo_t *si)
{
	if (p->exited || p->pid <= 0)
		return -ESRCH;
	long r = to ? syscall(SYS_rt_tgsigqueueinfo, p->pid, kernel_tid(to), si->si_signo, si)
		    : syscall(SYS_rt_sigqueueinfo, p->pid, si->si_signo, si);
	if (r < 0)
		return -errno;
	interrupt(R, p, to, NULL);
	return 0;
}

static void timer_siginfo(siginfo_t *si, int sig, int id, int overrun, int64_t sigval)
{
	memset(si, 0, sizeof *si);
	si->si_signo = sig;
	si->si_code = SI_TIMER;
	si->si_timerid = id;
	si->si_overrun = overrun;
	si->si_value.sival_ptr = (void *)(intptr_t)sigval;
}

/* ---- expiry ---- */

/* Has the timer's last signal been delivered?  Linux counts overruns until
 * the delivery and then reports them (timer_getoverrun); the supervisor
 * sees the delivery here, when the signal is no longer pending.  Returns
 * true while it is still pending. */
static bool settle(struct sup_run *R, struct sup_timer *tm)
{
	if (!tm->queued)
		return false;
	struct sup_thread *to = NULL;
	if (tm->notify & SIGEV_THREAD_ID)
		to = thread_of(R, tm->proc, tm->target_vtid);
	if (sig_pending(tm->proc->pid, to ? kernel_tid(to) : 0, tm->signo))
		return true;
	tm->queued = false;
	tm->overrun_last = tm->overrun;
	tm->overrun = 0;
	return false;
}

static void expire(struct sup_run *R, struct sup_timer *tm, int64_t n)
{
	struct sup_proc *p = tm->proc;
	siginfo_t si;
	sup_trace_ev(R, p, 0, "timer", "iii", "kind", (int64_t)tm->kind, "id",
		     (int64_t)(tm->kind == SIM_TK_FD ? tm->fds[0] : tm->id), "expirations", n);
	switch (tm->kind) {
	case SIM_TK_ITIMER:
		timer_siginfo(&si, SIGALRM, 0, 0, 0);
		queue_signal(R, p, NULL, &si);
		break;
	case SIM_TK_POSIX: {
		struct sup_thread *to = NULL;
		if (tm->notify & SIGEV_THREAD_ID) {
			to = thread_of(R, p, tm->target_vtid);
			if (!to)
				return; /* the thread is gone: Linux drops the signal too */
		}
		if (settle(R, tm)) {
			tm->overrun += n; /* the last one is not delivered yet */
			return;
		}
		tm->overrun = n - 1;
		timer_siginfo(&si, tm->signo, tm->id, (int)(n - 1 > INT32_MAX ? INT32_MAX : n - 1),
			      tm->sigval);
		tm->queued = queue_signal(R, p, to, &si) == 0;
		break;
	}
	case SIM_TK_FD: {
		/* Never blocking: efd came from the program, and a full pipe in
		 * its place would hang the supervisor.  Flipping the flag is
		 * safe, no thread of the simulation runs meanwhile (the shim
		 * does the same for its writes). */
		uint64_t v = (uint64_t)n;
		int fl = fcntl(tm->efd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK))
			fcntl(tm->efd, F_SETFL, fl | O_NONBLOCK);
		if (write(tm->efd, &v, sizeof v) < 0) {
			/* the counter is full (2^64-2): timerfd would saturate too */
		}
		if (fl >= 0 && !(fl & O_NONBLOCK))
			fcntl(tm->efd, F_SETFL, fl);
		R->gen++;
		break;
	}
	}
}

/* when + n * interval, or -1 past the end of virtual time (INT64_MAX ns):
 * an interval the program chose must not wrap the next expiry into the
 * past, where it would fire again at once, for ever. */
static int64_t advance(int64_t when, int64_t n, int64_t interval)
{
	int64_t step, next;
	if (__builtin_mul_overflow(n, interval, &step) || __builtin_add_overflow(when, step, &next))
		return -1;
	return next;
}

static void fire(struct sup_run *R, void *arg)
{
	struct sup_timer *tm = arg;
	tm->ev = NULL;
	int64_t n = 1;
	if (tm->interval > 0 && R->now > tm->when)
		n += (R->now - tm->when) / tm->interval;
	expire(R, tm, n);
	tm->when = tm->interval > 0 ? advance(tm->when, n, tm->interval) : -1;
	if (tm->when >= 0)
		tm->ev = sup_event_at(R, tm->when, fire, tm);
}

static bool silent(const struct sup_timer *tm)
{
	return tm->kind == SIM_TK_POSIX && tm->notify == SIGEV_NONE;
}

/* A SIGEV_NONE timer has no event: bring it up to date when looked at. */
static void catch_up(struct sup_run *R, struct sup_timer *tm)
{
	if (!silent(tm) || tm->when < 0 || tm->when > R->now)
		return;
	if (tm->interval > 0)
		tm->when = advance(tm->when, 1 + (R->now - tm->when) / tm->interval, tm->interval);
	else
		tm->when = -1;
}

static void current(struct sup_run *R, struct sup_timer *tm, int64_t *out)
{
	catch_up(R, tm);
	int64_t left = tm->when < 0 ? 0 : tm->when - R->now;
	out[0] = tm->when >= 0 && left <= 0 ? 1 : left; /* armed: at least 1 ns, as Linux */
	out[1] = tm->interval;
}

static void disarm(struct sup_timer *tm)
{
	sup_event_cancel(tm->ev);
	tm->ev = NULL;
	tm->when = -1;
}

static void timer_free(struct sup_run *R, struct sup_timer *tm)
{
	for (struct sup_timer **pp = &R->timers; *pp; pp = &(*pp)->next)
		if (*pp == tm) {
			*pp = tm->next;
			break;
		}
	disarm(tm);
	if (tm->efd >= 0)
		close(tm->efd);
	free(tm);
}

static struct sup_timer *timer_new(struct sup_run *R, struct sup_proc *p, int kind)
{
	struct sup_timer *tm = calloc(1, sizeof *tm);
	if (!tm)
		abort();
	tm->proc = p;
	tm->kind = kind;
	tm->efd = -1;
	tm->when = -1;
	struct sup_timer **pp = &R->timers;
	while (*pp)
		pp = &(*pp)->next;
	*pp = tm;
	return tm;
}

/* Forgets fd as a name of any timerfd of p; a timerfd left without names
 * is closed: the program can no longer reach it. */
static void drop_fd(struct sup_run *R, struct sup_proc *p, int fd)
{
	struct sup_timer *tm = find_timer(R, p, SIM_TK_FD, fd);
	if (!tm)
		return;
	for (int i = 0; i < tm->nfds; i++)
		if (tm->fds[i] == fd) {
			tm->fds[i] = tm->fds[--tm->nfds];
			break;
		}
	if (tm->nfds == 0)
		timer_free(R, tm);
}

/* ---- requests ---- */

int64_t sup_timer_create(struct sup_run *R, struct sup_thread *t, const int64_t *a, int *fd)
{
	struct sup_proc *p = t->proc;
	struct sup_timer *tm;
	if (a[0] == SIM_TK_FD) {
		if (*fd < 0 || a[4] < 0)
			return -EINVAL;
		drop_fd(R, p, (int)a[4]);
		tm = timer_new(R, p, SIM_TK_FD);
		tm->efd = *fd;
		*fd = -1;
		tm->fds[tm->nfds++] = (int)a[4];
		tm->cloexec = a[5] != 0;
		tm->monotonic = a[1] != CLOCK_REALTIME && a[1] != CLOCK_REALTIME_ALARM;
		sup_trace_ev(R, p, t->vtid, "timerfd", "i", "fd", a[4]);
		return 0;
	}
	if (a[0] != SIM_TK_POSIX)
		return -EINVAL;
	int notify = (int)a[2], signo = (int)a[3];
	bool dflt = notify == -1; /* no sigevent: SIGALRM carrying the timer id */
	if (dflt) {
		notify = SIGEV_SIGNAL;
		signo = SIGALRM;
	}
	if (notify != SIGEV_NONE && notify != SIGEV_SIGNAL && notify != (SIGEV_SIGNAL | SIGEV_THREAD_ID))
		return -EINVAL;
	if (notify != SIGEV_NONE && (signo <= 0 || signo > 64))
		return -EINVAL;
	int target = 0;
	if (notify & SIGEV_THREAD_ID) {
		struct sup_thread *to = thread_of(R, p, a[5]);
		if (!to)
			return -EINVAL;
		target = to->vtid;
	}
	tm = timer_new(R, p, SIM_TK_POSIX);
	tm->id = p->next_timer_id++;
	tm->notify = notify;
	tm->signo = signo;
	tm->sigval = dflt ? tm->id : a[4];
	tm->target_vtid = target;
	tm->monotonic = a[1] != CLOCK_REALTIME && a[1] != CLOCK_REALTIME_ALARM && a[1] != CLOCK_TAI;
	sup_trace_ev(R, p, t->vtid, "timer-create", "ii", "id", (int64_t)tm->id, "signal",
		     (int64_t)(notify == SIGEV_NONE ? 0 : signo));
	return tm->id;
}

int64_t sup_timer_set(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_proc *p = t->proc;
	struct sup_timer *tm = find_timer(R, p, (int)a[0], a[1]);
	if (!tm && a[0] == SIM_TK_ITIMER)
		tm = timer_new(R, p, SIM_TK_ITIMER);
	if (!tm)
		return -EINVAL;
	current(R, tm, out);
	disarm(tm);
	tm->overrun = tm->overrun_last = 0;
	tm->queued = false;
	tm->interval = a[3] > 0 ? a[3] : 0;
	if (tm->kind == SIM_TK_FD) { /* re-arming clears the expiration count */
		struct pollfd pf = { .fd = tm->efd, .events = POLLIN };
		uint64_t v;
		if (poll(&pf, 1, 0) > 0 && read(tm->efd, &v, sizeof v) < 0) {
			/* nothing to clear */
		}
		R->gen++;
	}
	if (a[2] < 0) {
		if (tm->kind == SIM_TK_ITIMER)
			tm->interval = 0;
		return 0;
	}
	tm->when = tm->monotonic ? a[4] : a[2];
	if (tm->when < 0)
		tm->when = 0;
	if (!silent(tm))
		tm->ev = sup_event_at(R, tm->when, fire, tm);
	return 0;
}

int64_t sup_timer_get(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	struct sup_timer *tm = find_timer(R, t->proc, (int)a[0], a[1]);
	if (!tm) {
		if (a[0] != SIM_TK_ITIMER)
			return -EINVAL;
		out[0] = out[1] = 0; /* never set */
		return 0;
	}
	current(R, tm, out);
	if (tm->kind == SIM_TK_POSIX)
		settle(R, tm);
	return tm->overrun_last > INT32_MAX ? INT32_MAX : tm->overrun_last;
}

int64_t sup_timer_delete(struct sup_run *R, struct sup_thread *t, const int64_t *a)
{
	if (a[0] == SIM_TK_FD) {
		if (!find_timer(R, t->proc, SIM_TK_FD, a[1]))
			return -EINVAL;
		drop_fd(R, t->proc, (int)a[1]);
		return 0;
	}
	struct sup_timer *tm = find_timer(R, t->proc, (int)a[0], a[1]);
	if (!tm || a[0] != SIM_TK_POSIX)
		return -EINVAL;
	sup_trace_ev(R, t->proc, t->vtid, "timer-delete", "i", "id", (int64_t)tm->id);
	timer_free(R, tm);
	return 0;
}

int64_t sup_timer_dup(struct sup_run *R, struct sup_thread *t, const int64_t *a)
{
	if (a[0] != SIM_TK_FD || a[1] == a[2])
		return -EINVAL;
	if (!find_timer(R, t->proc, SIM_TK_FD, a[1]))
		return -EINVAL;
	drop_fd(R, t->proc, (int)a[2]);
	struct sup_timer *tm = find_timer(R, t->proc, SIM_TK_FD, a[1]);
	if (tm->nfds == MAX_FD_ALIASES)
		return -EMFILE;
	tm->fds[tm->nfds++] = (int)a[2];
	return 0;
}

void sup_thread_tid(struct sup_run *R, struct sup_thread *t, const int64_t *a)
{
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *w = R->threads[i];
		if (w->proc == t->proc && w->vtid == a[0] && w->state != T_DEAD && a[1] > 0)
			w->real_tid = (pid_t)a[1];
	}
}

int64_t sup_tgkill(struct sup_run *R, struct sup_thread *t, const int64_t *a, const void *payload,
		   size_t plen, int64_t *out)
{
	int64_t vpid = a[0], tid = a[1], sig = a[2];
	if (sig < 0 || sig > 64 || tid < 0 || vpid < 0 || (vpid == 0 && tid == 0))
		return -EINVAL;
	struct sup_proc *p = NULL;
	struct sup_thread *to = NULL;
	if (vpid > 0) {
		p = sup_find_proc(R, t->proc->node, vpid);
	} else { /* tkill: the tid alone, anywhere on the node */
		for (int i = 0; i < R->nthreads && !p; i++) {
			struct sup_thread *w = R->threads[i];
			if (w->state != T_DEAD && w->vtid == tid && w->proc->node == t->proc->node)
				p = w->proc;
		}
	}
	if (!p || p->pid <= 0)
		return -ESRCH;
	if (tid > 0 && !(to = thread_of(R, p, tid)))
		return -ESRCH;
	sup_trace_ev(R, t->proc, t->vtid, "tgkill", "iii", "to", (int64_t)p->vpid, "to_tid",
		     (int64_t)(to ? to->vtid : 0), "signal", sig);
	if (sig == 0)
		return 0;
	if (p == t->proc) { /* the caller queues it itself, with an exact siginfo */
		out[0] = p->pid;
		out[1] = to ? kernel_tid(to) : 0;
		interrupt(R, p, to, t);
		return 1;
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (a[3] && plen >= sizeof si) {
		memcpy(&si, payload, sizeof si);
		if (si.si_code >= 0 || si.si_code == SI_TKILL)
			return -EPERM; /* as the kernel: only the process itself may claim those */
	} else {
		si.si_code = SI_QUEUE;
		si.si_pid = t->proc->vpid;
		si.si_uid = getuid();
	}
	si.si_signo = (int)sig;
	return queue_signal(R, p, to, &si);
}

int sup_signal_from(struct sup_run *R, struct sup_proc *from, struct sup_proc *p, int sig)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = from->vpid;
	si.si_uid = getuid();
	return queue_signal(R, p, NULL, &si);
}

/* The real uid and gid of a live process, from the kernel. */
static void real_ids(pid_t pid, int64_t *uid, int64_t *gid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	if (stat(path, &st) == 0) {
		*uid = st.st_uid;
		*gid = st.st_gid;
	}
}

/* Listings of the node's processes and of a process's threads (/proc):
 * the next one above a number, in number order. */
static int64_t next_listed(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	int64_t best = 0;
	if (a[1] == 2) {
		for (int i = 0; i < R->nprocs; i++) {
			struct sup_proc *p = R->procs[i];
			if (p->node == t->proc->node && !p->exited && p->pid > 0 && p->vpid > a[0] &&
			    (!best || p->vpid < best))
				best = p->vpid;
		}
		return best;
	}
	struct sup_proc *p = sup_find_proc(R, t->proc->node, a[0]);
	if (!p || p->pid <= 0)
		return -ESRCH;
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *w = R->threads[i];
		if (w->proc == p && w->state != T_DEAD && w->vtid > a[2] && (!best || w->vtid < best)) {
			best = w->vtid;
			out[0] = kernel_tid(w);
		}
	}
	return best;
}

int64_t sup_procinfo(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out)
{
	if (a[1] == 2 || a[1] == 3)
		return next_listed(R, t, a, out);
	struct sup_proc *p = a[0] > 0 ? sup_find_proc(R, t->proc->node, a[0]) : t->proc;
	if (!p || p->pid <= 0)
		return -ESRCH;
	if (a[1] == 1) {
		out[0] = p->vpgid;
		out[1] = p->vsid;
		out[2] = out[3] = -1;
		real_ids(p->pid, &out[2], &out[3]);
		return 0;
	}
	out[0] = p->vppid;
	out[1] = p->nthreads;
	out[2] = p->start_ns;
	out[3] = p->pid;
	return 0;
}

/* ---- lifetime ---- */

void sup_timers_proc_exited(struct sup_run *R, struct sup_proc *p)
{
	struct sup_timer *tm = R->timers, *next;
	for (; tm; tm = next) {
		next = tm->next;
		if (tm->proc == p)
			timer_free(R, tm);
	}
}

void sup_timers_exec(struct sup_run *R, struct sup_proc *p)
{
	struct sup_timer *tm = R->timers, *next;
	for (; tm; tm = next) {
		next = tm->next;
		if (tm->proc == p && (tm->kind == SIM_TK_POSIX || (tm->kind == SIM_TK_FD && tm->cloexec)))
			timer_free(R, tm);
	}
	for (int i = 0; i < R->nthreads; i++) /* the thread that exec'd now has the pid as tid */
		if (R->threads[i]->proc == p && R->threads[i]->state != T_DEAD)
			R->threads[i]->real_tid = 0;
}

void sup_timers_free(struct sup_run *R)
{
	while (R->timers) {
		struct sup_timer *tm = R->timers;
		R->timers = tm->next;
		if (tm->efd >= 0)
			close(tm->efd);
		free(tm);
	}
}
