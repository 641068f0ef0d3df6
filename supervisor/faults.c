/*
 * faults.c — reboots and faults, from an explicit schedule (--reboot,
 * --partition) and from the seed (--chaos), as timed events in virtual time.
 *
 * Reboot kinds (moonpool's model): graceful (SIGTERM at a yield point, a
 * grace period, then kill), crash (the node's whole process tree killed at
 * once, none of its code runs), wipe (crash, then its storage dir emptied
 * without following symlinks), pause (its threads are not scheduled for a
 * while), power (crash, then the storage dir rolled back to what was durable:
 * storage.c, power.c).  After the recovery delay the node starts again from the same
 * command line with the same IP and boot+1.  Network faults are kept here as
 * a matrix of cut links that the relay consults (sup_fault_link_cut).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "faults.h"
#include "disk.h"
#include "storage.h"
#include "cli.h"
#include "sup.h"

/* ---- the faults' random stream ---- */

static uint64_t frand(struct sup_faults *F)
{
	return sup_rand_next(F->rng);
}

static int64_t between(struct sup_faults *F, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)(frand(F) % (uint64_t)(hi - lo + 1));
}

static void note(struct sup_run *R, const char *kind, int node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void note(struct sup_run *R, const char *kind, int node, const char *fmt, ...)
{
	struct sup_faults *F = R->faults;
	char detail[640], nb[16] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (node != INT32_MIN)
		sup_node_name(R, node, nb, sizeof nb);
	sup_trace_ev(R, NULL, 0, "fault", "sss", "kind", kind, "node", nb, "detail", detail);
	if (F->loglen + 200 < sizeof F->log)
		F->loglen += (size_t)snprintf(F->log + F->loglen, sizeof F->log - F->loglen,
					      "  %.6fs %s %s %s\n", R->now / 1e9, kind, nb, detail);
}

void sup_fault_note(struct sup_run *R, const char *kind, int node, const char *fmt, ...)
{
	char detail[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (R->faults)
		note(R, kind, node, "%s", detail);
	else
		sup_trace_ev(R, NULL, 0, "fault", "ss", "kind", kind, "detail", detail);
}

const char *sup_faults_log(struct sup_run *R)
{
	return R->faults && R->faults->loglen ? R->faults->log : NULL;
}

/* Each fault that took effect, as the option that makes it again: the
 * minimizer's explicit schedule (RUN_DIR/faults.args, docs/faults.md). */
void sup_fault_record(struct sup_run *R, const char *opt, const char *fmt, ...)
{
	struct sup_faults *F = R->faults;
	if (!F)
		return;
	if (F->napplied == F->capplied) {
		int cap = F->capplied ? 2 * F->capplied : 16;
		struct applied *a = realloc(F->applied, (size_t)cap * sizeof *a);
		if (!a)
			return;
		F->applied = a;
		F->capplied = cap;
	}
	struct applied *a = &F->applied[F->napplied++];
	a->at = R->now;
	snprintf(a->opt, sizeof a->opt, "%s", opt);
	char at[32];
	int k = snprintf(a->spec, sizeof a->spec, "at=%s,", sup_fmt_duration(R->now, at, sizeof at));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->spec + k, sizeof a->spec - (size_t)k, fmt, ap);
	va_end(ap);
}

void sup_faults_write_args(struct sup_run *R)
{
	struct sup_faults *F = R->faults;
	char path[4096];
	if (!F)
		return;
	snprintf(path, sizeof path, "%s/faults.args", R->run_dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	for (int i = 0; i < F->napplied; i++)
		fprintf(f, "%s %s\n", F->applied[i].opt, F->applied[i].spec);
	fclose(f);
}

/* ---- reboots ---- */

static bool node_alive(struct sup_run *R, int node)
{
	for (int i = 0; i < R->nprocs; i++)
		if (R->procs[i]->node == node && !R->procs[i]->exited)
			return true;
	return false;
}

/* Kills every process of the node at once: none of its code runs again. */
static void kill_node(struct sup_run *R, int node)
{
	for (int i = 0; i < R->nprocs; i++) {
		struct sup_proc *p = R->procs[i];
		if (p->node == node && !p->exited && p->pid > 0 && !p->reaped)
			kill(p->pid, SIGKILL);
	}
	for (int i = 0; i < R->nprocs; i++) {
		struct sup_proc *p = R->procs[i];
		if (p->node != node || p->exited)
			continue;
		if (p->pid > 0 && !p->reaped) {
			siginfo_t si = { 0 };
			waitid(P_PID, (id_t)p->pid, &si, WEXITED);
			p->reaped = true;
			p->real_status = SIGKILL;
		}
		sup_proc_exited(R, p, SIGKILL);
	}
	sup_net_node_crashed(R, node);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0; /* the storage dir itself stays */
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Empties the node's storage dir.  nftw with FTW_PHYS never follows a
 * symlink: a link planted in the dir is removed, its target is not. */
static void wipe(struct sup_run *R, int node)
{
	char path[4096], nb[16];
	snprintf(path, sizeof path, "%s/data/%s", R->run_dir, sup_node_name(R, node, nb, sizeof nb));
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		note(R, "wipe-error", node, "%s", strerror(errno));
}

static void restart_ev(struct sup_run *R, void *arg)
{
	int node = (int)(intptr_t)arg;
	struct sup_node *nd = sup_node_of(R, node);
	char err[512];
	nd->boot++;
	nd->down = false;
	note(R, "restart", node, "boot %d", nd->boot);
	if (sup_on_links_changed) /* traffic held for the dead node moves again */
		sup_on_links_changed(R);
	if (sup_launch(R, node, err, sizeof err) < 0)
		sup_fail(R, "cannot restart: %s", err);
}

static void grace_ev(struct sup_run *R, void *arg)
{
	int node = (int)(intptr_t)arg;
	struct sup_node *nd = sup_node_of(R, node);
	if (!nd->stopping || !node_alive(R, node))
		return;
	note(R, "grace-expired", node, "killing");
	kill_node(R, node);
}

static void unpause_ev(struct sup_run *R, void *arg)
{
	int node = (int)(intptr_t)arg;
	struct sup_node *nd = sup_node_of(R, node);
	if (!nd->paused)
		return;
	nd->paused = false;
	note(R, "resume", node, "scheduled again");
	R->gen++;
}

static void do_reboot(struct sup_run *R, const struct reboot *rb)
{
	struct sup_node *nd = sup_node_of(R, rb->node);
	void *arg = (void *)(intptr_t)rb->node;
	if (nd->down || nd->stopping || nd->paused || !node_alive(R, rb->node)) {
		note(R, "reboot-skipped", rb->node, "%s: already down", fault_kind_names[rb->kind]);
		return;
	}
	note(R, fault_kind_names[rb->kind], rb->node, "down %.3fs%s", rb->down / 1e9,
	     rb->kind == K_GRACEFUL ? " after SIGTERM" : "");
	/* what a power loss keeps comes from a stream of its own, so that the
	 * same loss made explicitly (rollback=) keeps the same */
	uint64_t rollback = rb->kind != K_POWER ? 0 : rb->has_rollback ? rb->rollback : frand(R->faults);
	char down[32], grace[32], extra[64] = "";
	if (rb->kind == K_GRACEFUL)
		snprintf(extra, sizeof extra, ",grace=%s", sup_fmt_duration(rb->grace, grace, sizeof grace));
	else if (rb->kind == K_POWER)
		snprintf(extra, sizeof extra, ",rollback=0x%" PRIx64, rollback);
	sup_fault_record(R, "--reboot", "proc=%d,kind=%s,down=%s%s", rb->node, fault_kind_names[rb->kind],
			 sup_fmt_duration(rb->down, down, sizeof down), extra);
	switch (rb->kind) {
	case K_CRASH:
	case K_WIPE:
	case K_POWER:
		nd->down = true;
		kill_node(R, rb->node);
		if (rb->kind == K_WIPE) {
			wipe(R, rb->node);
			sup_storage_wiped(R, rb->node);
		}
		if (rb->kind == K_POWER) {
			char what[1024];
			uint64_t rng[4];
			sup_rand_seed(rng, rollback);
			sup_storage_power(R, rb->node, rng, what, sizeof what);
			note(R, "power-rollback", rb->node, "%s", what);
		}
		sup_event_at(R, R->now + rb->down, restart_ev, arg);
		break;
	case K_GRACEFUL:
		nd->stopping = true;
		nd->restart_delay = rb->down;
		for (int i = 0; i < R->nprocs; i++)
			if (R->procs[i]->node == rb->node && R->procs[i]->launched && !R->procs[i]->exited)
				sup_signal(R, R->procs[i], SIGTERM);
		sup_event_at(R, R->now + rb->grace, grace_ev, arg);
		break;
	case K_PAUSE:
		nd->paused = true;
		sup_event_at(R, R->now + rb->down, unpause_ev, arg);
		break;
	default:
		break;
	}
}

static void reboot_ev(struct sup_run *R, void *arg)
{
	do_reboot(R, arg);
}

/* Called for every process that ends: a gracefully stopped node restarts
 * once all its processes are gone. */
void sup_faults_proc_exited(struct sup_run *R, struct sup_proc *p)
{
	if (!R->faults || p->node < 0 || p->node >= R->o->procs)
		return;
	struct sup_node *nd = sup_node_of(R, p->node);
	if (!nd->stopping || node_alive(R, p->node))
		return;
	nd->stopping = false;
	nd->down = true;
	note(R, "stopped", p->node, "restart in %.3fs", nd->restart_delay / 1e9);
	sup_event_at(R, R->now + nd->restart_delay, restart_ev, (void *)(intptr_t)p->node);
}

bool sup_faults_expected_exit(struct sup_run *R, const struct sup_proc *p)
{
	if (p->node < 0)
		return false;
	const struct sup_node *nd = sup_node_of(R, p->node);
	return nd->down || nd->stopping;
}

/* ---- partitions: a count of cuts per directed link ---- */

static int link_index(const struct sup_run *R, int node)
{
	return node >= 0 ? node : R->o->procs + (-1 - node);
}

bool sup_fault_link_cut(struct sup_run *R, int from_node, int to_node)
{
	struct sup_faults *F = R->faults;
	if (!F || !F->cut)
		return false;
	return F->cut[link_index(R, from_node) * F->nnodes + link_index(R, to_node)];
}

void (*sup_on_links_changed)(struct sup_run *R);

static void cut(struct sup_run *R, int a, int b, int delta)
{
	struct sup_faults *F = R->faults;
	F->cut[link_index(R, a) * F->nnodes + link_index(R, b)] += delta;
}

static void both(struct sup_run *R, int a, int b, int delta)
{
	cut(R, a, b, delta);
	cut(R, b, a, delta);
}

struct part_apply {
	struct partition p;
	uint64_t split; /* seeded halves */
};

static bool side(const struct part_apply *pa, int n)
{
	return (pa->split >> (n % 64)) & 1;
}

static void apply_partition(struct sup_run *R, struct part_apply *pa, int delta)
{
	int n = R->o->procs;
	const struct partition *p = &pa->p;
	for (int a = 0; a < n; a++)
		for (int b = a + 1; b < n; b++) {
			bool sever = false;
			switch (p->shape) {
			case S_ISOLATE: sever = a == p->a || b == p->a; break;
			case S_HALVES: sever = side(pa, a) != side(pa, b); break;
			case S_RING: sever = (b - a) != 1 && !(a == 0 && b == n - 1); break;
			case S_BRIDGE: sever = side(pa, a) != side(pa, b) && a != p->a && b != p->a; break;
			case S_ONEWAY: break;
			}
			if (sever)
				both(R, a, b, delta);
		}
	if (p->shape == S_ISOLATE) /* isolated from the workloads too */
		for (int j = 0; j < R->o->nworkloads; j++)
			both(R, p->a, -1 - j, delta);
	if (p->shape == S_ONEWAY)
		cut(R, p->a, p->b, delta);
}

static const char *shape_name(const struct partition *p, char *buf, size_t n)
{
	switch (p->shape) {
	case S_ISOLATE: snprintf(buf, n, "isolate:%d", p->a); break;
	case S_HALVES: snprintf(buf, n, "halves"); break;
	case S_RING: snprintf(buf, n, "ring"); break;
	case S_BRIDGE: snprintf(buf, n, "bridge via p%d", p->a); break;
	case S_ONEWAY: snprintf(buf, n, "oneway:%d>%d", p->a, p->b); break;
	}
	return buf;
}

static void heal_ev(struct sup_run *R, void *arg)
{
	struct part_apply *pa = arg;
	char b[48];
	apply_partition(R, pa, -1);
	note(R, "heal", INT32_MIN, "%s", shape_name(&pa->p, b, sizeof b));
	R->gen++;
	if (sup_on_links_changed)
		sup_on_links_changed(R);
	free(pa);
}

static void partition_ev(struct sup_run *R, void *arg)
{
	struct part_apply *pa = arg;
	char b[48];
	pa->split = pa->p.has_split ? pa->p.split : frand(R->faults);
	if (pa->p.shape == S_BRIDGE && !pa->p.has_via)
		pa->p.a = (int)(frand(R->faults) % (uint64_t)R->o->procs);
	apply_partition(R, pa, +1);
	char dur[32], sh[48], more[64] = "";
	if (pa->p.shape == S_HALVES || pa->p.shape == S_BRIDGE)
		snprintf(more, sizeof more, ",split=0x%" PRIx64, pa->split);
	if (pa->p.shape == S_BRIDGE)
		snprintf(sh, sizeof sh, "bridge%s,via=%d", more, pa->p.a);
	else
		snprintf(sh, sizeof sh, "%s%s", shape_name(&pa->p, b, sizeof b), more);
	sup_fault_record(R, "--partition", "for=%s,shape=%s", sup_fmt_duration(pa->p.dur, dur, sizeof dur), sh);
	note(R, "partition", INT32_MIN, "%s for %.3fs", shape_name(&pa->p, b, sizeof b), pa->p.dur / 1e9);
	if (sup_on_links_changed)
		sup_on_links_changed(R);
	sup_event_at(R, R->now + pa->p.dur, heal_ev, pa);
}

/* ---- clocks: CLOCK_REALTIME offset and drift per node ---- */

static int64_t fault_offset(struct sup_run *R, int node)
{
	struct sup_faults *F = R->faults;
	if (!F || !F->clock)
		return 0;
	const struct nodeclock *c = &F->clock[link_index(R, node)];
	return c->base + c->drift_ppm * (R->now - c->since) / 1000000;
}

/* A node's clock as its programs set and slew it: an offset that grows
 * by rate_ppb from `since` (adjtimex's frequency and tick, and a
 * single-shot adjtime slew while it lasts), and what adjtimex reports. */
struct sup_progclock {
	int64_t base, since, rate_ppb;
	int64_t freq, tick, maxerror, esterror; /* as adjtimex has them */
	int32_t status, constant, tai;
	int64_t slew_ppb;    /* a single-shot slew (adjtime) at this rate, on top of rate_ppb, */
	int64_t slew_until;  /* until then (virtual ns); no event: a slew keeps no run alive */
};

#define NTP_TICK 10000 /* us: 1e6 / USER_HZ */
#define SLEW_PPB 500000 /* adjtime slews at 500 ppm */

static void set_rate(struct sup_run *R, struct sup_progclock *p);

static int64_t prog_offset(const struct sup_progclock *p, int64_t now)
{
	int64_t slewed = p->slew_until < now ? p->slew_until : now;
	slewed = slewed > p->since ? slewed - p->since : 0;
	return p->base + (int64_t)(((__int128)p->rate_ppb * (now - p->since) +
				    (__int128)p->slew_ppb * slewed) / 1000000000LL);
}

static struct sup_progclock *progclock(struct sup_run *R, int node)
{
	if (!R->pclock) {
		int n = R->o->procs + R->o->nworkloads;
		R->pclock = calloc((size_t)n, sizeof *R->pclock);
		if (!R->pclock)
			abort();
		for (int i = 0; i < n; i++) {
			R->pclock[i].tick = NTP_TICK;
			R->pclock[i].maxerror = R->pclock[i].esterror = 16000000;
			R->pclock[i].status = 0x40; /* STA_UNSYNC */
			R->pclock[i].constant = 2;
		}
	}
	return &R->pclock[link_index(R, node)];
}

/* The node's CLOCK_REALTIME offset from the run's: what its programs set
 * and slewed (sup_clock_set, sup_clock_adj), plus a clock fault's jump and
 * drift. */
int64_t sup_faults_rt_offset(struct sup_run *R, int node)
{
	return (R->pclock ? prog_offset(&R->pclock[link_index(R, node)], R->now) : 0) +
	       fault_offset(R, node);
}

/* A program of the node set its clock (as root): the node's realtime
 * reads `value` now, and goes on from there; it survives the node's
 * reboots, as a machine's clock does. */
void sup_clock_set(struct sup_run *R, int node, int64_t value)
{
	struct sup_progclock *p = progclock(R, node);
	/* a step clears what NTP knew, as the kernel's ntp_clear: errors to
	 * their maximum, unsynchronized, an adjtime slew cancelled
	 * (chronyd tests ADJ_SETOFFSET by this) */
	p->maxerror = p->esterror = 16000000;
	p->status |= 0x40; /* STA_UNSYNC */
	set_rate(R, p);
	p->slew_ppb = 0;
	p->base = value - R->o->epoch_ns - R->now - fault_offset(R, node);
	p->since = R->now;
}

static void set_rate(struct sup_run *R, struct sup_progclock *p)
{
	p->base = prog_offset(p, R->now);
	p->since = R->now;
	p->rate_ppb = (p->tick - NTP_TICK) * 100000 + p->freq * 1000 / 65536;
}

int64_t sup_clock_adj(struct sup_run *R, int node, const int64_t *a, const void *payload, size_t plen,
		      int64_t *out)
{
	struct sup_progclock *p = progclock(R, node);
	int64_t modes = a[0];
	int32_t st[3] = { 0, 0, 0 };
	if (plen == sizeof st)
		memcpy(st, payload, sizeof st);
	if ((modes & 0x0002) && (a[1] < -(500LL << 16) || a[1] > (500LL << 16))) /* ADJ_FREQUENCY */
		return -EINVAL;
	if ((modes & 0x4000) && (a[2] < 9000 || a[2] > 11000)) /* ADJ_TICK: +-10% */
		return -EINVAL;
	/* ADJ_OFFSET without SINGLESHOT feeds the kernel's PLL, which acts
	 * only with STA_PLL: an offset then is not simulated (the shim says
	 * so); without, or a zero one (chronyd's start), changes nothing */
	/* the status as it will be (ADJ_STATUS sets the bits a program may) */
	int32_t status = (modes & 0x0010) ? (p->status & 0xff00) | (st[0] & 0x00ff) : p->status;
	if ((modes & 0x8001) == 0x0001 && a[3] && (status & 0x0001))
		return -EOPNOTSUPP;
	if (modes & 0x0002)
		p->freq = a[1];
	if (modes & 0x4000)
		p->tick = a[2];
	if (modes & 0x0004) /* ADJ_MAXERROR */
		p->maxerror = a[4];
	if (modes & 0x0008) /* ADJ_ESTERROR */
		p->esterror = a[5];
	if (modes & 0x0010) /* ADJ_STATUS */
		p->status = status;
	if (modes & 0x0020) /* ADJ_TIMECONST */
		p->constant = st[1];
	if (modes & 0x0080) /* ADJ_TAI */
		p->tai = st[2];
	/* (what a target sends is untrusted: kept to what the kernel takes) */
	if ((modes & 0x0001) && (a[3] < -(1LL << 31) * 1000 || a[3] > (1LL << 31) * 1000))
		return -EINVAL;
	if ((modes & 0x0004) && (a[4] < 0 || a[4] > 16000000))
		return -EINVAL;
	if ((modes & 0x0008) && (a[5] < 0 || a[5] > 16000000))
		return -EINVAL;
	if ((modes & 0x8001) == 0x8001) { /* ADJ_OFFSET_SINGLESHOT: adjtime's slew, at 500 ppm */
		int64_t off = a[3], mag = off < 0 ? -off : off;
		set_rate(R, p); /* (what the last slew did so far, into the base) */
		p->slew_ppb = off > 0 ? SLEW_PPB : off < 0 ? -SLEW_PPB : 0;
		p->slew_until = R->now + mag * (1000000000LL / SLEW_PPB);
	}
	if (modes & (0x0002 | 0x4000 | 0x8001))
		set_rate(R, p);
	if (modes & ~(int64_t)0x2000) { /* (ADJ_OFFSET_SS_READ alone changes nothing) */
		char buf[96];
		snprintf(buf, sizeof buf, "%+.3fppm", p->rate_ppb / 1000.0);
		sup_trace_ev(R, NULL, 0, "clock-adj", "ss", "node", sup_node_name(R, node, (char[16]){ 0 }, 16),
			     "rate", buf);
	}
	out[0] = p->freq;
	out[1] = p->tick;
	out[2] = (int64_t)(((uint64_t)p->maxerror & 0xffffffff) | ((uint64_t)p->esterror << 32));
	out[3] = (int64_t)(((uint64_t)p->status & 0xffff) | ((uint64_t)(p->constant & 0xffff) << 16) |
			   ((uint64_t)(uint32_t)p->tai << 32));
	return (p->status & 0x40) ? 5 /* TIME_ERROR */ : 0 /* TIME_OK */;
}

static void set_clock(struct sup_run *R, int node, const struct clockfault *cf)
{
	struct nodeclock *c = &R->faults->clock[link_index(R, node)];
	c->base = cf->reset ? 0 : fault_offset(R, node) + (cf->has_jump ? cf->jump : 0);
	c->since = R->now;
	if (cf->has_drift || cf->reset)
		c->drift_ppm = cf->reset ? 0 : cf->drift_ppm;
	note(R, "clock", node, "offset %+.6fs drift %+lldppm", c->base / 1e9, (long long)c->drift_ppm);
	char jump[40] = "", drift[32] = "";
	if (cf->has_jump) {
		char d[32];
		snprintf(jump, sizeof jump, ",jump=%s%s", cf->jump >= 0 ? "+" : "",
			 sup_fmt_duration(cf->jump, d, sizeof d));
	}
	if (cf->has_drift)
		snprintf(drift, sizeof drift, ",drift=%+lldppm", (long long)cf->drift_ppm);
	sup_fault_record(R, "--clock", "proc=%d%s%s%s", node, jump, drift, cf->reset ? ",reset=on" : "");
}

static void clock_ev(struct sup_run *R, void *arg)
{
	struct clockfault *cf = arg;
	set_clock(R, cf->node, cf);
	free(cf);
}

/* ---- network troubles: latency spikes, failing connects, resets, clogs ---- */

int64_t sup_fault_extra_latency(struct sup_run *R, int from, int to)
{
	struct sup_faults *F = R->faults;
	if (!F || !F->net)
		return 0;
	int64_t extra = 0;
	const struct nodenet *a = &F->net[link_index(R, from)], *b = &F->net[link_index(R, to)];
	if (a->spike_until > R->now)
		extra += a->spike_ns;
	if (b->spike_until > R->now)
		extra += b->spike_ns;
	return extra;
}

int sup_fault_connect(struct sup_run *R, int to)
{
	struct sup_faults *F = R->faults;
	if (!F || !F->net)
		return 0;
	const struct nodenet *n = &F->net[link_index(R, to)];
	return n->connfault_until > R->now ? n->connfault : 0;
}

/* One trouble (--net-fault, or drawn by chaos).  A trouble that outlasts
 * the chaos phase ends with it (chaos_end_ev): its recorded length says so. */
static void net_fault(struct sup_run *R, struct netfault *nf)
{
	struct sup_faults *F = R->faults;
	struct nodenet *n = &F->net[link_index(R, nf->node)];
	int64_t len = nf->dur;
	char d[32], e[32];
	if (R->faults->chaos.on && R->now < R->o->chaos_duration_ns && R->now + len > R->o->chaos_duration_ns)
		len = R->o->chaos_duration_ns - R->now;
	switch (nf->kind) {
	case NF_SPIKE:
		n->spike_until = R->now + nf->dur;
		n->spike_ns = nf->extra;
		note(R, "latency-spike", nf->node, "+%.3fs per message for %.3fs", n->spike_ns / 1e9, nf->dur / 1e9);
		sup_fault_record(R, "--net-fault", "fault=spike,proc=%d,for=%s,extra=%s", nf->node,
				 sup_fmt_duration(len, d, sizeof d), sup_fmt_duration(nf->extra, e, sizeof e));
		break;
	case NF_REFUSE:
	case NF_HANG:
		n->connfault_until = R->now + nf->dur;
		n->connfault = nf->kind == NF_REFUSE ? ECONNREFUSED : -1;
		note(R, "connect-fault", nf->node, "%s for %.3fs",
		     n->connfault == ECONNREFUSED ? "refused" : "SYNs lost (connects hang)", nf->dur / 1e9);
		sup_fault_record(R, "--net-fault", "fault=%s,proc=%d,for=%s", nf->kind == NF_REFUSE ? "refuse" : "hang",
				 nf->node, sup_fmt_duration(len, d, sizeof d));
		break;
	case NF_RESET: {
		char what[64];
		uint64_t pick = nf->has_pick ? nf->pick : frand(F);
		if (sup_net_reset_random(R, pick, what, sizeof what)) {
			note(R, "reset", INT32_MIN, "%s", what);
			sup_fault_record(R, "--net-fault", "fault=reset,pick=0x%" PRIx64, pick);
		}
		break;
	}
	}
}

static void netfault_ev(struct sup_run *R, void *arg)
{
	net_fault(R, arg);
	free(arg);
}

static void net_trouble(struct sup_run *R)
{
	struct sup_faults *F = R->faults;
	struct netfault nf = { .node = (int)(frand(F) % (uint64_t)R->o->procs) };
	nf.dur = between(F, 500000000LL, 5000000000LL);
	switch (frand(F) % 4) {
	case 0:
		nf.kind = NF_SPIKE;
		nf.extra = between(F, 5000000LL, 200000000LL);
		break;
	case 1:
	case 2:
		nf.kind = frand(F) % 2 ? NF_REFUSE : NF_HANG;
		break;
	default:
		nf.kind = NF_RESET;
		break;
	}
	net_fault(R, &nf);
}

/* ---- chaos ---- */

static void chaos_ev(struct sup_run *R, void *arg);

/* The end of the chaos phase: clocks are set right (as NTP would);
 * partitions heal on their own timers, which never outlast the phase, and
 * down nodes restart on theirs. */
static void chaos_end_ev(struct sup_run *R, void *arg)
{
	struct sup_faults *F = R->faults;
	note(R, "chaos-end", INT32_MIN, "quiet phase: faults stop, clocks corrected");
	for (int i = 0; i < F->nnodes; i++) {
		if (i < R->o->procs && (F->clock[i].base || F->clock[i].drift_ppm))
			sup_fault_record(R, "--clock", "proc=%d,reset=on", i);
		F->clock[i] = (struct nodeclock){ .since = R->now };
		F->net[i] = (struct nodenet){ 0 };
	}
}

static void chaos_next(struct sup_run *R)
{
	struct chaos *c = &R->faults->chaos;
	int64_t at = R->now + between(R->faults, c->every_lo, c->every_hi);
	if (at < R->o->chaos_duration_ns)
		sup_event_at(R, at, chaos_ev, NULL);
}

static void chaos_ev(struct sup_run *R, void *arg)
{
	struct sup_faults *F = R->faults;
	struct chaos *c = &F->chaos;
	int n = R->o->procs, down = 0, total = 0;
	for (int i = 0; i < n; i++) {
		struct sup_node *nd = sup_node_of(R, i);
		down += nd->down || nd->stopping || nd->paused;
	}
	for (int k = 0; k < K_NKINDS; k++)
		total += c->weight[k];
	bool do_part = c->partitions && n >= 2 && (frand(F) % 3 == 0 || total == 0);
	if (c->disk && frand(F) % 4 == 0) { /* only draws when on: other runs keep their stream */
		sup_disk_chaos(R, F->rng, 500000000LL, 5000000000LL);
	} else if (c->network && frand(F) % 3 == 0) {
		net_trouble(R);
	} else if (c->clocks && frand(F) % 4 == 0) {
		struct clockfault cf = { .node = (int)(frand(F) % (uint64_t)n) };
		if (frand(F) % 2) {
			cf.has_jump = true;
			cf.jump = between(F, -2000000000LL, 2000000000LL);
		} else {
			cf.has_drift = true;
			cf.drift_ppm = between(F, -500, 500);
		}
		set_clock(R, cf.node, &cf);
	} else if (do_part) {
		struct part_apply *pa = calloc(1, sizeof *pa);
		pa->p.shape = (enum shape)(frand(F) % 5);
		pa->p.a = (int)(frand(F) % (uint64_t)n);
		pa->p.b = (pa->p.a + 1 + (int)(frand(F) % (uint64_t)(n - 1))) % n;
		pa->p.dur = between(F, c->part_lo, c->part_hi);
		if (R->now + pa->p.dur > R->o->chaos_duration_ns)
			pa->p.dur = R->o->chaos_duration_ns - R->now;
		partition_ev(R, pa);
	} else if (total > 0 && down < c->max_down) {
		struct reboot rb = { .node = (int)(frand(F) % (uint64_t)n) };
		int64_t pick = (int64_t)(frand(F) % (uint64_t)total);
		rb.kind = K_CRASH;
		for (int k = 0; k < K_NKINDS; k++)
			if ((pick -= c->weight[k]) < 0) {
				rb.kind = (enum kind)k;
				break;
			}
		rb.down = between(F, c->down_lo, c->down_hi);
		rb.grace = between(F, c->grace_lo, c->grace_hi);
		do_reboot(R, &rb);
	}
	chaos_next(R);
}

const char *const sup_family_names[SUP_NFAMILIES] = {
	"graceful", "crash", "wipe", "pause", "power", "partitions", "network", "disk", "clocks",
};

uint32_t sup_faults_families(struct sup_run *R)
{
	const struct chaos *c = R->faults ? &R->faults->chaos : NULL;
	if (!c || !c->on)
		return 0;
	uint32_t f = 0;
	for (int k = 0; k < K_NKINDS; k++)
		if (c->weight[k])
			f |= 1u << k;
	f |= (uint32_t)c->partitions << SUP_FAMILY_PARTITIONS | (uint32_t)c->network << SUP_FAMILY_NETWORK |
	     (uint32_t)c->disk << SUP_FAMILY_DISK | (uint32_t)c->clocks << SUP_FAMILY_CLOCKS;
	return f;
}

/* Swarm testing: each seed switches some fault families off, so different
 * seeds explore different mixes. */
static void swarm(struct sup_run *R)
{
	struct sup_faults *F = R->faults;
	struct chaos *c = &F->chaos;
	char mix[128] = "";
	int kept = 0;
	for (int k = 0; k < K_NKINDS; k++) {
		if (c->weight[k] && frand(F) % 4 == 0)
			c->weight[k] = 0;
		if (c->weight[k]) {
			kept++;
			strcat(mix, fault_kind_names[k]);
			strcat(mix, " ");
		}
	}
	if (c->partitions && frand(F) % 4 == 0)
		c->partitions = false;
	if (c->partitions)
		strcat(mix, "partitions ");
	if (c->clocks && frand(F) % 4 == 0)
		c->clocks = false;
	if (c->network && frand(F) % 4 == 0)
		c->network = false;
	if (c->network)
		strcat(mix, "network ");
	if (c->disk && frand(F) % 4 == 0)
		c->disk = false;
	if (c->disk)
		strcat(mix, "disk ");
	if (c->clocks)
		strcat(mix, "clocks ");
	size_t ml = strlen(mix);
	if (ml && mix[ml - 1] == ' ')
		mix[ml - 1] = 0;
	note(R, "chaos", INT32_MIN, "families: %s (%d reboot kinds) until %.3fs", mix[0] ? mix : "none",
	     kept, R->o->chaos_duration_ns / 1e9);
}

void sup_faults_start(struct sup_run *R)
{
	const struct sup_opts *o = R->o;
	if (!o->nreboots && !o->npartitions && !o->chaos && !o->nclocks && !o->ndisks && !o->nnetfaults)
		return;
	struct sup_faults *F = calloc(1, sizeof *F);
	R->faults = F;
	sup_rand_seed(F->rng, R->seed ^ 0xfa017fa017ULL);
	F->nnodes = o->procs + o->nworkloads;
	F->cut = calloc((size_t)F->nnodes * (size_t)F->nnodes, sizeof *F->cut);
	F->clock = calloc((size_t)F->nnodes, sizeof *F->clock);
	F->net = calloc((size_t)F->nnodes, sizeof *F->net);
	char err[512];
	for (int i = 0; i < o->nclocks; i++) {
		struct clockfault *cf = malloc(sizeof *cf);
		if (fault_parse_clock(o->clocks[i], o->procs, cf, err, sizeof err) == 0)
			sup_event_at(R, cf->at, clock_ev, cf);
	}
	for (int i = 0; i < o->nreboots; i++) {
		struct reboot *rb = malloc(sizeof *rb);
		if (fault_parse_reboot(o->reboots[i], o->procs, rb, err, sizeof err) == 0)
			sup_event_at(R, rb->at, reboot_ev, rb);
	}
	for (int i = 0; i < o->npartitions; i++) {
		struct part_apply *pa = calloc(1, sizeof *pa);
		if (fault_parse_partition(o->partitions[i], o->procs, &pa->p, err, sizeof err) == 0)
			sup_event_at(R, pa->p.at, partition_ev, pa);
	}
	for (int i = 0; i < o->nnetfaults; i++) {
		struct netfault *nf = malloc(sizeof *nf);
		if (fault_parse_netfault(o->netfaults[i], o->procs, nf, err, sizeof err) == 0)
			sup_event_at(R, nf->at, netfault_ev, nf);
		else
			free(nf);
	}
	if (o->chaos && fault_parse_chaos(o->chaos, &F->chaos, err, sizeof err) == 0) {
		swarm(R);
		chaos_next(R);
		sup_event_at(R, o->chaos_duration_ns, chaos_end_ev, NULL);
	}
}

void sup_faults_free(struct sup_run *R)
{
	if (!R->faults)
		return;
	free(R->faults->cut);
	free(R->faults->clock);
	free(R->faults->net);
	free(R->faults->applied);
	free(R->faults);
	R->faults = NULL;
}
