/*
 * handoff.c — N hand-offs of control between two processes (native only),
 * for bench/run: the physical floors under simsup's supervisor round trip.
 * bench/run runs it pinned to one CPU (the way simsup runs) and unpinned.
 *
 *   handoff N futex          futex on shared memory: the parent sets the word
 *                            to 1 and wakes the child; the child sets it to 0
 *                            and wakes the parent (as probes/handoff.c); the
 *                            floor DESIGN.md §4 measures the target against
 *   handoff N seqpacket      a 64-byte message each way over an AF_UNIX
 *                            SOCK_SEQPACKET pair, the parent waiting in
 *                            poll() first: the transport simsup's channel
 *                            uses today (include/simsup/proto.h)
 *   handoff N sud-seqpacket  as seqpacket, but the child makes each exchange
 *                            from inside a SIGSYS handler entered through a
 *                            Syscall User Dispatch trap, as a simulated
 *                            thread does on sched_yield: the floor for
 *                            today's design (trap + channel round trip)
 *   handoff N sud-futex      as sud-seqpacket with the futex hand-off: the
 *                            floor for the shared-memory channel of
 *                            DESIGN.md §4
 *
 * A suffix "+tsc" makes the child trap rdtsc (prctl PR_SET_TSC,
 * PR_TSC_SIGSEGV) as simsup's shim does (interposer/rdtsc.c); "+tsc2" does it
 * in both processes.  The kernel toggles CR4.TSD on every switch between a
 * task that traps rdtsc and one that does not, which is expensive in a VM.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#define RESTORER_FLAG 0x04000000

/* The allowed region: the restorer and a 4-argument syscall function. */
void gate_start(void);
void gate_restorer(void);
void gate_end(void);
long gate_syscall(long nr, long a0, long a1, long a2);
__asm__(".text\n.globl gate_start\ngate_start:\n.globl gate_restorer\ngate_restorer:\n"
	" mov $15, %eax\n syscall\n"
	".globl gate_syscall\ngate_syscall:\n mov %rdi, %rax\n mov %rsi, %rdi\n mov %rdx, %rsi\n"
	" mov %rcx, %rdx\n xor %r10, %r10\n syscall\n ret\n"
	".globl gate_end\ngate_end:\n nop\n");

struct ksa {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static volatile char sel;
static atomic_int *word;  /* futex modes: shared with the other process */
static int sock = -1;     /* seqpacket modes: this process's end */
static char msg[64];

static long fut(atomic_int *a, int op, int v, int gated)
{
	if (gated)
		return gate_syscall(SYS_futex, (long)a, op, v);
	return syscall(SYS_futex, a, op, v, NULL, NULL, 0);
}

/* The child's half of one exchange. */
static void child_step(int gated)
{
	if (sock >= 0) {
		if (gated) {
			gate_syscall(SYS_write, sock, (long)msg, sizeof msg);
			gate_syscall(SYS_read, sock, (long)msg, sizeof msg);
		} else if (write(sock, msg, sizeof msg) != sizeof msg || read(sock, msg, sizeof msg) != sizeof msg) {
			_exit(1);
		}
		return;
	}
	while (atomic_load(word) != 1)
		fut(word, FUTEX_WAIT, 0, gated);
	atomic_store(word, 0);
	fut(word, FUTEX_WAKE, 1, gated);
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	child_step(1);
	uc->uc_mcontext.gregs[REG_RAX] = 0;
}

/* Arms SUD the way interposer/sud.c does: alternate stack, every other
 * signal blocked in the handler, restorer inside the allowed region. */
static void arm_sud(void)
{
	stack_t ss = { .ss_sp = mmap(NULL, 1 << 17, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), .ss_size = 1 << 17 };
	struct ksa k = { (void *)on_sigsys, SA_SIGINFO | SA_ONSTACK | SA_NODEFER | RESTORER_FLAG,
			 (void *)gate_restorer, ~(1UL << (SIGSYS - 1)) };
	if (sigaltstack(&ss, NULL) < 0 || syscall(SYS_rt_sigaction, SIGSYS, &k, NULL, 8) < 0 ||
	    prctl(PR_SET_SYSCALL_USER_DISPATCH, 1, (unsigned long)gate_start,
		  (unsigned long)gate_end + 1 - (unsigned long)gate_start, &sel) < 0) {
		perror("handoff: arming Syscall User Dispatch");
		_exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: handoff N futex|seqpacket|sud-seqpacket|sud-futex[+tsc|+tsc2]\n");
		return 2;
	}
	long n = atol(argv[1]);
	char mode[64];
	snprintf(mode, sizeof mode, "%s", argv[2]);
	char *plus = strchr(mode, '+');
	int tsc = 0; /* 1: the child traps rdtsc, 2: both */
	if (plus) {
		tsc = !strcmp(plus, "+tsc") ? 1 : !strcmp(plus, "+tsc2") ? 2 : -1;
		*plus = 0;
	}
	int sud = !strncmp(mode, "sud-", 4);
	const char *kind = sud ? mode + 4 : mode;
	int sv[2] = { -1, -1 };
	if (!strcmp(kind, "seqpacket")) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
			return 1;
	} else if (!strcmp(kind, "futex")) {
		word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (word == MAP_FAILED)
			return 1;
		atomic_store(word, 0);
	} else {
		tsc = -1;
	}
	if (tsc < 0) {
		fprintf(stderr, "handoff: unknown mode %s\n", argv[2]);
		return 2;
	}
	pid_t p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		sock = sv[1];
		if (tsc >= 1 && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) < 0)
			_exit(1);
		if (sud) {
			arm_sud();
			sel = 1;
			for (long i = 0; i < n; i++)
				syscall(SYS_getppid); /* traps; the handler does the exchange */
			sel = 0;
		} else {
			for (long i = 0; i < n; i++)
				child_step(0);
		}
		_exit(0);
	}
	if (tsc == 2 && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) < 0)
		return 1;
	for (long i = 0; i < n; i++) {
		if (sv[0] >= 0) {
			struct pollfd pf = { .fd = sv[0], .events = POLLIN };
			if (write(sv[0], msg, sizeof msg) != sizeof msg || poll(&pf, 1, 10000) != 1 ||
			    read(sv[0], msg, sizeof msg) != sizeof msg)
				return 1;
		} else {
			atomic_store(word, 1);
			fut(word, FUTEX_WAKE, 1, 0);
			while (atomic_load(word) != 0)
				fut(word, FUTEX_WAIT, 1, 0);
		}
	}
	int st;
	waitpid(p, &st, 0);
	if (tsc == 2)
		prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	printf("%ld %s hand-offs\n", n, argv[2]);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
