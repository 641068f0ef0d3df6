/*
 * report.h — what simsup tells people after runs: the report of one failing
 * run (its failure, the last events before it, crash backtraces, the tail
 * of each process's log) and the summary of a sweep (seeds run, passed,
 * failed by kind, the command that replays each failure).
 */
#ifndef SUP_REPORT_H
#define SUP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

struct sup_run;
struct sup_proc;

enum sup_outcome {
	SUP_PASSED,
	SUP_FAILED,   /* the run failed: exit status 1 */
	SUP_ERROR,    /* setup error: exit status 2 */
	SUP_STOPPED,  /* stopped before its end (--budget, --fail-fast, a signal): no verdict */
};

/* One seed's result, as the summary and the JUnit file need it. */
struct sup_seed_result {
	uint64_t seed;
	uint64_t index;          /* position in the (shard's) seed list */
	enum sup_outcome outcome;
	int64_t virtual_ns, wall_ns;
	char hash[33];
	char *kind, *why;        /* malloc'd; NULL when it passed */
	bool chaos;              /* --chaos: families says which fault families were on */
	uint32_t families;       /* bits SUP_FAMILY_* and reboot kinds (sup.h) */
};

/* A finished sweep (or one seed). */
struct sup_sweep_report {
	const struct sup_opts *o;
	int argc;                /* simsup's command line, for replay commands */
	char **argv;
	const char *prog;        /* the servers' program, resolved */
	struct sup_seed_result *r; /* the seeds that ran, in seed-list order */
	size_t n;
	uint64_t total;          /* seeds in the list (after --shard) */
	int64_t wall_ns;
	time_t started;          /* wall-clock start, for JUnit's timestamp */
	const char *run_dir;     /* the sweep's directory (one seed: its run dir) */
	bool single;             /* one seed, not a sweep */
	const char *stopped;     /* why the sweep ended early ("--budget"...), or NULL */
	const char *replay;      /* --minimize: the minimal command, instead of the replay */
	const char *story;       /* --minimize: the minimal run's story, or NULL */
};

/* The run directory of result r: RUN_DIR/seed-N for a sweep.  malloc'd. */
char *sup_report_seed_dir(const struct sup_sweep_report *s, const struct sup_seed_result *r);

enum {
	SUP_REPORT_BACKTRACES = 1, /* each crashed process's backtrace */
	SUP_REPORT_TAILS = 2,      /* the last lines of each process's stdout and stderr */
};
/* Writes the report of R's failure to f: why and when, the last events of
 * the trace before the end, the faults before it, and what flags ask for.
 * Call after the trace was closed. */
void sup_report_run(const struct sup_run *R, FILE *f, int flags);

/* One trace.jsonl line as a line for people ("    1.000123s p0 pid 100 exit
 * status=1"), and the last n lines of a file, each after prefix. */
void sup_report_event(FILE *f, const char *line);
void sup_report_tail(FILE *f, const char *path, int n, const char *prefix);
/* The fault families of a sweep's chaos runs (swarm testing): per family,
 * the seeds that had it on, the failures among them, the failures without
 * it.  Returns how many families have rows (0: no chaos run). */
struct sup_family_row {
	const char *name;
	size_t on, failed_on, failed_off;
};
int sup_report_families(const struct sup_sweep_report *s, struct sup_family_row *rows);
/* --summary FILE: the sweep as JSON (counts, failures, families).  0 | -1. */
int sup_summary_write(const struct sup_sweep_report *s, const char *path, char *err, size_t errlen);
/* The end-of-sweep summary, on f, every line prefixed "simsup: ": counts,
 * failures grouped by kind, the replay command of each failing seed, and
 * the report of the first failing seed (from its RUN_DIR/report.txt). */
void sup_report_sweep(const struct sup_sweep_report *s, FILE *f);

#endif
