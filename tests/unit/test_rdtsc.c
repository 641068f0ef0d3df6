/*
 * test_rdtsc.c — unit tests for interposer/rdtsc.c.
 *
 * A SIGSEGV handler like the shim's calls shim_rdtsc_emulate and aborts on
 * anything else; after shim_rdtsc_enable(), rdtsc and rdtscp must return the
 * fake virtual TSC.  Criterion runs every test in its own process, so the
 * per-process PR_SET_TSC setting does not leak into other tests.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <x86intrin.h>

#include "shim.h"

/* High half set, so the RDX:RAX split is checked. */
#define FAKE_TSC 0x123456789ABCDEF0ULL

static volatile int n_tsc_calls;

/* ---- fakes of the shim's clock functions (shim/clock.c) ---- */

int shim_clock_gettime(clockid_t clk, struct timespec *ts)
{
	ts->tv_sec = 1234;
	ts->tv_nsec = 5678;
	return 0;
}

int shim_gettimeofday(struct timeval *tv, void *tz)
{
	tv->tv_sec = 1234;
	tv->tv_usec = 5;
	return 0;
}

time_t shim_time(time_t *t)
{
	if (t)
		*t = 1234;
	return 1234;
}

int shim_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	return 0;
}

uint64_t shim_tsc(void)
{
	n_tsc_calls++;
	return FAKE_TSC;
}

/* ---- helpers ---- */

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	if (!shim_rdtsc_emulate(ctx))
		abort();
}

static void install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGSEGV, &sa, NULL), 0);
}

/* A context as the kernel builds it for a #GP(0) at `code`, with every
 * general register holding a distinct value. */
static void fake_context(ucontext_t *uc, const void *code)
{
	memset(uc, 0, sizeof *uc);
	for (int i = 0; i < NGREG; i++)
		uc->uc_mcontext.gregs[i] = (greg_t)(0x1111111111111111ULL * (unsigned)(i % 15 + 1));
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)code;
	uc->uc_mcontext.gregs[REG_TRAPNO] = 13;
	uc->uc_mcontext.gregs[REG_ERR] = 0;
}

/* ---- tests ---- */

Test(rdtsc, real_rdtsc_before_enable)
{
	install_handler();
	(void)__rdtsc();
	cr_assert_eq(n_tsc_calls, 0); /* no fault, no emulation */
}

Test(rdtsc, rdtsc_and_rdtscp_are_virtual)
{
	unsigned aux = 0xDEADBEEF;

	install_handler();
	cr_assert_eq(shim_rdtsc_enable(), 0);
	cr_assert_eq(__rdtsc(), FAKE_TSC);
	cr_assert_eq(n_tsc_calls, 1);
	cr_assert_eq(__rdtscp(&aux), FAKE_TSC);
	cr_assert_eq(aux, 0);
	cr_assert_eq(n_tsc_calls, 2);
	/* Still in effect: every execution faults. */
	cr_assert_eq(__rdtsc(), FAKE_TSC);
	cr_assert_eq(n_tsc_calls, 3);
}

Test(rdtsc, emulate_rdtsc_registers)
{
	static const unsigned char code[] = { 0x0F, 0x31, 0x90 };
	ucontext_t uc, orig;

	fake_context(&uc, code);
	orig = uc;
	cr_assert(shim_rdtsc_emulate(&uc));
	cr_assert_eq((uint64_t)uc.uc_mcontext.gregs[REG_RAX], FAKE_TSC & 0xFFFFFFFF);
	cr_assert_eq((uint64_t)uc.uc_mcontext.gregs[REG_RDX], FAKE_TSC >> 32);
	cr_assert_eq(uc.uc_mcontext.gregs[REG_RIP], orig.uc_mcontext.gregs[REG_RIP] + 2);
	/* Nothing else changed, rcx included. */
	uc.uc_mcontext.gregs[REG_RAX] = orig.uc_mcontext.gregs[REG_RAX];
	uc.uc_mcontext.gregs[REG_RDX] = orig.uc_mcontext.gregs[REG_RDX];
	uc.uc_mcontext.gregs[REG_RIP] = orig.uc_mcontext.gregs[REG_RIP];
	cr_assert_eq(memcmp(&uc, &orig, sizeof uc), 0);
}

Test(rdtsc, emulate_rdtscp_registers)
{
	static const unsigned char code[] = { 0x0F, 0x01, 0xF9, 0x90 };
	ucontext_t uc, orig;

	fake_context(&uc, code);
	orig = uc;
	cr_assert(shim_rdtsc_emulate(&uc));
	cr_assert_eq((uint64_t)uc.uc_mcontext.gregs[REG_RAX], FAKE_TSC & 0xFFFFFFFF);
	cr_assert_eq((uint64_t)uc.uc_mcontext.gregs[REG_RDX], FAKE_TSC >> 32);
	cr_assert_eq(uc.uc_mcontext.gregs[REG_RCX], 0);
	cr_assert_eq(uc.uc_mcontext.gregs[REG_RIP], orig.uc_mcontext.gregs[REG_RIP] + 3);
}

Test(rdtsc, emulate_rejects_other_instructions)
{
	static const unsigned char codes[][3] = {
		{ 0x90, 0x90, 0x90 }, /* nop */
		{ 0x0F, 0x05, 0x90 }, /* syscall */
		{ 0x0F, 0x01, 0xF8 }, /* swapgs: same first two bytes as rdtscp */
		{ 0x0F, 0x0B, 0x90 }, /* ud2 */
		{ 0x31, 0x0F, 0x90 },
	};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		ucontext_t uc, orig;

		fake_context(&uc, codes[i]);
		orig = uc;
		cr_assert(!shim_rdtsc_emulate(&uc), "code %zu accepted", i);
		cr_assert_eq(memcmp(&uc, &orig, sizeof uc), 0, "code %zu changed registers", i);
	}
	cr_assert_eq(n_tsc_calls, 0);
}

Test(rdtsc, emulate_ignores_faults_other_than_gp0)
{
	static const unsigned char code[] = { 0x0F, 0x31 };
	ucontext_t uc, orig;

	/* A page fault (vector 14) is not a disabled rdtsc, whatever rip
	 * points at. */
	fake_context(&uc, code);
	uc.uc_mcontext.gregs[REG_TRAPNO] = 14;
	uc.uc_mcontext.gregs[REG_ERR] = 0x14;
	orig = uc;
	cr_assert(!shim_rdtsc_emulate(&uc));
	cr_assert_eq(memcmp(&uc, &orig, sizeof uc), 0);

	/* A #GP with a selector error code is not one either. */
	fake_context(&uc, code);
	uc.uc_mcontext.gregs[REG_ERR] = 0x10;
	orig = uc;
	cr_assert(!shim_rdtsc_emulate(&uc));
	cr_assert_eq(memcmp(&uc, &orig, sizeof uc), 0);
	cr_assert_eq(n_tsc_calls, 0);
}

/* A call through a null pointer faults on the instruction fetch: the
 * emulator must turn it down without reading rip (which would fault again
 * inside the handler and end the process with SIGSEGV, not SIGABRT). */
Test(rdtsc, wild_jump_is_not_emulated, .signal = SIGABRT)
{
	void (*volatile fn)(void) = NULL;

	install_handler();
	cr_assert_eq(shim_rdtsc_enable(), 0);
	fn();
}
