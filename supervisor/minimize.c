/*
 * minimize.c — --minimize: from a failing seed to the smallest command that
 * fails the same way (docs/faults.md, "Minimizing a failure").
 *
 * 1. The failing run is run again; every fault that took effect was written
 *    to its RUN_DIR/faults.args as the explicit option that makes it again
 *    (faults.c), chaos-drawn ones included, each with the random values it
 *    used (a partition's split, a power loss's rollback stream).
 * 2. The same seed with those options instead of --chaos must fail the same
 *    way: the same kind of failure (report.h), from the same process, and
 *    the --minimize=match: line in its output.
 * 3. Delta debugging (Zeller's ddmin) removes faults while the failure
 *    stays; then each remaining fault's length (down=, for=) is halved and
 *    its start moved later while it does; then --preempt is dropped.
 * 4. The result runs twice more: both runs must fail the same way with the
 *    same trace hash before it is printed, with the story of the run.
 *
 * Every candidate is one `simsup --seed S` run in a child process (-j of
 * them at once), in RUN_DIR/try-N, removed unless it is kept as the
 * original or the minimal run.  A batch of candidates is judged in list
 * order whatever finishes first, so -j changes the speed, not the result.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <json-c/json.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "junit.h"
#include "minimize.h"
#include "report.h"
#include "sup.h"
#include "sweep.h"

#define MAX_FAULTS 512
#define M_MAX_STORY_SERVERS 16

struct fault {
	char opt[16];            /* "--reboot" */
	char spec[256];          /* "at=...,proc=1,kind=crash,down=2s" */
};

struct cand {
	struct fault f[MAX_FAULTS];
	int n;
	int preempt;
	bool original;           /* the command line as given (--chaos and all) */
	bool timeline;           /* write RUN_DIR/timeline.json */
};

struct outcome {
	int status;              /* 0 pass, 1 fail, 2 setup error, -1 could not run */
	struct sup_result res;
	bool matched;            /* the match: text was in its output */
};

struct min {
	const struct sup_min_args *a;
	const struct sup_opts *o;
	char *dir;
	bool made_dir;
	int jobs;
	int sigfd;               /* SIGCHLD, and the signals that stop the search */
	int runs;                /* candidates run so far */
	int64_t t0;
	bool out_of_budget, interrupted;
	char kind[64], who[16];  /* the failure to keep */
	int64_t fail_ns;         /* when the current best fails (virtual) */
};

static int64_t wall_now(void)
{
	struct timespec ts;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(const struct min *M, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct min *M, const char *fmt, ...)
{
	if (M->o->verbosity < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "simsup: minimize: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the faults of a candidate as options ---- */

static int64_t spec_dur(const char *spec, const char *key)
{
	char k[24];
	snprintf(k, sizeof k, "%s=", key);
	for (const char *p = spec; (p = strstr(p, k)); p++)
		if (p == spec || p[-1] == ',') {
			char v[40];
			size_t l = strcspn(p + strlen(k), ",");
			if (l >= sizeof v)
				return -1;
			memcpy(v, p + strlen(k), l);
			v[l] = 0;
			int64_t ns;
			return sup_parse_duration(v, &ns) == 0 ? ns : -1;
		}
	return -1;
}

/* spec with KEY's value replaced by ns; 0 | -1 (no such key, too long) */
static int spec_set(char *spec, size_t n, const char *key, int64_t ns)
{
	char k[24], v[40], out[256];
	snprintf(k, sizeof k, "%s=", key);
	for (char *p = spec; (p = strstr(p, k)); p++)
		if (p == spec || p[-1] == ',') {
			char *end = p + strlen(k) + strcspn(p + strlen(k), ",");
			if ((size_t)snprintf(out, sizeof out, "%.*s%s%s", (int)(p - spec + (int)strlen(k)), spec,
					     sup_fmt_duration(ns, v, sizeof v), end) >= sizeof out || strlen(out) >= n)
				return -1;
			snprintf(spec, n, "%s", out);
			return 0;
		}
	return -1;
}

static int by_time(const void *x, const void *y)
{
	int64_t a = spec_dur(((const struct fault *)x)->spec, "at");
	int64_t b = spec_dur(((const struct fault *)y)->spec, "at");
	return a < b ? -1 : a > b;
}

/* RUN_DIR/faults.args into c (sorted by time, stable).  0 | -1. */
static int read_faults(const char *dir, struct cand *c)
{
	char path[4300], line[512];
	snprintf(path, sizeof path, "%s/faults.args", dir);
	c->n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof line, f) && c->n < MAX_FAULTS) {
		line[strcspn(line, "\n")] = 0;
		char *sp = strchr(line, ' ');
		if (!sp || sp - line >= (long)sizeof c->f[0].opt || strlen(sp + 1) >= sizeof c->f[0].spec)
			continue;
		*sp = 0;
		snprintf(c->f[c->n].opt, sizeof c->f[0].opt, "%.15s", line);
		snprintf(c->f[c->n].spec, sizeof c->f[0].spec, "%s", sp + 1);
		c->n++;
	}
	fclose(f);
	/* insertion sort: stable, and the lists are short */
	for (int i = 1; i < c->n; i++)
		for (int j = i; j > 0 && by_time(&c->f[j - 1], &c->f[j]) > 0; j--) {
			struct fault t = c->f[j];
			c->f[j] = c->f[j - 1];
			c->f[j - 1] = t;
		}
	return 0;
}

/* The options of candidate c in o's place: the same command line without
 * its fault options, with c's. */
static void cand_opts(const struct min *M, const struct cand *c, struct sup_opts *o, char **lists[5])
{
	static const char *const opts[5] = { "--reboot", "--partition", "--clock", "--disk", "--net-fault" };
	char ***dst[5] = { &o->reboots, &o->partitions, &o->clocks, &o->disks, &o->netfaults };
	int *cnt[5] = { &o->nreboots, &o->npartitions, &o->nclocks, &o->ndisks, &o->nnetfaults };
	*o = *M->o;
	o->verbosity = -1;
	o->minimize = false;
	o->check_determinism = false;
	o->timeline = c->timeline ? M->o->timeline : NULL;
	o->pcap = o->junit = NULL;
	if (c->original)
		return;
	o->chaos = NULL;
	o->preempt_permille = c->preempt;
	for (int k = 0; k < 5; k++) {
		lists[k] = calloc((size_t)c->n + 1, sizeof *lists[k]);
		*dst[k] = lists[k];
		*cnt[k] = 0;
		for (int i = 0; lists[k] && i < c->n; i++)
			if (!strcmp(c->f[i].opt, opts[k]))
				lists[k][(*cnt[k])++] = (char *)c->f[i].spec;
	}
}

static char *cand_command(const struct min *M, const struct cand *c)
{
	char **words = calloc((size_t)c->n + 1, sizeof *words);
	for (int i = 0; words && i < c->n; i++)
		if (asprintf(&words[i], "%s=%s", c->f[i].opt, c->f[i].spec) < 0)
			words[i] = NULL;
	char *cmd = sup_cli_replay_with(M->a->argc, M->a->argv, M->o->seed, c->preempt, words, c->n);
	for (int i = 0; words && i < c->n; i++)
		free(words[i]);
	free(words);
	return cmd;
}

/* ---- running candidates ---- */

static bool file_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, text) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Whether text is in any process's output or simsup's account of the failure. */
static bool output_has(const char *dir, const char *text, const struct sup_result *res)
{
	char path[4096];
	if (strstr(res->why, text))
		return true;
	snprintf(path, sizeof path, "%s/logs", dir);
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/logs/%s", dir, e->d_name);
			found = file_has(path, text);
		}
	if (d)
		closedir(d);
	return found;
}

static char *try_dir(const struct min *M, int id)
{
	char *d;
	return asprintf(&d, "%s/try-%d", M->dir, id) < 0 ? NULL : d;
}

/* The child: one run, its result on fd out.  Never returns. */
static void child_run(const struct min *M, const struct cand *c, const char *dir, int out)
{
	char log[4200];
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(log, sizeof log, "%s.log", dir);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	close(M->sigfd);
	struct sup_opts o;
	char **lists[5] = { NULL };
	cand_opts(M, c, &o, lists);
	struct outcome r = { .status = -1 };
	r.status = sup_run_seed(&o, M->o->seed, M->a->lib, M->a->prog, dir, sigfd, &r.res);
	r.matched = !M->o->minimize_match || output_has(dir, M->o->minimize_match, &r.res);
	fflush(NULL);
	if (write(out, &r, sizeof r) != sizeof r)
		_exit(3);
	_exit(0);
}

static bool budget_left(struct min *M)
{
	if (M->o->budget_ns && wall_now() - M->t0 > M->o->budget_ns)
		M->out_of_budget = true;
	return !M->out_of_budget && !M->interrupted;
}

/* Runs cands[0..n) (jobs at a time) into outs[]; stops starting new ones
 * once stop_at_first and an earlier one failed the same way... callers
 * judge; here every one runs unless the budget ends.  Returns how many ran. */
static int run_batch(struct min *M, const struct cand *cands, int n, struct outcome *outs, int *ids)
{
	int next = 0, busy = 0;
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	int *fds = calloc((size_t)n, sizeof *fds);
	for (int i = 0; i < n; i++) {
		outs[i] = (struct outcome){ .status = -1 };
		fds[i] = -1;
	}
	while (next < n || busy) {
		while (next < n && busy < M->jobs && budget_left(M)) {
			int p[2];
			ids[next] = ++M->runs;
			char *dir = try_dir(M, ids[next]);
			if (!dir || pipe2(p, O_CLOEXEC) < 0) {
				free(dir);
				next = n;
				break;
			}
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				child_run(M, &cands[next], dir, p[1]);
			}
			close(p[1]);
			free(dir);
			if (pid < 0) {
				close(p[0]);
				next = n;
				break;
			}
			pids[next] = pid;
			fds[next] = p[0];
			next++;
			busy++;
		}
		if (!busy)
			break;
		struct pollfd pf = { .fd = M->sigfd, .events = POLLIN };
		if (poll(&pf, 1, 1000) < 0 && errno != EINTR)
			break;
		struct signalfd_siginfo si;
		while (read(M->sigfd, &si, sizeof si) == sizeof si)
			if (si.ssi_signo != SIGCHLD && !M->interrupted) {
				M->interrupted = true; /* each run ends as interrupted */
				for (int i = 0; i < n; i++)
					if (pids[i] > 0 && fds[i] >= 0)
						kill(pids[i], SIGTERM);
			}
		int st;
		pid_t done;
		while ((done = waitpid(-1, &st, WNOHANG)) > 0)
			for (int i = 0; i < n; i++)
				if (pids[i] == done) {
					if (read(fds[i], &outs[i], sizeof outs[i]) != sizeof outs[i])
						outs[i].status = -1;
					close(fds[i]);
					fds[i] = -1;
					busy--;
				}
	}
	free(pids);
	free(fds);
	return next;
}

static bool same_failure(const struct min *M, const struct outcome *r)
{
	return r->status == 1 && !r->res.interrupted && r->matched && !strcmp(r->res.kind, M->kind) &&
	       !strcmp(r->res.who, M->who);
}

static void describe(const struct outcome *r, char *buf, size_t n)
{
	if (r->status < 0)
		snprintf(buf, n, "it could not be run");
	else if (r->status == 2)
		snprintf(buf, n, "a setup error");
	else if (r->res.interrupted)
		snprintf(buf, n, "it was interrupted");
	else if (r->status == 0)
		snprintf(buf, n, "it passed");
	else
		snprintf(buf, n, "%s%s%s%s", r->res.kind, r->res.who[0] ? " (" : "", r->res.who,
			 r->res.who[0] ? ")" : "");
}

static void drop_dir(const struct min *M, int id)
{
	char *d = try_dir(M, id), *log = NULL;
	if (d && asprintf(&log, "%s.log", d) >= 0)
		unlink(log);
	if (d)
		sup_remove_tree(d);
	free(d);
	free(log);
}

/* Tries cands in order; the first that fails the same way wins: its index,
 * or -1.  Its run dir is renamed to keep (if keep); all others are removed. */
static int first_failing(struct min *M, const struct cand *cands, int n, const char *keep)
{
	struct outcome *outs = calloc((size_t)n, sizeof *outs);
	int *ids = calloc((size_t)n, sizeof *ids), win = -1;
	/* in windows of -j, so that a win early in the list stops the rest */
	for (int base = 0; base < n && win < 0 && budget_left(M); base += M->jobs) {
		int k = n - base < M->jobs ? n - base : M->jobs;
		int ran = run_batch(M, cands + base, k, outs + base, ids + base);
		for (int i = base; i < base + ran; i++) {
			if (M->o->verbosity >= 1) {
				char got[160];
				describe(&outs[i], got, sizeof got);
				say(M, "run %d, %d faults%s: %s", ids[i], cands[i].n, cands[i].preempt ? " with --preempt" : "",
				    got);
				char *cmd = M->o->verbosity >= 2 && !cands[i].original ? cand_command(M, &cands[i]) : NULL;
				if (cmd)
					say(M, "run %d was: %s", ids[i], cmd);
				free(cmd);
			}
			if (win < 0 && same_failure(M, &outs[i]))
				win = i;
			else
				drop_dir(M, ids[i]);
		}
	}
	if (win >= 0) {
		char *from = try_dir(M, ids[win]), *to = NULL;
		if (from && keep && asprintf(&to, "%s/%s", M->dir, keep) >= 0) {
			sup_remove_tree(to);
			rename(from, to);
			char *lf = NULL, *lt = NULL;
			if (asprintf(&lf, "%s.log", from) >= 0 && asprintf(&lt, "%s.log", to) >= 0)
				rename(lf, lt);
			free(lf);
			free(lt);
			M->fail_ns = outs[win].res.virtual_ns;
		}
		free(from);
		free(to);
	}
	free(outs);
	free(ids);
	return win;
}

/* ---- the steps ---- */

static void subset(const struct cand *from, const bool *take, struct cand *to)
{
	to->n = 0;
	to->preempt = from->preempt;
	for (int i = 0; i < from->n; i++)
		if (take[i])
			to->f[to->n++] = from->f[i];
}

/* ddmin: the smallest list of faults found that still fails (1-minimal
 * when the budget allows: removing any one more fault makes it pass). */
static void ddmin(struct min *M, struct cand *best)
{
	int g = 2;
	while (best->n >= 2 && budget_left(M)) {
		int chunks = g < best->n ? g : best->n;
		struct cand *tries = calloc((size_t)2 * (size_t)chunks, sizeof *tries);
		bool take[MAX_FAULTS];
		int nt = 0;
		for (int pass = 0; pass < 2; pass++) /* the chunks alone, then without each */
			for (int k = 0; k < chunks; k++) {
				if (pass == 1 && chunks == 2)
					break; /* the complements of two halves are the halves */
				for (int i = 0; i < best->n; i++) {
					bool in = i * chunks / best->n == k;
					take[i] = pass == 0 ? in : !in;
				}
				subset(best, take, &tries[nt++]);
			}
		int win = first_failing(M, tries, nt, "minimal");
		if (win >= 0) {
			say(M, "%d faults -> %d (run %d, %.1fs)", best->n, tries[win].n, M->runs,
			    (wall_now() - M->t0) / 1e9);
			*best = tries[win];
			g = win < chunks ? 2 : (g - 1 > 2 ? g - 1 : 2);
		} else if (chunks < best->n) {
			g = 2 * g < best->n ? 2 * g : best->n;
		} else {
			free(tries);
			break;
		}
		free(tries);
	}
}

static int64_t round_ms(int64_t ns)
{
	return ns >= 1000000 ? ns - ns % 1000000 : ns;
}

/* Rounds every fault's time to the millisecond if it still fails (easier
 * to read), halves each fault's length (down=, for=) while it still fails,
 * then moves each fault later, halfway to the failure, while it still
 * fails. */
static bool simplify(struct min *M, struct cand *best)
{
	bool any = false;
	static const char *const lens[] = { "down", "for" };
	struct cand *r = malloc(sizeof *r);
	bool changed = false;
	if (r) {
		*r = *best;
		for (int i = 0; i < r->n; i++) {
			int64_t at = spec_dur(r->f[i].spec, "at");
			if (at != round_ms(at) && spec_set(r->f[i].spec, sizeof r->f[i].spec, "at", round_ms(at)) == 0)
				changed = true;
		}
		if (changed && budget_left(M) && first_failing(M, r, 1, "minimal") >= 0) {
			say(M, "fault times rounded to the millisecond still fail");
			*best = *r;
			any = true;
		}
		free(r);
	}
	for (int i = 0; i < best->n && budget_left(M); i++)
		for (int l = 0; l < 2; l++) {
			int64_t len = spec_dur(best->f[i].spec, lens[l]);
			int64_t floor_ns = 1000000; /* 1ms: shorter says nothing more */
			for (int step = 0; step < 8 && len / 2 >= floor_ns && budget_left(M); step++) {
				struct cand t = *best;
				int64_t half = round_ms(len / 2);
				if (spec_set(t.f[i].spec, sizeof t.f[i].spec, lens[l], half) < 0)
					break;
				if (first_failing(M, &t, 1, "minimal") < 0)
					break;
				say(M, "%s %s: %s=%.3fs is enough", t.f[i].opt, t.f[i].spec, lens[l], half / 1e9);
				*best = t;
				any = true;
				len = half;
			}
		}
	for (int i = 0; i < best->n && budget_left(M); i++) {
		int64_t at = spec_dur(best->f[i].spec, "at");
		for (int step = 0; step < 4 && budget_left(M); step++) {
			int64_t later = round_ms(at + (M->fail_ns - at) / 2);
			if (later - at < 1000000)
				break;
			struct cand t = *best;
			if (spec_set(t.f[i].spec, sizeof t.f[i].spec, "at", later) < 0 ||
			    first_failing(M, &t, 1, "minimal") < 0)
				break;
			say(M, "%s %s: later still fails", t.f[i].opt, t.f[i].spec);
			*best = t;
			any = true;
			at = later;
		}
	}
	if (best->preempt > 0 && budget_left(M)) {
		struct cand t = *best;
		t.preempt = 0;
		if (first_failing(M, &t, 1, "minimal") >= 0) {
			say(M, "fails without --preempt");
			*best = t;
			any = true;
		}
	}
	return any;
}

/* ---- the story ---- */

static bool story_event(const char *line)
{
	static const char *const evs[] = { "\"ev\":\"fault\"", "\"ev\":\"power-loss\"", "\"ev\":\"disk\"",
					   "\"ev\":\"exit\"", "\"ev\":\"start\"" };
	for (size_t i = 0; i < sizeof evs / sizeof *evs; i++)
		if (strstr(line, evs[i]))
			return true;
	return false;
}

static void tail_log(FILE *out, const char *dir, const char *node, const char *ext, int n)
{
	char path[4400];
	struct stat st;
	snprintf(path, sizeof path, "%s/logs/%s.%s", dir, node, ext);
	if (stat(path, &st) < 0 || st.st_size == 0)
		return;
	fprintf(out, "  last lines of %s's std%s:\n", node, ext);
	sup_report_tail(out, path, n, "      ");
}

/* The faults, starts and ends in virtual-time order up to the failure,
 * then the failing process's output and the last lines of each server. */
static void story(FILE *out, const char *dir, const struct outcome *r)
{
	char path[4400], line[4096];
	fprintf(out, "the story of the minimal run: faults, starts and exits in virtual time\n");
	snprintf(path, sizeof path, "%s/trace.jsonl", dir);
	FILE *t = fopen(path, "r");
	while (t && fgets(line, sizeof line, t)) {
		line[strcspn(line, "\n")] = 0;
		if (story_event(line))
			sup_report_event(out, line);
	}
	if (t)
		fclose(t);
	fprintf(out, "    %12.6fs the run fails: %s\n", r->res.virtual_ns / 1e9, r->res.why);
	if (r->res.who[0]) {
		tail_log(out, dir, r->res.who, "err", 8);
		tail_log(out, dir, r->res.who, "out", 8);
	}
	for (int i = 0; i < M_MAX_STORY_SERVERS; i++) {
		char nb[16];
		snprintf(nb, sizeof nb, "p%d", i);
		snprintf(path, sizeof path, "%s/logs/%s.out", dir, nb);
		if (access(path, F_OK) < 0)
			break;
		if (strcmp(nb, r->res.who)) {
			tail_log(out, dir, nb, "err", 3);
			tail_log(out, dir, nb, "out", 3);
		}
	}
}

/* ---- outputs: story.txt, --timeline, --junit ---- */

static char *story_text(const char *dir, const struct outcome *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	story(f, dir, r);
	fclose(f);
	return buf;
}

/* The timeline of the minimal run, with its story and command in otherData. */
static int write_timeline(const struct min *M, const char *dir, const char *story_s, const char *cmd)
{
	char from[4400];
	snprintf(from, sizeof from, "%s/timeline.json", dir);
	json_object *root = json_object_from_file(from), *other;
	char *to = sup_output_path(M->o->timeline, M->o->seed);
	int rc = -1;
	if (root && to && json_object_object_get_ex(root, "otherData", &other)) {
		json_object_object_add(other, "minimal command", json_object_new_string(cmd));
		json_object_object_add(other, "story", json_object_new_string(story_s));
		rc = json_object_to_file_ext(to, root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) == 0 ? 0 : -1;
	}
	if (rc < 0)
		fprintf(stderr, "simsup: --timeline: cannot write %s\n", to ? to : M->o->timeline);
	json_object_put(root);
	free(to);
	return rc;
}

static int write_junit(const struct min *M, const char *dir, const struct outcome *r, const char *story_s,
		       const char *cmd)
{
	struct sup_seed_result sr = {
		.seed = M->o->seed, .outcome = SUP_FAILED, .virtual_ns = r->res.virtual_ns,
		.wall_ns = r->res.wall_ns, .kind = (char *)r->res.kind, .why = (char *)r->res.why,
	};
	snprintf(sr.hash, sizeof sr.hash, "%s", r->res.hash);
	struct sup_sweep_report s = {
		.o = M->o, .argc = M->a->argc, .argv = M->a->argv, .prog = M->a->prog, .r = &sr, .n = 1,
		.total = 1, .wall_ns = wall_now() - M->t0, .started = time(NULL), .run_dir = dir,
		.single = true, .replay = cmd, .story = story_s,
	};
	char err[512];
	if (sup_junit_write(&s, M->o->junit, err, sizeof err) < 0) {
		fprintf(stderr, "simsup: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- the whole ---- */

static int make_dir(struct min *M)
{
	if (M->o->run_dir) {
		if (mkdir(M->o->run_dir, 0755) < 0 && errno != EEXIST)
			return -1;
		M->dir = strdup(M->o->run_dir);
		return M->dir ? 0 : -1;
	}
	const char *tmp = getenv("TMPDIR");
	if (asprintf(&M->dir, "%s/simsup-min-%" PRIu64 "-XXXXXX", tmp && *tmp ? tmp : "/tmp", M->o->seed) < 0)
		return -1;
	M->made_dir = true;
	return mkdtemp(M->dir) ? 0 : -1;
}

int sup_minimize(const struct sup_min_args *a)
{
	struct min M = { .a = a, .o = a->o, .t0 = wall_now() };
	const struct sup_opts *o = a->o;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	M.jobs = o->jobs > 0 ? o->jobs : cpus > 0 ? (int)cpus : 1;
	if (make_dir(&M) < 0)
		return sup_setup_error("cannot create the minimizer's directory %s: %s",
				       M.dir ? M.dir : "", strerror(errno));
	M.sigfd = sup_signals_take();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	say(&M, "run dir %s", M.dir);

	/* 1. the failing run as given */
	struct cand *orig = calloc(1, sizeof *orig), *best = calloc(1, sizeof *best);
	struct outcome out[2];
	int ids[2];
	if (!orig || !best)
		return sup_setup_error("out of memory");
	orig->original = true;
	orig->preempt = o->preempt_permille;
	run_batch(&M, orig, 1, out, ids);
	char got[160], path[4200];
	describe(&out[0], got, sizeof got);
	snprintf(path, sizeof path, "%s/original", M.dir);
	sup_remove_tree(path);
	char *od = try_dir(&M, ids[0]), *ol = NULL, *pl = NULL;
	if (od)
		rename(od, path);
	if (od && asprintf(&ol, "%s.log", od) >= 0 && asprintf(&pl, "%s.log", path) >= 0)
		rename(ol, pl);
	free(od);
	free(ol);
	free(pl);
	if (out[0].status == 2 || out[0].status < 0) {
		fprintf(stderr, "simsup: --minimize: the run did not start (%s); see %s.log\n", got, path);
		return 2;
	}
	if (out[0].res.interrupted || out[0].status == 0) {
		fprintf(stderr, "simsup: --minimize: seed %" PRIu64 " %s: nothing to minimize\n", o->seed,
			out[0].res.interrupted ? "was interrupted" : "passed");
		if (M.made_dir && out[0].status == 0)
			sup_remove_tree(M.dir);
		return out[0].res.interrupted ? 1 : 0;
	}
	if (!out[0].matched) {
		fprintf(stderr, "simsup: --minimize: seed %" PRIu64 " fails (%s), but no output of it contains "
			"\"%s\" (the match: text)\n", o->seed, got, o->minimize_match);
		return 2;
	}
	snprintf(M.kind, sizeof M.kind, "%s", out[0].res.kind);
	snprintf(M.who, sizeof M.who, "%s", out[0].res.who);
	if (read_faults(path, best) < 0)
		return sup_setup_error("cannot read %s/faults.args: %s", path, strerror(errno));
	best->preempt = o->preempt_permille;
	say(&M, "seed %" PRIu64 " fails: %s at %.6fs; %d faults took effect", o->seed, got,
	    out[0].res.virtual_ns / 1e9, best->n);

	/* 2. made explicit, it must fail the same way */
	if (first_failing(&M, best, 1, "minimal") < 0) {
		if (M.interrupted || M.out_of_budget) {
			fprintf(stderr, "simsup: --minimize: stopped (%s) before the explicit faults were tried\n",
				M.interrupted ? "interrupted" : "--budget");
			return 1;
		}
		fprintf(stderr, "simsup: --minimize: the seed's %d faults, made explicit, do not fail the same "
			"way: cannot minimize (please report this: it is a bug of simsup)\n", best->n);
		return 1;
	}
	say(&M, "the %d faults as explicit options fail the same way", best->n);

	/* 3. fewer faults, 4. shorter, later, no preemption */
	if (best->n > 0) {
		struct cand none = { .preempt = best->preempt };
		if (first_failing(&M, &none, 1, "minimal") >= 0) {
			say(&M, "fails without any fault");
			*best = none;
		}
	}
	ddmin(&M, best);
	/* a fault moved later may now be shorter, and the other way round */
	for (int round = 0; round < 3 && simplify(&M, best); round++)
		;
	if (M.interrupted) {
		fprintf(stderr, "simsup: --minimize: interrupted; the smallest so far is not checked\n");
		return 1;
	}

	/* 5. twice more, the same way and the same hash */
	bool saved_budget = M.out_of_budget;
	M.out_of_budget = false; /* the check runs whatever the budget */
	struct cand *twice = calloc(2, sizeof *twice);
	if (!twice)
		return sup_setup_error("out of memory");
	twice[0] = twice[1] = *best;
	twice[0].timeline = o->timeline != NULL;
	int jobs = M.jobs;
	M.jobs = jobs < 2 ? jobs : 2;
	int ran = run_batch(&M, twice, 2, out, ids);
	M.jobs = jobs;
	free(twice);
	char *cmd = cand_command(&M, best);
	bool ok = ran == 2 && same_failure(&M, &out[0]) && same_failure(&M, &out[1]) &&
		  !strcmp(out[0].res.hash, out[1].res.hash);
	snprintf(path, sizeof path, "%s/minimal", M.dir);
	sup_remove_tree(path);
	char *md = try_dir(&M, ids[0]);
	if (md)
		rename(md, path);
	free(md);
	drop_dir(&M, ids[1]);
	if (!ok) {
		char g2[160];
		describe(&out[1], g2, sizeof g2);
		describe(&out[0], got, sizeof got);
		fprintf(stderr, "simsup: --minimize: the smallest command found did not fail the same way twice "
			"(%s, hash %s; then %s, hash %s): %s\n", got, out[0].res.hash, g2, out[1].res.hash,
			cmd ? cmd : "?");
		free(cmd);
		return 1;
	}
	char *story_s = story_text(path, &out[0]);
	snprintf(path, sizeof path, "%s/minimal/story.txt", M.dir);
	FILE *sf = fopen(path, "w");
	if (sf && story_s)
		fputs(story_s, sf);
	if (sf)
		fclose(sf);
	if (o->verbosity >= 0 && story_s)
		fputs(story_s, stderr);
	fprintf(stderr, "simsup: minimize: %d runs in %.1fs wall%s; the minimal run fails: %s; trace hash %s "
		"(twice); its run dir %s/minimal\n", M.runs, (wall_now() - M.t0) / 1e9,
		saved_budget ? " (--budget ended the search: smaller may exist)" : "", out[0].res.why,
		out[0].res.hash, M.dir);
	fprintf(stderr, "simsup: minimal command: %s\n", cmd ? cmd : "(out of memory)");
	int status = 1;
	snprintf(path, sizeof path, "%s/minimal", M.dir);
	if (o->junit && write_junit(&M, path, &out[0], story_s ? story_s : "", cmd ? cmd : "") < 0)
		status = 2;
	if (o->timeline && write_timeline(&M, path, story_s ? story_s : "", cmd ? cmd : "") < 0)
		status = 2;
	free(story_s);
	free(cmd);
	free(orig);
	free(best);
	free(M.dir);
	return status;
}
