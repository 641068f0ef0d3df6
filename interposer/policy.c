/*
 * policy.c — the seccomp policy filter: the calls simsup cannot virtualize,
 * refused with an errno the program already knows how to handle.
 *
 * The launcher loads it in each child just before execve.  A seccomp filter
 * survives execve and is inherited by every thread and child, so it holds
 * where the shim does not reach: threads made by a raw clone, and the moments
 * before the shim has initialized.  Armed threads meet the shim first; it
 * refuses the same calls itself and records them in the trace.
 *
 * What it must never do: use any action other than ALLOW and ERRNO.  TRAP,
 * KILL and USER_NOTIF would hit the new image on its first syscall, before
 * any handler exists (DESIGN.md §3).  It is also not a sandbox: it refuses
 * only what would break the simulation, not what is dangerous.
 *
 * The second filter here, the escape guard, is the one exception, and
 * narrow: it kills only a process that makes a call of
 * include/simsup/escape.h's list without the mark the shim's gate puts on
 * it, which no image running with the shim ever does.
 *
 * Runs in the launcher (libseccomp allocates), never in the shim.
 */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>

#include "simsup/escape.h"

/*
 * The refused calls, one X(name, errno, why) per line.  The list is the one
 * source for both the filter and sup_policy_describe().  Each errno is the one
 * a kernel built without the feature returns, so programs take the fallback
 * they already have for such kernels.
 *
 * Not listed: host-wide privileged calls (reboot, kexec_load, mount, …).
 * The kernel refuses them to unprivileged programs, a program that makes them
 * as root means to, and simsup simulates reboots itself (faults).  (The
 * shim keeps some for the node: setting the clock moves the node's
 * CLOCK_REALTIME, sethostname is refused: shim/clock.c, shim/dispatch.c.)
 */
#define SUP_POLICY_REFUSED(X)                                                 \
	/* io_uring: the program and the kernel share submission and          \
	 * completion rings in memory, and the kernel performs reads,         \
	 * writes, accepts and timeouts in its own workers, in real time,     \
	 * with no syscall simsup could see.  libuv, liburing users and       \
	 * the like fall back to epoll or a thread pool on ENOSYS.  enter     \
	 * and register are refused too, so that probes made on a bad fd      \
	 * see one consistent kernel without io_uring (ENOSYS, not EBADF). */ \
	X(io_uring_setup, ENOSYS,                                             \
	  "async I/O done by the kernel out of simsup's sight; "              \
	  "programs fall back to epoll")                                      \
	X(io_uring_enter, ENOSYS, "io_uring is refused as a whole")           \
	X(io_uring_register, ENOSYS, "io_uring is refused as a whole")        \
	/* Linux native AIO: the kernel performs reads and writes in the      \
	 * background and io_getevents blocks in the kernel while holding     \
	 * the turn; nor could a power loss know what a submitted write has   \
	 * made durable.  MariaDB (InnoDB) and other libaio users fall back   \
	 * to their own I/O threads when io_setup fails with ENOSYS. */       \
	X(io_setup, ENOSYS,                                                   \
	  "async I/O done by the kernel out of simsup's sight; "              \
	  "programs fall back to I/O threads")                                \
	/* userfaultfd: a fault in a registered range blocks the faulting     \
	 * thread in the kernel until another thread resolves it; under one   \
	 * thread at a time that other thread never gets the turn.  QEMU      \
	 * postcopy, CRIU lazy pages and GCs that use it turn the feature     \
	 * off.  (/dev/userfaultfd, root-only by default, is another route    \
	 * that a syscall filter cannot see.) */                              \
	X(userfaultfd, ENOSYS,                                                \
	  "faults would block in the kernel outside the scheduler; "          \
	  "programs disable the feature")                                     \
	/* perf_event_open: counters and sample timestamps come from real     \
	 * time and real CPU events, read through a shared ring without a     \
	 * syscall, so they cannot be made virtual or reproducible.  Built-in \
	 * profilers and benchmark libraries already handle its absence       \
	 * (CONFIG_PERF_EVENTS off, or perf_event_paranoid). */               \
	X(perf_event_open, ENOSYS,                                            \
	  "real hardware counters and timestamps; "                           \
	  "programs run without profiling")                                   \
	/* fanotify_init: a mark covers a whole mount or filesystem, so it    \
	 * would report, in real time, file activity of the host and of the   \
	 * other simulated hosts; and a permission event makes another        \
	 * process's open() block in the kernel until this one answers,       \
	 * which deadlocks one thread at a time.  Indexers, scanners and      \
	 * audit daemons handle ENOSYS (CONFIG_FANOTIFY off).  inotify,       \
	 * which watches named paths, stays allowed. */                       \
	X(fanotify_init, ENOSYS,                                              \
	  "host-wide file events and blocking permission events; "            \
	  "programs fall back to inotify or run without it")

#define SUP_POLICY_DESCRIBE_LINE(name, err, why) #name ": " #err " (" why ")\n"

static const char policy_text[] = SUP_POLICY_REFUSED(SUP_POLICY_DESCRIBE_LINE);

const char *sup_policy_describe(void)
{
	return policy_text;
}

/*
 * The same rules on every ABI a 64-bit x86 process can reach the kernel
 * through: x86-64 (syscall), x32 (syscall with bit 30 set) and i386
 * (int 0x80).  Anything else cannot occur on x86-64; its action is ALLOW
 * anyway, because the default bad-arch action of libseccomp is KILL.
 */
static int policy_add_arches(scmp_filter_ctx ctx)
{
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);

	if (rc == 0)
		rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (rc == 0)
		rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	return rc;
}

static int policy_add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

#define SUP_POLICY_ADD_RULE(name, err, why)                                   \
	if (rc == 0)                                                          \
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(name), 0);
	SUP_POLICY_REFUSED(SUP_POLICY_ADD_RULE)
#undef SUP_POLICY_ADD_RULE
	return rc;
}

/* A filter that allows by default, with the rules add() puts in it; on
 * every x86 ABI (the policy) or on x86-64 alone (the guard). */
static int build_with(scmp_filter_ctx *out, int (*add)(scmp_filter_ctx), bool all_arches)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	*out = NULL;
	if (ctx == NULL)
		return -ENOMEM;
	/* Have libseccomp return the kernel's errno instead of -ECANCELED. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (rc == 0)
		rc = all_arches ? policy_add_arches(ctx)
				: seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (rc == 0)
		rc = add(ctx);
	if (rc < 0) {
		seccomp_release(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

int sup_policy_build(scmp_filter_ctx *out)
{
	return build_with(out, policy_add_rules, true);
}

/*
 * Load-time attributes.
 *
 * SSB: on kernels that mitigate speculative store bypass for seccomp'd tasks
 * (spec_store_bypass_disable=seccomp, the default before 5.16), a filter
 * would make the whole program about 30% slower.  This filter guards no
 * secret, so opt out; a kernel or libseccomp too old to offer the flag
 * (-EOPNOTSUPP) only costs speed, so go on without it.
 *
 * NNP: without CAP_SYS_ADMIN the kernel installs a filter only on a task
 * with no_new_privs, and simsup runs the same way for every user, root
 * included, so the same seed gives the same run.  The price: execve of a
 * setuid or setgid program, or of one with file capabilities, no longer
 * raises privilege; it runs with the caller's ids.  (Without NNP such a
 * program would run in secure-execution mode, drop LD_PRELOAD and escape
 * the shim, so it could not be simulated either way.)
 */
static int policy_set_load_attrs(scmp_filter_ctx ctx)
{
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);

	if (rc < 0 && rc != -EOPNOTSUPP)
		return rc;
	return seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
}

static int build_and_load(int (*build)(scmp_filter_ctx *))
{
	scmp_filter_ctx ctx;
	int rc = build(&ctx);

	if (rc < 0)
		return rc;
	rc = policy_set_load_attrs(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int sup_policy_load(void)
{
	return build_and_load(sup_policy_build);
}

int sup_policy_export(int fd)
{
	scmp_filter_ctx ctx;
	int rc = sup_policy_build(&ctx);

	if (rc < 0)
		return rc;
	rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return rc;
}

/*
 * The escape guard (include/simsup/escape.h): x86-64 only, since the mark
 * lives in r9, the sixth argument register of the syscall instruction.  A
 * process that enters the kernel through the i386 or x32 ABI without the
 * shim is not caught; no program on this platform does that by default.
 */
enum guard_rule { ANY, WRITEFD, OPENW };

static int guard_add(scmp_filter_ctx ctx, int nr, enum guard_rule rule)
{
	const uint32_t kill = SCMP_ACT_KILL_PROCESS;
	const struct scmp_arg_cmp unmarked = SCMP_A5_64(SCMP_CMP_NE, SIM_GATE_MARK);

	if (rule == ANY)
		return seccomp_rule_add(ctx, kill, nr, 1, unmarked);
	if (rule == WRITEFD) /* ld.so reports its own errors on fd 2 */
		return seccomp_rule_add(ctx, kill, nr, 2, SCMP_A0_64(SCMP_CMP_NE, 2), unmarked);
	/* OPENW: any flag that writes or creates; the flags are open's second
	 * argument and openat's third */
	static const unsigned flags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < sizeof flags / sizeof *flags; i++) {
		struct scmp_arg_cmp f = nr == SCMP_SYS(open)
						? SCMP_A1_32(SCMP_CMP_MASKED_EQ, flags[i], flags[i])
						: SCMP_A2_32(SCMP_CMP_MASKED_EQ, flags[i], flags[i]);
		rc = seccomp_rule_add(ctx, kill, nr, 2, f, unmarked);
	}
	return rc;
}

static int guard_add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

#define SUP_GUARD_ADD_RULE(name, rule)                                        \
	if (rc == 0)                                                          \
		rc = guard_add(ctx, SCMP_SYS(name), rule);
	SIM_ESCAPE_CALLS(SUP_GUARD_ADD_RULE)
#undef SUP_GUARD_ADD_RULE
	return rc;
}

int sup_guard_build(scmp_filter_ctx *out)
{
	return build_with(out, guard_add_rules, false);
}

int sup_guard_load(void)
{
	return build_and_load(sup_guard_build);
}
