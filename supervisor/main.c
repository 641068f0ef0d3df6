/*
 * main.c — simsup: parse the command line, check the program, then run one
 * seed (twice with --check-determinism) and report its verdict, or hand a
 * sweep of many seeds to sweep.c.
 *
 * Exit status, the same for one seed and a sweep: 0 pass, 1 a run failed,
 * 2 usage or setup error.
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
#include <sys/resource.h>
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
#include "junit.h"
#include "report.h"
#include "sup.h"
#include "minimize.h"
#include "sweep.h"

#ifndef SIMSUP_PKGLIBDIR
#define SIMSUP_PKGLIBDIR "/usr/local/lib/x86_64-linux-gnu/simsup"
#endif
/* pkglibdir relative to bindir ("../lib/x86_64-linux-gnu/simsup"), or ""
 * when meson was given a bindir or libdir outside the prefix. */
#ifndef SIMSUP_PKGLIBDIR_REL
#define SIMSUP_PKGLIBDIR_REL ""
#endif

/* libsimsup.so: $SIMSUP_LIB, else next to us in the build tree, else where
 * meson installs it relative to simsup (so that a tree installed with
 * --destdir, or moved to another prefix, finds its own shim), else the
 * absolute pkglibdir. */
static char *find_lib(void)
{
	const char *env = getenv("SIMSUP_LIB");
	if (env && *env)
		return access(env, R_OK) == 0 ? realpath(env, NULL) : NULL;
	char self[PATH_MAX], cand[2 * PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash = n > 0 ? memrchr(self, '/', (size_t)n) : NULL;
	if (slash) {
		*slash = 0;
		snprintf(cand, sizeof cand, "%s/../shim/libsimsup.so", self);
		if (access(cand, R_OK) == 0)
			return realpath(cand, NULL);
		if (SIMSUP_PKGLIBDIR_REL[0]) {
			snprintf(cand, sizeof cand, "%s/%s/libsimsup.so", self, SIMSUP_PKGLIBDIR_REL);
			if (access(cand, R_OK) == 0)
				return realpath(cand, NULL);
		}
	}
	snprintf(cand, sizeof cand, "%s/libsimsup.so", SIMSUP_PKGLIBDIR);
	return access(cand, R_OK) == 0 ? strdup(cand) : NULL;
}

static void print_replay(const struct sup_opts *o, int argc, char **argv, uint64_t seed)
{
	char *cmd = sup_cli_replay(argc, argv, seed);
	fprintf(stderr, "simsup: replay with: %s\n", cmd ? cmd : "(out of memory)");
	/* with faults, the smallest set of them that fails the same way */
	if (cmd && (o->chaos || o->nreboots || o->npartitions || o->nclocks || o->ndisks || o->nnetfaults ||
		    o->preempt_permille))
		fprintf(stderr, "simsup: shrink it with: simsup --minimize%s\n", cmd + strlen("simsup"));
	free(cmd);
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

/* --timeline, --pcap ({seed} in the name allowed) and --junit for one
 * seed.  0 | -1 when a file could not be written. */
static int write_single_outputs(const struct sup_opts *o, int argc, char **argv, const char *prog,
				uint64_t seed, const char *dir, const struct sup_result *res,
				int verdict, time_t started)
{
	char from[4096], err[512];
	int rc = 0;
	const char *outs[2][2] = { { o->timeline, "timeline.json" }, { o->pcap, "net.pcap" } };
	for (int i = 0; i < 2; i++) {
		if (!outs[i][0])
			continue;
		char *to = sup_output_path(outs[i][0], seed);
		snprintf(from, sizeof from, "%s/%s", dir, outs[i][1]);
		if (!to || sup_copy_file(from, to, err, sizeof err) < 0) {
			fprintf(stderr, "simsup: %s\n", to ? err : "out of memory");
			rc = -1;
		}
		free(to);
	}
	if (!o->junit)
		return rc;
	struct sup_seed_result r = {
		.seed = seed, .outcome = res->interrupted ? SUP_STOPPED : verdict ? SUP_FAILED : SUP_PASSED,
		.virtual_ns = res->virtual_ns, .wall_ns = res->wall_ns,
		.kind = (char *)res->kind, .why = (char *)res->why,
	};
	snprintf(r.hash, sizeof r.hash, "%s", res->hash);
	struct sup_sweep_report s = {
		.o = o, .argc = argc, .argv = argv, .prog = prog, .r = &r, .n = 1, .total = 1,
		.wall_ns = res->wall_ns, .started = started, .run_dir = dir, .single = true,
		.stopped = res->interrupted ? "interrupted" : NULL,
	};
	if (sup_junit_write(&s, o->junit, err, sizeof err) < 0) {
		fprintf(stderr, "simsup: %s\n", err);
		rc = -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct sup_opts o;
	char err[1024], prog[PATH_MAX];
	int r = sup_cli_parse(argc, argv, &o, err, sizeof err);
	if (r < 0)
		return sup_setup_error("%s", err);
	if (r > 0)
		return 0;
	sup_tsc_trap();
	/* Two fds per simulated thread (its channel and its probe, sched.c)
	 * and the network's: as many as the host lets us have.  The
	 * programs get their own fixed limits (launch.c). */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (sup_check_program(o.argv[0], prog, sizeof prog, err, sizeof err) < 0)
		return sup_setup_error("%s", err);
	if (sup_check_placeholders(&o, err, sizeof err) < 0)
		return sup_setup_error("%s", err);
	if (sup_faults_check(&o, err, sizeof err) < 0)
		return sup_setup_error("%s", err);
	/* absolute, but symlinks kept: the program may look at its own path */
	char *prog_abs;
	if (prog[0] == '/') {
		prog_abs = strdup(prog);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd) || asprintf(&prog_abs, "%s/%s", cwd, prog) < 0)
			return sup_setup_error("cannot resolve %s", prog);
		sup_path_clean(prog_abs); /* "./s.sh": no "/./", which the node's views skip */
	}
	for (int j = 0; j < o.nworkloads; j++) {
		/* the first word of a workload is its program: check it the same way */
		char first[PATH_MAX], wp[PATH_MAX];
		if (sscanf(o.workloads[j], "%4095s", first) == 1 &&
		    !strchr(first, '=') && !strchr(first, '{') &&
		    sup_check_program(first, wp, sizeof wp, err, sizeof err) < 0)
			return sup_setup_error("--workload: %s", err);
	}
	char *lib = find_lib();
	if (!lib)
		return sup_setup_error("cannot find libsimsup.so (looked at $SIMSUP_LIB, next to simsup, "
				   "in %s relative to simsup, and in %s)",
				   SIMSUP_PKGLIBDIR_REL[0] ? SIMSUP_PKGLIBDIR_REL : "(none)",
				   SIMSUP_PKGLIBDIR);
	if (o.minimize) {
		struct sup_min_args m = { &o, lib, prog_abs, argc, argv };
		int rc = sup_minimize(&m);
		free(lib);
		free(prog_abs);
		sup_cli_free(&o);
		return rc;
	}
	if (o.sweep) {
		struct sup_sweep_args a = { &o, lib, prog_abs, argc, argv };
		int rc = sup_sweep(&a);
		free(lib);
		free(prog_abs);
		sup_cli_free(&o);
		return rc;
	}
	uint64_t seed = o.seed;
	if (!o.seed_set && getrandom(&seed, sizeof seed, 0) != sizeof seed)
		return sup_setup_error("cannot pick a random seed");
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
	int sigfd = sup_signals_take();

	int runs = o.check_determinism ? 2 : 1;
	char hash[2][33], *dirs[2] = { NULL, NULL };
	int verdict = 0;
	time_t started = time(NULL);
	struct sup_result res0 = { 0 };
	for (int i = 0; i < runs; i++) {
		char *dir = make_run_dir(&o, seed, i ? ".again" : "");
		if (!dir)
			return sup_setup_error("cannot create a run directory: %s", strerror(errno));
		if (o.verbosity >= 0)
			fprintf(stderr, "simsup: seed %llu, run dir %s\n", (unsigned long long)seed, dir);
		struct sup_result res = { 0 };
		int v = sup_run_seed(&o, seed, lib, prog_abs, dir, sigfd, &res);
		memcpy(hash[i], res.hash, sizeof hash[i]);
		if (v == 2)
			return 2;
		verdict |= v;
		if (o.verbosity >= 0)
			fprintf(stderr, "simsup: trace hash %s\n", hash[i]);
		if (i == 0)
			res0 = res;
		dirs[i] = dir;
	}
	if (runs == 2 && strcmp(hash[0], hash[1])) {
		fprintf(stderr, "simsup: NOT DETERMINISTIC: seed %llu gave trace hashes %s and %s\n",
			(unsigned long long)seed, hash[0], hash[1]);
		if (!verdict) {
			snprintf(res0.kind, sizeof res0.kind, "not deterministic");
			snprintf(res0.why, sizeof res0.why, "two runs gave trace hashes %s and %s",
				 hash[0], hash[1]);
		}
		verdict = 1;
	} else if (runs == 2 && o.verbosity >= 0) {
		fprintf(stderr, "simsup: deterministic: both runs of seed %llu gave %s\n",
			(unsigned long long)seed, hash[0]);
	}
	int status = verdict ? 1 : 0;
	if (write_single_outputs(&o, argc, argv, prog_abs, seed, dirs[0], &res0, verdict, started) < 0)
		status = 2;
	if (verdict)
		print_replay(&o, argc, argv, seed);
	/* a fresh directory of a passing run goes: a nightly job of many
	 * commands would fill its disk.  A failure's stays for its report. */
	if (status == 0 && !o.keep && !o.run_dir) {
		for (int i = 0; i < runs; i++)
			sup_remove_tree(dirs[i]);
		if (o.verbosity >= 0)
			fprintf(stderr, "simsup: removed the run dir (--keep keeps it)\n");
	}
	free(dirs[0]);
	free(dirs[1]);
	free(lib);
	free(prog_abs);
	sup_cli_free(&o);
	return status;
}
