/*
 * thread.c — threads: creation by clone/clone3 (from pthread_create or
 * anything else), first turn, exit.
 *
 * A clone that creates a thread is made by the shim itself (gate.S
 * shim_clone_thread) so the child starts in shim_thread_entry on its new
 * stack: it registers, arms Syscall User Dispatch (not inherited by new
 * threads) on stacks its creator mapped, waits for its first turn, and
 * only then resumes exactly where the kernel would have started it, with
 * the registers of the trapped clone.
 *
 * Reachable from the SIGSYS handler: no malloc (an mmap arena), gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "shim.h"

struct thread_start {
	greg_t gregs[NGREG];   /* the registers of the trapped clone */
	uint64_t sigmask;      /* the signal mask at the clone */
	int sock;
	int vtid;
	int *clear_tid;
	unsigned long sp;      /* the stack pointer the kernel would give the child */
	unsigned long tp;      /* static program: the shim's thread block (tp.c), else 0 */
	unsigned long prog_tp; /* static program: the child's own thread pointer */
	void *stacks;          /* its SIGSYS handler's stacks, mapped by the creator */
};

long shim_clone_thread(long nr, long a0, long a1, long a2, long a3, long a4);
void shim_resume(const greg_t *gregs) __attribute__((noreturn));

/* shim_resume (gate.S) restores every general register from a ucontext
 * gregs array and jumps to its rip on its rsp: once per thread, at its
 * first turn. */

/* A bump allocator over mmap'd pages for thread start records: never freed,
 * a few hundred bytes per thread ever created. */
static void *arena_alloc(size_t n)
{
	static char *cur, *end; /* per process, touched only with the turn */
	n = (n + 15) & ~(size_t)15;
	if (!cur || (size_t)(end - cur) < n) {
		long p = sys6(SYS_mmap, 0, 65536, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p < 0 && p > -4096)
			return NULL;
		cur = (char *)p;
		end = cur + 65536;
	}
	void *r = cur;
	cur += n;
	return r;
}

void shim_thread_entry(struct thread_start *ts) __attribute__((noreturn, used));
void shim_thread_entry(struct thread_start *ts)
{
	if (ts->tp)
		shim_tp_started(ts->tp); /* before anything else: %gs */
	shim_self.sock = ts->sock;
	shim_self.vtid = ts->vtid;
	shim_self.clear_tid = ts->clear_tid;
	if (shim_sud_arm(ts->stacks) < 0)
		shim_die("cannot arm syscall user dispatch in a new thread");
	struct sim_rep rep;
	shim_wait_turn(&rep);
	ts->gregs[REG_RAX] = 0;
	ts->gregs[REG_RSP] = (greg_t)ts->sp;
	if (ts->tp) {
		shim_self.prog_fs = ts->prog_tp;
		shim_gate_resume_tp(ts->gregs, ts->prog_tp, &ts->sigmask);
	}
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, &ts->sigmask, NULL, 8);
	shim_resume(ts->gregs);
}

long shim_clone_new_thread(struct sim_call *c, unsigned long flags, unsigned long sp,
			   int *ctid, struct clone_args *ca)
{
	if (!c->uc || !sp)
		return -EINVAL; /* a thread without a stack cannot be resumed */
	int sv[2];
	long r = sys4(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	if (r < 0)
		return r;
	sv[0] = shim_own_fd(sv[0]);
	sv[1] = shim_own_fd(sv[1]);
	struct sim_req rq = { .op = SIM_THREAD_NEW };
	struct sim_rep rep;
	long vtid = shim_request(&rq, NULL, sv[0], &rep);
	sys1(SYS_close, sv[0]);
	shim_fd_disown(sv[0]);
	/* Everything the child needs from the address space is mapped here,
	 * in the creator's turn: the child's first steps run beside other
	 * threads in wall time and must not move the creator's next mmap. */
	struct thread_start *ts = arena_alloc(sizeof *ts);
	void *stacks = shim_stacks_map();
	if (!ts || !stacks || vtid < 0)
		shim_die("cannot register a new thread");
	memcpy(ts->gregs, c->uc->uc_mcontext.gregs, sizeof ts->gregs);
	memcpy(&ts->sigmask, &c->uc->uc_sigmask, sizeof ts->sigmask);
	ts->sock = sv[1];
	ts->vtid = (int)vtid;
	ts->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : NULL;
	ts->sp = sp;
	ts->tp = 0;
	unsigned long tls = ca ? (unsigned long)ca->tls : (unsigned long)c->a[4];
	if (shim_proc.static_image) {
		/* the child runs the shim on a thread block of its own, and
		 * the program on the thread pointer it asked for, or else
		 * its creator's (tp.c) */
		ts->tp = shim_tp_new();
		if (!ts->tp) {
			sys1(SYS_close, sv[1]);
			shim_fd_disown(sv[1]);
			shim_call(SIM_THREAD_EXIT, 0, 0, 0, (long)vtid);
			return -EAGAIN;
		}
		ts->prog_tp = (flags & CLONE_SETTLS) ? tls : shim_self.prog_fs;
		flags |= CLONE_SETTLS;
		tls = ts->tp;
	}
	ts->stacks = stacks;
	/* The child pops [entry][ts] from its new stack. */
	unsigned long *top = (unsigned long *)sp;
	top[-2] = (unsigned long)shim_thread_entry;
	top[-1] = (unsigned long)ts;
	if (ca) {
		struct clone_args copy = *ca;
		copy.stack_size -= 16;
		copy.flags = flags;
		copy.tls = tls;
		r = shim_clone_thread(SYS_clone3, (long)&copy, sizeof copy, 0, 0, 0);
	} else {
		r = shim_clone_thread(SYS_clone, (long)flags, (long)(sp - 16), c->a[2], c->a[3],
				      (long)tls);
	}
	if (r < 0) {
		sys1(SYS_close, sv[1]);
		shim_fd_disown(sv[1]);
		shim_call(SIM_THREAD_EXIT, 0, 0, 0, (long)vtid);
	}
	if (r > 0)
		shim_thread_started(flags, ca ? (int *)(uintptr_t)ca->parent_tid : (int *)c->a[2],
				    (int)vtid, r);
	return r > 0 ? vtid : r; /* the program sees the virtual tid, as gettid() */
}

/* glibc (2.35+) registers each thread's rseq area inside its TCB, in the
 * thread's stack block; the kernel writes it on every return to user mode
 * and raises SIGSEGV (SI_KERNEL) if it cannot.  Weak: older glibc has no
 * rseq and no such symbols. */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));
#define SHIM_RSEQ_SIG 0x53053053 /* RSEQ_SIG on x86 */
#define SHIM_RSEQ_UNREGISTER 1   /* RSEQ_FLAG_UNREGISTER */

/* A static program's libc registers rseq areas of its own layout: the
 * shim remembers each thread's, to unregister it the same way. */
void shim_thread_rseq(const struct sim_call *c)
{
	if (c->a[2] & SHIM_RSEQ_UNREGISTER) {
		shim_self.rseq_area = NULL;
		return;
	}
	shim_self.rseq_area = (void *)c->a[0];
	shim_self.rseq_len = (uint32_t)c->a[1];
	shim_self.rseq_sig = (uint32_t)c->a[3];
}

static void rseq_unregister(void)
{
	if (shim_proc.static_image) {
		if (shim_self.rseq_area)
			sys4(SYS_rseq, shim_self.rseq_area, shim_self.rseq_len,
			     SHIM_RSEQ_UNREGISTER, shim_self.rseq_sig);
		return;
	}
	if (!&__rseq_size || !&__rseq_offset || __rseq_size == 0)
		return;
	char *tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp)); /* the TCB points to itself */
	unsigned len = __rseq_size < 32 ? 32 : __rseq_size;
	sys4(SYS_rseq, tp + __rseq_offset, len, SHIM_RSEQ_UNREGISTER, SHIM_RSEQ_SIG);
}

_Noreturn void shim_thread_exit(int status)
{
	struct sim_req rq = { .op = SIM_THREAD_EXIT };
	if (shim_self.clear_tid) {
		/* What the kernel would do at exit, done now and told to the
		 * supervisor so that pthread_join's futex wait is woken; the
		 * kernel must not write again later into memory that may by
		 * then belong to another thread. */
		__atomic_store_n(shim_self.clear_tid, 0, __ATOMIC_SEQ_CST);
		sys1(SYS_set_tid_address, 0);
		rq.a[0] = (int64_t)(uintptr_t)shim_self.clear_tid;
	}
	/* Once the supervisor has the exit, the joiner may run and glibc may
	 * hand this thread's stack block, TLS (shim_self) included, to a new
	 * thread while this one is still on its way out: read nothing from
	 * TLS after the send, and change the shared fd table before it,
	 * while this thread still holds the turn. */
	int sock = shim_self.sock;
	if (shim_proc.active && sock >= 0) {
		/* nor may the kernel write the rseq area there (seen as a
		 * SIGSEGV in a Python program: CPython detaches its threads,
		 * glibc then unmaps a freed stack block at once) */
		rseq_unregister();
		shim_probe_close();
		shim_tkill_drop();
		shim_fd_disown(sock);
		shim_chan_retire();
		shim_request(&rq, NULL, -1, NULL);
		sys1(SYS_close, sock);
	}
	for (;;)
		sys1(SYS_exit, status);
}
