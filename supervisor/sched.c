/*
 * sched.c — one thread at a time: who gets the turn, what each request
 * means, when the clock jumps, when the run ends.
 *
 * The supervisor waits only on the thread that holds the turn (and on its
 * own signals); everything else is parked inside its shim.  Choices between
 * runnable threads come from the run's seeded PRNG over threads in creation
 * order, so the same seed gives the same interleaving.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "storage.h"
#include "sup.h"

/* ---- PRNG (xoshiro256**), seeded by splitmix64 ---- */

void sup_rand_seed(uint64_t *s, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		s[i] = z ^ (z >> 31);
	}
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman & Vigna) over one stream's state: the scheduler's,
 * the network's and the faults' each have their own, so that adding one
 * kind of choice does not shift the others. */
uint64_t sup_rand_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

uint64_t sup_rand(struct sup_run *R)
{
	return sup_rand_next(R->rng);
}

/* ---- bookkeeping ---- */

const char *sup_node_name(const struct sup_run *R, int node, char *buf, size_t n)
{
	if (node >= 0)
		snprintf(buf, n, "p%d", node);
	else
		snprintf(buf, n, "w%d", -1 - node);
	return buf;
}

struct sup_node *sup_node_of(struct sup_run *R, int node)
{
	return &R->nodes[node >= 0 ? node : R->o->procs + (-1 - node)];
}

void sup_fail(struct sup_run *R, const char *fmt, ...)
{
	if (R->verdict == 0 || !R->why[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(R->why, sizeof R->why, fmt, ap);
		va_end(ap);
	}
	R->verdict = 1;
	R->done = true;
}

struct sup_proc *sup_proc_new(struct sup_run *R, int node, struct sup_proc *parent)
{
	struct sup_proc *p = calloc(1, sizeof *p);
	if (R->nprocs == R->cap_procs) {
		R->cap_procs = R->cap_procs ? 2 * R->cap_procs : 16;
		R->procs = realloc(R->procs, (size_t)R->cap_procs * sizeof *R->procs);
	}
	struct sup_node *nd = sup_node_of(R, node);
	p->seq = R->nprocs;
	p->node = node;
	p->vpid = nd->next_vpid++;
	p->vppid = parent ? parent->vpid : 1;
	p->parent = parent;
	p->boot = nd->boot;
	p->seed = sup_rand(R);
	p->start_ns = R->now;
	/* a launched process leads its own session and group (as a service an
	 * init system starts); a child inherits both (pgrp.c) */
	p->vpgid = parent ? parent->vpgid : p->vpid;
	p->vsid = parent ? parent->vsid : p->vpid;
	if (parent)
		snprintf(p->name, sizeof p->name, "%s", parent->name);
	R->procs[R->nprocs++] = p;
	return p;
}

struct sup_proc *sup_find_proc(struct sup_run *R, int node, int64_t vpid)
{
	for (int i = 0; i < R->nprocs; i++) {
		struct sup_proc *p = R->procs[i];
		if (p->node == node && p->vpid == vpid && !p->exited)
			return p;
	}
	return NULL;
}

/* ---- the scheduler's indexes ----
 *
 * Before every turn the scheduler asks which threads may run and when the
 * next deadline falls, and each reply tells the thread when its turn must
 * end.  Asking every thread ever created costs O(threads) each time: at
 * 1,000 idle processes that was 22 us of the supervisor's own CPU time per
 * 100 ms sleep, 13 times its cost at 3 processes.  Two indexes answer
 * instead, kept in step by sup_thread_set(), the only writer of a
 * thread's state and deadline:
 *   - R->cand, a bitmap by seq of the threads that may be eligible
 *     (runnable, starting, waiting on fds).  Walked in seq order, it gives
 *     the same eligible threads in the same order as a scan of all
 *     threads, so every seeded choice picks the same thread as before.
 *   - R->dl_heap, a min-heap of the live threads with a deadline, ordered
 *     by (deadline, seq).
 * R->nlive counts the threads that are not dead. */

static bool candidate(enum sup_tstate s)
{
	return s == T_RUNNABLE || s == T_HELLO || s == T_POLL;
}

static bool dl_less(const struct sup_thread *a, const struct sup_thread *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void dl_put(struct sup_run *R, int i, struct sup_thread *t)
{
	R->dl_heap[i] = t;
	t->heap_pos = i;
}

static void dl_up(struct sup_run *R, int i)
{
	struct sup_thread *t = R->dl_heap[i];
	while (i > 0 && dl_less(t, R->dl_heap[(i - 1) / 2])) {
		dl_put(R, i, R->dl_heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	dl_put(R, i, t);
}

static void dl_down(struct sup_run *R, int i)
{
	struct sup_thread *t = R->dl_heap[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= R->dl_n)
			break;
		if (c + 1 < R->dl_n && dl_less(R->dl_heap[c + 1], R->dl_heap[c]))
			c++;
		if (!dl_less(R->dl_heap[c], t))
			break;
		dl_put(R, i, R->dl_heap[c]);
		i = c;
	}
	dl_put(R, i, t);
}

static void dl_remove(struct sup_run *R, struct sup_thread *t)
{
	int i = t->heap_pos;
	struct sup_thread *last = R->dl_heap[--R->dl_n];
	t->heap_pos = -1;
	if (i < R->dl_n) {
		dl_put(R, i, last);
		dl_up(R, i);
		dl_down(R, last->heap_pos);
	}
}

void sup_thread_set(struct sup_run *R, struct sup_thread *t, enum sup_tstate state, int64_t deadline)
{
	t->state = state;
	t->deadline = deadline;
	bool live = state != T_DEAD;
	if (live != t->live) {
		R->nlive += live ? 1 : -1;
		t->live = live;
	}
	uint64_t bit = 1ULL << (t->seq & 63);
	if (candidate(state))
		R->cand[t->seq >> 6] |= bit;
	else
		R->cand[t->seq >> 6] &= ~bit;
	bool timed = live && deadline >= 0;
	if (timed && t->heap_pos < 0) {
		dl_put(R, R->dl_n++, t);
		dl_up(R, t->heap_pos);
	} else if (timed) { /* a new deadline: up or down from where it is */
		dl_up(R, t->heap_pos);
		dl_down(R, t->heap_pos);
	} else if (t->heap_pos >= 0) {
		dl_remove(R, t);
	}
}

/* The first candidate with seq >= i, or -1. */
static int next_cand(const struct sup_run *R, int i)
{
	int w = i >> 6, words = (R->nthreads + 63) >> 6;
	if (w >= words)
		return -1;
	uint64_t b = R->cand[w] & (~0ULL << (i & 63));
	while (!b) {
		if (++w >= words)
			return -1;
		b = R->cand[w];
	}
	return (w << 6) + __builtin_ctzll(b);
}

static void *grow(void *p, int n, size_t size)
{
	void *q = realloc(p, (size_t)n * size);
	if (!q) {
		fprintf(stderr, "simsup: out of memory for %d threads\n", n);
		exit(2);
	}
	return q;
}

struct sup_thread *sup_thread_new(struct sup_run *R, struct sup_proc *p, int sock, int vtid)
{
	struct sup_thread *t = calloc(1, sizeof *t);
	if (!t) {
		fprintf(stderr, "simsup: out of memory for thread %d\n", R->nthreads + 1);
		exit(2);
	}
	if (R->nthreads == R->cap_threads) {
		int old = R->cap_threads;
		R->cap_threads = R->cap_threads ? 2 * R->cap_threads : 64;
		R->threads = grow(R->threads, R->cap_threads, sizeof *R->threads);
		R->dl_heap = grow(R->dl_heap, R->cap_threads, sizeof *R->dl_heap);
		R->cand = grow(R->cand, R->cap_threads / 64, sizeof *R->cand);
		memset(R->cand + old / 64, 0, (size_t)(R->cap_threads - old) / 64 * sizeof *R->cand);
	}
	t->seq = R->nthreads;
	t->proc = p;
	t->sock = sock;
	t->vtid = vtid;
	t->probe = -1;
	t->heap_pos = -1;
	R->threads[R->nthreads++] = t;
	sup_thread_set(R, t, T_RUNNABLE, -1);
	p->nthreads++;
	return t;
}

void sup_thread_dead(struct sup_run *R, struct sup_thread *t)
{
	if (t->state == T_DEAD)
		return;
	sup_thread_set(R, t, T_DEAD, t->deadline);
	sup_chan_close(t);
	if (t->sock >= 0)
		close(t->sock);
	t->sock = -1;
	if (t->probe_armed)
		R->probes_armed--;
	t->probe_armed = false;
	if (t->probe >= 0) { /* out of the set first: the shim may still hold it */
		epoll_ctl(R->probe_ep, EPOLL_CTL_DEL, t->probe, NULL);
		close(t->probe);
		t->probe = -1;
	}
	t->proc->nthreads--;
}

void sup_thread_wake(struct sup_run *R, struct sup_thread *t, int64_t ret)
{
	memset(&t->reply, 0, sizeof t->reply);
	t->reply.ret = ret;
	sup_thread_set(R, t, T_RUNNABLE, -1);
}

/* ---- processes ending ---- */

static void describe_status(char *buf, size_t n, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, n, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
}

/* With workloads, they decide the run: the first to fail fails it, and when
 * all have exited the servers are stopped; a server that ends meanwhile
 * fails it.  Without workloads the run lasts until every process ended and
 * each launched one must exit 0 (see main.c). */
static bool node_alive(struct sup_run *R, int node)
{
	for (int i = 0; i < R->nprocs; i++)
		if (R->procs[i]->node == node && !R->procs[i]->exited)
			return true;
	return false;
}

static bool launched_exited(struct sup_run *R, int node)
{
	for (int i = 0; i < R->nprocs; i++)
		if (R->procs[i]->node == node && R->procs[i]->launched && !R->procs[i]->exited)
			return false;
	return true;
}

static void judge_exit(struct sup_run *R, struct sup_proc *p)
{
	char nb[16], how[96];
	if (R->o->nworkloads == 0)
		return;
	describe_status(how, sizeof how, p->status);
	sup_node_name(R, p->node, nb, sizeof nb);
	char kind[64];
	sup_exit_kind(R, p, kind, sizeof kind);
	/* A server that daemonizes (its first process exits 0 and leaves a
	 * child serving) is still up: the node ends with its last process. */
	if (p->node >= 0 && p->status == 0 && node_alive(R, p->node))
		return;
	if (((p->node >= 0 && !R->o->servers_may_exit) || (p->node < 0 && p->status != 0)) && !R->verdict) {
		sup_fail_kind(R, "%s", kind); /* the sup_fail below is reached */
		snprintf(R->who, sizeof R->who, "%s", nb);
	}
	if (p->node >= 0) {
		if (!R->o->servers_may_exit)
			sup_fail(R, "server %s (%s) %s while the workloads were running", nb, p->name, how);
		return;
	}
	if (p->status != 0) {
		sup_fail(R, "workload %s (%s) %s", nb, p->name, how);
		return;
	}
	for (int i = 0; i < R->nprocs; i++)
		if (R->procs[i]->launched && R->procs[i]->node < 0 && !R->procs[i]->exited)
			return;
	sup_trace_ev(R, NULL, 0, "workloads-done", "", NULL);
	R->done = true;
}

/* wait4's selector: -1 any child, > 0 that one, 0 the waiter's group,
 * < -1 group -sel (the child's group now, as the kernel looks). */
static bool wait_matches(const struct sup_thread *w, const struct sup_proc *c)
{
	if (w->wait_sel == -1)
		return true;
	if (w->wait_sel > 0)
		return w->wait_sel == c->vpid;
	return c->vpgid == (w->wait_sel == 0 ? w->proc->vpgid : -w->wait_sel);
}

void sup_proc_exited(struct sup_run *R, struct sup_proc *p, int status)
{
	if (p->exited)
		return;
	p->exited = true;
	p->status = status;
	sup_timers_proc_exited(R, p);
	for (int i = 0; i < R->nthreads; i++)
		if (R->threads[i]->proc == p)
			sup_thread_dead(R, R->threads[i]);
	if (WIFEXITED(status))
		sup_trace_ev(R, p, 0, "exit", "i", "status", (int64_t)WEXITSTATUS(status));
	else
		sup_trace_ev(R, p, 0, "killed", "i", "signal", (int64_t)WTERMSIG(status));
	p->fault_exit = sup_faults_expected_exit(R, p);
	sup_faults_proc_exited(R, p);
	if (!p->fault_exit && (p->launched || (p->node >= 0 && launched_exited(R, p->node) &&
						!node_alive(R, p->node))))
		judge_exit(R, p); /* a launched process, or a daemon's last one */
	R->gen++;
	/* a child whose parent is gone is nobody's to wait for */
	for (int i = 0; i < R->nprocs; i++)
		if (R->procs[i]->parent == p) {
			R->procs[i]->parent = NULL;
			R->procs[i]->vppid = 1;
		}
	if (p->parent) {
		sup_signal(R, p->parent, SIGCHLD);
		for (int i = 0; i < R->nthreads; i++) {
			struct sup_thread *w = R->threads[i];
			if (w->proc == p->parent && w->state == T_WAITCHILD && wait_matches(w, p))
				sup_try_wait(R, w);
		}
	}
}

/* Sends a real signal to a simulated process and interrupts its waits: the
 * kernel delivers it when one of its threads next returns from a trap with
 * the turn, and the shim ends a wait only if the program will see it. */
void sup_signal(struct sup_run *R, struct sup_proc *dst, int sig)
{
	if (dst->exited || dst->pid <= 0)
		return;
	kill(dst->pid, sig);
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *w = R->threads[i];
		if (w->proc == dst && (w->state == T_SLEEP || w->state == T_POLL ||
				       w->state == T_FUTEX || w->state == T_SIGWAIT ||
				       w->state == T_WAITCHILD))
			sup_thread_wake(R, w, -EINTR);
	}
}

/* Answers a wait4 if a child has ended; true if answered. */
bool sup_try_wait(struct sup_run *R, struct sup_thread *w)
{
	bool any = false;
	for (int i = 0; i < R->nprocs; i++) {
		struct sup_proc *c = R->procs[i];
		if (c->parent != w->proc || c->collected || !wait_matches(w, c))
			continue;
		any = true;
		if (!c->exited)
			continue;
		if (!(w->wait_opts & WNOWAIT))
			c->collected = true;
		sup_thread_wake(R, w, c->vpid);
		w->reply.a[0] = c->status;
		return true;
	}
	if (!any) {
		sup_thread_wake(R, w, -ECHILD);
		return true;
	}
	if (w->wait_opts & WNOHANG) {
		sup_thread_wake(R, w, 0);
		return true;
	}
	return false;
}

struct sup_proc *sup_proc_by_pid(struct sup_run *R, pid_t pid)
{
	for (int i = 0; i < R->nprocs; i++)
		if (pid > 0 && R->procs[i]->pid == pid && !R->procs[i]->reaped)
			return R->procs[i];
	return NULL;
}

/* Collects real zombies.  A process that died without telling its shim
 * (killed from outside the simulation) ends here. */
void sup_reap(struct sup_run *R)
{
	for (;;) {
		siginfo_t si = { 0 };
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
			return;
		struct sup_proc *p = sup_proc_by_pid(R, si.si_pid);
		if (!p)
			continue;
		p->reaped = true;
		p->real_status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
							  : si.si_status & 0x7f;
		/* The turn holder's end is seen through its channel, after every
		 * message it sent before dying has been read. */
		if (!p->exited && !(R->running && R->running->proc == p))
			sup_proc_exited(R, p, p->real_status);
	}
}

void sup_kill_all(struct sup_run *R)
{
	for (int i = 0; i < R->nprocs; i++)
		if (R->procs[i]->pid > 0 && !R->procs[i]->reaped)
			kill(R->procs[i]->pid, SIGKILL);
	for (int i = 0; i < R->nprocs; i++) {
		struct sup_proc *p = R->procs[i];
		if (p->pid > 0 && !p->reaped) {
			waitpid(p->pid, NULL, 0);
			p->reaped = true;
		}
	}
}

/* ---- precise waits ----
 *
 * A thread that waits on fds (poll, epoll_wait, select, a blocking read,
 * accept or write) parks with its probe: an epoll instance in its own
 * process holding exactly the fds and events it waits for (shim/block.c).
 * We watch every probe in one epoll instance of ours, R->probe_ep, keyed
 * by thread, so one epoll_wait tells which parked threads the kernel would
 * now find ready.  Readiness is the kernel's, and the kernel's state is
 * the same at the same point of every run of a seed: only one thread runs
 * at a time and the relay writes only between turns.  A probe is watched
 * only while its thread waits on it; a probe seen readable while its
 * thread does something else is set to watch nothing until the next wait. */

static bool is_epoll(int fd)
{
	char path[64], link[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventpoll]");
}

void sup_probe_set(struct sup_run *R, struct sup_thread *t, int fd)
{
	if (t->probe >= 0) {
		epoll_ctl(R->probe_ep, EPOLL_CTL_DEL, t->probe, NULL);
		close(t->probe);
	}
	t->probe = -1;
	if (t->probe_armed)
		R->probes_armed--;
	t->probe_armed = false;
	/* an epoll instance of the target's, or nothing: we poll it */
	if (!is_epoll(fd)) {
		close(fd);
		return;
	}
	struct epoll_event ev = { .events = 0, .data.u64 = (uint64_t)t->seq };
	if (epoll_ctl(R->probe_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return;
	}
	t->probe = fd;
}

/* The thread parks on its probe now. */
void sup_probe_watch(struct sup_run *R, struct sup_thread *t)
{
	if (t->probe_armed)
		return;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)t->seq };
	if (epoll_ctl(R->probe_ep, EPOLL_CTL_MOD, t->probe, &ev) == 0) {
		t->probe_armed = true;
		R->probes_armed++;
	}
}

static void probe_scan(struct sup_run *R)
{
	R->scan++;
	R->scan_key = R->gen + R->node_changes;
	if (R->scan_cap < R->nthreads) {
		int cap = R->nthreads * 2;
		struct epoll_event *e = realloc(R->scan_evs, (size_t)cap * sizeof *e);
		if (!e)
			return;
		R->scan_evs = e;
		R->scan_cap = cap;
	}
	/* level-triggered and room for every probe: all the readable ones
	 * (a probe that watches nothing is never readable: no call for none) */
	int n = R->probes_armed ? epoll_wait(R->probe_ep, R->scan_evs, R->scan_cap, 0) : 0;
	for (int i = 0; i < n; i++) {
		uint64_t k = R->scan_evs[i].data.u64;
		if (k >= (uint64_t)R->nthreads)
			continue;
		struct sup_thread *t = R->threads[k];
		if (t->state == T_POLL && t->precise) {
			t->ready_scan = R->scan;
		} else if (t->probe >= 0) {
			struct epoll_event ev = { .events = 0, .data.u64 = k };
			epoll_ctl(R->probe_ep, EPOLL_CTL_MOD, t->probe, &ev);
			if (t->probe_armed)
				R->probes_armed--;
			t->probe_armed = false;
		}
	}
}

void sup_probes_free(struct sup_run *R)
{
	if (R->probe_ep >= 0)
		close(R->probe_ep);
	R->probe_ep = -1;
	free(R->scan_evs);
	R->scan_evs = NULL;
}

/* ---- choosing the next thread ---- */

/* A precise waiter is eligible when its probe was readable at the last
 * scan; any other waiter on fds once something it could see changed. */
static bool eligible(struct sup_run *R, const struct sup_thread *t)
{
	if (R->faults && sup_node_of(R, t->proc->node)->paused)
		return false;
	if (t->state == T_POLL)
		return t->precise ? t->ready_scan == R->scan
				  : t->gen_seen < sup_gen_of(R, t->proc->node);
	return t->state == T_RUNNABLE || t->state == T_HELLO;
}

bool sup_others_runnable(struct sup_run *R, const struct sup_thread *self)
{
	if (R->scan_key != R->gen + R->node_changes)
		probe_scan(R); /* the turn holder changed something since */
	for (int i = next_cand(R, 0); i >= 0; i = next_cand(R, i + 1))
		if (R->threads[i] != self && eligible(R, R->threads[i]))
			return true;
	return false;
}

static struct sup_thread *pick(struct sup_run *R)
{
	probe_scan(R);
	int n = 0;
	for (int i = next_cand(R, 0); i >= 0; i = next_cand(R, i + 1))
		n += eligible(R, R->threads[i]);
	if (n == 0)
		return NULL;
	int k = (int)(sup_rand(R) % (uint64_t)n);
	for (int i = next_cand(R, 0); i >= 0; i = next_cand(R, i + 1))
		if (eligible(R, R->threads[i]) && k-- == 0)
			return R->threads[i];
	return NULL;
}

/* The earliest moment something is due: a thread's deadline (other than
 * self's) or a timed event.  -1 when nothing is. */
int64_t sup_next_wakeup(struct sup_run *R, const struct sup_thread *self)
{
	int64_t best = sup_event_next(R);
	const struct sup_thread *t = R->dl_n ? R->dl_heap[0] : NULL;
	if (t && t == self) { /* the next is one of the root's children */
		t = NULL;
		for (int c = 1; c <= 2 && c < R->dl_n; c++)
			if (!t || dl_less(R->dl_heap[c], t))
				t = R->dl_heap[c];
	}
	if (t && (best < 0 || t->deadline < best))
		best = t->deadline;
	return best;
}

static void expire(struct sup_run *R)
{
	/* waking takes the thread's deadline away, and it off the heap */
	while (R->dl_n && R->dl_heap[0]->deadline <= R->now) {
		struct sup_thread *t = R->dl_heap[0];
		sup_thread_wake(R, t, t->state == T_FUTEX ? -ETIMEDOUT : 0);
	}
}

static const char *state_name(const struct sup_thread *t)
{
	switch (t->state) {
	case T_RUNNABLE: return "runnable";
	case T_HELLO: return "starting";
	case T_FORKING: return "being forked";
	case T_SLEEP: return "sleeping";
	case T_POLL: return "waiting for a local fd (read/write/poll/epoll/select)";
	case T_FUTEX: return "futex wait (mutex, condition variable, join)";
	case T_WAITCHILD: return "waiting for a child (wait4/waitpid)";
	case T_SIGWAIT: return "waiting for a signal (sigsuspend/pause/sigwait)";
	case T_DEAD: return "dead";
	}
	return "?";
}

static void report_deadlock(struct sup_run *R)
{
	char nb[16];
	fprintf(stderr, "simsup: deadlock at %.6fs virtual: no thread can run and no timer is pending\n",
		R->now / 1e9);
	for (int i = 0; i < R->nthreads; i++) {
		struct sup_thread *t = R->threads[i];
		if (t->state == T_DEAD)
			continue;
		fprintf(stderr, "simsup:   %s pid %d tid %d (%s): %s", sup_node_name(R, t->proc->node, nb, sizeof nb),
			t->proc->vpid, t->vtid, t->proc->name, state_name(t));
		if (t->state == T_FUTEX)
			fprintf(stderr, " on 0x%llx", (unsigned long long)t->futex_addr);
		fputc('\n', stderr);
		sup_trace_ev(R, t->proc, t->vtid, "deadlocked", "s", "wait", state_name(t));
	}
	sup_fail_kind(R, "deadlock");
	sup_fail(R, "deadlock: every thread waits and no timer is pending");
}

static void time_limit(struct sup_run *R)
{
	R->now = R->o->time_limit_ns;
	sup_trace_ev(R, NULL, 0, "time-limit", "", NULL);
	sup_fail_kind(R, "time limit");
	sup_fail(R, "time limit reached (%.3fs virtual) with processes still running",
		 R->o->time_limit_ns / 1e9);
}

int sup_run_loop(struct sup_run *R)
{
	while (!R->done) {
		sup_net_pump(R); /* what the last turn wrote to virtual sockets */
		expire(R); /* the turn holder's ticks may have moved time past deadlines */
		sup_event_fire_due(R);
		if (R->done)
			break;
		sup_storage_catch_up(R); /* writeback ticks (storage.c), if tracked */
		struct sup_thread *t = pick(R);
		if (!t) {
			int64_t next = sup_next_wakeup(R, NULL);
			bool alive = R->nlive > 0;
			if (!alive && sup_event_next(R) < 0)
				break; /* (a pending event may restart a node) */
			if (next < 0) {
				report_deadlock(R);
				break;
			}
			if (next > R->o->time_limit_ns) {
				time_limit(R);
				break;
			}
			if (next > R->now) {
				R->now = next;
				R->st.jumps++;
			}
			expire(R);
			sup_event_fire_due(R);
			continue;
		}
		/* a thread that never parks (it computes, or makes calls that
		 * need no wait) moves time on by itself: without this it would
		 * yield past the limit, turn after turn, for ever */
		if (R->now > R->o->time_limit_ns) {
			time_limit(R);
			break;
		}
		sup_give_turn(R, t);
	}
	return R->verdict;
}
