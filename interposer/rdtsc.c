/*
 * rdtsc.c — virtual time for the rdtsc and rdtscp instructions.
 *
 * Programs (and the unpatched vDSO) read the CPU's time-stamp counter
 * directly, without any call the shim could intercept.  shim_rdtsc_enable()
 * asks the kernel to make both instructions fault in this process
 * (PR_SET_TSC / PR_TSC_SIGSEGV sets CR4.TSD while we run); the shim's SIGSEGV
 * handler then calls shim_rdtsc_emulate(), which recognises the faulting
 * instruction, writes the virtual TSC into the saved registers and steps
 * over the instruction.  Installing that handler is the caller's business.
 *
 * This runs inside other people's programs, in a signal handler: it is
 * async-signal-safe, allocates nothing, takes no locks, and enters the kernel
 * only through shim_syscall6 (the sysN() macros).
 */
#define _GNU_SOURCE /* REG_RIP & co. in <sys/ucontext.h> */
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "shim.h"

/* x86 exception vector of a general-protection fault: what rdtsc/rdtscp
 * raise when CR4.TSD is set, with error code 0. */
#define X86_TRAP_GP 13

int shim_rdtsc_enable(void)
{
	/*
	 * The setting is per thread and inherited by new threads and fork
	 * children.  It also SURVIVES execve (measured on 6.18): the new
	 * image's ld.so executes rdtsc in _dl_start, long before any shim
	 * exists, and dies of SIGSEGV.  Whoever execs must first restore
	 * PR_TSC_ENABLE (and restore SIGSEGV mode if the exec fails); the
	 * next image's shim enables it again.
	 */
	return (int)sys5(SYS_prctl, PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
}

bool shim_rdtsc_emulate(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *ip;
	unsigned len;
	uint64_t tsc;

	/*
	 * Only look at the code bytes when the kernel says this SIGSEGV is a
	 * #GP(0), which is how a disabled rdtsc faults.  Other SIGSEGVs come
	 * from page faults, possibly on the instruction fetch itself (a call
	 * through a null or wild pointer): reading the bytes at rip would then
	 * fault again inside the handler, and the kernel would kill the
	 * process with a confusing SIGSEGV instead of letting the caller
	 * report the original one.  A #GP means the instruction was fetched,
	 * so rip is readable (ignoring execute-only pkeys, which nobody uses
	 * for code).
	 */
	if (g[REG_TRAPNO] != X86_TRAP_GP || g[REG_ERR] != 0)
		return false;

	/* No prefixes are accepted: compilers and the vDSO emit the bare
	 * opcodes, and a prefixed rdtsc would merely not be emulated. */
	ip = (const uint8_t *)g[REG_RIP];
	if (ip[0] != 0x0F)
		return false;
	if (ip[1] == 0x31)
		len = 2; /* rdtsc */
	else if (ip[1] == 0x01 && ip[2] == 0xF9)
		len = 3; /* rdtscp */
	else
		return false;

	/* Both write EDX:EAX, which zero-extends into RDX:RAX. */
	tsc = shim_tsc();
	g[REG_RAX] = (greg_t)(uint32_t)tsc;
	g[REG_RDX] = (greg_t)(uint32_t)(tsc >> 32);
	if (len == 3)
		g[REG_RCX] = 0; /* IA32_TSC_AUX as Linux sets it: cpu 0, node 0 */
	g[REG_RIP] += len;
	return true;
}
