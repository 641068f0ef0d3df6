/*
 * shim.h — internal interface of libsimsup.so (interposer + shim).
 *
 * Everything declared here is reachable from the SIGSYS handler: it must be
 * async-signal-safe, must not allocate, and must enter the kernel only through
 * shim_syscall6 (interposer/gate.S).
 */
#ifndef SHIM_H
#define SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/time.h>
#include <sys/un.h>
#include <ucontext.h>

#include "simsup/proto.h"

#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))
#define SHIM_EXPORT __attribute__((visibility("default")))

/* interposer/gate.S */
long shim_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern char shim_gate_start[], shim_gate_end[], shim_gate_restorer[];
#define sys0(nr) shim_syscall6((nr), 0, 0, 0, 0, 0, 0)
#define sys1(nr, a) shim_syscall6((nr), (long)(a), 0, 0, 0, 0, 0)
#define sys2(nr, a, b) shim_syscall6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(nr, a, b, c) shim_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(nr, a, b, c, d) shim_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(nr, a, b, c, d, e) \
	shim_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define sys6(nr, a, b, c, d, e, f) \
	shim_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* interposer/sud.c: the signals the SIGSYS handler runs with blocked
 * (all but the synchronous ones); blocking wrappers hold the same. */
uint64_t shim_handler_mask(void);

/* One intercepted call, whatever caught it (PLT wrapper, SIGSYS, vDSO). */
struct sim_call {
	long nr;
	long a[6];
	ucontext_t *uc; /* set when caught by SIGSYS: the registers at the syscall */
};

/* shim/dispatch.c: the one dispatcher behind every entry point.
 * Returns the syscall result (negative errno on failure). */
long shim_dispatch(struct sim_call *c);

/* shim/clock.c: virtual time.  Safe to call before the shim is initialized
 * (returns the configured epoch) and from any context. */
int64_t shim_now(void);                         /* virtual ns since run start */
void shim_tick(void);                           /* charge one intercepted call */
int shim_clock_gettime(clockid_t clk, struct timespec *ts); /* 0 | -errno */
int shim_gettimeofday(struct timeval *tv, void *tz);
long shim_clock_set_call(struct sim_call *c); /* clock_settime, settimeofday, adjtimex */
time_t shim_time(time_t *t);
int shim_getcpu(unsigned *cpu, unsigned *node, void *cache);
uint64_t shim_tsc(void);                        /* virtual TSC (1 tick = 1 ns) */

/* interposer/vdso.c: overwrite the vDSO's time functions with jumps to the
 * shim_* functions above.  0 | -errno.  Call before a second thread exists. */
int shim_vdso_patch(void);
extern unsigned char shim_vdso_tp; /* a static program: the patch switches %fs (tp.c) */
/* interposer/gate.S: rt_sigprocmask(SIG_SETMASK, mask) from inside the gate,
 * callable on a static program's thread pointer */
void shim_gate_setmask(const uint64_t *mask);

/* interposer/rdtsc.c: make rdtsc/rdtscp fault (PR_SET_TSC) and emulate them.
 * shim_rdtsc_emulate returns true when the faulting instruction was
 * rdtsc/rdtscp and has been emulated (registers and rip updated). */
int shim_rdtsc_enable(void);
bool shim_rdtsc_emulate(ucontext_t *uc);


/* ---- state (shim/state.c) ---- */

/* The most fds one wait can name and still be described to the supervisor
 * exactly (block.c); a larger poll or select set waits as an imprecise one. */
#define SHIM_PROBE_MAX 64

/* Per-thread state.  Lives in initial-exec TLS: no __tls_get_addr, so it is
 * safe in the SIGSYS handler. */
struct shim_thread {
	int sock;             /* this thread's channel to the supervisor; -1: none */
	struct sim_chan *chan; /* its channel page (channel.c); NULL: the socket only */
	uint32_t chan_nrep;   /* replies taken from it */
	bool chan_off;        /* made once (or refused): no second try */
	int vtid;             /* virtual thread id */
	volatile char sel;    /* Syscall User Dispatch selector byte */
	bool armed;           /* SUD is on for this thread */
	bool dirty;           /* changed state others could see since last request */
	int depth;            /* nesting of shim_dispatch (signal handlers) */
	int *clear_tid;       /* CLONE_CHILD_CLEARTID address, for join */
	char *stacks;          /* entry and work stacks of the SIGSYS handler (sud.c) */
	uintptr_t work_next;   /* where a switch to the work stack starts (sud.c) */
	bool trap_moved;       /* this trap was entered on the program's alternate stack (sud.c) */
	unsigned ss_gen;       /* counts the program's sigaltstack changes (sud.c) */
	ucontext_t *uc;        /* the registers of the trapped call, NULL outside one */
	const uint64_t *mask;  /* the program's signal mask at the trapped call */
	/* a PLT wrapper's call (interposer/wrappers.c): the program's signals
	 * are held back from the call's first request on (shim_hold_signals),
	 * not from its start: a call that never asks the supervisor anything
	 * cannot be interrupted by a signal of the simulation */
	struct shim_lazy_hold { bool held; uint64_t old; } *lazy;
	bool real_ids;         /* libunwind at work: its calls go to the kernel untouched (sud.c) */
	stack_t prog_ss;       /* the alternate stack the program asked for (sud.c) */
	unsigned long prog_fs; /* static program: its thread pointer (tp.c) */
	bool shim_trap;        /* static program: this trap was made by the shim's own glibc */
	bool in_vdso_tp;       /* static program: in a clock read through the vDSO (vdso.c) */
	bool vdso_mask_held;   /* ... which must put back vdso_mask on its way out */
	uint64_t vdso_mask;
	void *rseq_area;       /* static program: its rseq registration (thread.c) */
	uint32_t rseq_len, rseq_sig;
	/* block.c: the epoll instance (the probe) that describes this thread's
	 * current wait to the supervisor, and what is registered in it */
	int probe;             /* -1: none yet */
	bool probe_new;        /* made since the supervisor last got a copy */
	bool probe_stale;      /* may hold a registration the program no longer has */
	bool fruitless;        /* woken, retried, found nothing: say so on the next park */
	int nprobe;
	uint32_t probe_gen;    /* shim_proc.fd_gen when probe_set was registered */
	uint32_t empty_checks; /* checks that found nothing since the last request (block.c) */
	struct shim_probe_ent { int fd; uint32_t ev; } probe_set[SHIM_PROBE_MAX];
	/* timer.c: a timerfd_settime the supervisor has not been told yet; it
	 * goes with this thread's next request (SIM_REQ_TIMERFD) */
	bool tfd_pending;
	int64_t tfd_set[4];
	/* the profile (-v): calls caught since the last request, by entry point */
	uint32_t ntrap, nplt, nvdso;
};
extern SHIM_TLS struct shim_thread shim_self;

/* Per-process state.  Written only by the thread that holds the turn (one
 * thread at a time makes this safe without locks), or before any second
 * thread exists. */
#define SHIM_TKILL_MAX 64
struct shim_proc {
	bool active;          /* running under simsup (set once, at init) */
	struct sim_config cfg;
	int64_t now;          /* virtual ns, advanced by ticks and replies */
	int64_t next_event;   /* yield once now reaches this */
	int64_t rt_offset;    /* CLOCK_REALTIME offset of this node (clock faults) */
	int64_t disk_ops;     /* SIM_DISK_* ops with a disk fault active on this node */
	uint64_t rng[4];      /* random stream (xoshiro256**) from cfg.seed */
	uint64_t prng_sched;  /* preemption decisions */
	bool static_image;    /* a statically linked program runs on this shim (staticexec.c) */
	const char *static_path; /* its absolute path (/proc/self/exe names the shim) */
	bool has_signalfd;    /* a signalfd is or was open here: waits are imprecise (block.c) */
	bool net_unsent;      /* wrote to a virtual socket since the relay last read (block.c) */
	uint32_t fd_gen;      /* +1 whenever an fd may have been closed or replaced (fdtable.c) */
	/* tgkill/tkill to another thread of this process, left for that
	 * thread to queue to itself (signal.c) */
	struct shim_tkill { int tid; int sig; } tkill[SHIM_TKILL_MAX];
	int ntkill;
	/* channel pages of threads that exited, unmapped by the next thread
	 * that gets the turn (channel.c) */
	void *chan_dead[8];
	int nchan_dead;
};
extern struct shim_proc shim_proc;

/* ---- channel (shim/channel.c) ---- */

/* Sends a request on this thread's channel; when rep is non-NULL waits for
 * the reply (which may come much later: this is how a thread parks) and
 * updates virtual time from it.  sendfd >= 0 is passed with SCM_RIGHTS.
 * Returns rep->ret, or 0 without a reply.  If the supervisor is gone the
 * process exits: nothing can continue without it. */
long shim_request(struct sim_req *rq, const void *payload, int sendfd, struct sim_rep *rep);
/* The channel page: dropped with the image (after SIM_EXEC's reply),
 * retired by an exiting thread (before its last message), forgotten by a
 * forked child (which starts without the mapping). */
void shim_chan_drop(void);
void shim_chan_retire(void);
void shim_chan_forked(void);
/* Convenience: op with up to four arguments, waits for the reply. */
long shim_call(int op, long a0, long a1, long a2, long a3);
/* A question that must leave the schedule as it was: whether it is asked
 * at all may depend on host values (filetime.c asks only on a miss of a
 * cache keyed by host inode numbers), so it neither reports this thread's
 * changes (the dirty flag waits for the next request: reported here, it
 * would wake parked pollers) nor takes the reply's yield point (the reply
 * of a request made only in some runs would end a slice only in some). */
long shim_query(int op, long a0, long a1, long a2, long a3);
void shim_note(const char *text);            /* a trace note */
void shim_refuse(long nr, const char *what); /* record an unsupported call */
_Noreturn void shim_die(const char *msg);    /* fatal shim error: report and exit */

/* ---- blocking (shim/block.c) ---- */

/* Parks until another thread may have changed something (or the deadline,
 * -1 for none).  Returns 1 to retry, 0 when the deadline has passed,
 * -EINTR when a signal the program will handle is pending. */
long shim_park_poll(int64_t deadline);
/* A signalfd may have appeared at fd (created, received, inherited). */
void shim_note_signalfd(int fd);
void shim_scan_signalfds(void);   /* at start-up: those inherited across exec */
void shim_probe_forget(void);     /* a forked child: the probe was the parent's */
void shim_probe_close(void);      /* the thread ends */
/* shim/signal.c */
bool shim_sig_deliverable(void);
long shim_sigsuspend(struct sim_call *c);
long shim_sigtimedwait(struct sim_call *c);
void shim_yield(void);
/* Deadline for a relative timeout in ns (<0: none). */
int64_t shim_deadline(int64_t rel_ns);

/* ---- modules ---- */
uint64_t shim_random_u64(void);
void shim_random_seed(uint64_t seed);
void shim_random_fill(void *buf, size_t n);
/* /dev/urandom and /dev/random: an open of either (true: handled, *fd set)
 * marks the fd random; their stat, ioctls and writes are answered there */
bool shim_entropy_open(const char *path, int flags, long *fd);
bool shim_entropy_call(struct sim_call *c, long *ret);
/* a stat of a memory device (null, zero, full, random, urandom): as the
 * node's own, made at its boot, whatever the host's node says */
struct stat;
struct statx;
void shim_devnode_stat(struct stat *st);
void shim_devnode_statx(struct statx *sx);
bool shim_fd_is_own(int fd);                 /* fds the program may not touch */
void shim_fd_own(int fd);
void shim_fd_disown(int fd);
int shim_fd_random(int fd);                  /* 1 if fd reads the seeded stream */
void shim_fd_set_random(int fd, bool on);
void shim_fd_forget(int fd);                 /* fd was closed or replaced */
int shim_fd_kind(int fd);                    /* S_IFMT bits, cached */
struct shim_sto_pre { bool da; }; /* what shim_storage_before saw (storage.c) */
void shim_storage_before(struct sim_call *c, struct shim_sto_pre *p);
void shim_storage_after(struct sim_call *c, long r, const struct shim_sto_pre *p); /* storage.c */
bool shim_storage_call(struct sim_call *c, long *ret);
bool shim_disk_call(struct sim_call *c, long *ret);  /* disk.c */
bool shim_statfs_call(struct sim_call *c, long *ret); /* diskfree.c: the node's disk */
void shim_stall(int64_t ns);                         /* block.c: uninterruptible wait */
/* shim/net.c: socket calls on virtual (AF_INET/AF_INET6) sockets, and
 * socket() itself.  true with *ret set when it handled the call. */
bool shim_net_call(struct sim_call *c, long *ret);
/* shim/kwait.c: flock, fcntl locks, System V semaphores and message
 * queues, POSIX message queues: waits for another process, parked instead
 * of blocking in the kernel.  true with *ret set when it handled the call. */
bool shim_kwait_call(struct sim_call *c, long *ret);
/* shim/procnet.c: /proc/net/{tcp,udp,dev,route,...} of the node; the
 * host's other socket lists refused.  true with *fd set when handled. */
bool shim_procnet_open(long nr, const char *path, int flags, long *fd);
/* shim/pwait.c: ppoll, pselect6, epoll_pwait[2] that carry a signal mask:
 * the wait runs under that mask.  true with *ret set when it handled it. */
bool shim_masked_wait(struct sim_call *c, long *ret);
/* shim/fifo.c: open of a named pipe, parked instead of blocking in the
 * kernel.  true with *ret set when the path is a FIFO it handled. */
bool shim_fifo_open(struct sim_call *c, long *ret);
/* shim/sigrestart.c: a wait interrupted by a signal: true when every
 * pending signal had an SA_RESTART handler, which has now run (retry). */
bool shim_sig_restart(void);

/* shim/block.c */
struct pollfd;
struct epoll_event;
long shim_nanosleep(const struct timespec *req, struct timespec *rem);
long shim_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
			  struct timespec *rem);
long shim_poll(struct pollfd *fds, unsigned long n, int64_t timeout_ns);
long shim_epoll_wait(int epfd, struct epoll_event *ev, int max, int64_t timeout_ns);
long shim_select(int n, void *rd, void *wr, void *ex, int64_t timeout_ns);
long shim_wait_fd(int fd, short events, int64_t deadline);
void shim_spin_check(void); /* a check returned without waiting (block.c) */
/* after the caller's own EAGAIN; retry: see block.c (NULL: looks after a wake-up) */
long shim_wait_fd_after(int fd, short events, int64_t deadline, bool *retry);
void shim_timeout_left(void *tp, bool timeval, int64_t t, int64_t start);
long shim_blocking_in(struct sim_call *c, int fd);
long shim_blocking_out(struct sim_call *c, int fd);
/* shim/channel.c */
long shim_wait_turn(struct sim_rep *rep);     /* first turn of a new thread/child */
int shim_own_fd(int fd);                      /* move fd to the shim's range, CLOEXEC */

/* interposer/sud.c */
void *shim_stacks_map(void);                 /* a thread's handler stacks (mmap) */
int shim_sud_arm(void *stacks);              /* this thread: alt stack + SUD on */
int shim_signals_install(void);              /* process: SIGSYS/SIGSEGV handlers */
int shim_sud_rearm(void);                    /* forked child: SUD on again */
long shim_sigaction(int sig, const void *act, void *old);
long shim_sigprocmask(struct sim_call *c);
long shim_sigaltstack(struct sim_call *c);
/* Runs the program's handlers for the signals pending and not in mask,
 * from inside a trap (the kernel's rt_sigsuspend: -EINTR), each on the
 * stack the kernel would choose. */
long shim_run_handlers(const uint64_t *mask);
/* Namespace flags of clone and unshare (CLONE_NEWTIME, 0x80, is also
 * clone's exit signal byte: unshare and clone3 only) */
#define SHIM_CLONE_NEW_ANY                                                                  \
	(0x00020000 /* NEWNS */ | 0x02000000 /* NEWCGROUP */ | 0x04000000 /* NEWUTS */ |    \
	 0x08000000 /* NEWIPC */ | 0x10000000 /* NEWUSER */ | 0x20000000 /* NEWPID */ |     \
	 0x40000000 /* NEWNET */)
long shim_vpid_of_real(long real); /* dispatch.c: 0 outside the simulation */
bool shim_has_cap(int cap, bool if_unknown); /* dispatch.c: in the caller's effective set */
/* The node's CLOCK_REALTIME at virtual time t (ns since the run began). */
static inline int64_t shim_realtime_at(int64_t t)
{
	return shim_proc.cfg.epoch_ns + shim_proc.rt_offset + t;
}
/* unixabs.c: abstract AF_UNIX names, one name space per node */
struct shim_unix_call {
	int kind;               /* 0: nothing in; 1: an address argument; 2: sendmsg's msg_name */
	int ai, li;             /* kind 1: which arguments */
	long saved_ptr;
	unsigned saved_len;
	unsigned cap;           /* an address coming out: room the program gave */
	unsigned len;
	struct sockaddr_un addr;
};
long shim_unix_before(struct sim_call *c, struct shim_unix_call *u); /* 0 | -errno */
void shim_unix_after(struct sim_call *c, struct shim_unix_call *u, long r);
void shim_hold_signals(void);       /* in a wrapper's call: hold signals back from now on */
/* The program's signal mask for the call being made (0 outside one). */
static inline uint64_t shim_prog_mask(void)
{
	shim_hold_signals();
	return shim_self.mask ? *shim_self.mask : 0;
}
/* interposer/sud.c: the handlers of a static program swap %fs (tp.c) */
int shim_signals_install_tp(void);
/* interposer/tp.c: the program's and the shim's thread pointers */
int shim_tp_setup(void);                     /* this thread's block goes to %gs */
unsigned long shim_tp_fs(void);
void shim_tp_set_gs(unsigned long v);
unsigned long shim_tp_new(void);             /* a shim thread block for a new thread, or 0 */
void shim_tp_started(unsigned long tcb);     /* in the new thread, first thing */
long shim_tp_arch_prctl(struct sim_call *c);
/* interposer/gate.S: sets %fs and the signal mask, then shim_resume(gregs) */
_Noreturn void shim_gate_resume_tp(const greg_t *gregs, unsigned long fs, const uint64_t *mask);
/* shim/filetime.c */
void shim_filetime_after(struct sim_call *c, long r);
long shim_filetime_set(struct sim_call *c);
void shim_filetime_dents(int fd, char *buf, long len);
size_t shim_backtrace(ucontext_t *uc, char *buf, size_t n);
/* shim/thread.c, shim/proc.c */
long shim_clone(struct sim_call *c);
struct clone_args;
long shim_clone_new_thread(struct sim_call *c, unsigned long flags, unsigned long sp,
			   int *ctid, struct clone_args *ca);
long shim_execve(struct sim_call *c);
bool shim_exe_readlink(struct sim_call *c, long *ret); /* static program: /proc/self/exe */
_Noreturn void shim_exit_group(int status);
_Noreturn void shim_thread_exit(int status);
void shim_thread_rseq(const struct sim_call *c); /* a static program's rseq call succeeded */
long shim_wait(struct sim_call *c);
long shim_futex(struct sim_call *c);
/* shim/signal.c: kill/tgkill/tkill/rt_[tg]sigqueueinfo with virtual ids */
long shim_kill(struct sim_call *c);
/* Queues to this thread the tgkills other threads of the process left for
 * it (called with every reply: the thread holds the turn). */
void shim_tkill_take(void);
void shim_tkill_drop(void);           /* this thread ends: what was left for it goes */
void shim_thread_started(unsigned long flags, int *ptid, int vtid, long real_tid);
/* shim/timer.c: alarm, [gs]etitimer, timer_*, timerfd_* in virtual time */
long shim_timer_call(struct sim_call *c);
void shim_timerfd_forget(int fd);            /* fd closed or replaced */
void shim_timerfd_dup(int oldfd, int newfd);
void shim_timerfd_forked(void);             /* in a fork child */
/* shim/pseudo.c: host-leaking pseudo-files and host queries, virtualized */
/* true: handled, *fd set */
bool shim_pseudo_open(int dirfd, const char *path, int flags, long *fd);
/* shim/hostfiles.c: kernel settings files and smaps, fixed; writes to /proc/sys refused */
bool shim_hostfile_open(long nr, const char *path, int flags, long *fd); /* true: handled */
long shim_host_query(struct sim_call *c);   /* uname, sysinfo, getrusage, times */
long shim_getdents64(struct sim_call *c);
/* procdir.c: /proc by virtual pid.  shim_proc_translate turns
 * /proc/<vpid>[/task/<vtid>]/rest into the real path in buf: 1, 0 when
 * path is not one, -ENOENT when the ids are not the node's. */
struct shim_proc_ref {
	long vpid, vtid;      /* vtid 0: the process */
	const char *rest;     /* what follows the ids in the path ("" or "/...") */
};
int shim_proc_translate(int dirfd, const char *path, char *buf, size_t n,
			struct shim_proc_ref *ref);
long shim_proc_real_pid(long vpid);                        /* -ESRCH: not on the node */
bool shim_proc_path_call(struct sim_call *c, long *ret);   /* stat family, access, readlink */
bool shim_proc_getdents(int fd, char *buf, size_t len, long *ret); /* /proc, task dirs */
bool shim_proc_host_only(long nr, const char *path, long *ret); /* refused /proc files */
void shim_proc_listing_forget(int fd);
/* After a successful stat-family call (stat, lstat, newfstatat, statx):
 * all its times become t (virtual ns of CLOCK_REALTIME), its inode number
 * ino and its device 0:dev_minor, each unless 0 (procdir.c). */
void shim_stat_rewrite(struct sim_call *c, int64_t t, uint64_t ino, unsigned dev_minor);
/* sysdir.c: a call naming a path under /sys, sent to the virtual tree */
bool shim_sys_call(struct sim_call *c, long *ret);   /* hides the shim's fds in /proc/self/fd */
/* shim/init.c */
void shim_init(void);
extern int shim_state; /* 0: not yet initialized, 1: initializing, 2: done */
static inline void shim_ready(void)
{
	if (__builtin_expect(shim_state == 0, 0))
		shim_init();
}

static inline int64_t shim_ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}
static inline void shim_ns_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000LL;
	ts->tv_nsec = ns % 1000000000LL;
}
#endif
