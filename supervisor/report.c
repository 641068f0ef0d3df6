/*
 * report.c — the words simsup ends with: the report of a failing run and
 * the summary of a sweep.
 *
 * A failing run's report is written to RUN_DIR/report.txt by the process
 * that ran it (a sweep's worker, or simsup itself for one seed), so that a
 * sweep's summary and anyone opening the run directory later see the same
 * text.  Everything here reads files the run left behind (trace, logs) or
 * the run's own records; nothing here changes a run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report.h"
#include "sup.h"

#define TRACE_TAIL 12   /* events shown before the end */
#define LOG_TAIL 10     /* lines of each log */
#define TAIL_BYTES 65536

/* ---- helpers ---- */

/* The last n complete lines of a file (at most TAIL_BYTES read), each
 * without its newline, oldest first.  Returns how many; free each. */
static int tail_lines(const char *path, char **lines, int n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	long from = size > TAIL_BYTES ? size - TAIL_BYTES : 0;
	fseek(f, from, SEEK_SET);
	char *buf = malloc(TAIL_BYTES + 1);
	size_t len = buf ? fread(buf, 1, TAIL_BYTES, f) : 0;
	fclose(f);
	if (!buf)
		return 0;
	buf[len] = 0;
	char *start = buf;
	if (from > 0) { /* the first line is cut: skip it */
		char *nl = strchr(buf, '\n');
		start = nl ? nl + 1 : buf + len;
	}
	int k = 0;
	for (char *save = NULL, *l = strtok_r(start, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (k == n) {
			free(lines[0]);
			memmove(lines, lines + 1, (size_t)(n - 1) * sizeof *lines);
			k--;
		}
		lines[k++] = strdup(l);
	}
	free(buf);
	return k;
}

static void print_event(FILE *f, const char *line)
{
	sup_report_event(f, line);
}

void sup_report_tail(FILE *f, const char *path, int n, const char *prefix)
{
	char *lines[64];
	int k = tail_lines(path, lines, n < 64 ? n : 64);
	for (int i = 0; i < k; i++) {
		fprintf(f, "%s%s\n", prefix, lines[i]);
		free(lines[i]);
	}
}

/* One trace event as a line for people: "  1.000123s p0 pid 100 tid 101 exit status=1". */
void sup_report_event(FILE *f, const char *line)
{
	json_object *o = json_tokener_parse(line);
	if (!o || !json_object_is_type(o, json_type_object)) {
		fprintf(f, "    %s\n", line);
		json_object_put(o);
		return;
	}
	json_object *v;
	int64_t t = json_object_object_get_ex(o, "t", &v) ? json_object_get_int64(v) : 0;
	fprintf(f, "    %12.6fs", t / 1e9);
	if (json_object_object_get_ex(o, "node", &v))
		fprintf(f, " %s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "pid", &v))
		fprintf(f, " pid %d", json_object_get_int(v));
	if (json_object_object_get_ex(o, "tid", &v))
		fprintf(f, " tid %d", json_object_get_int(v));
	if (json_object_object_get_ex(o, "ev", &v))
		fprintf(f, " %s", json_object_get_string(v));
	json_object_object_foreach(o, key, val) {
		if (!strcmp(key, "t") || !strcmp(key, "node") || !strcmp(key, "pid") ||
		    !strcmp(key, "tid") || !strcmp(key, "ev"))
			continue;
		if (json_object_is_type(val, json_type_string))
			fprintf(f, " %s=%s", key, json_object_get_string(val));
		else
			fprintf(f, " %s=%s", key, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	}
	fputc('\n', f);
	json_object_put(o);
}

void sup_exit_kind(const struct sup_run *R, const struct sup_proc *p, char *buf, size_t n)
{
	const char *who = p->node >= 0 ? "server" : "workload";
	if (p->crash_sig)
		snprintf(buf, n, "crash");
	else if (WIFSIGNALED(p->status))
		snprintf(buf, n, "%s killed by SIG%s", who,
			 sigabbrev_np(WTERMSIG(p->status)) ? sigabbrev_np(WTERMSIG(p->status)) : "?");
	else
		snprintf(buf, n, "%s exited %d", who, WEXITSTATUS(p->status));
}

/* ---- one run ---- */

static void report_events(const struct sup_run *R, FILE *f)
{
	char path[4096], *lines[TRACE_TAIL + 1];
	snprintf(path, sizeof path, "%s/trace.jsonl", R->run_dir);
	int k = tail_lines(path, lines, TRACE_TAIL + 1);
	int shown = k;
	if (k > 0 && strstr(lines[k - 1], "\"ev\":\"end\""))
		shown--; /* the end event restates the verdict */
	fprintf(f, "last events before the end (%s):\n", path);
	for (int i = 0; i < shown; i++)
		print_event(f, lines[i]);
	for (int i = 0; i < k; i++)
		free(lines[i]);
}

static void report_backtraces(const struct sup_run *R, FILE *f)
{
	char nb[16];
	for (int i = 0; i < R->nprocs; i++) {
		const struct sup_proc *p = R->procs[i];
		if (!p->backtrace)
			continue;
		if (p->crash_sig)
			fprintf(f, "backtrace of %s pid %d (%s), crashed with signal %d (%s):\n",
				sup_node_name(R, p->node, nb, sizeof nb), p->vpid, p->name, p->crash_sig,
				strsignal(p->crash_sig));
		else
			fprintf(f, "backtrace of %s pid %d (%s), stopped by the watchdog:\n",
				sup_node_name(R, p->node, nb, sizeof nb), p->vpid, p->name);
		for (const char *s = p->backtrace; *s;) {
			size_t l = strcspn(s, "\n");
			fprintf(f, "    %.*s\n", (int)l, s);
			s += l + (s[l] == '\n');
		}
	}
}

static void report_logs(const struct sup_run *R, FILE *f)
{
	for (int n = 0; n < R->nnodes; n++) {
		char nb[16], path[4096], *lines[LOG_TAIL];
		int node = n < R->o->procs ? n : -1 - (n - R->o->procs);
		sup_node_name(R, node, nb, sizeof nb);
		const char *ext[] = { "out", "err" };
		for (int e = 0; e < 2; e++) {
			snprintf(path, sizeof path, "%s/logs/%s.%s", R->run_dir, nb, ext[e]);
			int k = tail_lines(path, lines, LOG_TAIL);
			if (k == 0)
				continue;
			fprintf(f, "last lines of %s's std%s (%s):\n", nb, ext[e], path);
			for (int i = 0; i < k; i++) {
				fprintf(f, "    %s\n", lines[i]);
				free(lines[i]);
			}
		}
	}
}

void sup_report_run(const struct sup_run *R, FILE *f, int flags)
{
	fprintf(f, "failure: %s\n", R->why[0] ? R->why : "(no reason recorded)");
	fprintf(f, "kind: %s\n", R->kind[0] ? R->kind : "failed");
	fprintf(f, "seed %llu, at %.6fs of virtual time\n", (unsigned long long)R->seed, R->now / 1e9);
	report_events(R, f);
	if (flags & SUP_REPORT_BACKTRACES)
		report_backtraces(R, f);
	const char *faults = sup_faults_log((struct sup_run *)R);
	if (faults)
		fprintf(f, "faults before the failure:\n%s", faults);
	if (flags & SUP_REPORT_TAILS)
		report_logs(R, f);
}

/* ---- a sweep ---- */

char *sup_report_seed_dir(const struct sup_sweep_report *s, const struct sup_seed_result *r)
{
	char *d;
	if (s->single)
		return strdup(s->run_dir);
	if (asprintf(&d, "%s/seed-%llu", s->run_dir, (unsigned long long)r->seed) < 0)
		return NULL;
	return d;
}

struct kind_count {
	const char *kind;
	size_t count, first; /* first: index of its first seed in s->r */
};

static int by_count(const void *a, const void *b)
{
	const struct kind_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void report_kinds(const struct sup_sweep_report *s, FILE *f)
{
	struct kind_count *k = calloc(s->n, sizeof *k);
	size_t nk = 0;
	for (size_t i = 0; i < s->n && k; i++) {
		const struct sup_seed_result *r = &s->r[i];
		if (r->outcome != SUP_FAILED && r->outcome != SUP_ERROR)
			continue;
		const char *kind = r->kind ? r->kind : "failed";
		size_t j = 0;
		while (j < nk && strcmp(k[j].kind, kind))
			j++;
		if (j == nk)
			k[nk++] = (struct kind_count){ kind, 0, i };
		k[j].count++;
	}
	if (nk == 0) {
		free(k);
		return;
	}
	qsort(k, nk, sizeof *k, by_count);
	fprintf(f, "simsup: failures by kind:\n");
	for (size_t j = 0; j < nk; j++) {
		fprintf(f, "simsup:   %-26s %5zu  seed%s", k[j].kind, k[j].count, k[j].count > 1 ? "s" : "");
		size_t shown = 0;
		for (size_t i = k[j].first; i < s->n && shown < 20; i++) {
			const struct sup_seed_result *r = &s->r[i];
			if ((r->outcome == SUP_FAILED || r->outcome == SUP_ERROR) &&
			    !strcmp(r->kind ? r->kind : "failed", k[j].kind)) {
				fprintf(f, "%s%llu", shown ? ", " : " ", (unsigned long long)r->seed);
				shown++;
			}
		}
		fprintf(f, "%s\n", k[j].count > shown ? ", ..." : "");
	}
	free(k);
}

int sup_report_families(const struct sup_sweep_report *s, struct sup_family_row *rows)
{
	int chaos = 0;
	for (int k = 0; k < SUP_NFAMILIES; k++)
		rows[k] = (struct sup_family_row){ .name = sup_family_names[k] };
	for (size_t i = 0; i < s->n; i++) {
		const struct sup_seed_result *r = &s->r[i];
		if (!r->chaos || (r->outcome != SUP_PASSED && r->outcome != SUP_FAILED))
			continue;
		chaos++;
		for (int k = 0; k < SUP_NFAMILIES; k++) {
			bool on = r->families >> k & 1;
			rows[k].on += on;
			if (r->outcome == SUP_FAILED) {
				rows[k].failed_on += on;
				rows[k].failed_off += !on;
			}
		}
	}
	if (!chaos)
		return 0;
	/* a family no seed had on says nothing: leave it out */
	int n = 0;
	for (int k = 0; k < SUP_NFAMILIES; k++)
		if (rows[k].on)
			rows[n++] = rows[k];
	return n;
}

/* Which fault families the failures had on: a family every failure had,
 * and no failure lacked, is marked. */
static void report_families(const struct sup_sweep_report *s, FILE *f)
{
	struct sup_family_row rows[SUP_NFAMILIES];
	int n = sup_report_families(s, rows);
	size_t failed = 0;
	for (size_t i = 0; i < s->n; i++)
		failed += s->r[i].chaos && s->r[i].outcome == SUP_FAILED;
	if (!n || !failed)
		return;
	fprintf(f, "simsup: fault families (swarm testing turns some off in each seed):\n");
	fprintf(f, "simsup:   %-12s %8s %8s %14s\n", "family", "seeds on", "failed", "failed without");
	for (int k = 0; k < n; k++)
		fprintf(f, "simsup:   %-12s %8zu %8zu %14zu%s\n", rows[k].name, rows[k].on, rows[k].failed_on,
			rows[k].failed_off, rows[k].failed_on && !rows[k].failed_off ? "  <- every failure had it" : "");
}

int sup_summary_write(const struct sup_sweep_report *s, const char *path, char *err, size_t errlen)
{
	json_object *root = json_object_new_object(), *fails = json_object_new_array();
	size_t passed = 0, failed = 0, errors = 0, stopped = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct sup_seed_result *r = &s->r[i];
		passed += r->outcome == SUP_PASSED;
		failed += r->outcome == SUP_FAILED;
		errors += r->outcome == SUP_ERROR;
		stopped += r->outcome == SUP_STOPPED;
		if (r->outcome != SUP_FAILED && r->outcome != SUP_ERROR)
			continue;
		json_object *o = json_object_new_object();
		char *cmd = sup_cli_replay(s->argc, s->argv, r->seed);
		json_object_object_add(o, "seed", json_object_new_uint64(r->seed));
		json_object_object_add(o, "kind", json_object_new_string(r->kind ? r->kind : ""));
		json_object_object_add(o, "why", json_object_new_string(r->why ? r->why : ""));
		json_object_object_add(o, "hash", json_object_new_string(r->hash));
		json_object_object_add(o, "replay", json_object_new_string(cmd ? cmd : ""));
		free(cmd);
		json_object_array_add(fails, o);
	}
	json_object_object_add(root, "seeds", json_object_new_uint64(s->total));
	json_object_object_add(root, "passed", json_object_new_uint64(passed));
	json_object_object_add(root, "failed", json_object_new_uint64(failed));
	json_object_object_add(root, "setup_errors", json_object_new_uint64(errors));
	json_object_object_add(root, "stopped", json_object_new_uint64(stopped));
	if (s->stopped)
		json_object_object_add(root, "stopped_why", json_object_new_string(s->stopped));
	json_object_object_add(root, "failures", fails);
	struct sup_family_row rows[SUP_NFAMILIES];
	int n = sup_report_families(s, rows);
	json_object *fam = json_object_new_array();
	for (int k = 0; k < n; k++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "family", json_object_new_string(rows[k].name));
		json_object_object_add(o, "seeds_on", json_object_new_uint64(rows[k].on));
		json_object_object_add(o, "failed_on", json_object_new_uint64(rows[k].failed_on));
		json_object_object_add(o, "failed_without", json_object_new_uint64(rows[k].failed_off));
		json_object_array_add(fam, o);
	}
	json_object_object_add(root, "families", fam);
	int rc = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	if (rc < 0) {
		snprintf(err, errlen, "--summary: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void print_file(FILE *f, const char *path, const char *indent)
{
	FILE *in = fopen(path, "r");
	char line[4096];
	if (!in)
		return;
	while (fgets(line, sizeof line, in))
		fprintf(f, "%s%s%s", indent, line, line[strlen(line) - 1] == '\n' ? "" : "\n");
	fclose(in);
}

void sup_report_sweep(const struct sup_sweep_report *s, FILE *f)
{
	size_t passed = 0, failed = 0, errors = 0, stopped = 0;
	int64_t virt = 0;
	const struct sup_seed_result *first = NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct sup_seed_result *r = &s->r[i];
		passed += r->outcome == SUP_PASSED;
		failed += r->outcome == SUP_FAILED;
		errors += r->outcome == SUP_ERROR;
		stopped += r->outcome == SUP_STOPPED;
		virt += r->virtual_ns;
		if (!first && r->outcome == SUP_FAILED)
			first = r;
	}
	if (s->o->verbosity < 0 && failed + errors == 0 && !s->stopped)
		return; /* -q: only what went wrong */
	double wall = s->wall_ns / 1e9;
	fprintf(f, "simsup: %zu of %llu seeds run in %.1fs (%.1fs virtual, %.0f virtual s per wall s): "
		"%zu passed, %zu failed", s->n - stopped, (unsigned long long)s->total, wall, virt / 1e9,
		wall > 0 ? virt / 1e9 / wall : 0.0, passed, failed);
	if (errors)
		fprintf(f, ", %zu setup errors", errors);
	fputc('\n', f);
	if (s->stopped)
		fprintf(f, "simsup: stopped early (%s): %zu runs cut short, %llu seeds not started\n",
			s->stopped, stopped, (unsigned long long)(s->total - s->n));
	report_kinds(s, f);
	report_families(s, f);
	for (size_t i = 0; i < s->n; i++) {
		const struct sup_seed_result *r = &s->r[i];
		if (r->outcome != SUP_FAILED)
			continue;
		char *cmd = sup_cli_replay(s->argc, s->argv, r->seed);
		fprintf(f, "simsup: replay with: %s\n", cmd ? cmd : "?");
		free(cmd);
	}
	if (first) {
		char *dir = sup_report_seed_dir(s, first), path[4096];
		fprintf(f, "simsup: the first failing seed, %llu, in detail (its run dir %s):\n",
			(unsigned long long)first->seed, dir);
		snprintf(path, sizeof path, "%s/report.txt", dir);
		print_file(f, path, "  ");
		free(dir);
	}
	if (failed + errors && !s->single)
		fprintf(f, "simsup: the run dirs of failing seeds are kept in %s\n", s->run_dir);
}
