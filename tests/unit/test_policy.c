/*
 * test_policy.c — the seccomp policy filter (interposer/policy.c).
 *
 * Verdicts are first checked without loading anything: the filter is exported
 * as BPF and run through a small classic-BPF interpreter, as libseccomp's own
 * *-sim-* tests do.  Then it is loaded for real; Criterion runs each test in
 * its own process, so the filter dies with the test.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy.h"
#include "simsup/escape.h"

#define X32_BIT 0x40000000u
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)

/* Read everything written to a tmpfile by fn(fd) into buf, NUL-terminated. */
static size_t capture(int (*fn)(int), char *buf, size_t len)
{
	FILE *f = tmpfile();
	size_t n;

	cr_assert_not_null(f);
	cr_assert_eq(fn(fileno(f)), 0);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static int export_bpf(int fd)
{
	scmp_filter_ctx ctx;
	int rc = sup_policy_build(&ctx);

	cr_assert_eq(rc, 0, "sup_policy_build: %s", strerror(-rc));
	rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	return rc;
}

static int bpf_jump(const struct sock_filter *f, uint32_t a)
{
	switch (BPF_OP(f->code)) {
	case BPF_JA: return (int)f->k;
	case BPF_JEQ: return a == f->k ? f->jt : f->jf;
	case BPF_JGT: return a > f->k ? f->jt : f->jf;
	case BPF_JGE: return a >= f->k ? f->jt : f->jf;
	case BPF_JSET: return (a & f->k) ? f->jt : f->jf;
	}
	cr_assert_fail("unhandled BPF jump %#x", f->code);
	return 0;
}

/* Just the classic-BPF subset libseccomp emits; anything else fails. */
static uint32_t bpf_run(const struct sock_filter *prog, size_t n,
			const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &prog[pc];

		if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
			cr_assert(f->k % 4 == 0 && f->k < sizeof(*d));
			memcpy(&a, (const char *)d + f->k, sizeof(a));
		} else if (BPF_CLASS(f->code) == BPF_JMP && BPF_SRC(f->code) == BPF_K) {
			pc += (size_t)bpf_jump(f, a);
		} else if (f->code == (BPF_ALU | BPF_AND | BPF_K)) {
			a &= f->k;
		} else if (f->code == (BPF_RET | BPF_K)) {
			return f->k;
		} else {
			cr_assert_fail("unhandled BPF opcode %#x", f->code);
		}
	}
	cr_assert_fail("BPF program fell off its end");
	return 0;
}

static uint32_t verdict(uint32_t arch, int nr)
{
	static struct sock_filter prog[4096];
	size_t n = capture(export_bpf, (char *)prog, sizeof(prog));
	struct seccomp_data d = { .nr = nr, .arch = arch };

	cr_assert_eq(n % sizeof(prog[0]), 0);
	return bpf_run(prog, n / sizeof(prog[0]), &d);
}

Test(policy, pfc_names_io_uring_setup)
{
	static char pfc[65536];

	capture(sup_policy_export, pfc, sizeof(pfc));
	cr_expect(strstr(pfc, "io_uring_setup") != NULL, "PFC:\n%s", pfc);
	cr_expect(strstr(pfc, "ERRNO(38)") != NULL, "PFC:\n%s", pfc);
}

/* Every call sup_policy_describe() names is in the filter, and vice versa
 * for the ERRNO actions: the text and the filter cannot drift apart. */
Test(policy, describe_matches_filter)
{
	static char pfc[65536];
	const char *line = sup_policy_describe();
	int lines = 0;

	capture(sup_policy_export, pfc, sizeof(pfc));
	for (; *line; line = strchr(line, '\n') + 1, lines++) {
		char name[64];

		cr_assert_eq(sscanf(line, "%63[a-z0-9_]: ENOSYS (", name), 1,
			     "bad line: %s", line);
		cr_expect(strstr(pfc, name) != NULL, "%s not in the filter", name);
	}
	cr_expect_eq(lines, 7);
}

Test(policy, refuses_on_every_abi)
{
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_io_uring_setup), RET_ENOSYS);
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_io_uring_setup | X32_BIT),
		     RET_ENOSYS);
	cr_expect_eq(verdict(AUDIT_ARCH_I386, 425 /* io_uring_setup */), RET_ENOSYS);
	cr_expect_eq(verdict(AUDIT_ARCH_I386, 338 /* fanotify_init */), RET_ENOSYS);
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_userfaultfd), RET_ENOSYS);
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_perf_event_open), RET_ENOSYS);
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_io_setup), RET_ENOSYS);
}

Test(policy, allows_the_rest_and_never_kills)
{
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_getpid), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_inotify_init1), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(AUDIT_ARCH_X86_64, SYS_getpid | X32_BIT),
		     SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(AUDIT_ARCH_I386, 20 /* getpid */), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(AUDIT_ARCH_AARCH64, SYS_io_uring_setup),
		     SECCOMP_RET_ALLOW);
}

Test(policy, loaded_refuses_io_uring_setup)
{
	struct io_uring_params params;

	memset(&params, 0, sizeof(params));
	cr_assert_eq(sup_policy_load(), 0);
	errno = 0;
	cr_expect_eq(syscall(SYS_io_uring_setup, 1, &params), -1);
	cr_expect_eq(errno, ENOSYS);
	errno = 0;
	cr_expect_eq(syscall(SYS_userfaultfd, 0), -1);
	cr_expect_eq(errno, ENOSYS);
	cr_expect_eq(syscall(SYS_getpid), getpid());
	cr_expect_gt(getpid(), 0);
}

static int run_child(const char *path, char *const argv[])
{
	int status;
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		execv(path, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(policy, survives_exec_harmlessly)
{
	char *argv[] = { "true", NULL };

	cr_assert_eq(sup_policy_load(), 0);
	cr_expect_eq(run_child("/bin/true", argv), 0);
}

/* The exec'd image is still filtered, with no_new_privs set. */
Test(policy, holds_after_exec)
{
	char *argv[] = { "sh", "-c",
			 "grep -q '^Seccomp:[[:space:]]*2' /proc/self/status && "
			 "grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status",
			 NULL };

	cr_assert_eq(sup_policy_load(), 0);
	cr_expect_eq(run_child("/bin/sh", argv), 0);
}

/* ---- the escape guard ---- */

static int export_guard(int fd)
{
	scmp_filter_ctx ctx;
	int rc = sup_guard_build(&ctx);

	cr_assert_eq(rc, 0, "sup_guard_build: %s", strerror(-rc));
	rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	return rc;
}

static uint32_t guard_verdict(int nr, uint64_t a0, uint64_t a2, uint64_t a5)
{
	static struct sock_filter prog[8192];
	size_t n = capture(export_guard, (char *)prog, sizeof(prog));
	struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64,
				  .args = { a0, 0, a2, 0, 0, a5 } };

	return bpf_run(prog, n / sizeof(prog[0]), &d);
}

#define KILL SECCOMP_RET_KILL_PROCESS

Test(guard, kills_unmarked_escape_calls)
{
	cr_expect_eq(guard_verdict(SYS_socket, 2, 0, 0), KILL);
	cr_expect_eq(guard_verdict(SYS_clock_nanosleep, 0, 0, 0), KILL);
	cr_expect_eq(guard_verdict(SYS_execve, 0, 0, 0), KILL);
	cr_expect_eq(guard_verdict(SYS_write, 1, 0, 0), KILL);
	cr_expect_eq(guard_verdict(SYS_openat, AT_FDCWD, O_WRONLY | O_CREAT, 0), KILL);
	cr_expect_eq(guard_verdict(SYS_openat, AT_FDCWD, O_RDWR, 0), KILL);
	/* the mark's halves must both match */
	cr_expect_eq(guard_verdict(SYS_socket, 2, 0, SIM_GATE_MARK & 0xffffffffu), KILL);
	cr_expect_eq(guard_verdict(SYS_socket, 2, 0, SIM_GATE_MARK ^ (1ULL << 40)), KILL);
}

Test(guard, allows_marked_calls_and_the_loader)
{
	cr_expect_eq(guard_verdict(SYS_socket, 2, 0, SIM_GATE_MARK), SECCOMP_RET_ALLOW);
	cr_expect_eq(guard_verdict(SYS_write, 1, 0, SIM_GATE_MARK), SECCOMP_RET_ALLOW);
	/* ld.so's own calls, before any shim exists */
	cr_expect_eq(guard_verdict(SYS_write, 2, 0, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(guard_verdict(SYS_writev, 2, 0, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(guard_verdict(SYS_openat, AT_FDCWD, O_RDONLY | O_CLOEXEC, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(guard_verdict(SYS_mmap, 0, 0, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(guard_verdict(SYS_read, 3, 0, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(guard_verdict(SYS_exit_group, 0, 0, 0), SECCOMP_RET_ALLOW);
}

/* The kernel never reads r9 for a marked call: every call in the list
 * takes five arguments or fewer (mmap, futex, sendto, recvfrom and the like
 * cannot be marked). */
Test(guard, marks_only_calls_of_five_arguments_or_fewer)
{
	static const int six[] = { SYS_mmap, SYS_futex, SYS_sendto, SYS_recvfrom, SYS_pselect6,
				   SYS_epoll_pwait, SYS_splice, SYS_copy_file_range, SYS_pwritev2,
				   SYS_preadv2, SYS_process_vm_readv, SYS_mbind };
	static const int listed[] = {
#define LISTED(name, rule) SYS_##name,
		SIM_ESCAPE_CALLS(LISTED)
#undef LISTED
	};
	for (size_t i = 0; i < sizeof six / sizeof *six; i++)
		for (size_t j = 0; j < sizeof listed / sizeof *listed; j++)
			cr_expect_neq(six[i], listed[j], "syscall %d takes six arguments", six[i]);
}
