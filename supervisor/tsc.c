/*
 * tsc.c — the supervisor traps rdtsc too.
 *
 * Simulated processes run with rdtsc faulting (PR_SET_TSC), and the kernel
 * flips CR4.TSD on every switch between a task that traps rdtsc and one
 * that does not.  The supervisor switches with a simulated thread at every
 * turn, so it runs in the same mode.  Measured here (bench/sleeper, 3
 * processes x 10000 sleeps): 0.80 s of system time without, 0.46 s with.
 * Its own rare rdtsc (glibc's vDSO clock reads: mkdtemp, timestamps) is
 * emulated from a raw clock_gettime syscall; hot paths read
 * CLOCK_MONOTONIC_COARSE, which needs no rdtsc.  The launcher turns rdtsc
 * back on in each child before exec: the mode survives exec and the next
 * image's loader runs rdtsc before its shim exists.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "sup.h"

uint64_t shim_tsc(void)
{
	struct timespec ts;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	if (shim_rdtsc_emulate(uc))
		return;
	signal(SIGSEGV, SIG_DFL); /* a real fault: crash as it would have */
}

void sup_tsc_trap(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (sigaction(SIGSEGV, &sa, NULL) == 0)
		prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
}

int64_t sup_wall_ns(void)
{
	struct timespec ts;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
