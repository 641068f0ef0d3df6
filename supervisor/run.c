/*
 * run.c — one run of one seed: run directory, launch, scheduler loop,
 * verdict and its kind, trace hash, the run's output files (report.txt,
 * timeline.json, net.pcap in the run directory) and, outside sweeps, the
 * processes' output for the user.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "pcap.h"
#include "report.h"
#include "disk.h"
#include "storage.h"
#include "sup.h"
#include "timeline.h"

int sup_setup_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("simsup: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

int sup_signals_take(void)
{
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
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

void sup_fail_kind(struct sup_run *R, const char *fmt, ...)
{
	if (R->verdict)
		return; /* the first failure names the run's */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(R->kind, sizeof R->kind, fmt, ap);
	va_end(ap);
}

/* The verdict of processes that all ended: each launched one must exit 0. */
static void judge(struct sup_run *R)
{
	for (int i = 0; i < R->nprocs && !R->verdict && R->o->nworkloads == 0; i++) {
		struct sup_proc *p = R->procs[i];
		char nb[16];
		if (!p->launched || !p->exited || p->fault_exit)
			continue;
		sup_node_name(R, p->node, nb, sizeof nb);
		char kind[64];
		sup_exit_kind(R, p, kind, sizeof kind);
		if ((WIFSIGNALED(p->status) || WEXITSTATUS(p->status)) && !R->verdict) {
			sup_fail_kind(R, "%s", kind);
			snprintf(R->who, sizeof R->who, "%s", nb);
		}
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
		sup_chan_close(R->threads[i]);
		if (R->threads[i]->sock >= 0)
			close(R->threads[i]->sock);
		free(R->threads[i]);
	}
	for (int i = 0; i < R->nprocs; i++) {
		free(R->procs[i]->backtrace);
		free(R->procs[i]);
	}
	free(R->threads);
	free(R->dl_heap);
	free(R->cand);
	free(R->procs);
	free(R->nodes);
	free(R->pclock);
	sup_events_free(R);
	sup_timers_free(R);
	sup_faults_free(R);
	sup_storage_free(R);
	sup_disk_free(R);
	sup_inodes_free(R);
	sup_timeline_free(R);
	sup_net_free(R);
	sup_probes_free(R);
}

/* -v: where the run's wall time went (docs/outputs.md). */
static void print_profile(const struct sup_run *R, FILE *f)
{
	const struct sup_stats *s = &R->st;
	uint64_t parks = s->parks_probe + s->parks_any;
	fprintf(f, "simsup: profile: %llu turns, %llu fruitless wake-ups (%.1f%% of turns), "
		"%llu clock jumps, %llu relay deliveries\n",
		(unsigned long long)s->turns, (unsigned long long)s->fruitless,
		s->turns ? 100.0 * (double)s->fruitless / (double)s->turns : 0.0,
		(unsigned long long)s->jumps, (unsigned long long)s->deliveries);
	fprintf(f, "simsup: profile: %llu requests; calls caught: %llu traps, %llu PLT wrapper calls, "
		"%llu vDSO calls; waits on fds: %llu exact, %llu on any change (%.1f%%)\n",
		(unsigned long long)s->requests, (unsigned long long)s->traps,
		(unsigned long long)s->plt, (unsigned long long)s->vdso,
		(unsigned long long)s->parks_probe, (unsigned long long)s->parks_any,
		parks ? 100.0 * (double)s->parks_any / (double)parks : 0.0);
}

/* The run's files for people and tools, once the trace is closed. */
static void write_outputs(struct sup_run *R)
{
	char path[4096], tpath[4096], err[512];
	snprintf(tpath, sizeof tpath, "%s/trace.jsonl", R->run_dir);
	if (R->timeline) {
		snprintf(path, sizeof path, "%s/timeline.json", R->run_dir);
		if (sup_timeline_write(R, tpath, path, err, sizeof err) < 0)
			fprintf(stderr, "simsup: %s\n", err);
	}
	if (!R->verdict)
		return;
	snprintf(path, sizeof path, "%s/report.txt", R->run_dir);
	FILE *f = fopen(path, "w");
	if (f) {
		sup_report_run(R, f, SUP_REPORT_BACKTRACES | SUP_REPORT_TAILS);
		fclose(f);
	}
}

int sup_run_seed(const struct sup_opts *o, uint64_t seed, const char *lib, const char *prog,
		 const char *run_dir, int sigfd, struct sup_result *res)
{
	char *hash = res->hash;
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
		return sup_setup_error("%s", err);
	snprintf(path, sizeof path, "%s/trace.jsonl", run_dir);
	R.trace = sup_trace_open(path);
	if (!R.trace)
		return sup_setup_error("cannot write %s: %s", path, strerror(errno));
	if (o->timeline && sup_timeline_start(&R) < 0)
		return sup_setup_error("--timeline: out of memory");
	snprintf(path, sizeof path, "%s/net.pcap", run_dir);
	if (o->pcap && sup_pcap_open(&R, path) < 0)
		return sup_setup_error("--pcap: cannot write %s: %s", path, strerror(errno));
	sup_trace_ev(&R, NULL, 0, "run", "us", "seed", seed, "program", prog);
	int64_t t0 = wall_ns();
	R.view_dir = sup_view_enter(run_dir, o->verbosity);
	if (sup_sysfs_build(&R, err, sizeof err) < 0)
		return sup_setup_error("%s", err);
	char shim[4096];
	R.lib = sup_shim_for_all(&R, shim, sizeof shim);
	if (sup_faults_power_possible(o)) {
		struct sup_durability d;
		if (o->durability)
			sup_durability_parse(o->durability, &d, err, sizeof err); /* checked in main */
		else
			sup_durability_default(&d);
		int rc = sup_storage_start(&R, &d);
		if (rc < 0)
			return sup_setup_error("cannot track storage in %s/durable: %s", run_dir, strerror(-rc));
	}
	struct stat rst;
	if (stat(run_dir, &rst) == 0)
		R.run_dev = rst.st_dev;
	R.probe_ep = epoll_create1(EPOLL_CLOEXEC); /* the threads' probes (sched.c) */
	if (R.probe_ep < 0)
		return sup_setup_error("epoll_create1: %s", strerror(errno));
	for (int i = 0; i < o->procs && !R.done; i++)
		if (sup_launch(&R, i, err, sizeof err) < 0) {
			sup_kill_all(&R);
			sup_sysfs_end(&R);
			return sup_setup_error("%s", err);
		}
	for (int j = 0; j < o->nworkloads && !R.done; j++)
		if (sup_launch(&R, -1 - j, err, sizeof err) < 0) {
			sup_kill_all(&R);
			sup_sysfs_end(&R);
			return sup_setup_error("%s", err);
		}
	sup_faults_start(&R);
	sup_disk_start(&R);
	/* The wait for the turn holder's next request wakes after 1 ms to look
	 * for a silent death (turn.c, recv_chan).  With the default 50 us of
	 * slack that timer is the CPU's next event on every hand-off, and
	 * arming and cancelling it reprograms the timer hardware, a VM exit
	 * each: about 2 us per hand-off on the benchmark machine (bench/ring
	 * with a timed hub, docs/benchmarks.md).  With a tick of slack (the
	 * resolution of the coarse clock) it expires with the scheduler tick
	 * instead, or a tick later when the CPU idles.  Launched processes go
	 * back to the default (launch.c). */
	struct timespec tick = { 0, 0 };
	clock_getres(CLOCK_MONOTONIC_COARSE, &tick);
	long slack = tick.tv_sec ? 10000000L : tick.tv_nsec;
	prctl(PR_SET_TIMERSLACK, slack < 1000000L ? 1000000L : slack > 10000000L ? 10000000L : slack);
	sup_run_loop(&R);
	prctl(PR_SET_TIMERSLACK, 0);
	if (R.refusals_quiet && o->verbosity >= 0)
		fprintf(stderr, "simsup: %llu more refusals like those above were not printed (-v prints "
			"each; the trace has each)\n", (unsigned long long)R.refusals_quiet);
	free(R.refusals_seen);
	sup_kill_all(&R);
	sup_sysfs_end(&R);
	sup_faults_write_args(&R);
	res->families = sup_faults_families(&R);
	res->chaos = o->chaos != NULL;
	if (!R.verdict)
		judge(&R);
	sup_trace_ev(&R, NULL, 0, "end", "is", "verdict", (int64_t)R.verdict, "why", R.why);
	sup_trace_close(R.trace, hash);
	sup_pcap_close(&R);
	int64_t wall = wall_ns() - t0;
	if (R.verdict && !R.kind[0])
		snprintf(R.kind, sizeof R.kind, "failed");
	write_outputs(&R);
	/* a sweep's runs print nothing: the sweep reports (sweep.c) */
	if (o->verbosity >= 0 && !o->sweep)
		print_logs(&R);
	if ((o->verbosity >= 0 || R.verdict) && !o->sweep)
		fprintf(stderr, "simsup: %s seed %llu: %.6fs virtual in %.3fs wall%s%s\n",
			R.verdict ? "FAIL" : "pass", (unsigned long long)seed, R.now / 1e9, wall / 1e9,
			R.verdict ? ": " : "", R.why);
	if (o->verbosity >= 1 && !o->sweep)
		print_profile(&R, stderr);
	if (R.verdict && !o->sweep)
		/* turn.c printed backtraces as they came; print_logs the logs */
		sup_report_run(&R, stderr, o->verbosity < 0 ? SUP_REPORT_TAILS : 0);
	int v = R.interrupted ? 1 : R.verdict;
	res->verdict = R.verdict;
	res->interrupted = R.interrupted;
	res->virtual_ns = R.now;
	res->wall_ns = wall;
	snprintf(res->why, sizeof res->why, "%s", R.why);
	snprintf(res->kind, sizeof res->kind, "%s", R.kind);
	snprintf(res->who, sizeof res->who, "%s", R.who);
	free_run(&R);
	return v;
}

