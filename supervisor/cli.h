/*
 * cli.h — simsup's command line: options into a run plan, placeholders into
 * arguments.  Pure functions, no I/O besides --help/--version output.
 */
#ifndef SUP_CLI_H
#define SUP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPUs of the simulated machine every node runs on (sched_getaffinity,
 * nproc) unless --cpus says otherwise (docs/threads-and-signals.md). */
#define SUP_VIRTUAL_CPUS 1

struct sup_tag {
	char *key;       /* as given, e.g. "role" */
	char **values;   /* e.g. {"leader", "follower"} */
	int nvalues;
};

struct sup_opts {
	int procs;                 /* --procs N (default 1) */
	struct sup_tag *tags;      /* --tag KEY=V1,V2 (repeatable) */
	int ntags;
	uint64_t seed;             /* --seed N */
	bool seed_set;             /* false: main picks a random seed and prints it */
	int64_t time_limit_ns;     /* --time-limit DUR (virtual); default 24h */
	char *run_dir;             /* --run-dir DIR; NULL: a fresh directory */
	bool keep;                 /* --keep: keep a passing run's fresh directory */
	char *durability;          /* --durability PROFILE[,commit=DUR][,expire=DUR] */
	char **disks;              /* --disk SPEC (repeatable) */
	int64_t disk_size;         /* --disk-size: bytes per server's storage dir (0: no limit) */
	int ndisks;
	int64_t epoch_ns;          /* --epoch; default 2025-01-01T00:00:00Z */
	int verbosity;             /* -q: -1, default 0, -v: 1, -vv: 2 */
	bool check_determinism;    /* --check-determinism */
	int64_t tick_ns;           /* --tick DUR: virtual cost per intercepted call (1us) */
	int preempt_permille;      /* --preempt P: chance (0-1000) of a switch per call (0) */
	int cpus;                  /* --cpus N: CPUs the virtual machines report (SUP_VIRTUAL_CPUS) */
	int64_t watchdog_ns;       /* --watchdog DUR: wall-clock limit per turn (30s) */
	char **workloads;          /* --workload 'CMD ARGS' (repeatable) */
	int nworkloads;
	char **argv;               /* the command after "--" (NULL-terminated) */
	int argc;
	char **reboots;            /* --reboot SPEC (repeatable), parsed in faults.c */
	int nreboots;
	char **partitions;         /* --partition SPEC (repeatable), parsed in faults.c */
	int npartitions;
	char *chaos;               /* --chaos[=KNOBS]: NULL off, "" defaults */
	int64_t chaos_duration_ns; /* --chaos-duration (60s) */
	bool servers_may_exit;     /* --servers-may-exit */
	char **clocks;             /* --clock SPEC (repeatable), parsed in faults.c */
	int nclocks;
	char **netfaults;          /* --net-fault SPEC (repeatable), parsed in faults.c */
	int nnetfaults;
	bool minimize;             /* --minimize[=match:TEXT] (minimize.c) */
	char *minimize_match;      /* TEXT, or NULL */
	/* sweeps and outputs (docs/outputs.md) */
	struct sup_seed_range *seed_ranges; /* --seeds A-B,C,...: inclusive ranges */
	int nseed_ranges;
	uint64_t iterations;       /* --iterations N (0: not given) */
	bool sweep;                /* --seeds or --iterations: each seed in RUN_DIR/seed-N */
	int jobs;                  /* -j N: seeds run at once (default 1, 0: one per CPU) */
	int shard_k, shard_n;      /* --shard K/N, 1 <= K <= N (0/0: the whole list) */
	bool fail_fast;            /* --fail-fast */
	int64_t budget_ns;         /* --budget DUR: wall-clock time for the sweep (0: none) */
	char *junit;               /* --junit FILE */
	char *timeline;            /* --timeline FILE */
	char *pcap;                /* --pcap FILE */
	char *summary;             /* --summary FILE: a sweep's summary as JSON */
	/* the network's latency (docs/network.md): --latency MIN:MAX[:TAILPCT:TAILMAX] */
	int64_t lat_min_ns, lat_max_ns; /* most deliveries (100us:800us) */
	int64_t lat_tail_ppm;           /* deliveries per million in the tail (1000: 0.1%) */
	int64_t lat_tail_max_ns;        /* the tail's upper end (100ms) */
};

struct sup_seed_range {
	uint64_t lo, hi;           /* lo <= hi */
};

/* Parses argv.  Returns 0 to run, 1 when --help or --version was printed
 * (exit 0), -1 on a malformed command line: err then holds one line naming
 * the offending argument, without the "simsup: " prefix or newline. */
int sup_cli_parse(int argc, char **argv, struct sup_opts *o, char *err, size_t errlen);
void sup_cli_free(struct sup_opts *o);
/* The command line that replays one seed of this command line: "simsup
 * --seed SEED" and every argument except those that choose seeds, run
 * directories and output files (--seed, --seeds, --iterations, -j, --shard,
 * --fail-fast, --budget, --run-dir, --junit, --timeline, --pcap) and -q, quoted
 * for a POSIX shell.  argv must have parsed.  Returns a malloc'd string. */
char *sup_cli_replay(int argc, char **argv, uint64_t seed);
/* The same, also without the options that make faults (--reboot,
 * --partition, --clock, --disk, --net-fault, --chaos, --chaos-duration),
 * --minimize, -j and --preempt (replaced by preempt >= 0), followed by
 * extra[0..nextra) as words: the minimizer's command lines. */
char *sup_cli_replay_with(int argc, char **argv, uint64_t seed, int preempt,
			  char *const *extra, int nextra);
/* ns as a duration sup_parse_duration reads back exactly: "12.5s",
 * "250ms", "-2.000000001s". */
char *sup_fmt_duration(int64_t ns, char *buf, size_t n);

/* "90s", "10m", "2h", "1d", "250ms", "100us", "5ns", "1.5s"; a bare number is
 * seconds.  0 | -1 (malformed, negative or overflowing). */
int sup_parse_duration(const char *s, int64_t *ns);
/* Seconds since 1970 ("1700000000", "@1700000000") or UTC ISO 8601
 * ("2025-01-01", "2025-01-01T00:00:00Z").  0 | -1. */
int sup_parse_epoch(const char *s, int64_t *ns);

/* Facts about one simulated process, for placeholders and environment. */
struct sup_expand_ctx {
	const struct sup_opts *opts;
	int index;       /* server index (0-based), or workload index */
	bool workload;   /* true for a workload process (10.0.0.x) */
	int boot;        /* 1 for the first boot */
};

/* Value of tag KEY for server `index` (round-robin over its values), or NULL
 * when the tag is not given.  Keys compare case-insensitively. */
const char *sup_tag_value(const struct sup_opts *o, const char *key, int index);

/* Replaces {ip} {index} {boot} {tag:KEY} {peers} {ip:N} in arg and leaves
 * every other brace alone (awk, perl and JSON arguments keep theirs).
 * Returns a malloc'd string, or NULL with err set for a placeholder that
 * cannot be filled ("{ip:7}: no such server", "{tag:zone}: no --tag zone",
 * "malformed placeholder {ip:x}").  Server IP i is 10.0.1.(i+1); workload j
 * is 10.0.0.(j+1); {peers} is every server IP, comma-separated. */
char *sup_expand(const char *arg, const struct sup_expand_ctx *ctx, char *err, size_t errlen);

/* The virtual IPv4 address (host byte order) of server i or workload j. */
uint32_t sup_server_ip(int i);
uint32_t sup_workload_ip(int j);
void sup_ip_str(uint32_t ip, char *buf, size_t n); /* dotted quad */

#endif
