/*
 * test_vdso.c — unit tests for interposer/vdso.c (shim_vdso_patch).
 *
 * The shim's virtual-time functions are replaced by fakes returning fixed,
 * recognisable values; after patching, glibc's clock functions (which go
 * through the vDSO) and direct calls into the vDSO must return them.
 * Criterion runs every test in its own process, so patching the vDSO here
 * does not leak into other tests.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

#include "shim.h"

#define FAKE_SEC 1234
#define FAKE_NSEC 5678
#define FAKE_USEC 56
#define FAKE_CPU 7
#define FAKE_NODE 3
#define BAD_CLOCK 999 /* the fake clock_gettime fails with -EINVAL for it */

static int fake_getcpu_ret; /* what the fake getcpu returns */
static int n_fake_calls;
static bool fake_holds_mask;   /* the fake clock_gettime leaves a mask to put back */
SHIM_TLS struct shim_thread shim_self;

/* ---- fakes of the shim's clock functions (shim/clock.c) ---- */

int shim_clock_gettime(clockid_t clk, struct timespec *ts)
{
	n_fake_calls++;
	if (fake_holds_mask) { /* as shim_request does in a static program */
		shim_self.vdso_mask = 1ULL << (SIGUSR1 - 1);
		shim_self.vdso_mask_held = shim_self.in_vdso_tp;
	}
	if (clk == BAD_CLOCK)
		return -EINVAL;
	/* The clock id is folded in so each clock is told apart. */
	ts->tv_sec = FAKE_SEC + clk;
	ts->tv_nsec = FAKE_NSEC;
	return 0;
}

int shim_gettimeofday(struct timeval *tv, void *tz)
{
	n_fake_calls++;
	if (tv) {
		tv->tv_sec = FAKE_SEC;
		tv->tv_usec = FAKE_USEC;
	}
	return 0;
}

time_t shim_time(time_t *t)
{
	n_fake_calls++;
	if (t)
		*t = FAKE_SEC;
	return FAKE_SEC;
}

int shim_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	n_fake_calls++;
	if (fake_getcpu_ret)
		return fake_getcpu_ret;
	if (cpu)
		*cpu = FAKE_CPU;
	if (node)
		*node = FAKE_NODE;
	return 0;
}

uint64_t shim_tsc(void)
{
	return 42;
}

/* ---- an independent vDSO symbol lookup, through the section headers ---- */

static void *vdso_sym(const char *name)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	uintptr_t bias = 0;

	cr_assert(base != 0, "this machine has no vDSO");
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			bias = base + ph[i].p_offset - ph[i].p_vaddr;
			break;
		}
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		const Elf64_Sym *sym = (const Elf64_Sym *)(base + sh[i].sh_offset);
		const char *str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		size_t n = sh[i].sh_size / sh[i].sh_entsize;

		for (size_t j = 0; j < n; j++)
			if (sym[j].st_shndx != SHN_UNDEF && !strcmp(str + sym[j].st_name, name))
				return (void *)(bias + sym[j].st_value);
	}
	return NULL;
}

/* Permissions ("r-xp") of the mapping named `name` in /proc/self/maps. */
static void mapping_perms(const char *name, char perms[5])
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	cr_assert_not_null(f);
	strcpy(perms, "none");
	while (fgets(line, sizeof line, f)) {
		char *nl = strchr(line, '\n');
		size_t len, nlen = strlen(name);

		if (nl)
			*nl = 0;
		len = strlen(line);
		if (len >= nlen && !strcmp(line + len - nlen, name)) {
			sscanf(line, "%*x-%*x %4s", perms);
			break;
		}
	}
	fclose(f);
}

/* ---- tests ---- */

Test(vdso, real_clock_before_patch)
{
	struct timespec ts;

	/* Sanity: without the patch, the real clock is far from the fake. */
	cr_assert_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	cr_assert_gt(ts.tv_sec, 1000000000);
	cr_assert_eq(n_fake_calls, 0);
}

Test(vdso, libc_clock_gettime)
{
	struct timespec ts;

	cr_assert_eq(shim_vdso_patch(), 0);
	cr_assert_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	cr_assert_eq(ts.tv_sec, FAKE_SEC + CLOCK_REALTIME);
	cr_assert_eq(ts.tv_nsec, FAKE_NSEC);
	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	cr_assert_eq(ts.tv_sec, FAKE_SEC + CLOCK_MONOTONIC);
	cr_assert_eq(ts.tv_nsec, FAKE_NSEC);
	cr_assert_eq(n_fake_calls, 2);
}

Test(vdso, libc_clock_gettime_error_passes_through)
{
	struct timespec ts;

	cr_assert_eq(shim_vdso_patch(), 0);
	errno = 0;
	cr_assert_eq(clock_gettime(BAD_CLOCK, &ts), -1);
	cr_assert_eq(errno, EINVAL);
}

Test(vdso, libc_gettimeofday_time_getcpu)
{
	struct timeval tv;
	time_t t = 0;
	unsigned cpu = 0, node = 0;

	cr_assert_eq(shim_vdso_patch(), 0);
	cr_assert_eq(gettimeofday(&tv, NULL), 0);
	cr_assert_eq(tv.tv_sec, FAKE_SEC);
	cr_assert_eq(tv.tv_usec, FAKE_USEC);
	cr_assert_eq(time(NULL), FAKE_SEC);
	cr_assert_eq(time(&t), FAKE_SEC);
	cr_assert_eq(t, FAKE_SEC);
	cr_assert_eq(getcpu(&cpu, &node), 0);
	cr_assert_eq(cpu, FAKE_CPU);
	cr_assert_eq(node, FAKE_NODE);
}

Test(vdso, direct_vdso_calls)
{
	int (*cg)(clockid_t, struct timespec *);
	int (*gtod)(struct timeval *, void *);
	time_t (*tm)(time_t *);
	long (*gc)(unsigned *, unsigned *, void *);
	struct timespec ts;
	struct timeval tv;
	unsigned cpu = 0, node = 0;

	cr_assert_eq(shim_vdso_patch(), 0);

	*(void **)&cg = vdso_sym("__vdso_clock_gettime");
	cr_assert_not_null(cg);
	cr_assert_eq(cg(CLOCK_MONOTONIC, &ts), 0);
	cr_assert_eq(ts.tv_sec, FAKE_SEC + CLOCK_MONOTONIC);
	cr_assert_eq(ts.tv_nsec, FAKE_NSEC);
	cr_assert_eq(cg(BAD_CLOCK, &ts), -EINVAL); /* the vDSO returns -errno */

	*(void **)&gtod = vdso_sym("__vdso_gettimeofday");
	cr_assert_not_null(gtod);
	cr_assert_eq(gtod(&tv, NULL), 0);
	cr_assert_eq(tv.tv_sec, FAKE_SEC);

	*(void **)&tm = vdso_sym("__vdso_time");
	cr_assert_not_null(tm);
	cr_assert_eq(tm(NULL), FAKE_SEC);

	*(void **)&gc = vdso_sym("__vdso_getcpu");
	cr_assert_not_null(gc);
	cr_assert_eq(gc(&cpu, &node, NULL), 0);
	cr_assert_eq(cpu, FAKE_CPU);
	cr_assert_eq(node, FAKE_NODE);
	/* The vDSO's getcpu returns long: a negative int must come back
	 * sign-extended, not as a large positive number. */
	fake_getcpu_ret = -ENOSYS;
	cr_assert_eq(gc(&cpu, &node, NULL), -(long)ENOSYS);

	/* The unprefixed aliases, where present, lead to the same place. */
	*(void **)&cg = vdso_sym("clock_gettime");
	if (cg) {
		cr_assert_eq(cg(CLOCK_REALTIME, &ts), 0);
		cr_assert_eq(ts.tv_sec, FAKE_SEC + CLOCK_REALTIME);
	}
}

Test(vdso, second_patch_is_harmless)
{
	unsigned char before[32], after[32];
	const unsigned char *fn = vdso_sym("__vdso_clock_gettime");
	struct timespec ts;

	cr_assert_not_null(fn);
	cr_assert_eq(shim_vdso_patch(), 0);
	memcpy(before, fn, sizeof before);
	cr_assert_eq(before[0], 0x48); /* movabs ..., %rax */
	cr_assert_eq(before[1], 0xB8);
	cr_assert_eq(before[10], 0xFF); /* jmp *%rax */
	cr_assert_eq(before[11], 0xE0);
	cr_assert_eq(shim_vdso_patch(), 0);
	memcpy(after, fn, sizeof after);
	cr_assert_arr_eq(before, after, sizeof before);
	cr_assert_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	cr_assert_eq(ts.tv_sec, FAKE_SEC);
	cr_assert_eq(time(NULL), FAKE_SEC);
}

Test(vdso, protections_and_neighbours_restored)
{
	char perms[5];
	struct timespec res;
	sigset_t mask_before, mask_after;

	sigemptyset(&mask_before);
	sigaddset(&mask_before, SIGUSR1);
	cr_assert_eq(sigprocmask(SIG_SETMASK, &mask_before, NULL), 0);

	cr_assert_eq(shim_vdso_patch(), 0);

	/* Back to r-x, not left writable; vvar untouched. */
	mapping_perms("[vdso]", perms);
	cr_assert_str_eq(perms, "r-xp");
	mapping_perms("[vvar]", perms);
	cr_assert_str_eq(perms, "r--p");

	/* The signal mask blocked during the write is restored. */
	cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &mask_after), 0);
	cr_assert(sigismember(&mask_after, SIGUSR1));
	cr_assert(!sigismember(&mask_after, SIGUSR2));

	/* An unpatched vDSO function still works (nothing overlapped it). */
	cr_assert_eq(clock_getres(CLOCK_MONOTONIC, &res), 0);
	cr_assert_eq(res.tv_sec, 0);
	cr_assert_gt(res.tv_nsec, 0);
	cr_assert_eq(n_fake_calls, 0);
}

/* A static program (interposer/tp.c): the patch runs the shim on the
 * thread pointer in %gs and gives the program back its own, then the
 * signal mask a wait held back.  Here %gs holds this thread's own block,
 * so that the fakes' TLS works on it; the program's thread pointer is set
 * to 0 around the call, as a static program's is before its libc sets one,
 * and must come back as 0. */
Test(vdso, static_program_stub_switches_thread_pointers)
{
	if (!(getauxval(AT_HWCAP2) & (1 << 1)))
		cr_skip_test("no FSGSBASE in user space");
	unsigned long fs, gs, after;
	__asm__ volatile("rdfsbase %0" : "=r"(fs));
	cr_assert_eq(shim_vdso_patch(), 0);
	shim_vdso_tp = 1;
	gs = fs; /* the shim's block is this thread's own: its TLS stays valid */
	__asm__ volatile("wrgsbase %0" : : "r"(gs));
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fake_holds_mask = true;
	struct timespec ts;
	int (*vdso_gettime)(clockid_t, struct timespec *) = vdso_sym("__vdso_clock_gettime");
	cr_assert(vdso_gettime);
	unsigned long zero = 0;
	/* no libc call between the two writes: this thread has no TLS */
	__asm__ volatile("wrfsbase %0" : : "r"(zero) : "memory");
	int r = vdso_gettime(CLOCK_MONOTONIC, &ts);
	__asm__ volatile("rdfsbase %0" : "=r"(after));
	__asm__ volatile("wrfsbase %0" : : "r"(fs) : "memory");
	cr_expect_eq(r, 0);
	cr_expect_eq(ts.tv_sec, FAKE_SEC + CLOCK_MONOTONIC);
	cr_expect_eq(after, 0, "the program's thread pointer is not back");
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	cr_expect(sigismember(&now, SIGUSR1), "the held mask was not put back");
	cr_expect_not(shim_self.in_vdso_tp);
	cr_expect_not(shim_self.vdso_mask_held);
	shim_vdso_tp = 0;
	fake_holds_mask = false;
	sigprocmask(SIG_SETMASK, &none, NULL);
}
