/*
 * faults.h — the fault plan's types, shared by faults.c (running the plan)
 * and faultspec.c (reading it from the command line).  Private to those two.
 */
#ifndef SUP_FAULTS_H
#define SUP_FAULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "sup.h"

/* K_POWER last: its weight is 0 unless asked for, and swarm() draws only
 * for kinds with a weight, so runs without it keep their streams */
enum kind { K_GRACEFUL, K_CRASH, K_WIPE, K_PAUSE, K_POWER, K_NKINDS };
extern const char *const fault_kind_names[];

struct reboot {
	int64_t at, down, grace;
	int node;
	enum kind kind;
	bool has_rollback;        /* power: rollback=HEX seeds what the loss keeps */
	uint64_t rollback;
};

enum shape { S_ISOLATE, S_HALVES, S_RING, S_BRIDGE, S_ONEWAY };

struct partition {
	int64_t at, dur;
	enum shape shape;
	int a, b; /* isolate:a, oneway:a>b, bridge:a (via=) */
	bool has_split, has_via;  /* split=HEX (halves, bridge), via=N (bridge):
				     otherwise drawn when it starts */
	uint64_t split;
};

struct clockfault {
	int64_t at;
	int node;
	bool has_jump, has_drift;
	bool reset;               /* reset=on: set right, as NTP would (offset 0, no drift) */
	int64_t jump;             /* ns, may be negative */
	int64_t drift_ppm;
};

struct nodeclock {
	int64_t base, drift_ppm, since;
};

/* Per node: network troubles of the chaos "network" family. */
/* --net-fault: the chaos "network" family's troubles, one at a time */
enum netkind { NF_SPIKE, NF_REFUSE, NF_HANG, NF_RESET };

struct netfault {
	int64_t at, dur, extra;   /* extra: a spike's added latency */
	int node;
	enum netkind kind;
	bool has_pick;
	uint64_t pick;            /* reset: which live connection (drawn if not given) */
};

struct nodenet {
	int64_t spike_until, spike_ns;   /* extra latency on its links */
	int64_t connfault_until;
	int connfault;                   /* ECONNREFUSED, or -1: SYNs to it are lost */
};

struct chaos {
	bool on;
	bool clocks;
	bool network;
	int max_down;
	int64_t every_lo, every_hi, down_lo, down_hi, grace_lo, grace_hi;
	int weight[K_NKINDS];
	bool partitions;
	int64_t part_lo, part_hi;
	bool disk;                /* disk faults: off unless disk=on (docs/faults.md) */
};

struct sup_faults {
	uint64_t rng[4];          /* the faults' own stream: adding faults must not
				     change the scheduler's choices before them */
	struct chaos chaos;
	int nnodes;
	int *cut;                 /* nnodes x nnodes: cuts in force from -> to */
	struct nodeclock *clock;  /* per node: CLOCK_REALTIME offset and drift */
	struct nodenet *net;      /* per node: latency spikes, connect failures */
	char log[4096];           /* faults so far, for failure reports */
	size_t loglen;
	struct applied *applied;  /* each fault as it happened, as an option */
	int napplied, capplied;
};

/* One fault that took effect, written as the explicit option that makes it
 * again (RUN_DIR/faults.args): "--reboot" "at=...". */
struct applied {
	int64_t at;
	char opt[16];
	char spec[240];
};


int fault_parse_reboot(const char *arg, int procs, struct reboot *r, char *err, size_t errlen);
int fault_parse_partition(const char *arg, int procs, struct partition *p, char *err, size_t errlen);
int fault_parse_clock(const char *arg, int procs, struct clockfault *cf, char *err, size_t errlen);
int fault_parse_netfault(const char *arg, int procs, struct netfault *nf, char *err, size_t errlen);
int fault_parse_chaos(const char *arg, struct chaos *c, char *err, size_t errlen);

#endif
