/*
 * sweep.c — many seeds: the seed list, worker processes, progress, the end.
 *
 * The seed list is --seeds' ranges in order, or --iterations seeds counting
 * up from --seed (or from a random first seed); --shard K/N keeps every
 * N-th entry starting with the K-th, so N shards run each seed once.
 *
 * -j N forks N workers.  Worker k pins itself to the k-th allowed CPU
 * (modulo their number; DESIGN.md §2: one simulation per CPU) and runs the
 * seeds simsup hands it, one at a time, each exactly as `simsup --seed S`
 * would (RUN_DIR/seed-S).  Seeds are handed out in list order as workers
 * free up; a seed's result depends only on the seed, so any -j finds the
 * same failures.  Workers answer on one pipe with fixed-size messages
 * (smaller than PIPE_BUF, so writes never interleave).
 *
 * What a run prints (crash backtraces, deadlock lists) goes to the seed's
 * RUN_DIR/seed-S/simsup.log instead of the terminal; the report at the end
 * shows the first failure in full.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "junit.h"
#include "report.h"
#include "sup.h"
#include "sweep.h"

#define MAX_CPUS 1024

/* worker -> simsup, one write per finished seed */
struct sweep_msg {
	int worker;
	int status;              /* 0 pass, 1 fail, 2 setup error */
	uint64_t index, seed;
	struct sup_result res;
};

_Static_assert(sizeof(struct sweep_msg) <= PIPE_BUF, "a result must be one atomic pipe write");

struct worker {
	pid_t pid;
	int cmd;                 /* simsup's end of its command pipe, -1 when closed */
	bool busy, alive;
	uint64_t index;          /* the seed it runs, when busy */
};

struct sweep {
	const struct sup_sweep_args *a;
	const struct sup_opts *o;
	uint64_t base;           /* --iterations: first seed */
	uint64_t total;          /* seeds in this shard */
	char *dir;               /* RUN_DIR */
	bool made_dir;
	int cpus[MAX_CPUS], ncpus;
	int jobs;
	struct worker *w;
	int res;                 /* read end of the results pipe */
	int sigfd;
	/* progress */
	uint64_t next, done, failed;
	int64_t virtual_ns;
	int64_t t0, last_progress;
	bool tty;
	bool progress_shown;
	const char *stopped;     /* why no more seeds are started */
	bool interrupted, setup_error;
	struct sup_seed_result *r;
	size_t nr, cap;
};

static int64_t wall_now(void)
{
	struct timespec ts;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the seed list ---- */

static uint64_t list_count(const struct sup_opts *o)
{
	if (!o->nseed_ranges)
		return o->iterations;
	uint64_t n = 0;
	for (int i = 0; i < o->nseed_ranges; i++)
		n += o->seed_ranges[i].hi - o->seed_ranges[i].lo + 1;
	return n;
}

static uint64_t list_seed(const struct sweep *S, uint64_t i)
{
	const struct sup_opts *o = S->o;
	if (!o->nseed_ranges)
		return S->base + i;
	for (int k = 0; k < o->nseed_ranges; k++) {
		uint64_t len = o->seed_ranges[k].hi - o->seed_ranges[k].lo + 1;
		if (i < len)
			return o->seed_ranges[k].lo + i;
		i -= len;
	}
	return 0;
}

/* The j-th seed of this shard. */
static uint64_t shard_index(const struct sweep *S, uint64_t j)
{
	if (!S->o->shard_n)
		return j;
	return (uint64_t)(S->o->shard_k - 1) + j * (uint64_t)S->o->shard_n;
}

static uint64_t shard_count(const struct sup_opts *o, uint64_t n)
{
	if (!o->shard_n)
		return n;
	uint64_t k = (uint64_t)o->shard_k - 1, sn = (uint64_t)o->shard_n;
	return n > k ? (n - k - 1) / sn + 1 : 0;
}

/* ---- files ---- */

char *sup_output_path(const char *fmt, uint64_t seed)
{
	char num[24], *out;
	snprintf(num, sizeof num, "%llu", (unsigned long long)seed);
	size_t n = strlen(fmt) + 1, k = 0;
	for (const char *p = strstr(fmt, "{seed}"); p; p = strstr(p + 6, "{seed}"))
		n += strlen(num);
	out = malloc(n);
	if (!out)
		return NULL;
	for (const char *p = fmt; *p;) {
		if (!strncmp(p, "{seed}", 6)) {
			memcpy(out + k, num, strlen(num));
			k += strlen(num);
			p += 6;
		} else {
			out[k++] = *p++;
		}
	}
	out[k] = 0;
	return out;
}

int sup_copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	FILE *in = fopen(from, "r"), *out = in ? fopen(to, "w") : NULL;
	char buf[65536];
	size_t n;
	int rc = 0;
	if (!in || !out) {
		snprintf(err, errlen, "cannot copy %s to %s: %s", from, to, strerror(errno));
		if (in)
			fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	if (fclose(out) != 0 || rc < 0) {
		snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes what a memfd holds to fd. */
static void dump_fd(int from, int to)
{
	char buf[8192];
	ssize_t n;
	lseek(from, 0, SEEK_SET);
	while ((n = read(from, buf, sizeof buf)) > 0)
		if (write(to, buf, (size_t)n) != n)
			break;
}

/* ---- a worker ---- */

static void pin(int cpu)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof one, &one);
}

/* One seed, as `simsup --seed S --run-dir RUN_DIR/seed-S` would run it
 * (twice with --check-determinism), its stderr into a memfd. */
static int worker_seed(const struct sweep *S, uint64_t seed, int sigfd, struct sup_result *res)
{
	const struct sup_opts *o = S->o;
	char *dir = NULL, *again = NULL, path[4096];
	int status = 2;
	if (asprintf(&dir, "%s/seed-%llu", S->dir, (unsigned long long)seed) < 0 ||
	    asprintf(&again, "%s.again", dir) < 0)
		goto out;
	int log = memfd_create("simsup-run-stderr", MFD_CLOEXEC), saved = dup(2);
	if (log >= 0)
		dup2(log, 2);
	status = sup_run_seed(o, seed, S->a->lib, S->a->prog, dir, sigfd, res);
	if (status != 2 && o->check_determinism && !res->interrupted) {
		struct sup_result res2 = { 0 };
		int s2 = sup_run_seed(o, seed, S->a->lib, S->a->prog, again, sigfd, &res2);
		if (s2 == 2) {
			status = 2;
		} else if (!res2.interrupted && strcmp(res->hash, res2.hash)) {
			fprintf(stderr, "simsup: NOT DETERMINISTIC: seed %llu gave trace hashes %s and %s\n",
				(unsigned long long)seed, res->hash, res2.hash);
			if (!status) {
				status = 1;
				res->verdict = 1;
				snprintf(res->kind, sizeof res->kind, "not deterministic");
				snprintf(res->why, sizeof res->why, "two runs gave trace hashes %s and %s "
					 "(compare %s/trace.jsonl with %s/trace.jsonl, with -vv)",
					 res->hash, res2.hash, dir, again);
			}
		} else if (res2.interrupted) {
			res->interrupted = true;
		}
	}
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (status == 2 && log >= 0)
		dump_fd(log, 2); /* a setup error: say it now */
	bool keep = status != 0 || o->verbosity >= 1;
	if (keep && log >= 0 && access(dir, F_OK) == 0) {
		snprintf(path, sizeof path, "%s/simsup.log", dir);
		int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (f >= 0) {
			dump_fd(log, f);
			close(f);
		}
	}
	if (log >= 0)
		close(log);
	/* per-seed outputs ({seed} in the name) before the directory may go */
	const char *outs[2][2] = { { o->timeline, "timeline.json" }, { o->pcap, "net.pcap" } };
	for (int i = 0; i < 2; i++) {
		if (!outs[i][0] || !strstr(outs[i][0], "{seed}") || status == 2)
			continue;
		char *to = sup_output_path(outs[i][0], seed), err[512];
		snprintf(path, sizeof path, "%s/%s", dir, outs[i][1]);
		if (to && sup_copy_file(path, to, err, sizeof err) < 0)
			fprintf(stderr, "simsup: %s\n", err);
		free(to);
	}
	if (!keep) {
		sup_remove_tree(dir);
		sup_remove_tree(again);
	}
out:
	free(dir);
	free(again);
	return status;
}

static void worker_main(const struct sweep *S, int k, int cmd, int res)
{
	sigset_t sigs;
	pin(S->cpus[k % S->ncpus]);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* simsup gone: stop the run */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	struct sweep_msg m;
	while (read(cmd, &m.index, sizeof m.index) == sizeof m.index) {
		m.worker = k;
		m.seed = list_seed(S, m.index);
		memset(&m.res, 0, sizeof m.res);
		m.status = worker_seed(S, m.seed, sigfd, &m.res);
		if (write(res, &m, sizeof m) != sizeof m)
			break;
	}
	_exit(0);
}

/* ---- progress ---- */

static void clear_progress(struct sweep *S)
{
	if (S->tty && S->progress_shown) {
		fputs("\r\033[K", stderr);
		S->progress_shown = false;
	}
}

static void format_eta(char *buf, size_t n, double s)
{
	if (s >= 3600)
		snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
	else
		snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

/* The live line on a terminal (at most 4 times a second), a plain line
 * every 10 s otherwise; nothing with -q. */
static void progress(struct sweep *S)
{
	int64_t now = wall_now();
	int64_t every = S->tty ? 250000000LL : 10000000000LL;
	if (S->o->verbosity < 0 || now - S->last_progress < every)
		return;
	S->last_progress = now;
	double el = (now - S->t0) / 1e9;
	char eta[32] = "?";
	if (S->done > 0 && S->done < S->total)
		format_eta(eta, sizeof eta, el * (double)(S->total - S->done) / (double)S->done);
	else if (S->done >= S->total)
		snprintf(eta, sizeof eta, "0:00");
	char line[256];
	snprintf(line, sizeof line, "%llu/%llu seeds, %llu failed, %.0f virtual s per wall s, ETA %s",
		 (unsigned long long)S->done, (unsigned long long)S->total,
		 (unsigned long long)S->failed, el > 0 ? S->virtual_ns / 1e9 / el : 0.0, eta);
	if (S->tty) {
		fprintf(stderr, "\r\033[Ksimsup: %s", line);
		S->progress_shown = true;
	} else {
		fprintf(stderr, "simsup: progress: %s\n", line);
	}
	fflush(stderr);
}

/* ---- simsup's side ---- */

static void hand_out(struct sweep *S, struct worker *w)
{
	if (S->stopped || S->next >= S->total || w->cmd < 0) {
		w->busy = false;
		return;
	}
	uint64_t idx = shard_index(S, S->next);
	if (write(w->cmd, &idx, sizeof idx) != sizeof idx) {
		w->busy = false;
		return;
	}
	S->next++;
	w->busy = true;
	w->index = idx;
}

static void stop(struct sweep *S, const char *why)
{
	if (S->stopped)
		return;
	S->stopped = why;
	for (int k = 0; k < S->jobs; k++)
		if (S->w[k].busy && S->w[k].alive)
			kill(S->w[k].pid, SIGTERM);
}

static void add_result(struct sweep *S, uint64_t index, uint64_t seed, int status,
		       const struct sup_result *res)
{
	if (S->nr == S->cap) {
		size_t cap = S->cap ? 2 * S->cap : 256;
		struct sup_seed_result *r = realloc(S->r, cap * sizeof *r);
		if (!r)
			return;
		S->r = r;
		S->cap = cap;
	}
	struct sup_seed_result *r = &S->r[S->nr++];
	memset(r, 0, sizeof *r);
	r->seed = seed;
	r->index = index;
	r->virtual_ns = res->virtual_ns;
	r->wall_ns = res->wall_ns;
	snprintf(r->hash, sizeof r->hash, "%s", res->hash);
	r->chaos = res->chaos;
	r->families = res->families;
	if (status == 2)
		r->outcome = SUP_ERROR;
	else if (res->interrupted)
		r->outcome = SUP_STOPPED;
	else
		r->outcome = status ? SUP_FAILED : SUP_PASSED;
	if (r->outcome == SUP_FAILED || r->outcome == SUP_ERROR) {
		r->kind = strdup(res->kind[0] ? res->kind : status == 2 ? "setup error" : "failed");
		r->why = strdup(res->why[0] ? res->why : "simsup could not run this seed (see above)");
	}
}

static void on_result(struct sweep *S, const struct sweep_msg *m)
{
	struct worker *w = &S->w[m->worker];
	add_result(S, m->index, m->seed, m->status, &m->res);
	S->done++;
	S->virtual_ns += m->res.virtual_ns;
	const struct sup_seed_result *r = &S->r[S->nr - 1];
	if (r->outcome == SUP_FAILED || r->outcome == SUP_ERROR) {
		S->failed++;
		if (S->o->verbosity >= 0) {
			clear_progress(S);
			fprintf(stderr, "simsup: FAIL seed %llu (%s): %s\n", (unsigned long long)m->seed,
				r->kind, r->why);
		}
	}
	if (r->outcome == SUP_ERROR) {
		S->setup_error = true;
		stop(S, "a setup error");
	} else if (r->outcome == SUP_FAILED && S->o->fail_fast) {
		stop(S, "--fail-fast");
	}
	hand_out(S, w);
	progress(S);
}

static void on_signals(struct sweep *S)
{
	struct signalfd_siginfo si;
	while (read(S->sigfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		S->interrupted = true;
		stop(S, "interrupted");
	}
	for (int k = 0; k < S->jobs; k++) {
		struct worker *w = &S->w[k];
		int st;
		if (!w->alive || waitpid(w->pid, &st, WNOHANG) != w->pid)
			continue;
		w->alive = false;
		if (w->busy) { /* died in the middle of a seed: simsup's own bug */
			struct sup_result res = { 0 };
			snprintf(res.kind, sizeof res.kind, "simsup crashed");
			snprintf(res.why, sizeof res.why, "the worker running this seed ended (%s %d)",
				 WIFSIGNALED(st) ? "signal" : "status",
				 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			fprintf(stderr, "simsup: worker %d running seed %llu: %s\n", k,
				(unsigned long long)list_seed(S, w->index), res.why);
			add_result(S, w->index, list_seed(S, w->index), 2, &res);
			S->done++;
			S->failed++;
			S->setup_error = true;
			w->busy = false;
			stop(S, "simsup crashed");
		}
	}
}

static int busy_workers(const struct sweep *S)
{
	int n = 0;
	for (int k = 0; k < S->jobs; k++)
		n += S->w[k].busy && S->w[k].alive;
	return n;
}

static void drain_results(struct sweep *S)
{
	struct sweep_msg m;
	while (read(S->res, &m, sizeof m) == sizeof m)
		if (m.worker >= 0 && m.worker < S->jobs)
			on_result(S, &m);
}

static void loop(struct sweep *S)
{
	while (busy_workers(S) > 0) {
		int64_t now = wall_now();
		int timeout = S->tty ? 250 : 1000;
		if (S->o->budget_ns && !S->stopped) {
			int64_t left = S->t0 + S->o->budget_ns - now;
			if (left <= 0) {
				stop(S, "--budget");
				continue;
			}
			if (left / 1000000 + 1 < timeout)
				timeout = (int)(left / 1000000 + 1);
		}
		struct pollfd pf[2] = { { .fd = S->res, .events = POLLIN },
					{ .fd = S->sigfd, .events = POLLIN } };
		if (poll(pf, 2, timeout) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			drain_results(S);
		if (pf[1].revents)
			on_signals(S);
		progress(S);
	}
	drain_results(S);
}

/* ---- setup and the end ---- */

static int setup(struct sweep *S)
{
	const struct sup_opts *o = S->o;
	if (o->iterations) {
		S->base = o->seed;
		if (!o->seed_set) {
			if (getrandom(&S->base, sizeof S->base, 0) != sizeof S->base)
				return sup_setup_error("cannot pick a random first seed");
			S->base %= 1000000000ULL; /* short enough to type back */
		}
	}
	S->total = shard_count(o, list_count(o));
	cpu_set_t set;
	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof set, &set);
	for (int c = 0; c < CPU_SETSIZE && S->ncpus < MAX_CPUS; c++)
		if (CPU_ISSET(c, &set))
			S->cpus[S->ncpus++] = c;
	if (S->ncpus == 0)
		S->cpus[S->ncpus++] = 0;
	S->jobs = o->jobs ? o->jobs : S->ncpus;
	if ((uint64_t)S->jobs > S->total)
		S->jobs = (int)(S->total ? S->total : 1);
	if (o->run_dir) {
		S->dir = strdup(o->run_dir);
		if (mkdir(S->dir, 0755) < 0 && errno != EEXIST)
			return sup_setup_error("--run-dir \"%s\": %s", S->dir, strerror(errno));
	} else {
		const char *tmp = getenv("TMPDIR");
		if (asprintf(&S->dir, "%s/simsup-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 ||
		    !mkdtemp(S->dir))
			return sup_setup_error("cannot create a run directory: %s", strerror(errno));
		S->made_dir = true;
	}
	return 0;
}

static void describe(const struct sweep *S)
{
	const struct sup_opts *o = S->o;
	if (o->verbosity < 0)
		return;
	fprintf(stderr, "simsup: sweep of %llu seed%s (", (unsigned long long)S->total,
		S->total == 1 ? "" : "s");
	if (o->nseed_ranges) {
		for (int i = 0; i < o->nseed_ranges; i++) {
			fprintf(stderr, "%s%llu", i ? "," : "", (unsigned long long)o->seed_ranges[i].lo);
			if (o->seed_ranges[i].hi != o->seed_ranges[i].lo)
				fprintf(stderr, "-%llu", (unsigned long long)o->seed_ranges[i].hi);
		}
	} else {
		fprintf(stderr, "%llu-%llu", (unsigned long long)S->base,
			(unsigned long long)(S->base + o->iterations - 1));
	}
	if (o->shard_n)
		fprintf(stderr, ", shard %d/%d: every %d%s from the %d%s", o->shard_k, o->shard_n,
			o->shard_n, o->shard_n == 2 ? "nd" : o->shard_n == 3 ? "rd" : "th", o->shard_k,
			o->shard_k == 1 ? "st" : o->shard_k == 2 ? "nd" : o->shard_k == 3 ? "rd" : "th");
	fprintf(stderr, "), %d job%s, run dir %s\n", S->jobs, S->jobs == 1 ? "" : "s", S->dir);
	if (o->iterations && !o->seed_set)
		fprintf(stderr, "simsup: the first seed was random: --seed %llu --iterations %llu "
			"repeats this sweep\n", (unsigned long long)S->base,
			(unsigned long long)o->iterations);
}

static int by_index(const void *a, const void *b)
{
	const struct sup_seed_result *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* --timeline/--pcap FILE without {seed}: the lowest failing seed's. */
static void copy_first_failure(const struct sweep *S, const struct sup_sweep_report *rep)
{
	const struct sup_opts *o = S->o;
	const char *outs[2][3] = { { o->timeline, "timeline.json", "--timeline" },
				   { o->pcap, "net.pcap", "--pcap" } };
	const struct sup_seed_result *first = NULL;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->r[i].outcome == SUP_FAILED && (!first || rep->r[i].seed < first->seed))
			first = &rep->r[i];
	for (int i = 0; i < 2; i++) {
		if (!outs[i][0] || strstr(outs[i][0], "{seed}"))
			continue;
		if (!first) {
			if (o->verbosity >= 0)
				fprintf(stderr, "simsup: %s %s: no seed failed, nothing written (put {seed} "
					"in the name for one file per seed)\n", outs[i][2], outs[i][0]);
			continue;
		}
		char from[4096], err[512];
		snprintf(from, sizeof from, "%s/seed-%llu/%s", S->dir, (unsigned long long)first->seed,
			 outs[i][1]);
		if (sup_copy_file(from, outs[i][0], err, sizeof err) < 0)
			fprintf(stderr, "simsup: %s: %s\n", outs[i][2], err);
		else if (o->verbosity >= 0)
			fprintf(stderr, "simsup: %s %s: seed %llu\n", outs[i][2], outs[i][0],
				(unsigned long long)first->seed);
	}
}

static int finish(struct sweep *S)
{
	const struct sup_opts *o = S->o;
	qsort(S->r, S->nr, sizeof *S->r, by_index);
	struct sup_sweep_report rep = {
		.o = o, .argc = S->a->argc, .argv = S->a->argv, .prog = S->a->prog, .r = S->r,
		.n = S->nr, .total = S->total, .wall_ns = wall_now() - S->t0, .run_dir = S->dir,
		.stopped = S->stopped,
	};
	rep.started = time(NULL) - (time_t)(rep.wall_ns / 1000000000LL);
	clear_progress(S);
	sup_report_sweep(&rep, stderr);
	int status = S->setup_error ? 2 : S->failed || S->interrupted ? 1 : 0;
	char err[512];
	if (o->junit && sup_junit_write(&rep, o->junit, err, sizeof err) < 0) {
		fprintf(stderr, "simsup: %s\n", err);
		status = 2;
	}
	if (o->summary && sup_summary_write(&rep, o->summary, err, sizeof err) < 0) {
		fprintf(stderr, "simsup: %s\n", err);
		status = 2;
	}
	copy_first_failure(S, &rep);
	if (S->made_dir && rmdir(S->dir) == 0 && o->verbosity >= 1)
		fprintf(stderr, "simsup: removed the empty run dir %s\n", S->dir);
	for (size_t i = 0; i < S->nr; i++) {
		free(S->r[i].kind);
		free(S->r[i].why);
	}
	free(S->r);
	return status;
}

int sup_sweep(const struct sup_sweep_args *a)
{
	struct sweep S = { .a = a, .o = a->o, .res = -1, .sigfd = -1 };
	int rc = setup(&S);
	if (rc)
		return rc;
	describe(&S);
	if (S.total == 0) {
		fprintf(stderr, "simsup: --shard %d/%d: no seeds in this shard (the list has %llu)\n",
			S.o->shard_k, S.o->shard_n, (unsigned long long)list_count(S.o));
		rmdir(S.dir);
		free(S.dir);
		return 0;
	}
	S.sigfd = sup_signals_take();
	S.tty = isatty(2);
	int resp[2];
	if (pipe2(resp, O_CLOEXEC) < 0)
		return sup_setup_error("cannot create a pipe: %s", strerror(errno));
	fcntl(resp[0], F_SETFL, O_NONBLOCK);
	S.res = resp[0];
	S.w = calloc((size_t)S.jobs, sizeof *S.w);
	S.t0 = S.last_progress = wall_now();
	fflush(NULL);
	for (int k = 0; k < S.jobs; k++) {
		int cmd[2];
		if (pipe2(cmd, O_CLOEXEC) < 0)
			return sup_setup_error("cannot create a pipe: %s", strerror(errno));
		pid_t pid = fork();
		if (pid < 0)
			return sup_setup_error("cannot start a worker: %s", strerror(errno));
		if (pid == 0) {
			close(cmd[1]);
			close(resp[0]);
			close(S.sigfd);
			for (int j = 0; j < k; j++)
				close(S.w[j].cmd); /* or worker j never sees its end */
			worker_main(&S, k, cmd[0], resp[1]);
		}
		close(cmd[0]);
		S.w[k] = (struct worker){ .pid = pid, .cmd = cmd[1], .alive = true };
	}
	close(resp[1]);
	for (int k = 0; k < S.jobs; k++)
		hand_out(&S, &S.w[k]);
	loop(&S);
	for (int k = 0; k < S.jobs; k++) {
		close(S.w[k].cmd);
		if (S.w[k].alive)
			waitpid(S.w[k].pid, NULL, 0);
	}
	rc = finish(&S);
	close(S.res);
	close(S.sigfd);
	free(S.w);
	free(S.dir);
	return rc;
}
