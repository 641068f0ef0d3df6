/*
 * faultspec.c — reading the fault plan from the command line: --reboot,
 * --partition, --clock and --chaos specs into the types of faults.h, each
 * malformed one refused with one line that names it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "disk.h"
#include "storage.h"

const char *const fault_kind_names[] = { "graceful", "crash", "wipe", "pause", "power" };

/* ---- parsing ---- */

static int parse_kv(char *spec, const char *opt, const char *arg, char *err, size_t errlen,
		    int (*take)(void *ctx, const char *k, const char *v, char *err, size_t errlen),
		    void *ctx)
{
	for (char *save = NULL, *tok = strtok_r(spec, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			snprintf(err, errlen, "%s \"%s\": \"%s\" is not KEY=VALUE", opt, arg, tok);
			return -1;
		}
		*eq = 0;
		if (take(ctx, tok, eq + 1, err, errlen) < 0) {
			char inner[256];
			snprintf(inner, sizeof inner, "%s", err);
			snprintf(err, errlen, "%s \"%s\": %s", opt, arg, inner);
			return -1;
		}
	}
	return 0;
}

static int dur(const char *k, const char *v, int64_t *out, char *err, size_t errlen)
{
	if (sup_parse_duration(v, out) < 0) {
		snprintf(err, errlen, "%s=%s: expected a duration such as 5s", k, v);
		return -1;
	}
	return 0;
}

static int range(const char *k, const char *v, int64_t *lo, int64_t *hi, char *err, size_t errlen)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%s", v);
	char *dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (dur(k, buf, lo, err, errlen) < 0 || dur(k, dash ? dash + 1 : buf, hi, err, errlen) < 0)
		return -1;
	if (*hi < *lo) {
		snprintf(err, errlen, "%s=%s: the range ends before it starts", k, v);
		return -1;
	}
	return 0;
}

/* A 64-bit value written by a run's faults.args: 0x... or decimal. */
static int hex(const char *k, const char *v, uint64_t *out, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (!*v || *v == '-' || *end || errno) {
		snprintf(err, errlen, "%s=%s: expected a number such as 0x5a17", k, v);
		return -1;
	}
	return 0;
}

static int server(const char *k, const char *v, int procs, int *out, char *err, size_t errlen)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*v == 0 || *end || n < 0 || n >= procs) {
		snprintf(err, errlen, "%s=%s: expected a server index from 0 to %d", k, v, procs - 1);
		return -1;
	}
	*out = (int)n;
	return 0;
}

struct reboot_ctx {
	struct reboot *r;
	int procs;
	bool have_at, have_proc, have_kind;
};

static int take_reboot(void *vctx, const char *k, const char *v, char *err, size_t errlen)
{
	struct reboot_ctx *c = vctx;
	if (!strcmp(k, "at"))
		return c->have_at = true, dur(k, v, &c->r->at, err, errlen);
	if (!strcmp(k, "down"))
		return dur(k, v, &c->r->down, err, errlen);
	if (!strcmp(k, "grace"))
		return dur(k, v, &c->r->grace, err, errlen);
	if (!strcmp(k, "proc"))
		return c->have_proc = true, server(k, v, c->procs, &c->r->node, err, errlen);
	if (!strcmp(k, "kind")) {
		for (int i = 0; i < K_NKINDS; i++)
			if (!strcmp(v, fault_kind_names[i])) {
				c->r->kind = (enum kind)i;
				c->have_kind = true;
				return 0;
			}
		snprintf(err, errlen, "kind=%s: expected graceful, crash, wipe, pause or power", v);
		return -1;
	}
	if (!strcmp(k, "rollback"))
		return c->r->has_rollback = true, hex(k, v, &c->r->rollback, err, errlen);
	snprintf(err, errlen, "unknown key %s (at, proc, kind, down, grace, rollback)", k);
	return -1;
}

int fault_parse_reboot(const char *arg, int procs, struct reboot *r, char *err, size_t errlen)
{
	char *spec = strdup(arg);
	*r = (struct reboot){ .down = 1000000000LL, .grace = 5000000000LL };
	struct reboot_ctx c = { .r = r, .procs = procs };
	int rc = parse_kv(spec, "--reboot", arg, err, errlen, take_reboot, &c);
	free(spec);
	if (rc == 0 && !(c.have_at && c.have_proc && c.have_kind)) {
		snprintf(err, errlen, "--reboot \"%s\": needs at=DUR, proc=N and kind=KIND", arg);
		rc = -1;
	}
	return rc;
}

struct part_ctx {
	struct partition *p;
	int procs, via;
	bool have_at, have_for, have_shape;
};

static int take_partition(void *vctx, const char *k, const char *v, char *err, size_t errlen)
{
	struct part_ctx *c = vctx;
	if (!strcmp(k, "at"))
		return c->have_at = true, dur(k, v, &c->p->at, err, errlen);
	if (!strcmp(k, "for"))
		return c->have_for = true, dur(k, v, &c->p->dur, err, errlen);
	if (!strcmp(k, "split"))
		return c->p->has_split = true, hex(k, v, &c->p->split, err, errlen);
	if (!strcmp(k, "via")) {
		c->p->has_via = true;
		return server(k, v, c->procs, &c->via, err, errlen);
	}
	if (strcmp(k, "shape")) {
		snprintf(err, errlen, "unknown key %s (at, for, shape, split, via)", k);
		return -1;
	}
	c->have_shape = true;
	int a, b, n = 0;
	if (sscanf(v, "isolate:%d%n", &a, &n) == 1 && !v[n] && a >= 0 && a < c->procs) {
		c->p->shape = S_ISOLATE;
		c->p->a = a;
		return 0;
	}
	if (sscanf(v, "oneway:%d>%d%n", &a, &b, &n) == 2 && !v[n] && a >= 0 && a < c->procs &&
	    b >= 0 && b < c->procs && a != b) {
		c->p->shape = S_ONEWAY;
		c->p->a = a;
		c->p->b = b;
		return 0;
	}
	const char *names[] = { "halves", "ring", "bridge" };
	enum shape shapes[] = { S_HALVES, S_RING, S_BRIDGE };
	for (int i = 0; i < 3; i++)
		if (!strcmp(v, names[i])) {
			c->p->shape = shapes[i];
			return 0;
		}
	snprintf(err, errlen, "shape=%s: expected isolate:N, halves, ring, bridge or oneway:A>B "
		 "(N, A, B server indexes)", v);
	return -1;
}

int fault_parse_partition(const char *arg, int procs, struct partition *p, char *err, size_t errlen)
{
	char *spec = strdup(arg);
	*p = (struct partition){ 0 };
	struct part_ctx c = { .p = p, .procs = procs };
	int rc = parse_kv(spec, "--partition", arg, err, errlen, take_partition, &c);
	free(spec);
	if (rc == 0 && !(c.have_at && c.have_for && c.have_shape)) {
		snprintf(err, errlen, "--partition \"%s\": needs at=DUR, for=DUR and shape=SHAPE", arg);
		rc = -1;
	} else if (rc == 0 && p->has_via && p->shape != S_BRIDGE) {
		snprintf(err, errlen, "--partition \"%s\": via=N goes with shape=bridge", arg);
		rc = -1;
	} else if (rc == 0 && p->has_split && p->shape != S_HALVES && p->shape != S_BRIDGE) {
		snprintf(err, errlen, "--partition \"%s\": split=MASK goes with shape=halves or bridge", arg);
		rc = -1;
	} else if (p->has_via) {
		p->a = c.via;
	}
	return rc;
}

static int on_off(const char *k, const char *v, bool *out, char *err, size_t errlen);

struct clock_ctx {
	struct clockfault *c;
	int procs;
	bool have_at, have_proc;
};

static int signed_dur(const char *k, const char *v, int64_t *out, char *err, size_t errlen)
{
	bool neg = *v == '-';
	if (dur(k, v + (*v == '-' || *v == '+'), out, err, errlen) < 0)
		return -1;
	if (neg)
		*out = -*out;
	return 0;
}

static int take_clock(void *vctx, const char *k, const char *v, char *err, size_t errlen)
{
	struct clock_ctx *c = vctx;
	char *end;
	if (!strcmp(k, "at"))
		return c->have_at = true, dur(k, v, &c->c->at, err, errlen);
	if (!strcmp(k, "jump"))
		return c->c->has_jump = true, signed_dur(k, v, &c->c->jump, err, errlen);
	if (!strcmp(k, "drift")) {
		long ppm = strtol(v, &end, 10);
		if (!*v || (strcmp(end, "ppm") && *end) || ppm < -100000 || ppm > 100000) {
			snprintf(err, errlen, "drift=%s: expected parts per million, e.g. +200ppm", v);
			return -1;
		}
		c->c->has_drift = true;
		c->c->drift_ppm = ppm;
		return 0;
	}
	if (!strcmp(k, "proc"))
		return c->have_proc = true, server(k, v, c->procs, &c->c->node, err, errlen);
	if (!strcmp(k, "reset"))
		return on_off(k, v, &c->c->reset, err, errlen);
	snprintf(err, errlen, "unknown key %s (at, proc, jump, drift, reset)", k);
	return -1;
}

int fault_parse_clock(const char *arg, int procs, struct clockfault *cf, char *err, size_t errlen)
{
	char *spec = strdup(arg);
	*cf = (struct clockfault){ 0 };
	struct clock_ctx c = { .c = cf, .procs = procs };
	int rc = parse_kv(spec, "--clock", arg, err, errlen, take_clock, &c);
	free(spec);
	if (rc == 0 && !(c.have_at && c.have_proc && (cf->has_jump || cf->has_drift || cf->reset))) {
		snprintf(err, errlen, "--clock \"%s\": needs at=DUR, proc=N and jump=+-DUR, drift=+-PPM "
			 "or reset=on", arg);
		rc = -1;
	} else if (rc == 0 && cf->reset && (cf->has_jump || cf->has_drift)) {
		snprintf(err, errlen, "--clock \"%s\": reset=on sets the clock right: no jump or drift with it", arg);
		rc = -1;
	}
	return rc;
}

static const char *const netkind_names[] = { "spike", "refuse", "hang", "reset" };

struct net_ctx {
	struct netfault *f;
	int procs;
	bool have_at, have_proc, have_for, have_fault, have_extra;
};

static int take_net(void *vctx, const char *k, const char *v, char *err, size_t errlen)
{
	struct net_ctx *c = vctx;
	if (!strcmp(k, "at"))
		return c->have_at = true, dur(k, v, &c->f->at, err, errlen);
	if (!strcmp(k, "for"))
		return c->have_for = true, dur(k, v, &c->f->dur, err, errlen);
	if (!strcmp(k, "extra"))
		return c->have_extra = true, dur(k, v, &c->f->extra, err, errlen);
	if (!strcmp(k, "proc"))
		return c->have_proc = true, server(k, v, c->procs, &c->f->node, err, errlen);
	if (!strcmp(k, "pick"))
		return c->f->has_pick = true, hex(k, v, &c->f->pick, err, errlen);
	if (!strcmp(k, "fault")) {
		for (int i = 0; i < 4; i++)
			if (!strcmp(v, netkind_names[i])) {
				c->f->kind = (enum netkind)i;
				c->have_fault = true;
				return 0;
			}
		snprintf(err, errlen, "fault=%s: expected spike, refuse, hang or reset", v);
		return -1;
	}
	snprintf(err, errlen, "unknown key %s (at, fault, proc, for, extra, pick)", k);
	return -1;
}

int fault_parse_netfault(const char *arg, int procs, struct netfault *nf, char *err, size_t errlen)
{
	char *spec = strdup(arg);
	*nf = (struct netfault){ 0 };
	struct net_ctx c = { .f = nf, .procs = procs };
	int rc = parse_kv(spec, "--net-fault", arg, err, errlen, take_net, &c);
	free(spec);
	if (rc < 0)
		return rc;
	const char *need = NULL;
	if (!c.have_at || !c.have_fault)
		need = "at=DUR and fault=spike|refuse|hang|reset";
	else if (nf->kind != NF_RESET && !(c.have_proc && c.have_for && nf->dur > 0))
		need = "proc=N and for=DUR for spike, refuse and hang";
	else if (nf->kind == NF_SPIKE && !c.have_extra)
		need = "extra=DUR (the added latency) for spike";
	else if (nf->kind == NF_RESET && (c.have_proc || c.have_for || c.have_extra))
		need = "only at= and pick= for reset (it resets one live connection)";
	else if (nf->kind != NF_RESET && nf->has_pick)
		need = "pick= only for reset";
	if (need) {
		snprintf(err, errlen, "--net-fault \"%s\": needs %s", arg, need);
		return -1;
	}
	return 0;
}

static int on_off(const char *k, const char *v, bool *out, char *err, size_t errlen)
{
	if (strcmp(v, "on") && strcmp(v, "off")) {
		snprintf(err, errlen, "%s=%s: expected on or off", k, v);
		return -1;
	}
	*out = !strcmp(v, "on");
	return 0;
}

static int take_chaos(void *vctx, const char *k, const char *v, char *err, size_t errlen)
{
	struct chaos *c = vctx;
	char *end;
	if (!strcmp(k, "max-down")) {
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < 0 || n > 1000) {
			snprintf(err, errlen, "max-down=%s: expected a whole number", v);
			return -1;
		}
		c->max_down = (int)n;
		return 0;
	}
	if (!strcmp(k, "interval"))
		return range(k, v, &c->every_lo, &c->every_hi, err, errlen);
	if (!strcmp(k, "down"))
		return range(k, v, &c->down_lo, &c->down_hi, err, errlen);
	if (!strcmp(k, "grace"))
		return range(k, v, &c->grace_lo, &c->grace_hi, err, errlen);
	if (!strcmp(k, "partition"))
		return range(k, v, &c->part_lo, &c->part_hi, err, errlen);
	if (!strcmp(k, "network"))
		return on_off(k, v, &c->network, err, errlen);
	if (!strcmp(k, "disk"))
		return on_off(k, v, &c->disk, err, errlen);
	if (!strcmp(k, "clocks"))
		return on_off(k, v, &c->clocks, err, errlen);
	if (!strcmp(k, "partitions"))
		return on_off(k, v, &c->partitions, err, errlen);
	if (!strcmp(k, "kinds")) { /* crash:2+graceful:1 */
		int w[K_NKINDS] = { 0 };
		char buf[128];
		snprintf(buf, sizeof buf, "%s", v);
		for (char *save = NULL, *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
			char *colon = strchr(t, ':');
			int weight = colon ? atoi(colon + 1) : 1;
			if (colon)
				*colon = 0;
			int i = 0;
			while (i < K_NKINDS && strcmp(t, fault_kind_names[i]))
				i++;
			if (i == K_NKINDS || weight < 0) {
				snprintf(err, errlen, "kinds=%s: expected KIND:WEIGHT+... with kinds "
					 "graceful, crash, wipe, pause, power", v);
				return -1;
			}
			w[i] = weight;
		}
		memcpy(c->weight, w, sizeof w);
		return 0;
	}
	snprintf(err, errlen, "unknown knob %s (max-down, interval, down, grace, kinds, "
		 "partitions, partition, clocks, network, disk)", k);
	return -1;
}

int fault_parse_chaos(const char *arg, struct chaos *c, char *err, size_t errlen)
{
	*c = (struct chaos){
		.on = true, .max_down = 1,
		.every_lo = 2000000000LL, .every_hi = 10000000000LL,
		.down_lo = 1000000000LL, .down_hi = 5000000000LL,
		.grace_lo = 1000000000LL, .grace_hi = 5000000000LL,
		.weight = { 1, 2, 1, 1 },
		.partitions = true,
		.clocks = true,
		.network = true,
		.part_lo = 1000000000LL, .part_hi = 5000000000LL,
	};
	char *spec = strdup(arg);
	int rc = *spec ? parse_kv(spec, "--chaos", arg, err, errlen, take_chaos, c) : 0;
	free(spec);
	return rc;
}

/* A refused spec is shown on one line (main.c), as cli.c's errors are:
 * control characters the argument brought in become '?'. */
static int refused(char *err)
{
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

int sup_faults_check(const struct sup_opts *o, char *err, size_t errlen)
{
	struct reboot r;
	struct partition p;
	struct chaos c;
	for (int i = 0; i < o->nreboots; i++)
		if (fault_parse_reboot(o->reboots[i], o->procs, &r, err, errlen) < 0)
			return refused(err);
	for (int i = 0; i < o->npartitions; i++)
		if (fault_parse_partition(o->partitions[i], o->procs, &p, err, errlen) < 0)
			return refused(err);
	if (o->chaos && fault_parse_chaos(o->chaos, &c, err, errlen) < 0)
		return refused(err);
	struct clockfault cf;
	for (int i = 0; i < o->nclocks; i++)
		if (fault_parse_clock(o->clocks[i], o->procs, &cf, err, errlen) < 0)
			return refused(err);
	struct netfault nf;
	for (int i = 0; i < o->nnetfaults; i++)
		if (fault_parse_netfault(o->netfaults[i], o->procs, &nf, err, errlen) < 0)
			return refused(err);
	struct sup_durability d;
	if (o->durability && sup_durability_parse(o->durability, &d, err, errlen) < 0)
		return refused(err);
	struct sup_disk_fault df;
	for (int i = 0; i < o->ndisks; i++)
		if (sup_disk_parse(o->disks[i], o->procs, &df, err, errlen) < 0)
			return refused(err);
	return 0;
}

/* Whether this run can lose power: --reboot kind=power, or power among the
 * chaos kinds.  Only then is storage tracked (storage.c). */
bool sup_faults_power_possible(const struct sup_opts *o)
{
	char err[256];
	struct reboot r;
	struct chaos c;
	for (int i = 0; i < o->nreboots; i++)
		if (fault_parse_reboot(o->reboots[i], o->procs, &r, err, sizeof err) == 0 && r.kind == K_POWER)
			return true;
	return o->chaos && fault_parse_chaos(o->chaos, &c, err, sizeof err) == 0 && c.weight[K_POWER] > 0;
}

