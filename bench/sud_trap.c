/*
 * sud_trap.c — the bare Syscall User Dispatch trap (native only), for
 * bench/run: the floor under every trapped call simsup makes.
 *
 *   sud_trap N
 *
 * Arms SUD for this thread with a SIGSYS handler that answers getppid with
 * a constant (no kernel call, no shim), then makes N raw getppid calls.
 * Same mechanism as probes/sud.c and interposer/sud.c (restorer inside the
 * allowed region, selector byte), without any of the shim's work.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#define SUD_ON 1
#define SEL_ALLOW 0
#define SEL_BLOCK 1
#define RESTORER_FLAG 0x04000000

static volatile char sel = SEL_ALLOW;

void gate_start(void);
void gate_restorer(void);
void gate_end(void);
__asm__(".text\n.globl gate_start\ngate_start:\n.globl gate_restorer\ngate_restorer:\n"
	" mov $15, %eax\n syscall\n.globl gate_end\ngate_end:\n nop\n");

struct ksa {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static void on_sys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RAX] = 42;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sud_trap N\n");
		return 2;
	}
	long n = atol(argv[1]), sum = 0;
	struct ksa k = { (void *)on_sys, SA_SIGINFO | RESTORER_FLAG, (void *)gate_restorer, 0 };
	if (syscall(SYS_rt_sigaction, SIGSYS, &k, NULL, 8) != 0 ||
	    prctl(PR_SET_SYSCALL_USER_DISPATCH, SUD_ON, (unsigned long)gate_start,
		  (unsigned long)gate_end + 1 - (unsigned long)gate_start, &sel) != 0) {
		perror("sud_trap: arming Syscall User Dispatch");
		return 1;
	}
	sel = SEL_BLOCK;
	for (long i = 0; i < n; i++)
		sum += syscall(SYS_getppid);
	sel = SEL_ALLOW;
	printf("%ld traps, checksum %ld\n", n, sum);
	return sum == 42 * n ? 0 : 1;
}
