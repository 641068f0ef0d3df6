/*
 * sud.c — the trap backstop: Syscall User Dispatch and the SIGSYS handler,
 * plus the SIGSEGV handler that emulates rdtsc and reports crashes.
 *
 * Every syscall made outside the gate (interposer/gate.S) raises SIGSYS; the
 * handler decodes the registers into one struct sim_call and hands it to the
 * shim's dispatcher, and nothing else.  The handler runs with every
 * asynchronous signal blocked, so a thread parked inside a trapped call is
 * never interrupted by the program's own handlers: those run when it next
 * has the turn.
 *
 * Stacks.  Each thread has one stack region of the shim's (entry below,
 * work above).  While the program runs, the kernel's alternate stack is the
 * one the program installed (Go checks that its handlers run on it), or,
 * while it has none, the shim's whole region, reported to the program as
 * disabled, with SS_AUTODISARM.  The SIGSYS handler (SA_ONSTACK) is
 * entered on whatever alternate stack is current.  On the shim's region,
 * the kernel disarms it for the length of the trap; on the program's, the
 * handler moves at once to the top of the work part (shim_sigsys_entry
 * below), with a copy of the kernel's frame that it returns through, and
 * disables the alternate stack itself.  (The frame cannot stay where the
 * kernel wrote it: a program may give all its threads one alternate stack,
 * as varnish does, legal while no two of its handlers run at once, and
 * every thread parked in a trap would have its frame at the same place,
 * each overwritten by the next thread's trap.)  Either way, while the
 * shim works the kernel has no alternate stack, and a trap nested in a trap
 * (the shim's own libc in a static program, libunwind) gets its frame below
 * the live ones on the current stack, never at the top of an alternate
 * stack over the outer trap's frame; rt_sigreturn restores the frame's
 * uc_stack.  A sigaltstack call made in a trap is applied by rewriting that
 * uc_stack.
 *
 * Async-signal-safe only; no allocation except mmap; gate syscalls only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shim.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define SUD_ON 1
#define SUD_BLOCK 1
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code of a SUD SIGSYS */
#endif
#define ENTRY_SIZE (64 * 1024)  /* depth below the work part: traps nested deeply */
#define WORK_SIZE (128 * 1024)  /* the shim's own work inside a trap, kernel frames at its top */
#define REGION_SIZE (ENTRY_SIZE + WORK_SIZE)
/* The region's lowest SIM_CHAN_SIZE bytes are the thread's channel page
 * once it has one (shim/channel.c maps it there, so that it moves no
 * address the program sees): the alternate stack starts above them. */
#define ALT_LO SIM_CHAN_SIZE
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

struct ss_guard {
	stack_t saved;
	bool on;
};
static void guard(struct ss_guard *g, const ucontext_t *uc);
static void unguard(struct ss_guard *g);
static void ss_wish(stack_t *ss);

/* The program's own wishes for the signals the shim keeps (per process). */
static struct ksigaction prog_segv; /* SIGSEGV: chained after rdtsc */

void shim_on_sigsys(int sig, siginfo_t *si, void *ucv) __attribute__((used, visibility("hidden")));
void shim_sigsys_entry(int sig, siginfo_t *si, void *ucv);

static bool on_region(uintptr_t sp)
{
	return shim_self.stacks && sp - (uintptr_t)shim_self.stacks < REGION_SIZE;
}

/* Where shim_sigsys_entry moves a handler entered with its frame pointer
 * at fp (the kernel's frame starts at fp + 8: the restorer's address, the
 * ucontext, the siginfo si, and above them the FP state uc's fpregs points
 * at): 0 to stay (on the shim's region already: the kernel put the frame
 * there, below any live one); else, entered on the program's alternate
 * stack, the address of a copy of the whole frame at work_next (the top of
 * the work part, or below the frames of a trap running the program's
 * handlers: shim_run_handlers), at the same offset modulo 64 (the FP state
 * is 64-byte aligned; the frame, so the copy, is 8 mod 16).  The handler
 * runs below the copy and returns through it: rt_sigreturn restores the
 * copy.  A frame not laid out as expected is not copied: the handler just
 * moves to work_next (16-aligned), as before the copy. */
uintptr_t shim_work_sp(uintptr_t fp, uintptr_t si, uintptr_t ucv) __attribute__((used, visibility("hidden")));
uintptr_t shim_work_sp(uintptr_t fp, uintptr_t si, uintptr_t ucv)
{
	if (!shim_self.stacks || on_region(fp))
		return 0;
	shim_self.trap_moved = true; /* the alternate stack goes off in shim_on_sigsys */
	uintptr_t base = fp + 8, end = si + 128 /* sizeof (siginfo_t) */;
	/* Entered by the kernel, the frame is right above us (the restorer's
	 * address, then uc).  Called by a static program's handler stub
	 * instead (shim_handler_tp), it lies above that stub's frames: then
	 * no copy, as before (a static program whose threads share one
	 * alternate stack is not covered: docs/compatibility.md). */
	if (ucv != base + 8)
		return shim_self.work_next & ~(uintptr_t)15;
	ucontext_t *uc = (ucontext_t *)ucv;
	uintptr_t fpx = (uintptr_t)uc->uc_mcontext.fpregs;
	if (fpx) {
		/* the XSAVE area's size, past the legacy 512 bytes (sigcontext.h) */
		const struct _fpx_sw_bytes *sw = (const void *)(fpx + 464);
		uintptr_t fend = fpx + (sw->magic1 == FP_XSTATE_MAGIC1 ? sw->extended_size : 512);
		if (fpx < end || fend - base > 32 * 1024)
			return shim_self.work_next & ~(uintptr_t)15; /* not the layout we know: as before */
		end = fend;
	}
	if (ucv < base || si < ucv || end - base > 32 * 1024)
		return shim_self.work_next & ~(uintptr_t)15;
	uintptr_t top = shim_self.work_next & ~(uintptr_t)63;
	uintptr_t dst = ((top - (end - base) - 64) & ~(uintptr_t)63) + (base & 63);
	__builtin_memcpy((void *)dst, (const void *)base, end - base);
	if (fpx)
		((ucontext_t *)(ucv - base + dst))->uc_mcontext.fpregs = (void *)(fpx - base + dst);
	return dst;
}

/* Entered on the program's alternate stack and moved off it: until this
 * trap's rt_sigreturn the kernel has no alternate stack, as the shim's
 * region's SS_AUTODISARM gives a trap entered there, so that a nested trap
 * stacks below us. */
static void altstack_off(void)
{
	if (!shim_self.trap_moved)
		return;
	shim_self.trap_moved = false;
	stack_t ss = { .ss_flags = SS_DISABLE };
	sys2(SYS_sigaltstack, &ss, NULL);
}

/* The SIGSYS handler: shim_on_sigsys on the work stack.  Entered as if
 * called (rsp = 8 mod 16).  Returns to the kernel's restorer on the stack
 * it was entered on, or, moved with a copy of the kernel's frame, through
 * the copy (si and uc then point into it). */
__asm__(".text\n"
	".globl shim_sigsys_entry\n.hidden shim_sigsys_entry\n"
	"shim_sigsys_entry:\n"
	" push %rbp\n mov %rsp, %rbp\n"
	" push %rdi\n push %rsi\n push %rdx\n sub $8, %rsp\n"
	" mov %rbp, %rdi\n"
	" call shim_work_sp\n"
	" mov -8(%rbp), %rdi\n mov -16(%rbp), %rsi\n mov -24(%rbp), %rdx\n"
	" test %rax, %rax\n jz 1f\n"
	/* a copy is 8 mod 16, as the frame; a plain move 16-aligned */
	" test $8, %al\n jnz 2f\n mov %rax, %rsp\n jmp 1f\n"
	"2: lea 8(%rbp), %rcx\n"
	" sub %rcx, %rsi\n add %rax, %rsi\n sub %rcx, %rdx\n add %rax, %rdx\n"
	" mov %rax, %rbp\n lea -8(%rax), %rsp\n and $-16, %rsp\n"
	" call shim_on_sigsys\n"
	" mov %rbp, %rsp\n ret\n"
	"1: call shim_on_sigsys\n"
	" mov %rbp, %rsp\n pop %rbp\n ret\n");

/* Appends a backtrace of the context uc to buf (NUL-terminated). */
size_t shim_backtrace(ucontext_t *uc, char *buf, size_t n)
{
	/* libunwind makes its own syscalls (reads /proc/<getpid()>/maps,
	 * probes memory by writing it to a pipe): they still trap, so that
	 * they leave through the gate with its mark (include/simsup/escape.h),
	 * and on_sigsys passes them to the kernel untouched */
	shim_self.real_ids = true;
	unw_cursor_t cur;
	size_t len = 0;
	buf[0] = 0;
	if (unw_init_local2(&cur, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0)
		goto out;
	for (int depth = 0; depth < 32 && len + 200 < n; depth++) {
		unw_word_t ip = 0, off = 0;
		char name[160];
		unw_get_reg(&cur, UNW_REG_IP, &ip);
		if (unw_get_proc_name(&cur, name, sizeof name, &off) < 0)
			strcpy(name, "??");
		char line[220];
		int k = 0;
		/* hand-made formatting: no stdio in a signal handler */
		const char *hex = "0123456789abcdef";
		line[k++] = ' ';
		line[k++] = ' ';
		line[k++] = '0';
		line[k++] = 'x';
		for (int s = 44; s >= 0; s -= 4)
			line[k++] = hex[(ip >> s) & 15];
		line[k++] = ' ';
		for (const char *p = name; *p && k < 200; p++)
			line[k++] = *p;
		line[k++] = '+';
		line[k++] = '0';
		line[k++] = 'x';
		bool lead = true;
		for (int s = 28; s >= 0; s -= 4) {
			int d = (off >> s) & 15;
			if (d || !lead || s == 0) {
				line[k++] = hex[d];
				lead = false;
			}
		}
		line[k++] = '\n';
		memcpy(buf + len, line, (size_t)k);
		len += (size_t)k;
		buf[len] = 0;
		if (unw_step(&cur) <= 0)
			break;
	}
out:
	shim_self.real_ids = false;
	return len;
}

static void report_crash(int sig, ucontext_t *uc)
{
	static char bt[SIM_PAYLOAD_MAX]; /* per process: a crash ends the process */
	if (!shim_proc.active || shim_self.sock < 0)
		return;
	shim_backtrace(uc, bt, sizeof bt);
	struct sim_req rq = { .op = SIM_CRASH, .a = { sig } };
	rq.len = (uint32_t)strlen(bt);
	shim_request(&rq, bt, -1, NULL);
}

static long raw_sigaction(int sig, const struct ksigaction *act, struct ksigaction *old)
{
	return sys4(SYS_rt_sigaction, sig, act, old, 8);
}

static void set_default(int sig)
{
	struct ksigaction dfl = { .handler = SIG_DFL };
	raw_sigaction(sig, &dfl, NULL);
}

/* The program's SIGSEGV handler, chained.  A static program's runs on its
 * own thread pointer (tp.c), put back for the call. */
static void call_prog_segv(int sig, siginfo_t *si, void *ucv)
{
	void (*h)(int, siginfo_t *, void *) = (void (*)(int, siginfo_t *, void *))prog_segv.handler;
	if (!shim_proc.static_image || shim_self.shim_trap) {
		h(sig, si, ucv);
		return;
	}
	unsigned long tcb = shim_tp_fs();
	__asm__ volatile("wrfsbase %0" : : "r"(shim_self.prog_fs) : "memory");
	h(sig, si, ucv);
	__asm__ volatile("wrfsbase %0" : : "r"(tcb) : "memory");
}

static void on_fatal(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	if (sig == SIGSEGV && shim_rdtsc_emulate(ucv)) {
		errno = saved;
		return;
	}
	if (sig == SIGSEGV && prog_segv.handler != SIG_DFL && prog_segv.handler != SIG_IGN) {
		call_prog_segv(sig, si, ucv);
		errno = saved;
		return;
	}
	report_crash(sig, ucv);
	set_default(sig); /* returning re-executes the fault (or abort re-raises) */
	errno = saved;
}

uint64_t shim_handler_mask(void)
{
	uint64_t m = ~0ULL;
	int sync[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };
	for (unsigned i = 0; i < sizeof sync / sizeof *sync; i++)
		m &= ~(1ULL << (sync[i] - 1));
	return m;
}

/* SIGSYS to sys_h, the crashes (and SIGSEGV for rdtsc) to fatal_h. */
static int install_handlers(void *sys_h, void *fatal_h)
{
	struct ksigaction a = {
		.handler = sys_h,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTORER,
		.restorer = shim_gate_restorer,
		.mask = shim_handler_mask(),
	};
	long r = raw_sigaction(SIGSYS, &a, NULL);
	if (r < 0)
		return (int)r;
	a.handler = fatal_h;
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
		if ((r = raw_sigaction(sigs[i], &a, NULL)) < 0)
			return (int)r;
	return 0;
}

int shim_signals_install(void)
{
	prog_segv.handler = SIG_DFL;
	return install_handlers((void *)shim_sigsys_entry, (void *)on_fatal);
}

/*
 * A static program (tp.c): its code runs on its own thread pointer, the
 * shim's on the one in %gs.  Each handler is entered through a stub that
 * switches %fs to %gs before any C code, and puts back the program's
 * (which arch_prctl may have changed meanwhile) on return.  A trap made by
 * the shim's own glibc (fs already equal to gs) leaves prog_fs alone.
 */
unsigned long shim_handler_tp(int sig, siginfo_t *si, void *uc, unsigned long fs,
			      unsigned long tcb) __attribute__((used));
unsigned long shim_handler_tp(int sig, siginfo_t *si, void *uc, unsigned long fs,
			      unsigned long tcb)
{
	/* SIGSYS through the entry that moves to the work stack, as a call */
	void (*h)(int, siginfo_t *, void *) = sig == SIGSYS ? shim_sigsys_entry : on_fatal;
	if (fs == tcb) {
		bool outer = shim_self.shim_trap;
		shim_self.shim_trap = true;
		h(sig, si, uc);
		shim_self.shim_trap = outer;
		return fs;
	}
	shim_self.prog_fs = fs;
	h(sig, si, uc);
	return shim_self.prog_fs;
}

void shim_handler_tp_stub(int sig, siginfo_t *si, void *uc);
__asm__(".text\n"
	".globl shim_handler_tp_stub\n.hidden shim_handler_tp_stub\n"
	"shim_handler_tp_stub:\n"
	" rdfsbase %rcx\n"    /* the thread pointer at the trap */
	" rdgsbase %r8\n"     /* the shim's thread block */
	" wrfsbase %r8\n"
	" sub $8, %rsp\n"
	" call shim_handler_tp\n"
	" add $8, %rsp\n"
	" wrfsbase %rax\n"
	" ret\n");

int shim_signals_install_tp(void)
{
	return install_handlers((void *)shim_handler_tp_stub, (void *)shim_handler_tp_stub);
}

void *shim_stacks_map(void)
{
	long p = sys6(SYS_mmap, 0, REGION_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	return p < 0 && p > -4096 ? NULL : (void *)p;
}

/* stacks: mapped by the thread's creator, inside its turn (thread.c), or
 * NULL to map them here (the main thread, at start). */
int shim_sud_arm(void *stacks)
{
	if (!stacks && !(stacks = shim_stacks_map()))
		return -ENOMEM;
	shim_self.stacks = stacks;
	shim_self.work_next = (uintptr_t)stacks + REGION_SIZE;
	stack_t ss = { .ss_sp = (char *)stacks + ALT_LO, .ss_size = REGION_SIZE - ALT_LO,
		       .ss_flags = SS_AUTODISARM };
	long r = sys2(SYS_sigaltstack, &ss, NULL);
	if (r < 0)
		return (int)r;
	shim_self.sel = SUD_BLOCK;
	long r2 = sys5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, SUD_ON, (long)shim_gate_start,
		 (long)(shim_gate_end + 1 - shim_gate_start), (long)&shim_self.sel);
	if (r2 < 0)
		return (int)r2;
	shim_self.armed = true;
	return 0;
}

/* Re-enables SUD in a forked child, which keeps the parent's alternate
 * stack but not its dispatch setting. */
int shim_sud_rearm(void)
{
	shim_self.sel = SUD_BLOCK;
	return (int)sys5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, SUD_ON, (long)shim_gate_start,
			 (long)(shim_gate_end + 1 - shim_gate_start), (long)&shim_self.sel);
}

/* ---- the program's view of the signals the shim keeps ---- */

/* rt_sigaction: SIGSYS stays ours (the program's wish is accepted and
 * ignored), SIGSEGV is chained; every handler the program installs returns
 * through the gate's restorer, since the one glibc supplies lies outside the
 * region that may make rt_sigreturn. */
long shim_sigaction(int sig, const void *actv, void *oldv)
{
	const struct ksigaction *act = actv;
	struct ksigaction *old = oldv;
	static struct ksigaction prog_sys; /* per process */
	if (sig == SIGSYS || sig == SIGSEGV) {
		struct ksigaction *keep = sig == SIGSYS ? &prog_sys : &prog_segv;
		if (old)
			*old = *keep;
		if (act)
			*keep = *act;
		return 0;
	}
	if (!act)
		return raw_sigaction(sig, NULL, old);
	struct ksigaction a = *act;
	if (a.handler != SIG_DFL && a.handler != SIG_IGN) {
		a.flags |= SA_RESTORER;
		a.restorer = shim_gate_restorer;
	}
	/* A handler that blocks every signal (libuv's, with sigfillset) must
	 * still trap its own syscalls: a SIGSYS raised while blocked kills
	 * the process.  SIGSEGV stays open for rdtsc emulation. */
	a.mask &= ~((1ULL << (SIGSYS - 1)) | (1ULL << (SIGSEGV - 1)));
	return raw_sigaction(sig, &a, old);
}

/* rt_sigprocmask inside a trap: the mask that counts is the one the
 * sigreturn will restore, in the ucontext; SIGSYS and SIGSEGV are never
 * blocked. */
long shim_sigprocmask(struct sim_call *c)
{
	int how = (int)c->a[0];
	const uint64_t *set = (const uint64_t *)c->a[1];
	uint64_t *old = (uint64_t *)c->a[2];
	uint64_t keep = (1ULL << (SIGSYS - 1)) | (1ULL << (SIGSEGV - 1));
	if (!c->uc) {
		uint64_t s = set ? *set & ~keep : 0;
		return sys4(SYS_rt_sigprocmask, how, set ? &s : NULL, old, 8);
	}
	uint64_t *cur = (uint64_t *)&c->uc->uc_sigmask;
	uint64_t prev = *cur;
	if (set) {
		switch (how) {
		case SIG_BLOCK: *cur |= *set; break;
		case SIG_UNBLOCK: *cur &= ~*set; break;
		case SIG_SETMASK: *cur = *set; break;
		default: return -EINVAL;
		}
		*cur &= ~keep;
	}
	if (old)
		*old = prev;
	return 0;
}

void shim_on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	altstack_off();
	if (si->si_code != SYS_USER_DISPATCH) {
		/* sent by the supervisor's watchdog: say where this thread is */
		static char bt[SIM_PAYLOAD_MAX];
		shim_backtrace(uc, bt, sizeof bt); /* its traps stack below us */
		shim_note(bt);
		errno = saved;
		return;
	}
	if (shim_self.real_ids) { /* libunwind at work (shim_backtrace) */
		g[REG_RAX] = shim_syscall6(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX],
					   g[REG_R10], g[REG_R8], g[REG_R9]);
		errno = saved;
		return;
	}
	struct sim_call c = {
		.nr = si->si_syscall,
		.a = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] },
		.uc = uc,
	};
	const uint64_t *outer = shim_self.mask;
	struct shim_lazy_hold *outer_lazy = shim_self.lazy;
	ucontext_t *outer_uc = shim_self.uc;
	unsigned gen = shim_self.ss_gen;
	shim_self.mask = (const uint64_t *)&uc->uc_sigmask;
	shim_self.lazy = NULL; /* the kernel blocked them for the handler */
	shim_self.ntrap++;
	shim_self.uc = uc;
	g[REG_RAX] = shim_dispatch(&c);
	if (shim_self.ss_gen != gen) /* rt_sigreturn restores uc_stack */
		ss_wish(&uc->uc_stack);
	shim_self.mask = outer;
	shim_self.lazy = outer_lazy;
	shim_self.uc = outer_uc;
	errno = saved;
}

/* ---- the program's alternate signal stack ---- */

static bool ss_enabled(const stack_t *ss)
{
	return !(ss->ss_flags & SS_DISABLE) && ss->ss_size;
}

/* What the kernel's alternate stack is while the program runs: the
 * program's, or the shim's region while it has none. */
static void ss_wish(stack_t *ss)
{
	if (ss_enabled(&shim_self.prog_ss))
		*ss = shim_self.prog_ss;
	else
		*ss = (stack_t){ .ss_sp = shim_self.stacks + ALT_LO, .ss_size = REGION_SIZE - ALT_LO,
				 .ss_flags = SS_AUTODISARM };
}

/* A trap about to let the kernel deliver the program's signals (its
 * handlers, in shim_run_handlers), when the program has an alternate stack
 * of its own: the kernel's becomes the program's again, and where the
 * trap's frame lies on it, it ends below that frame, where the kernel would
 * have put a nested signal (disabled when too little is left: then a
 * handler runs below the shim's frames, as it does when the program has no
 * alternate stack).  unguard puts back what the trap had. */
static void guard(struct ss_guard *g, const ucontext_t *uc)
{
	g->on = false;
	if (!uc || !ss_enabled(&shim_self.prog_ss) || sys2(SYS_sigaltstack, NULL, &g->saved) < 0)
		return;
	stack_t want = shim_self.prog_ss;
	uintptr_t lo = (uintptr_t)want.ss_sp, frame = (uintptr_t)uc - 8;
	want.ss_flags &= SS_AUTODISARM;
	if (frame >= lo && frame < lo + want.ss_size) {
		want.ss_size = frame - lo;
		if (want.ss_size < 2048) /* MINSIGSTKSZ */
			want = (stack_t){ .ss_flags = SS_DISABLE };
	}
	g->on = sys2(SYS_sigaltstack, &want, NULL) == 0;
}

static void unguard(struct ss_guard *g)
{
	if (!g->on)
		return;
	if (ss_enabled(&g->saved))
		g->saved.ss_flags &= SS_AUTODISARM;
	else
		g->saved = (stack_t){ .ss_flags = SS_DISABLE };
	sys2(SYS_sigaltstack, &g->saved, NULL);
}

long shim_run_handlers(const uint64_t *mask)
{
	struct ss_guard g;
	guard(&g, shim_self.uc);
	uintptr_t next = shim_self.work_next, here = (uintptr_t)__builtin_frame_address(0);
	if (on_region(here))
		shim_self.work_next = here - 512; /* the program's traps start below us */
	long r = sys2(SYS_rt_sigsuspend, mask, 8);
	shim_self.work_next = next;
	unguard(&g);
	return r;
}

/* sigaltstack as the kernel would answer it, about the program's own
 * stack: SS_ONSTACK when the trapped code runs on it, EPERM for a change
 * made there.  A change made in a trap reaches the kernel through the
 * trap's rt_sigreturn (shim_on_sigsys rewrites uc_stack). */
long shim_sigaltstack(struct sim_call *c)
{
	const stack_t *ssp = (const stack_t *)c->a[0];
	stack_t *old = (stack_t *)c->a[1];
	if (!shim_self.armed)
		return sys2(SYS_sigaltstack, ssp, old);
	stack_t ss = { 0 };
	if (ssp)
		ss = *ssp; /* before *old is written: they may be the same */
	const stack_t cur = shim_self.prog_ss;
	uintptr_t sp = c->uc ? (uintptr_t)c->uc->uc_mcontext.gregs[REG_RSP]
			     : (uintptr_t)__builtin_frame_address(0);
	bool on = ss_enabled(&cur) && !(cur.ss_flags & SS_AUTODISARM) &&
		  sp - (uintptr_t)cur.ss_sp < cur.ss_size;
	if (old) {
		*old = cur;
		old->ss_flags = (cur.ss_flags & SS_AUTODISARM) |
				(!ss_enabled(&cur) ? SS_DISABLE : on ? SS_ONSTACK : 0);
		if (!ss_enabled(&cur)) {
			old->ss_sp = NULL;
			old->ss_size = 0;
		}
	}
	if (!ssp)
		return 0;
	if (on)
		return -EPERM;
	int mode = ss.ss_flags & ~SS_AUTODISARM;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (mode == SS_DISABLE)
		ss = (stack_t){ .ss_flags = ss.ss_flags };
	else
		ss.ss_flags &= SS_AUTODISARM;
	if (c->uc) {
		/* in a trap: the kernel has no alternate stack until the trap's
		 * rt_sigreturn, which sets the one shim_on_sigsys writes into
		 * uc_stack; the kernel's own size check, here */
		if (ss_enabled(&ss) && ss.ss_size < 2048) /* the kernel's MINSIGSTKSZ */
			return -ENOMEM;
		shim_self.prog_ss = ss;
		shim_self.ss_gen++;
		return 0;
	}
	stack_t k;
	shim_self.prog_ss = ss;
	ss_wish(&k);
	long r = sys2(SYS_sigaltstack, &k, NULL); /* the kernel judges the size */
	if (r < 0) {
		shim_self.prog_ss = cur;
		return r;
	}
	shim_self.ss_gen++;
	return 0;
}
