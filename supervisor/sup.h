/*
 * sup.h — the supervisor's simulated world: processes, threads, the clock,
 * one run.  Shared by the supervisor's files; the shim never sees it.
 */
#ifndef SUP_H
#define SUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/epoll.h>

#include "cli.h"
#include "simsup/proto.h"

enum sup_tstate {
	T_RUNNABLE,   /* waiting for the turn, with a reply ready */
	T_HELLO,      /* a launched image that has not said hello yet */
	T_FORKING,    /* a child whose parent has not reported the clone yet */
	T_SLEEP,      /* until deadline */
	T_POLL,       /* until something else changed, or deadline */
	T_FUTEX,      /* until woken, or deadline */
	T_WAITCHILD,  /* wait4 */
	T_SIGWAIT,    /* sigsuspend, pause, sigtimedwait: until a signal or deadline */
	T_DEAD,
};

struct sup_proc;

struct sup_thread {
	int seq;                 /* creation order: ties and choices follow it */
	int vtid;
	struct sup_proc *proc;
	int sock;                /* the supervisor's end of the thread's channel */
	enum sup_tstate state;
	int64_t deadline;        /* virtual ns, -1: none */
	uint64_t gen_seen;       /* T_POLL: the change generation it last saw */
	uint64_t futex_addr;     /* T_FUTEX */
	uint32_t futex_bitset;
	uint64_t futex_seq;      /* FIFO order among futex waiters */
	uint64_t futex_key;      /* shared futex: memory object key, 0: private */
	int64_t wait_sel;        /* T_WAITCHILD: pid selector and options */
	int wait_opts;
	struct sim_rep reply;    /* sent when it next gets the turn */
	pid_t real_tid;          /* kernel tid (SIM_THREAD_TID); 0: the process's main thread */
	/* precise waits (sched.c): the shim's probe, an epoll instance that
	 * holds what the thread waits for, watched in R->probe_ep */
	int probe;               /* our copy, -1: none */
	bool precise;            /* T_POLL: waits on its probe, not on any change */
	bool probe_armed;        /* watched for EPOLLIN (else for nothing) */
	uint64_t ready_scan;     /* the scan (R->scan) that last found the probe readable */
	/* its channel page (turn.c, SIM_CHAN), mapped here; NULL: the socket
	 * only.  What was taken from it and given through it, counted. */
	struct sim_chan *chan;
	uint32_t chan_nsock, chan_nreq, chan_nrep;
	/* the scheduler's indexes (sched.c) */
	int heap_pos;            /* in R->dl_heap, -1: not there */
	bool live;               /* counted in R->nlive */
};

/* Where the wall time of a run went: printed by -v (run.c, docs/outputs.md),
 * never part of the trace. */
struct sup_stats {
	uint64_t turns;          /* turns handed out */
	uint64_t fruitless;      /* wake-ups after which the thread found nothing and parked */
	uint64_t parks_probe, parks_any; /* waits on fds: told exactly / on any change */
	uint64_t jumps;          /* clock jumps: nobody could run */
	uint64_t deliveries;     /* relay writes into a program's socket */
	uint64_t traps, plt, vdso; /* calls caught, by entry point */
	uint64_t requests;       /* messages from the shims */
};

struct sup_proc {
	int seq;
	int vpid, vppid;
	pid_t pid;               /* real pid, 0 before the clone is reported */
	int node;                /* server index, or -1 - workload index */
	int boot;
	struct sup_proc *parent; /* virtual parent, NULL for launched processes */
	bool launched;           /* started by simsup (judged by its exit) */
	bool fault_exit;         /* ended by a reboot the simulation made */
	bool exited;             /* the simulation saw it end */
	bool reaped;             /* the supervisor collected the real zombie */
	bool collected;          /* its virtual parent waited for it */
	int status;              /* wait status */
	int real_status;         /* wait status the kernel gave, once reaped */
	int crash_sig;           /* a fatal signal the shim reported */
	int nthreads;            /* live threads */
	uint64_t seed;           /* its random stream */
	uint64_t nforks;
	char name[64];           /* the program (basename), for reports */
	char exec_path[256];     /* an exec in progress */
	bool awaiting_hello;     /* its current image has not said hello yet */
	char *backtrace;         /* the shim's backtrace of its crash or watchdog, malloc'd */
	int64_t start_ns;        /* virtual time it was created (/proc/<pid>/stat) */
	int next_timer_id;       /* timer_create ids, per process (timers.c) */
	int vpgid, vsid;         /* virtual process group and session (pgrp.c) */
	bool execed;             /* ran an exec since its fork (setpgid: EACCES) */
};

struct sup_node {
	int next_vpid;           /* pids and tids handed out on this node */
	int boot;
	bool down;               /* crashed, waiting for its restart */
	bool stopping;           /* graceful reboot under way */
	bool paused;             /* not scheduled (pause fault) */
	int64_t restart_delay;   /* graceful: recovery delay once stopped */
	uint64_t gen;            /* changes on this node pollers may see (with R->gen) */
};

struct sup_run {
	struct sup_progclock *pclock; /* per node (servers, then workloads): its clock as
	                                 its programs set and slewed it (faults.c), NULL: untouched */
	const struct sup_opts *o;
	uint64_t seed;
	char *run_dir;
	const char *view_dir;    /* run_dir as the programs see it (view.c) */
	uint64_t run_dev;        /* st_dev of run_dir: its inodes are virtual */
	struct sup_inodes *inodes; /* view.c */
	const char *lib;         /* libsimsup.so */
	const char *prog;        /* the servers' program, resolved */
	int64_t now;
	uint64_t gen;            /* changes any thread made that pollers may see */
	uint64_t node_changes;   /* sum of every node's gen increments */
	int probe_ep;            /* every thread's probe (sched.c) */
	uint64_t scan;           /* probe scans made; the last one is current */
	uint64_t scan_key;       /* R->gen + R->node_changes at the last scan */
	int probes_armed;        /* threads whose probe_armed is set: none, no scan */
	uint64_t *refusals_seen;  /* hashes of the refusals printed (turn.c) */
	size_t nrefusals_seen;
	uint64_t refusals_quiet;  /* the same ones again, not printed */
	struct epoll_event *scan_evs;
	int scan_cap;
	struct sup_stats st;
	uint64_t futex_seq;
	uint64_t rng[4];         /* scheduling choices */
	struct sup_thread **threads;
	int nthreads, cap_threads;
	/* indexes kept by sup_thread_set() (sched.c): threads that may be
	 * eligible (runnable, starting, waiting on fds) as a bitmap by seq,
	 * threads with a deadline as a min-heap by (deadline, seq), and how
	 * many threads are not dead */
	uint64_t *cand;
	struct sup_thread **dl_heap;
	int dl_n, nlive;
	struct sup_proc **procs;
	int nprocs, cap_procs;
	struct sup_node *nodes;  /* servers then workloads */
	int nnodes;
	int sigfd;
	/* outcome */
	bool done;
	int verdict;             /* 0 pass, 1 failed */
	char why[512];
	bool interrupted;
	struct sup_trace *trace;
	struct sup_thread *running; /* holds the turn */
	int64_t slice_end;          /* the turn holder's time slice ends (SUP_QUANTUM_NS) */
	struct sup_events *events;  /* timed events (events.c) */
	struct sup_faults *faults;  /* faults.c, NULL without fault options */
	struct sup_storage *storage; /* storage.c, NULL unless a power loss can happen */
	struct sup_disk *disk;      /* disk.c, NULL without --disk */
	char kind[64];              /* the failure's kind, for reports: "deadlock", ... */
	char who[16];               /* the process whose end failed the run: "w0", "p1", or "" */
	struct sup_pcap *pcap;      /* --pcap capture (pcap.c), or NULL */
	struct sup_timeline *timeline; /* --timeline turn records (timeline.c), or NULL */
	struct sup_timer *timers;   /* armed and idle timers of every process (timers.c) */
	struct sup_net *net;        /* the virtual network (net.c, relay.c), NULL until used */
};

/* view.c: the run directory at one fixed path for the programs */
#define SUP_VIEW_DIR "/tmp/.simsup-run"
const char *sup_view_enter(const char *run_dir, int verbosity);
/* The virtual number of an inode (and birth time: numbers are reused) of
 * the run directory's file system: numbered in the order the simulation
 * first asks, from 1000. */
int64_t sup_inode(struct sup_run *R, uint64_t ino, uint64_t born);
void sup_inodes_free(struct sup_run *R);

/* tsc.c */
void sup_tsc_trap(void);   /* run with rdtsc faulting, as the simulated processes do */
int64_t sup_wall_ns(void); /* CLOCK_MONOTONIC without rdtsc */

/* run.c */
struct sup_result {
	int verdict;             /* 0 pass, 1 failed */
	bool interrupted;
	char why[512];
	char hash[33];
	int64_t virtual_ns, wall_ns;
	char kind[64];           /* what kind of failure: "workload exited 1", "deadlock",
	                            "watchdog", "time limit", "crash", ... (report.h) */
	char who[16];            /* which process's end failed it ("w0", "p2"), or "" */
	uint32_t families;       /* --chaos: the fault families swarm testing kept on
	                            (SUP_FAMILY_*), for the sweep's attribution table */
	bool chaos;
};

/* Fault families of a chaos run: the reboot kinds (bit = faults.h enum
 * kind), then these. */
enum { SUP_FAMILY_PARTITIONS = 5, SUP_FAMILY_NETWORK, SUP_FAMILY_DISK, SUP_FAMILY_CLOCKS,
       SUP_NFAMILIES };
extern const char *const sup_family_names[SUP_NFAMILIES];
uint32_t sup_faults_families(struct sup_run *R); /* 0 without --chaos */
/* Runs one seed in run_dir.  Returns 0 pass, 1 fail, 2 setup error. */
int sup_run_seed(const struct sup_opts *o, uint64_t seed, const char *lib, const char *prog,
		 const char *run_dir, int sigfd, struct sup_result *res);
/* Blocks SIGCHLD, SIGINT, SIGTERM and SIGHUP (read from the returned
 * signalfd, or inherited blocked by children that make their own) and
 * ignores SIGPIPE: simsup's signal set-up for runs, sweeps and --minimize. */
int sup_signals_take(void);
/* Prints "simsup: " + message to stderr; returns 2 (the setup-error status). */
int sup_setup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Names the kind of the failure that the next sup_fail() reports; the first
 * failure of a run keeps its kind, as it keeps its why.  Call it just before
 * sup_fail(). */
void sup_fail_kind(struct sup_run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* report.c: the kind of a process's end as a failure: "workload exited 3",
 * "server killed by SIGKILL", "crash" (its shim reported a fatal signal). */
void sup_exit_kind(const struct sup_run *R, const struct sup_proc *p, char *buf, size_t n);

/* sched.c */
int sup_run_loop(struct sup_run *R);
struct sup_thread *sup_thread_new(struct sup_run *R, struct sup_proc *p, int sock, int vtid);
struct sup_proc *sup_proc_new(struct sup_run *R, int node, struct sup_proc *parent);
/* The live process of a node with a virtual pid, or NULL. */
struct sup_proc *sup_find_proc(struct sup_run *R, int node, int64_t vpid);
/* The process whose real pid is pid, or NULL.  Only processes not yet
 * reaped: the host may have given a reaped one's pid to anything since. */
struct sup_proc *sup_proc_by_pid(struct sup_run *R, pid_t pid);
uint64_t sup_rand(struct sup_run *R);
uint64_t sup_rand_next(uint64_t s[4]);
void sup_rand_seed(uint64_t *s, uint64_t seed);
void sup_fail(struct sup_run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sup_kill_all(struct sup_run *R);
const char *sup_node_name(const struct sup_run *R, int node, char *buf, size_t n);

/* The only writer of t->state and t->deadline: keeps the scheduler's
 * indexes in step. */
void sup_thread_set(struct sup_run *R, struct sup_thread *t, enum sup_tstate state, int64_t deadline);
void sup_thread_wake(struct sup_run *R, struct sup_thread *t, int64_t ret);
void sup_thread_dead(struct sup_run *R, struct sup_thread *t);
void sup_proc_exited(struct sup_run *R, struct sup_proc *p, int status);
bool sup_try_wait(struct sup_run *R, struct sup_thread *w);
void sup_reap(struct sup_run *R);
void sup_signal(struct sup_run *R, struct sup_proc *dst, int sig);
struct sup_node *sup_node_of(struct sup_run *R, int node);
/* Parked pollers retry once something they could see changed: anything
 * (R->gen) or anything on their own node.  A thread's own calls change only
 * its node's kernel objects; the relay changes the node it delivers to. */
static inline uint64_t sup_gen_of(struct sup_run *R, int node)
{
	return R->gen + sup_node_of(R, node)->gen;
}
static inline void sup_node_changed(struct sup_run *R, int node)
{
	sup_node_of(R, node)->gen++;
	R->node_changes++;
}
/* sched.c: a thread's probe (a new one from its shim: fd is ours now) */
void sup_probe_set(struct sup_run *R, struct sup_thread *t, int fd);
void sup_probe_watch(struct sup_run *R, struct sup_thread *t);
void sup_probes_free(struct sup_run *R);
/* events.c: timed events in virtual time, fired in (time, creation) order.
 * An event's callback may schedule more events and wake threads.  The
 * returned handle is valid until the event fires or the run ends. */
typedef void (*sup_event_fn)(struct sup_run *R, void *arg);
struct sup_event;
struct sup_event *sup_event_at(struct sup_run *R, int64_t when, sup_event_fn fire, void *arg);
void sup_event_cancel(struct sup_event *e);
int64_t sup_event_next(struct sup_run *R);      /* earliest pending, or -1 */
void sup_event_fire_due(struct sup_run *R);      /* fire everything due at R->now */
void sup_events_free(struct sup_run *R);
int64_t sup_next_wakeup(struct sup_run *R, const struct sup_thread *self);
bool sup_others_runnable(struct sup_run *R, const struct sup_thread *self);
/* A thread that keeps making calls without ever blocking gives up the turn
 * after this much virtual time when others could run, as a preemptive
 * kernel would slice it: otherwise a polling loop starves the thread it
 * polls for. */
#define SUP_QUANTUM_NS 1000000

/* faults.c */
int sup_faults_check(const struct sup_opts *o, char *err, size_t errlen); /* specs valid? */
bool sup_faults_power_possible(const struct sup_opts *o);
/* A fault event in the trace and in the failure report's list of faults. */
void sup_fault_note(struct sup_run *R, const char *kind, int node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void sup_fault_record(struct sup_run *R, const char *opt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sup_faults_write_args(struct sup_run *R); /* RUN_DIR/faults.args */
void sup_faults_start(struct sup_run *R);   /* schedule the plan (after launch) */
void sup_faults_free(struct sup_run *R);
void sup_faults_proc_exited(struct sup_run *R, struct sup_proc *p);
bool sup_faults_expected_exit(struct sup_run *R, const struct sup_proc *p);
void sup_net_node_crashed(struct sup_run *R, int node); /* net.c: peers see resets */
/* net.c: resets one established connection chosen by pick; false if none */
bool sup_net_reset_random(struct sup_run *R, uint64_t pick, char *what, size_t n);
int64_t sup_fault_extra_latency(struct sup_run *R, int from, int to); /* latency spikes */
/* A connect to node `to` now: 0 as usual, ECONNREFUSED, or -1: the SYN is lost. */
int sup_fault_connect(struct sup_run *R, int to);
const char *sup_faults_log(struct sup_run *R); /* faults so far, or NULL */
int64_t sup_faults_rt_offset(struct sup_run *R, int node); /* CLOCK_REALTIME offset now */
void sup_clock_set(struct sup_run *R, int node, int64_t value); /* a program set it */
/* adjtimex (SIM_CLOCK_ADJ): a[0]=modes, a[1]=freq, a[2]=tick, a[3]=single-shot offset ns,
 * a[4]=maxerror, a[5]=esterror; payload status, constant, tai (3 x int32).  out[] as the reply. */
int64_t sup_clock_adj(struct sup_run *R, int node, const int64_t *a, const void *payload, size_t plen,
		      int64_t *out);
/* Is the directed link between two nodes (server index, or -1-j for
 * workload j) cut by a partition?  The relay holds traffic on cut links and
 * re-checks when sup_on_links_changed is called. */
bool sup_fault_link_cut(struct sup_run *R, int from_node, int to_node);
extern void (*sup_on_links_changed)(struct sup_run *R);

/* pgrp.c: process groups and sessions (SIM_PGRP), signals to several
 * processes (SIM_KILL); out[4] is rep.a. */
int64_t sup_pgrp(struct sup_run *R, struct sup_thread *t, const int64_t *a);
int64_t sup_kill(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out);
/* timers.c: sig to p from process `from`, with si_code SI_QUEUE and from's
 * virtual pid, interrupting p's waits. */
int sup_signal_from(struct sup_run *R, struct sup_proc *from, struct sup_proc *p, int sig);

/* turn.c */
void sup_give_turn(struct sup_run *R, struct sup_thread *t);
/* a thread's channel page (turn.c): unmapped; closed (the shim told first) */
void sup_chan_drop(struct sup_thread *t);
void sup_chan_close(struct sup_thread *t);
/* Replies to the turn holder's request (ret, and rep.a from a, which may be NULL). */
void sup_reply(struct sup_run *R, struct sup_thread *t, int64_t ret, const int64_t *a);

/* net.c, relay.c: the virtual network (docs/network.md).  sup_net_serve
 * answers a SIM_NET_* request (taking *fd if it keeps it) and returns
 * whether the thread parked; sup_net_pump relays what the turn holder wrote
 * (call it after every turn); sup_net_node_down resets every connection of
 * a node whose machine crashed (its peers see ECONNRESET). */
bool sup_net_serve(struct sup_run *R, struct sup_thread *t, const struct sim_req *rq,
		   const char *payload, int *fd);
void sup_net_pump(struct sup_run *R);
void sup_net_node_down(struct sup_run *R, int node);
void sup_net_free(struct sup_run *R);

/* timers.c: alarm/setitimer, timer_create, timerfd in virtual time, and
 * signals sent to one thread with a siginfo the supervisor makes.  The
 * request handlers return the reply's ret and fill out[4] (rep.a). */
int64_t sup_timer_create(struct sup_run *R, struct sup_thread *t, const int64_t *a, int *fd);
int64_t sup_timer_set(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out);
int64_t sup_timer_get(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out);
int64_t sup_timer_delete(struct sup_run *R, struct sup_thread *t, const int64_t *a);
int64_t sup_timer_dup(struct sup_run *R, struct sup_thread *t, const int64_t *a);
int64_t sup_tgkill(struct sup_run *R, struct sup_thread *t, const int64_t *a, const void *payload,
		   size_t plen, int64_t *out);
void sup_thread_tid(struct sup_run *R, struct sup_thread *t, const int64_t *a);
int64_t sup_procinfo(struct sup_run *R, struct sup_thread *t, const int64_t *a, int64_t *out);
void sup_timers_proc_exited(struct sup_run *R, struct sup_proc *p); /* all its timers end */
void sup_timers_exec(struct sup_run *R, struct sup_proc *p);        /* POSIX timers end */
void sup_timers_free(struct sup_run *R);

/* sysfs.c: writes RUN_DIR/sys, the virtual /sys (docs/pseudo-files.md) */
int sup_sysfs_build(struct sup_run *R, char *err, size_t errlen);
/* once every process is gone: unmounts it, so the run dir can be removed */
void sup_sysfs_end(struct sup_run *R);
/* /sys/class/net exists in a private view only; there, each node's mount
 * namespace binds the file sup_sysfs_node_mac writes (its eth0 address,
 * at PATH) over sup_sysfs_mac_target */
bool sup_sysfs_has_net(const struct sup_run *R);
int sup_sysfs_node_mac(const struct sup_run *R, int node, char *path, size_t len);
void sup_sysfs_node_mac_path(const struct sup_run *R, int node, bool view, char *path, size_t len);
void sup_sysfs_mac_target(const struct sup_run *R, char *path, size_t len);

/* launch.c */
int sup_launch(struct sup_run *R, int node, char *err, size_t errlen);
int sup_prepare_run_dir(struct sup_run *R, char *err, size_t errlen);
int sup_remove_tree(const char *path); /* never follows symlinks */
void sup_path_clean(char *abs_path);   /* no "." components, no "//" (in place) */
bool sup_readable_by(const char *path, uid_t uid, gid_t gid);
const char *sup_shim_for_all(struct sup_run *R, char *buf, size_t len);
int sup_check_placeholders(const struct sup_opts *o, char *err, size_t errlen);

/* trace.c */
struct sup_trace;
struct sup_trace *sup_trace_open(const char *path);
/* Appends one event: kind, then key/value pairs as format letters:
 * 'i' int64, 's' string, 'u' uint64; e.g. sup_trace(R, p, "exit", "i", "status", 0). */
void sup_trace_ev(struct sup_run *R, const struct sup_proc *p, int vtid, const char *kind,
		  const char *fmt, ...);
void sup_trace_close(struct sup_trace *t, char hash[33]);
/* One field of a trace line; kind 'i', 'u' or 's' as in sup_trace_ev. */
struct sup_trace_field {
	const char *key;
	char kind;
	int64_t i;
	uint64_t u;
	const char *s;
};
/* The JSON line of n fields, without its newline, into out (cap bytes):
 * its length, or 0 when it does not fit.  With json_c, through json-c's
 * objects; else formatted directly where that gives the same bytes, and
 * through json-c for what would not (a string to escape, a key twice). */
size_t sup_trace_render(const struct sup_trace_field *f, int n, bool json_c, char *out, size_t cap);

#endif
