/*
 * main.c — simsup: parse the command line, check the program, run the seed
 * (twice with --check-determinism), report the verdict.
 *
 * Exit status: 0 pass, 1 the run failed, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "elfcheck.h"
#include "sup.h"

#ifndef SIMSUP_PKGLIBDIR
#define SIMSUP_PKGLIBDIR "/usr/local/lib/x86_64-linux-gnu/simsup"
#endif

static int setup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int setup_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("simsup: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

/* libsimsup.so: $SIMSUP_LIB, else next to us in the build tree, else where
 * meson installed it. */
static char *find_lib(void)
{
	const char *env = getenv("SIMSUP_LIB");
	if (env && *env)
		return access(env, R_OK) == 0 ? realpath(env, NULL) : NULL;
	char self[PATH_MAX], cand[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(cand, sizeof cand, "%s/../shim/libsimsup.so", self);
			if (access(cand, R_OK) == 0)
				return realpath(cand, NULL);
		}
	}
	snprintf(cand, sizeof cand, "%s/libsimsup.so", SIMSUP_PKGLIBDIR);
	return access(cand, R_OK) == 0 ? strdup(cand) : NULL;
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void print_logs(struct sup_run *R)
{
	for (int n = 0; n < R->nnodes; n++) {
		char nb[16], path[4096], line[4096];
		int node = n < R->o->procs ? n : -1 - (n - R->o->procs);
		sup_node_name(R, node, nb, sizeof nb);
		const char *ext[] = { "out", "err" };
		for (int k = 0; k < 2; k++) {
			snprintf(path, sizeof path, "%s/logs/%s.%s", R->run_dir, nb, ext[k]);
			FILE *f = fopen(path, "r");
			if (!f)
				continue;
			int lines = 0;
			while (fgets(line, sizeof line, f) && lines++ < 50)
				printf("%s%s| %s%s", nb, k ? "!" : " ", line,
				       line[strlen(line) - 1] == '\n' ? "" : "\n");
			if (lines > 50)
				printf("%s | ... (more in %s)\n", nb, path);
			fclose(f);
		}
	}
	fflush(stdout);
}

/* The verdict of processes that all ended: each launched one must exit 0. */
static void judge(struct sup_run *R)
{
	for (int i = 0; i < R->nprocs && !R->verdict; i++) {
		struct sup_proc *p = R->procs[i];
		char nb[16];
		if (!p->launched || !p->exited)
			continue;
		sup_node_name(R, p->node, nb, sizeof nb);
		if (WIFSIGNALED(p->status))
			sup_fail(R, "%s (%s) was killed by signal %d (%s)", nb, p->name,
				 WTERMSIG(p->status), strsignal(WTERMSIG(p->status)));
		else if (WEXITSTATUS(p->status))
			sup_fail(R, "%s (%s) exited with status %d", nb, p->name, WEXITSTATUS(p->status));
	}
}

static void free_run(struct sup_run *R)
{
	for (int i = 0; i < R->nthreads; i++) {
		if (R->threads[i]->sock >= 0)
			close(R->threads[i]->sock);
		free(R->threads[i]);
	}
	for (int i = 0; i < R->nprocs; i++)
		free(R->procs[i]);
	free(R->threads);
	free(R->procs);
	free(R->nodes);
}

/* One run of one seed.  Returns 0 pass, 1 fail, 2 setup error; hash out. */
static int run_seed(const struct sup_opts *o, uint64_t seed, const char *lib, const char *prog,
		    const char *run_dir, int sigfd, char hash[33])
{
	struct sup_run R = { .o = o, .seed = seed, .lib = lib, .prog = prog, .sigfd = sigfd };
	char err[512], path[4096];
	R.run_dir = (char *)run_dir;
	sup_rand_seed(R.rng, seed);
	R.nnodes = o->procs + o->nworkloads;
	R.nodes = calloc((size_t)R.nnodes, sizeof *R.nodes);
	for (int i = 0; i < R.nnodes; i++) {
		R.nodes[i].next_vpid = 100;
		R.nodes[i].boot = 1;
	}
	if (sup_prepare_run_dir(&R, err, sizeof err) < 0)
		return setup_error("%s", err);
	snprintf(path, sizeof path, "%s/trace.jsonl", run_dir);
	R.trace = sup_trace_open(path);
	if (!R.trace)
		return setup_error("cannot write %s: %s", path, strerror(errno));
	sup_trace_ev(&R, NULL, 0, "run", "us", "seed", seed, "program", prog);
	int64_t t0 = wall_ns();
	for (int i = 0; i < o->procs && !R.done; i++)
		if (sup_launch(&R, i, err, sizeof err) < 0) {
			sup_kill_all(&R);
			return setup_error("%s", err);
		}
	for (int j = 0; j < o->nworkloads && !R.done; j++)
		if (sup_launch(&R, -1 - j, err, sizeof err) < 0) {
			sup_kill_all(&R);
			return setup_error("%s", err);
		}
	sup_run_loop(&R);
	sup_kill_all(&R);
	if (!R.verdict)
		judge(&R);
	sup_trace_ev(&R, NULL, 0, "end", "is", "verdict", (int64_t)R.verdict, "why", R.why);
	sup_trace_close(R.trace, hash);
	int64_t wall = wall_ns() - t0;
	if (o->verbosity >= 0)
		print_logs(&R);
	if (o->verbosity >= 0 || R.verdict)
		fprintf(stderr, "simsup: %s seed %llu: %.6fs virtual in %.3fs wall%s%s\n",
			R.verdict ? "FAIL" : "pass", (unsigned long long)seed, R.now / 1e9, wall / 1e9,
			R.verdict ? ": " : "", R.why);
	int v = R.interrupted ? 1 : R.verdict;
	free_run(&R);
	return v;
}

static void print_replay(int argc, char **argv, uint64_t seed)
{
	fprintf(stderr, "simsup: replay with: simsup --seed %llu", (unsigned long long)seed);
	bool skip = false;
	for (int i = 1; i < argc; i++) {
		if (skip) {
			skip = false;
			continue;
		}
		if (!strcmp(argv[i], "--seed") || !strcmp(argv[i], "--run-dir")) {
			skip = true;
			continue;
		}
		if (!strncmp(argv[i], "--seed=", 7) || !strncmp(argv[i], "--run-dir=", 10))
			continue;
		bool plain = argv[i][0] != 0;
		for (const char *s = argv[i]; *s; s++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:{}@%+", *s))
				plain = false;
		if (plain) {
			fprintf(stderr, " %s", argv[i]);
		} else {
			fputs(" '", stderr);
			for (const char *s = argv[i]; *s; s++)
				*s == '\'' ? fputs("'\\''", stderr) : fputc(*s, stderr);
			fputc('\'', stderr);
		}
	}
	fputc('\n', stderr);
}

static char *make_run_dir(const struct sup_opts *o, uint64_t seed, const char *suffix)
{
	char *dir;
	if (o->run_dir) {
		if (asprintf(&dir, "%s%s", o->run_dir, suffix) < 0)
			return NULL;
		return dir;
	}
	const char *tmp = getenv("TMPDIR");
	if (asprintf(&dir, "%s/simsup-%llu-XXXXXX", tmp && *tmp ? tmp : "/tmp",
		     (unsigned long long)seed) < 0)
		return NULL;
	return mkdtemp(dir);
}

int main(int argc, char **argv)
{
	struct sup_opts o;
	char err[1024], prog[PATH_MAX];
	int r = sup_cli_parse(argc, argv, &o, err, sizeof err);
	if (r < 0)
		return setup_error("%s", err);
	if (r > 0)
		return 0;
	if (sup_check_program(o.argv[0], prog, sizeof prog, err, sizeof err) < 0)
		return setup_error("%s", err);
	char *prog_abs = realpath(prog, NULL);
	for (int j = 0; j < o.nworkloads; j++) {
		/* the first word of a workload is its program: check it the same way */
		char first[PATH_MAX], wp[PATH_MAX];
		if (sscanf(o.workloads[j], "%4095s", first) == 1 &&
		    !strchr(first, '=') && !strchr(first, '{') &&
		    sup_check_program(first, wp, sizeof wp, err, sizeof err) < 0)
			return setup_error("--workload: %s", err);
	}
	char *lib = find_lib();
	if (!lib)
		return setup_error("cannot find libsimsup.so (looked at $SIMSUP_LIB, next to simsup, "
				   "and in %s)", SIMSUP_PKGLIBDIR);
	uint64_t seed = o.seed;
	if (!o.seed_set && getrandom(&seed, sizeof seed, 0) != sizeof seed)
		return setup_error("cannot pick a random seed");
	if (!o.seed_set)
		seed %= 1000000000ULL; /* short enough to type back */

	/* One CPU for the supervisor and every simulated thread (they inherit
	 * it): handing the turn across CPUs costs ~10x more (DESIGN.md §2). */
	cpu_set_t one;
	CPU_ZERO(&one);
	int cpu = sched_getcpu();
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	sched_setaffinity(0, sizeof one, &one);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);

	int runs = o.check_determinism ? 2 : 1;
	char hash[2][33];
	int verdict = 0;
	for (int i = 0; i < runs; i++) {
		char *dir = make_run_dir(&o, seed, i ? ".again" : "");
		if (!dir)
			return setup_error("cannot create a run directory: %s", strerror(errno));
		if (o.verbosity >= 0)
			fprintf(stderr, "simsup: seed %llu, run dir %s\n", (unsigned long long)seed, dir);
		int v = run_seed(&o, seed, lib, prog_abs, dir, sigfd, hash[i]);
		if (v == 2)
			return 2;
		verdict |= v;
		if (o.verbosity >= 0)
			fprintf(stderr, "simsup: trace hash %s\n", hash[i]);
		free(dir);
	}
	if (runs == 2 && strcmp(hash[0], hash[1])) {
		fprintf(stderr, "simsup: NOT DETERMINISTIC: seed %llu gave trace hashes %s and %s\n",
			(unsigned long long)seed, hash[0], hash[1]);
		verdict = 1;
	} else if (runs == 2 && o.verbosity >= 0) {
		fprintf(stderr, "simsup: deterministic: both runs of seed %llu gave %s\n",
			(unsigned long long)seed, hash[0]);
	}
	if (verdict)
		print_replay(argc, argv, seed);
	free(lib);
	free(prog_abs);
	sup_cli_free(&o);
	return verdict ? 1 : 0;
}
