/*
 * sud.c — the trap backstop: Syscall User Dispatch and the SIGSYS handler,
 * plus the SIGSEGV handler that emulates rdtsc and reports crashes.
 *
 * Every syscall made outside the gate (interposer/gate.S) raises SIGSYS; the
 * handler decodes the registers into one struct sim_call and hands it to the
 * shim's dispatcher, and nothing else.  The handlers run on a per-thread
 * alternate stack the shim owns, with every asynchronous signal blocked, so
 * a thread parked inside a trapped call is never interrupted by the
 * program's own handlers: those run when it next has the turn.
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
#define SUD_ON 1
#define SUD_BLOCK 1
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code of a SUD SIGSYS */
#endif
#define ALTSTACK_SIZE (128 * 1024)
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* The program's own wishes for the signals the shim keeps (per process). */
static struct ksigaction prog_segv; /* SIGSEGV: chained after rdtsc */

static void on_sigsys(int sig, siginfo_t *si, void *ucv);

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

static uint64_t handler_mask(void)
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
		.mask = handler_mask(),
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
	return install_handlers((void *)on_sigsys, (void *)on_fatal);
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
	void (*h)(int, siginfo_t *, void *) = sig == SIGSYS ? on_sigsys : on_fatal;
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

int shim_sud_arm(void)
{
	long p = sys6(SYS_mmap, 0, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p < 0 && p > -4096)
		return (int)p;
	stack_t ss = { .ss_sp = (void *)p, .ss_size = ALTSTACK_SIZE };
	long r = sys2(SYS_sigaltstack, &ss, NULL);
	if (r < 0)
		return (int)r;
	shim_self.altstack = (void *)p;
	shim_self.sel = SUD_BLOCK;
	r = sys5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, SUD_ON, (long)shim_gate_start,
		 (long)(shim_gate_end + 1 - shim_gate_start), (long)&shim_self.sel);
	if (r < 0)
		return (int)r;
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

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	if (si->si_code != SYS_USER_DISPATCH) {
		/* sent by the supervisor's watchdog: say where this thread is */
		static char bt[SIM_PAYLOAD_MAX];
		shim_backtrace(uc, bt, sizeof bt);
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
	shim_self.mask = (const uint64_t *)&uc->uc_sigmask;
	shim_self.ntrap++;
	g[REG_RAX] = shim_dispatch(&c);
	shim_self.mask = outer;
	errno = saved;
}

/* sigaltstack: the shim's own alternate stack stays, whatever the program
 * asks.  A program's stack may be too small for the shim's handler (Python's
 * faulthandler and redis set up a few kilobytes), and the program's own
 * SA_ONSTACK handlers run just as well on the shim's 128 KiB.  The program
 * is told what it set. */
long shim_sigaltstack(const stack_t *ss, stack_t *old)
{
	if (!shim_self.armed)
		return sys2(SYS_sigaltstack, ss, old);
	if (old) {
		*old = shim_self.prog_ss;
		if (!old->ss_sp && !old->ss_size)
			old->ss_flags = SS_DISABLE;
	}
	if (ss) {
		if (!(ss->ss_flags & SS_DISABLE) && ss->ss_size < (size_t)MINSIGSTKSZ)
			return -ENOMEM;
		if ((unsigned)ss->ss_flags & ~(SS_DISABLE | (1U << 31) /* SS_AUTODISARM */))
			return -EINVAL;
		shim_self.prog_ss = *ss;
		if (ss->ss_flags & SS_DISABLE)
			shim_self.prog_ss = (stack_t){ .ss_flags = SS_DISABLE };
	}
	return 0;
}
