/*
 * timeline.c — the run as Chrome trace-event JSON (--timeline FILE).
 *
 * Format: the JSON object form of the Trace Event Format ({"traceEvents":
 * [...], "displayTimeUnit": "ns"}), timestamps in microseconds of virtual
 * time with three decimals (nanoseconds).  Tracks ("pid" in the format):
 *   1            the simulation: run-wide instants (run, end, time-limit)
 *   2 + k        node k (servers, then workloads): "up" and "down" spans
 *   10000 + i    simulated process i, one thread track ("tid" = virtual
 *                tid) per thread: "running" spans for each turn, a span
 *                named after the wait between turns, instants for events
 * Network messages: each node track has a "network" thread with a
 * zero-length slice for every TCP chunk sent (net-send) and delivered
 * (net-deliver), joined by a flow arrow per chunk; the nodes of a
 * connection come from its net-connect event.  Besides, a trace event with
 * "flow_out": ID starts a flow on its thread (inside one of its turns) and
 * one with "flow_in": ID ends it at the receiver's next turn.
 *
 * Only this file and the turn hook see the records; the trace and its hash
 * never depend on --timeline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup.h"
#include "timeline.h"

/* A turn is 32 bytes: 2M turns are 64 MB, far more than a timeline viewer
 * shows with any comfort; past that the timeline says it was cut. */
#define TL_MAX_TURNS 2000000

struct tl_turn {
	int32_t node, vpid, vtid, state;
	int64_t start, end;
};

struct sup_timeline {
	struct tl_turn *v;
	size_t n, cap;
	bool truncated;
};

struct tl_thread {
	int vtid;
	bool turned;       /* had a turn */
	int last_state;    /* state it parked in after its last turn */
	int64_t last_end;
};

struct tl_proc {
	int node, vpid, track;
	char name[64];
	bool ended;
	int64_t end;
	struct tl_thread *th;
	int nth;
};

struct tl {
	struct sup_run *R;
	FILE *f;
	bool first;
	struct tl_proc *p;
	int np;
};

int sup_timeline_start(struct sup_run *R)
{
	R->timeline = calloc(1, sizeof *R->timeline);
	return R->timeline ? 0 : -ENOMEM;
}

void sup_timeline_turn(struct sup_run *R, const struct sup_thread *t, int64_t start)
{
	struct sup_timeline *T = R->timeline;
	if (!T)
		return;
	if (T->n == T->cap) {
		size_t cap = T->cap ? 2 * T->cap : 4096;
		struct tl_turn *v = cap <= TL_MAX_TURNS ? realloc(T->v, cap * sizeof *v) : NULL;
		if (!v) {
			T->truncated = true;
			return;
		}
		T->v = v;
		T->cap = cap;
	}
	T->v[T->n++] = (struct tl_turn){ t->proc->node, t->proc->vpid, t->vtid, (int)t->state, start,
					 R->now };
}

void sup_timeline_free(struct sup_run *R)
{
	if (!R->timeline)
		return;
	free(R->timeline->v);
	free(R->timeline);
	R->timeline = NULL;
}

/* ---- writing ---- */

static const char *wait_name(int state)
{
	switch (state) {
	case T_RUNNABLE: return "ready";
	case T_HELLO: return "starting";
	case T_FORKING: return "forking";
	case T_SLEEP: return "sleep";
	case T_POLL: return "wait: fd (poll, read, epoll)";
	case T_FUTEX: return "wait: futex";
	case T_WAITCHILD: return "wait: child";
	case T_SIGWAIT: return "wait: signal";
	default: return "waiting";
	}
}

static bool fault_kind(const char *ev)
{
	static const char *const faults[] = { "crash", "killed", "watchdog", "deadlocked", "refused",
					      "time-limit", "reboot", "partition", "heal", "clog",
					      "fault", "reset", "power-loss", "disk" };
	for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
		if (!strncmp(ev, faults[i], strlen(faults[i])))
			return true;
	return false;
}

/* "p3" -> 3, "w1" -> -2, else -1000 */
static int parse_node(const char *s)
{
	if (!s || (s[0] != 'p' && s[0] != 'w'))
		return -1000;
	int k = atoi(s + 1);
	return s[0] == 'p' ? k : -1 - k;
}

static int node_order(const struct sup_run *R, int node)
{
	return node >= 0 ? node : R->o->procs + (-1 - node);
}

static json_object *ts(int64_t ns)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
	return json_object_new_double_s((double)ns / 1000.0, buf);
}

static void put(struct tl *w, json_object *o)
{
	fputs(w->first ? "\n" : ",\n", w->f);
	w->first = false;
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	      w->f);
	json_object_put(o);
}

static json_object *event(const char *name, const char *cat, const char *ph, int pid, int tid)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	if (cat)
		json_object_object_add(o, "cat", json_object_new_string(cat));
	json_object_object_add(o, "ph", json_object_new_string(ph));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "tid", json_object_new_int(tid));
	return o;
}

static void meta(struct tl *w, const char *what, int pid, int tid, const char *key, json_object *val)
{
	json_object *o = event(what, NULL, "M", pid, tid);
	json_object *args = json_object_new_object();
	json_object_object_add(args, key, val);
	json_object_object_add(o, "args", args);
	put(w, o);
}

static void span(struct tl *w, const char *name, const char *cat, int pid, int tid, int64_t from,
		 int64_t to)
{
	json_object *o = event(name, cat, "X", pid, tid);
	json_object_object_add(o, "ts", ts(from));
	json_object_object_add(o, "dur", ts(to - from));
	put(w, o);
}

static struct tl_proc *proc_get(struct tl *w, int node, int vpid)
{
	for (int i = 0; i < w->np; i++)
		if (w->p[i].node == node && w->p[i].vpid == vpid)
			return &w->p[i];
	struct tl_proc *np = realloc(w->p, (size_t)(w->np + 1) * sizeof *np);
	if (!np)
		return NULL;
	w->p = np;
	struct tl_proc *p = &w->p[w->np];
	memset(p, 0, sizeof *p);
	p->node = node;
	p->vpid = vpid;
	p->track = 10000 + w->np++;
	return p;
}

static struct tl_thread *thread_get(struct tl_proc *p, int vtid)
{
	for (int i = 0; i < p->nth; i++)
		if (p->th[i].vtid == vtid)
			return &p->th[i];
	struct tl_thread *nt = realloc(p->th, (size_t)(p->nth + 1) * sizeof *nt);
	if (!nt)
		return NULL;
	p->th = nt;
	memset(&p->th[p->nth], 0, sizeof *nt);
	p->th[p->nth].vtid = vtid;
	return &p->th[p->nth++];
}

/* Reads the trace into an array of parsed events. */
static json_object **read_trace(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	json_object **ev = NULL;
	size_t cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	*n = 0;
	if (!f)
		return NULL;
	while (getline(&line, &lcap, f) > 0) {
		json_object *o = json_tokener_parse(line);
		if (!o)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			json_object **ne = realloc(ev, cap * sizeof *ne);
			if (!ne) {
				json_object_put(o);
				break;
			}
			ev = ne;
		}
		ev[(*n)++] = o;
	}
	free(line);
	fclose(f);
	return ev;
}

static int64_t get_i64(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : dflt;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* Learns processes, names and ends from the trace. */
static void scan_trace(struct tl *w, json_object **ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *node = get_str(ev[i], "node"), *kind = get_str(ev[i], "ev");
		int64_t pid = get_i64(ev[i], "pid", -1);
		if (!node || pid < 0)
			continue;
		struct tl_proc *p = proc_get(w, parse_node(node), (int)pid);
		if (!p)
			continue;
		int64_t tid = get_i64(ev[i], "tid", -1);
		thread_get(p, tid > 0 ? (int)tid : p->vpid);
		if (kind && !strcmp(kind, "thread") && get_i64(ev[i], "new", -1) > 0)
			thread_get(p, (int)get_i64(ev[i], "new", 0));
		if (kind && !strcmp(kind, "fork") && get_i64(ev[i], "child", -1) > 0) {
			/* a forked child runs its parent's program until it execs */
			char name[64];
			snprintf(name, sizeof name, "%s", p->name);
			struct tl_proc *c = proc_get(w, p->node, (int)get_i64(ev[i], "child", 0));
			if (c && !c->name[0])
				snprintf(c->name, sizeof c->name, "%s", name);
			continue; /* p may have moved */
		}
		if (kind && !strcmp(kind, "start"))
			snprintf(p->name, sizeof p->name, "%s", get_str(ev[i], "program") ?: "");
		if (kind && (!strcmp(kind, "exit") || !strcmp(kind, "killed"))) {
			p->ended = true;
			p->end = get_i64(ev[i], "t", 0);
		}
	}
}

static void write_meta(struct tl *w)
{
	struct sup_run *R = w->R;
	char name[160], ip[16], nb[16];
	meta(w, "process_name", 1, 0, "name", json_object_new_string("simulation"));
	meta(w, "process_sort_index", 1, 0, "sort_index", json_object_new_int(0));
	for (int k = 0; k < R->nnodes; k++) {
		int node = k < R->o->procs ? k : -1 - (k - R->o->procs);
		sup_ip_str(node >= 0 ? sup_server_ip(node) : sup_workload_ip(-1 - node), ip, sizeof ip);
		snprintf(name, sizeof name, "node %s %s", sup_node_name(R, node, nb, sizeof nb), ip);
		meta(w, "process_name", 2 + k, 0, "name", json_object_new_string(name));
		meta(w, "process_sort_index", 2 + k, 0, "sort_index", json_object_new_int(1 + k * 10000));
		meta(w, "thread_name", 2 + k, 1, "name", json_object_new_string("up/down"));
		meta(w, "thread_name", 2 + k, 2, "name", json_object_new_string("network"));
	}
	for (int i = 0; i < w->np; i++) {
		struct tl_proc *p = &w->p[i];
		snprintf(name, sizeof name, "%s pid %d%s%s%s", sup_node_name(R, p->node, nb, sizeof nb),
			 p->vpid, p->name[0] ? " (" : "", p->name, p->name[0] ? ")" : "");
		meta(w, "process_name", p->track, 0, "name", json_object_new_string(name));
		meta(w, "process_sort_index", p->track, 0, "sort_index",
		     json_object_new_int(2 + node_order(R, p->node) * 10000 + i));
		for (int j = 0; j < p->nth; j++) {
			snprintf(name, sizeof name, "%s %d", p->th[j].vtid == p->vpid ? "main, tid" : "tid",
				 p->th[j].vtid);
			meta(w, "thread_name", p->track, p->th[j].vtid, "name", json_object_new_string(name));
		}
	}
}

static void write_turns(struct tl *w)
{
	struct sup_timeline *T = w->R->timeline;
	for (size_t i = 0; T && i < T->n; i++) {
		const struct tl_turn *u = &T->v[i];
		struct tl_proc *p = proc_get(w, u->node, u->vpid);
		struct tl_thread *th = p ? thread_get(p, u->vtid) : NULL;
		if (!th)
			continue;
		if (th->turned && u->start > th->last_end)
			span(w, wait_name(th->last_state), "wait", p->track, u->vtid, th->last_end, u->start);
		span(w, "running", "turn", p->track, u->vtid, u->start, u->end);
		th->turned = true;
		th->last_state = u->state;
		th->last_end = u->end;
	}
	/* each thread's last wait lasts until its process ended, or the run did */
	for (int i = 0; i < w->np; i++) {
		struct tl_proc *p = &w->p[i];
		int64_t end = p->ended ? p->end : w->R->now;
		for (int j = 0; j < p->nth; j++) {
			struct tl_thread *th = &p->th[j];
			if (th->turned && th->last_state != T_DEAD && end > th->last_end)
				span(w, wait_name(th->last_state), "wait", p->track, th->vtid, th->last_end, end);
		}
	}
}

static void write_instants(struct tl *w, json_object **ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *node = get_str(ev[i], "node"), *kind = get_str(ev[i], "ev");
		int64_t t = get_i64(ev[i], "t", 0), pid = get_i64(ev[i], "pid", -1);
		struct tl_proc *p = node && pid >= 0 ? proc_get(w, parse_node(node), (int)pid) : NULL;
		int k = node && !p ? node_order(w->R, parse_node(node)) : -1;
		bool on_node = k >= 0 && k < w->R->nnodes; /* a fault of a node: its track */
		int track = p ? p->track : on_node ? 2 + k : 1;
		int tid = p ? (int)get_i64(ev[i], "tid", p->vpid) : on_node ? 1 : 0;
		char name[96];
		const char *sub = get_str(ev[i], "kind");
		snprintf(name, sizeof name, "%s%s%s", kind ? kind : "event", sub ? ": " : "", sub ? sub : "");
		json_object *o = event(name, kind && fault_kind(kind) ? "fault" : "event", "i", track, tid);
		json_object_object_add(o, "ts", ts(t));
		json_object_object_add(o, "s", json_object_new_string(p || on_node ? "t" : "g"));
		json_object *args = json_object_new_object();
		json_object_object_foreach(ev[i], key, val) {
			if (strcmp(key, "t") && strcmp(key, "ev"))
				json_object_object_add(args, key, json_object_get(val));
		}
		json_object_object_add(o, "args", args);
		put(w, o);
		const char *dir[2] = { "flow_out", "flow_in" };
		for (int d = 0; d < 2 && p; d++) {
			int64_t id = get_i64(ev[i], dir[d], -1);
			if (id < 0)
				continue;
			json_object *fl = event("message", "net", d ? "f" : "s", track, tid);
			json_object_object_add(fl, "ts", ts(t));
			json_object_object_add(fl, "id", json_object_new_int64(id));
			put(w, fl);
		}
	}
}

/* ---- network messages ---- */

struct tl_chunk {
	int64_t id, left;
	bool ended;
};

struct tl_conn {
	int node[2];             /* node order (track 2 + k) of each side, -1 unknown */
	struct tl_chunk *q[2];   /* chunks in flight from side d, oldest first */
	int head[2], n[2], cap[2];
};

/* "10.0.1.3:7000" -> node order of its host, or -1 */
static int addr_node(const struct sup_run *R, const char *addr)
{
	unsigned a, b, c, d;
	if (!addr || sscanf(addr, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a != 10 || b != 0)
		return -1;
	uint32_t ip = (uint32_t)(a << 24 | b << 16 | c << 8 | d);
	for (int k = 0; k < R->nnodes; k++) {
		int node = k < R->o->procs ? k : -1 - (k - R->o->procs);
		if ((node >= 0 ? sup_server_ip(node) : sup_workload_ip(-1 - node)) == ip)
			return k;
	}
	return -1;
}

static struct tl_conn *conn_get(struct tl_conn **v, int64_t *n, int64_t id)
{
	if (id <= 0 || id > 10000000)
		return NULL;
	if (id > *n) {
		struct tl_conn *nv = realloc(*v, (size_t)id * sizeof *nv);
		if (!nv)
			return NULL;
		for (int64_t i = *n; i < id; i++)
			nv[i] = (struct tl_conn){ .node = { -1, -1 } };
		*v = nv;
		*n = id;
	}
	return &(*v)[id - 1];
}

static void net_slice(struct tl *w, const char *name, int k, int64_t t, json_object *args)
{
	json_object *o = event(name, "net", "X", 2 + k, 2);
	json_object_object_add(o, "ts", ts(t));
	json_object_object_add(o, "dur", ts(0));
	json_object_object_add(o, "args", args);
	put(w, o);
}

static void net_flow(struct tl *w, const char *ph, int k, int64_t t, int64_t id)
{
	json_object *o = event("message", "net", ph, 2 + k, 2);
	json_object_object_add(o, "ts", ts(t));
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "bp", json_object_new_string("e"));
	put(w, o);
}

static json_object *conn_args(int64_t conn, int64_t bytes)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "conn", json_object_new_int64(conn));
	if (bytes >= 0)
		json_object_object_add(a, "bytes", json_object_new_int64(bytes));
	return a;
}

static void net_send(struct tl *w, struct tl_conn *c, int d, int64_t t, int64_t conn, int64_t bytes,
		     int64_t *flow)
{
	if (d < 0 || d > 1 || c->node[d] < 0)
		return;
	char name[48];
	snprintf(name, sizeof name, "send %lld B", (long long)bytes);
	net_slice(w, name, c->node[d], t, conn_args(conn, bytes));
	if (c->n[d] == c->cap[d]) {
		int cap = c->cap[d] ? 2 * c->cap[d] : 8;
		struct tl_chunk *q = realloc(c->q[d], (size_t)cap * sizeof *q);
		if (!q)
			return;
		c->q[d] = q;
		c->cap[d] = cap;
	}
	if (c->head[d] + c->n[d] == c->cap[d]) { /* slide to the front */
		memmove(c->q[d], c->q[d] + c->head[d], (size_t)c->n[d] * sizeof *c->q[d]);
		c->head[d] = 0;
	}
	c->q[d][c->head[d] + c->n[d]++] = (struct tl_chunk){ ++*flow, bytes, false };
	net_flow(w, "s", c->node[d], t, *flow);
}

/* Bytes of direction d delivered: each chunk's arrow ends at the delivery
 * of its first byte. */
static void net_deliver(struct tl *w, struct tl_conn *c, int d, int64_t t, int64_t conn,
			int64_t bytes)
{
	int to = 1 - d;
	if (d < 0 || d > 1 || c->node[to] < 0)
		return;
	char name[48];
	snprintf(name, sizeof name, "deliver %lld B", (long long)bytes);
	net_slice(w, name, c->node[to], t, conn_args(conn, bytes));
	while (bytes > 0 && c->n[d] > 0) {
		struct tl_chunk *ch = &c->q[d][c->head[d]];
		if (!ch->ended) {
			net_flow(w, "f", c->node[to], t, ch->id);
			ch->ended = true;
		}
		int64_t take = bytes < ch->left ? bytes : ch->left;
		ch->left -= take;
		bytes -= take;
		if (ch->left == 0) {
			c->head[d]++;
			c->n[d]--;
		}
	}
}

static void write_net(struct tl *w, json_object **ev, size_t n)
{
	struct sup_run *R = w->R;
	struct tl_conn *conns = NULL;
	int64_t nconns = 0, flow = 0;
	for (size_t i = 0; i < n; i++) {
		const char *kind = get_str(ev[i], "ev");
		if (!kind || strncmp(kind, "net-", 4))
			continue;
		int64_t t = get_i64(ev[i], "t", 0), id = get_i64(ev[i], "conn", -1);
		struct tl_conn *c = conn_get(&conns, &nconns, id);
		if (!c)
			continue;
		if (!strcmp(kind, "net-connect")) {
			int k = node_order(R, parse_node(get_str(ev[i], "node")));
			c->node[0] = k >= 0 && k < R->nnodes ? k : -1;
			c->node[1] = addr_node(R, get_str(ev[i], "to"));
		} else if (!strcmp(kind, "net-accept")) {
			int k = node_order(R, parse_node(get_str(ev[i], "node")));
			if (k >= 0 && k < R->nnodes)
				c->node[1] = k;
		} else if (!strcmp(kind, "net-send")) {
			net_send(w, c, (int)get_i64(ev[i], "from", -1), t, id, get_i64(ev[i], "bytes", 0),
				 &flow);
		} else if (!strcmp(kind, "net-deliver")) {
			net_deliver(w, c, 1 - (int)get_i64(ev[i], "to", -1), t, id,
				    get_i64(ev[i], "bytes", 0));
		}
	}
	for (int64_t i = 0; i < nconns; i++) {
		free(conns[i].q[0]);
		free(conns[i].q[1]);
	}
	free(conns);
}

/* A node is up while any of its processes is alive, down in between. */
static void write_nodes(struct tl *w, json_object **ev, size_t n)
{
	struct sup_run *R = w->R;
	int nn = R->nnodes;
	int *live = calloc((size_t)nn, sizeof *live), *boot = calloc((size_t)nn, sizeof *boot);
	int64_t *since = calloc((size_t)nn, sizeof *since);
	bool *seen = calloc((size_t)w->np + 1, 1);
	char name[32];
	for (size_t i = 0; live && boot && since && seen && i < n; i++) {
		const char *node = get_str(ev[i], "node"), *kind = get_str(ev[i], "ev");
		int64_t t = get_i64(ev[i], "t", 0), pid = get_i64(ev[i], "pid", -1);
		if (!node || pid < 0 || !kind)
			continue;
		int nd = parse_node(node), k = node_order(R, nd);
		struct tl_proc *p = proc_get(w, nd, (int)pid);
		if (k < 0 || k >= nn || !p || p - w->p >= w->np)
			continue;
		if (!seen[p - w->p]) {
			seen[p - w->p] = true;
			if (live[k]++ == 0) {
				if (boot[k] > 0 && t > since[k])
					span(w, "down", "node", 2 + k, 1, since[k], t);
				since[k] = t;
				boot[k]++;
			}
		}
		if ((!strcmp(kind, "exit") || !strcmp(kind, "killed")) && --live[k] == 0) {
			snprintf(name, sizeof name, "up (boot %d)", boot[k]);
			span(w, name, "node", 2 + k, 1, since[k], t);
			since[k] = t;
		}
	}
	for (int k = 0; live && boot && since && k < nn; k++) {
		if (boot[k] == 0 || R->now <= since[k])
			continue;
		snprintf(name, sizeof name, "up (boot %d)", boot[k]);
		span(w, live[k] > 0 ? name : "down", "node", 2 + k, 1, since[k], R->now);
	}
	free(live);
	free(boot);
	free(since);
	free(seen);
}

int sup_timeline_write(struct sup_run *R, const char *trace_path, const char *out, char *err,
		       size_t errlen)
{
	struct tl w = { .R = R, .first = true };
	size_t n = 0;
	json_object **ev = read_trace(trace_path, &n);
	w.f = fopen(out, "w");
	if (!w.f) {
		snprintf(err, errlen, "--timeline: cannot write %s: %s", out, strerror(errno));
		for (size_t i = 0; i < n; i++)
			json_object_put(ev[i]);
		free(ev);
		return -1;
	}
	scan_trace(&w, ev, n);
	struct sup_timeline *T = R->timeline;
	for (size_t i = 0; T && i < T->n; i++) { /* threads that made no trace event */
		struct tl_proc *p = proc_get(&w, T->v[i].node, T->v[i].vpid);
		if (p)
			thread_get(p, T->v[i].vtid);
	}
	fputs("{\"traceEvents\":[", w.f);
	write_meta(&w);
	write_nodes(&w, ev, n);
	write_turns(&w);
	write_instants(&w, ev, n);
	write_net(&w, ev, n);
	fprintf(w.f, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"seed\":\"%llu\","
		"\"clock\":\"virtual\",\"truncated\":%s}}\n", (unsigned long long)R->seed,
		T && T->truncated ? "true" : "false");
	int bad = ferror(w.f);
	if (fclose(w.f) != 0 || bad) {
		snprintf(err, errlen, "--timeline: cannot write %s", out);
		bad = 1;
	}
	for (size_t i = 0; i < n; i++)
		json_object_put(ev[i]);
	free(ev);
	for (int i = 0; i < w.np; i++)
		free(w.p[i].th);
	free(w.p);
	return bad ? -1 : 0;
}
