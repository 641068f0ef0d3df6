/*
 * dispatch.c — the one dispatcher behind every way a call is caught.
 *
 * For each call: answer it here (clock, ids, entropy), pass it to the kernel
 * through the gate (deterministic local work: files, memory), make it
 * without blocking (pipes, sockets, polls: see block.c), or ask the
 * supervisor (processes, threads, futexes).  Calls simsup cannot simulate
 * are refused with a diagnostic in the trace, never passed through silently.
 *
 * Reachable from the SIGSYS handler: async-signal-safe, no allocation, gate
 * syscalls only, errno untouched (callers translate).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <linux/capability.h>

#include "shim.h"

#define A(i) (c->a[i])

static long pass(struct sim_call *c)
{
	return shim_syscall6(c->nr, A(0), A(1), A(2), A(3), A(4), A(5));
}

/* Calls that cannot change anything another thread could wait for. */
static bool is_quiet(long nr)
{
	switch (nr) {
	case SYS_fstat: case SYS_newfstatat: case SYS_statx: case SYS_stat: case SYS_lstat:
	case SYS_lseek: case SYS_getsockopt: case SYS_getsockname: case SYS_getpeername:
	case SYS_mmap: case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_brk:
	case SYS_mremap: case SYS_getuid: case SYS_geteuid: case SYS_getgid: case SYS_getegid:
	case SYS_access: case SYS_faccessat: case SYS_faccessat2: case SYS_readlink:
	case SYS_readlinkat: case SYS_getcwd: case SYS_uname:
	case SYS_rt_sigaction: case SYS_getrlimit: case SYS_prlimit64: case SYS_ioctl:
	case SYS_fcntl: case SYS_getdents64: case SYS_pread64: case SYS_rseq:
	case SYS_set_robust_list: case SYS_set_tid_address: case SYS_arch_prctl:
	case SYS_clock_getres: case SYS_sysinfo: case SYS_getrusage: case SYS_times:
	case SYS_clock_gettime: case SYS_gettimeofday: case SYS_time: case SYS_getcpu:
	case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_getpid: case SYS_getppid:
	case SYS_gettid: case SYS_getrandom: case SYS_poll: case SYS_ppoll: case SYS_select:
	case SYS_pselect6: case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
	case SYS_wait4: case SYS_waitid: case SYS_sched_yield: case SYS_rt_sigprocmask:
	case SYS_sched_getaffinity: case SYS_getpgrp: case SYS_getpgid: case SYS_getsid:
		return true;
	}
	return false;
}

static long open_call(struct sim_call *c)
{
	bool at = c->nr != SYS_open;
	const char *path = (const char *)A(at ? 1 : 0);
	long pfd;
	if (shim_procnet_open(c->nr, path, (int)A(at ? 2 : 1), &pfd)) /* /proc/net (procnet.c) */
		return pfd;
	if (shim_hostfile_open(c->nr, path, (int)A(at ? 2 : 1), &pfd))
		return pfd; /* (writes to /proc/sys and /sys are refused there) */
	if (shim_sys_call(c, &pfd)) /* /sys is the virtual tree (sysdir.c) */
		return pfd;
	if (shim_pseudo_open(at ? (int)A(0) : AT_FDCWD, path, (int)A(at ? 2 : 1), &pfd))
		return pfd;
	if (shim_proc_host_only(c->nr, path, &pfd)) /* (procdir.c) */
		return pfd;
	if (shim_entropy_open(path, (int)A(at ? 2 : 1), &pfd)) /* reads seeded (random.c) */
		return pfd;
	if (shim_fifo_open(c, &pfd)) /* a named pipe would block in the kernel (fifo.c) */
		return pfd;
	long fd = pass(c);
	if (fd >= 0)
		shim_fd_forget((int)fd);
	return fd;
}

static long read_random(struct sim_call *c)
{
	if (c->nr == SYS_read || c->nr == SYS_pread64) {
		shim_random_fill((void *)A(1), (size_t)A(2));
		return A(2);
	}
	const struct iovec *iov = (const struct iovec *)A(1);
	long total = 0;
	for (int i = 0; i < (int)A(2); i++) {
		shim_random_fill(iov[i].iov_base, iov[i].iov_len);
		total += (long)iov[i].iov_len;
	}
	return total;
}

/* close and friends may not touch the shim's channel fds: a daemon's
 * "close everything" loop gets success and keeps its simulation. */
static long close_call(struct sim_call *c)
{
	int fd = (int)A(0);
	if (shim_fd_is_own(fd))
		return 0;
	shim_fd_forget(fd);
	return pass(c);
}

static long close_range_call(struct sim_call *c)
{
	unsigned lo = (unsigned)A(0), hi = (unsigned)A(1);
	int flags = (int)A(2);
	long r = 0;
	unsigned start = lo;
	for (unsigned fd = lo; fd <= hi && fd < SIM_FD_MIN + 4096; fd++) {
		if (!shim_fd_is_own((int)fd))
			continue;
		if (fd > start)
			r = sys3(SYS_close_range, start, fd - 1, flags);
		start = fd + 1;
		if (r < 0)
			return r;
	}
	if (start <= hi)
		r = sys3(SYS_close_range, start, hi, flags);
	for (unsigned fd = lo; fd <= hi && fd < 65536; fd++)
		if (!shim_fd_is_own((int)fd))
			shim_fd_forget((int)fd);
	return r;
}

static long dup_call(struct sim_call *c)
{
	if (c->nr != SYS_dup) {
		int newfd = (int)A(1);
		if (shim_fd_is_own(newfd))
			return -EBADF; /* the shim's channel cannot be replaced */
		shim_fd_forget(newfd);
	}
	long r = pass(c);
	if (r >= 0) {
		shim_fd_forget((int)r);
		shim_fd_set_random((int)r, shim_fd_random((int)A(0)));
		shim_timerfd_dup((int)A(0), (int)r);
	}
	return r;
}

static long affinity_call(struct sim_call *c)
{
	if (c->nr == SYS_sched_setaffinity)
		return 0; /* every simulated thread runs on the one pinned CPU */
	size_t len = (size_t)A(1);
	int n = shim_proc.cfg.ncpu > 0 ? shim_proc.cfg.ncpu : 1;
	if (len < 8)
		return -EINVAL;
	memset((void *)A(2), 0, len);
	for (int i = 0; i < n && i < (int)len * 8; i++)
		((unsigned char *)A(2))[i / 8] |= (unsigned char)(1u << (i % 8));
	return len < 128 ? (long)len : 128;
}

static int64_t ms_to_ns(long ms)
{
	return ms < 0 ? -1 : (int64_t)ms * 1000000;
}

static int64_t ts_to_ns(long p)
{
	return p ? shim_ts_ns((const struct timespec *)p) : -1;
}

/* fcntl's owners and capget/capset hold real pids: translate both ways. */
static long pid_to_virtual(long r)
{
	return r > 0 ? shim_call(SIM_PID, SIM_PID_REAL_VIRTUAL, r, 0, 0) : r;
}

static long pid_to_real(long v)
{
	if (v <= 0 || v == shim_proc.cfg.vpid)
		return v == shim_proc.cfg.vpid ? sys0(SYS_getpid) : v;
	return shim_call(SIM_PID, SIM_PID_VIRTUAL_REAL, v, 0, 0);
}

/* Process groups and sessions are the supervisor's (supervisor/pgrp.c). */
static long pgrp_call(struct sim_call *c)
{
	switch (c->nr) {
	case SYS_getpgrp: return shim_call(SIM_PGRP, SIM_PG_GETPGID, 0, 0, 0);
	case SYS_getpgid: return shim_call(SIM_PGRP, SIM_PG_GETPGID, (int)A(0), 0, 0);
	case SYS_getsid: return shim_call(SIM_PGRP, SIM_PG_GETSID, (int)A(0), 0, 0);
	case SYS_setpgid: return shim_call(SIM_PGRP, SIM_PG_SETPGID, (int)A(0), (int)A(1), 0);
	case SYS_setsid: return shim_call(SIM_PGRP, SIM_PG_SETSID, 0, 0, 0);
	}
	return -ENOSYS;
}

/* A change of user, group or capabilities clears the kernel's parent-death
 * signal (commit_creds), by which the programs of a killed supervisor die:
 * set it again.  The supervisor dying in between shows as a new parent. */
static long creds_call(struct sim_call *c)
{
	long ppid = sys0(SYS_getppid);
	long r = pass(c);
	sys2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (sys0(SYS_getppid) != ppid)
		shim_die("the supervisor is gone");
	return r;
}

bool shim_has_cap(int cap, bool if_unknown)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct { uint32_t effective, permitted, inheritable; } data[2];
	if (cap < 0 || cap >= 64 || sys2(SYS_capget, &hdr, data) < 0)
		return if_unknown;
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

/* capget/capset name a thread by pid in their header (libcap-ng and
 * setpriv pass getpid()): the kernel needs a real one, and capset accepts
 * only the caller, which 0 names. */
static long cap_call(struct sim_call *c)
{
	struct __user_cap_header_struct *h = (struct __user_cap_header_struct *)A(0);
	if (!h)
		return pass(c);
	int v = h->pid;
	long r = v == 0 || v == shim_proc.cfg.vpid || v == shim_self.vtid ? 0 : pid_to_real(v);
	if (r < 0)
		return -ESRCH;
	h->pid = (int)r;
	long ret = c->nr == SYS_capset ? creds_call(c) : pass(c);
	h->pid = v;
	return ret;
}

/* A program's own seccomp filter would judge the shim's calls too (the
 * futex and socket calls that carry the turn, rt_sigreturn after each
 * trap), which it knows nothing of: refused as by a kernel without
 * seccomp filters.  sshd, vsftpd and the like then run unsandboxed. */
#define SECCOMP_REFUSED "seccomp filter: it would filter the shim's own calls (the program runs unsandboxed)"

static long refuse(struct sim_call *c, const char *what, long err)
{
	shim_refuse(c->nr, what);
	return err;
}

/* The virtual pid of a process the kernel names by its real pid (a local
 * socket's peer, SCM_CREDENTIALS); 0 for one outside the simulation. */
long shim_vpid_of_real(long real)
{
	if (real <= 0)
		return real;
	if (real == sys0(SYS_getpid))
		return shim_proc.cfg.vpid;
	long v = shim_call(SIM_PID, SIM_PID_REAL_VIRTUAL, real, 0, 0);
	return v > 0 ? v : 0;
}

/* A thread or process named by pid in a call that acts on it (scheduling,
 * priorities, limits, another's memory): the program knows virtual tids
 * and pids, the kernel real ones, and a host process must stay out of
 * reach: a pid that is no thread of this node is ESRCH, as the kernel
 * says of one that does not exist.  0 (the caller) and negative values
 * (EINVAL or ESRCH from the kernel) go as they are. */
static long tid_to_real(long v)
{
	if (v <= 0)
		return v;
	if (v == shim_self.vtid)
		return sys0(SYS_gettid);
	if (v == shim_proc.cfg.vpid)
		return sys0(SYS_getpid);
	if (v > INT32_MAX)
		return -ESRCH;
	return shim_call(SIM_PID, SIM_PID_TID_REAL, v, 0, 0); /* (or a real one of the node: as it is) */
}

/* The calls whose first argument names a thread or process (kcmp names
 * two: pid_args_call(c, 0, 1)). */
static bool names_a_tid(long nr)
{
	switch (nr) {
	case SYS_sched_setscheduler: case SYS_sched_getscheduler: case SYS_sched_setparam:
	case SYS_sched_getparam: case SYS_sched_rr_get_interval: case SYS_sched_setattr:
	case SYS_sched_getattr: case SYS_prlimit64: case SYS_get_robust_list:
	case SYS_migrate_pages: case SYS_move_pages: case SYS_process_vm_readv:
	case SYS_process_vm_writev:
		return true;
	}
	return false;
}

static long pid_args_call(struct sim_call *c, int i, int j)
{
	long saved_i = c->a[i], saved_j = j >= 0 ? c->a[j] : 0;
	long ri = tid_to_real((int)c->a[i]);
	long rj = j >= 0 ? tid_to_real((int)c->a[j]) : 0;
	if (ri < 0 && (int)c->a[i] > 0)
		return ri;
	if (j >= 0 && rj < 0 && (int)c->a[j] > 0)
		return rj;
	c->a[i] = ri;
	if (j >= 0)
		c->a[j] = rj;
	long r = pass(c);
	c->a[i] = saved_i;
	if (j >= 0)
		c->a[j] = saved_j;
	return r;
}

/* getpriority/setpriority and ioprio_get/ioprio_set: a process (arg 1 is
 * its pid), or a process group or a user, which would reach host
 * processes (every process of uid 0): refused. */
static long prio_call(struct sim_call *c, long process_kind)
{
	if (A(0) == process_kind)
		return pid_args_call(c, 1, -1);
	return refuse(c, c->nr == SYS_getpriority || c->nr == SYS_setpriority
				 ? "priority of a process group or user (they would include host processes)"
				 : "I/O priority of a process group or user (they would include host processes)",
		      -EPERM);
}

/* fcntl's owners (who gets SIGIO/SIGURG) are pids: virtual to the program,
 * real to the kernel. */
static bool owner_call(struct sim_call *c, long *ret)
{
	if (c->nr != SYS_fcntl)
		return false;
	int cmd = (int)A(1);
	if (cmd == F_SETOWN) {
		long v = (int)A(2), r = v >= 0 ? pid_to_real(v) : pid_to_real(-v);
		if (r < 0) {
			*ret = r;
			return true;
		}
		*ret = sys3(SYS_fcntl, A(0), F_SETOWN, v >= 0 ? r : -r);
		return true;
	}
	if (cmd == F_GETOWN) {
		long r = pass(c);
		*ret = r > 0 ? pid_to_virtual(r) : r < 0 && r > -4096 ? r : -pid_to_virtual(-r);
		return true;
	}
	if (cmd == F_SETOWN_EX || cmd == F_GETOWN_EX) {
		struct f_owner_ex *o = (struct f_owner_ex *)A(2);
		if (cmd == F_SETOWN_EX) {
			if (!o) {
				*ret = -EFAULT;
				return true;
			}
			struct f_owner_ex real = *o;
			long r = pid_to_real(real.pid);
			if (r < 0) {
				*ret = r;
				return true;
			}
			real.pid = (pid_t)r;
			*ret = sys3(SYS_fcntl, A(0), F_SETOWN_EX, &real);
		} else {
			*ret = pass(c);
			if (*ret == 0 && o && o->pid > 0)
				o->pid = (pid_t)pid_to_virtual(o->pid);
		}
		return true;
	}
	return false;
}

static long dispatch(struct sim_call *c)
{
	long net_r;
	if (owner_call(c, &net_r))
		return net_r;
	if (c->nr == SYS_uname) /* the whole utsname, not only the node name (pseudo.c) */
		return shim_host_query(c);
	if (shim_net_call(c, &net_r)) /* virtual sockets (net.c) */
		return net_r;
	if (shim_masked_wait(c, &net_r)) /* ppoll/pselect6/epoll_pwait with a mask (pwait.c) */
		return net_r;
	if (shim_disk_call(c, &net_r)) /* a disk fault on this node (disk.c) */
		return net_r;
	if (shim_storage_call(c, &net_r)) /* fsync & co. when power can fail (storage.c) */
		return net_r;
	if (shim_statfs_call(c, &net_r)) /* free space of the node's disk (diskfree.c) */
		return net_r;
	if (shim_proc_path_call(c, &net_r)) /* /proc/<vpid> paths (procdir.c) */
		return net_r;
	if (c->nr != SYS_open && c->nr != SYS_openat && shim_sys_call(c, &net_r))
		return net_r; /* /sys paths (sysdir.c); opens in open_call */
	if (shim_kwait_call(c, &net_r)) /* locks and IPC waits, without blocking (kwait.c) */
		return net_r;
	if (shim_entropy_call(c, &net_r)) /* /dev/urandom's stat, ioctls, writes (random.c) */
		return net_r;
	if (names_a_tid(c->nr))
		return pid_args_call(c, 0, -1);
	switch (c->nr) {
	case SYS_clock_gettime: return shim_clock_gettime((clockid_t)A(0), (struct timespec *)A(1));
	case SYS_gettimeofday: return shim_gettimeofday((struct timeval *)A(0), (void *)A(1));
	case SYS_time: return shim_time((time_t *)A(0));
	case SYS_getcpu: return shim_getcpu((unsigned *)A(0), (unsigned *)A(1), NULL);
	case SYS_nanosleep:
		return shim_nanosleep((const struct timespec *)A(0), (struct timespec *)A(1));
	case SYS_clock_nanosleep:
		return shim_clock_nanosleep((clockid_t)A(0), (int)A(1),
					    (const struct timespec *)A(2), (struct timespec *)A(3));
	case SYS_getpid: return shim_self.real_ids ? pass(c) : shim_proc.cfg.vpid;
	case SYS_getppid: return shim_proc.cfg.vppid;
	case SYS_gettid: return shim_self.vtid;
	case SYS_getpgrp: case SYS_getpgid: case SYS_getsid: case SYS_setpgid: case SYS_setsid:
		return pgrp_call(c);
	case SYS_capget: case SYS_capset: return cap_call(c);
	case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setregid:
	case SYS_setresuid: case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
		return creds_call(c);
	case SYS_getrandom:
		shim_random_fill((void *)A(0), (size_t)A(1));
		return A(1);
	case SYS_open: case SYS_openat: return open_call(c);
	case SYS_openat2: return -ENOSYS; /* glibc falls back to openat */
	case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv:
		if (shim_fd_random((int)A(0)))
			return read_random(c);
		return c->nr == SYS_read || c->nr == SYS_readv ? shim_blocking_in(c, (int)A(0)) : pass(c);
	case SYS_recvfrom: case SYS_recvmsg: return shim_blocking_in(c, (int)A(0));
	case SYS_accept: case SYS_accept4: {
		long r = shim_blocking_in(c, (int)A(0));
		if (r >= 0)
			shim_fd_forget((int)r);
		return r;
	}
	case SYS_write: case SYS_writev: case SYS_sendto: case SYS_sendmsg:
		return shim_blocking_out(c, (int)A(0));
	case SYS_signalfd: case SYS_signalfd4: {
		long r = pass(c);
		if (r >= 0)
			shim_proc.has_signalfd = true; /* waits turn imprecise (block.c) */
		return r;
	}
	case SYS_close: return close_call(c);
	case SYS_close_range: return close_range_call(c);
	case SYS_dup: case SYS_dup2: case SYS_dup3: return dup_call(c);
	case SYS_poll: return shim_poll((struct pollfd *)A(0), (unsigned long)A(1), ms_to_ns((int)A(2)));
	case SYS_ppoll: {
		int64_t t = ts_to_ns(A(2)), start = shim_proc.now;
		long r = shim_poll((struct pollfd *)A(0), (unsigned long)A(1), t);
		shim_timeout_left((void *)A(2), false, t, start);
		return r;
	}
	case SYS_select: {
		const struct timeval *tv = (const struct timeval *)A(4);
		int64_t t = tv ? (int64_t)tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL : -1;
		int64_t start = shim_proc.now;
		long r = shim_select((int)A(0), (void *)A(1), (void *)A(2), (void *)A(3), t);
		shim_timeout_left((void *)A(4), true, t, start);
		return r;
	}
	case SYS_pselect6: {
		int64_t t = ts_to_ns(A(4)), start = shim_proc.now;
		long r = shim_select((int)A(0), (void *)A(1), (void *)A(2), (void *)A(3), t);
		shim_timeout_left((void *)A(4), false, t, start);
		return r;
	}
	case SYS_epoll_wait: case SYS_epoll_pwait:
		return shim_epoll_wait((int)A(0), (void *)A(1), (int)A(2), ms_to_ns((int)A(3)));
	case SYS_epoll_pwait2:
		return shim_epoll_wait((int)A(0), (void *)A(1), (int)A(2), ts_to_ns(A(3)));
	case SYS_wait4: case SYS_waitid: return shim_wait(c);
	case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork: return shim_clone(c);
	case SYS_execve: case SYS_execveat: return shim_execve(c);
	case SYS_exit: shim_thread_exit((int)A(0));
	case SYS_exit_group: shim_exit_group((int)A(0));
	case SYS_futex: return shim_futex(c);
	case SYS_kill: case SYS_tgkill: case SYS_tkill: return shim_kill(c);
	case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: return shim_kill(c);
	case SYS_pidfd_open: case SYS_pidfd_send_signal:
		return refuse(c, "pidfd: process fds would name host pids (kill/waitpid work)", -ENOSYS);
	case SYS_rt_sigaction: return shim_sigaction((int)A(0), (void *)A(1), (void *)A(2));
	case SYS_rt_sigprocmask: return shim_sigprocmask(c);
	case SYS_sched_yield: shim_yield(); return 0;
	case SYS_utimensat: case SYS_futimesat: case SYS_utimes: case SYS_utime:
		return shim_filetime_set(c);
	case SYS_sigaltstack: return shim_sigaltstack(c);
	case SYS_sched_getaffinity: case SYS_sched_setaffinity: return affinity_call(c);
	case SYS_clock_settime: case SYS_settimeofday: case SYS_adjtimex: case SYS_clock_adjtime:
		return shim_clock_set_call(c);
	case SYS_sethostname: case SYS_setdomainname:
		return refuse(c, "the node's name is the simulation's (p0, w0, ...)", -EPERM);
	case SYS_kcmp: return pid_args_call(c, 0, 1);
	case SYS_getpriority: case SYS_setpriority: return prio_call(c, PRIO_PROCESS);
	case SYS_ioprio_get: case SYS_ioprio_set: return prio_call(c, 1 /* IOPRIO_WHO_PROCESS */);
	case SYS_ptrace:
		return refuse(c, "ptrace: tracing is not simulated (it would reach host pids)", -EPERM);
	case SYS_unshare:
		if (A(0) & (SHIM_CLONE_NEW_ANY | 0x80 /* CLONE_NEWTIME */))
			return refuse(c, "unshare of a namespace: the simulation is the node's only one", -EINVAL);
		return pass(c);
	case SYS_setns:
		return refuse(c, "setns: the simulation is the node's only namespace", -EINVAL);
	case SYS_prctl:
		if (A(0) == PR_SET_SYSCALL_USER_DISPATCH || A(0) == PR_SET_TSC)
			return refuse(c, "prctl: the simulation keeps syscall dispatch and the TSC", -EPERM);
		if (A(0) == PR_SET_SECCOMP)
			return refuse(c, SECCOMP_REFUSED, -EINVAL);
		return pass(c);
	case SYS_seccomp:
		if (A(0) == 0 /* SECCOMP_SET_MODE_STRICT */ || A(0) == 1 /* SECCOMP_SET_MODE_FILTER */)
			return refuse(c, SECCOMP_REFUSED, -EINVAL);
		return pass(c);
	case SYS_io_uring_setup: case SYS_io_uring_enter: case SYS_io_uring_register:
		return refuse(c, "io_uring is not simulated (programs fall back to epoll)", -ENOSYS);
	case SYS_io_setup:
		return refuse(c, "native AIO is not simulated (programs fall back to I/O threads)", -ENOSYS);
	case SYS_alarm: case SYS_setitimer: case SYS_getitimer: case SYS_timer_create:
	case SYS_timer_settime: case SYS_timer_gettime: case SYS_timer_getoverrun:
	case SYS_timer_delete: case SYS_timerfd_create: case SYS_timerfd_settime:
	case SYS_timerfd_gettime:
		return shim_timer_call(c);
	case SYS_uname: case SYS_sysinfo: case SYS_getrusage: case SYS_times:
		return shim_host_query(c);
	case SYS_getdents64: {
		long r;
		if (shim_proc_getdents((int)A(0), (char *)A(1), (size_t)A(2), &r))
			return r;
		r = shim_getdents64(c);
		shim_filetime_dents((int)A(0), (char *)A(1), r);
		return r;
	}
	case SYS_readlink: case SYS_readlinkat: {
		long r;
		return shim_exe_readlink(c, &r) ? r : pass(c);
	}
	case SYS_arch_prctl:
		return shim_proc.static_image ? shim_tp_arch_prctl(c) : pass(c);
	case SYS_brk:
		/* In a static program the break is the program's: the shim's
		 * glibc, whose idea of it would be stale, may ask where it is
		 * but every move fails (0 is below any address asked for), so
		 * its malloc takes mmap instead (tp.c).  Answering with the
		 * current break would not do: once the program's heap has
		 * grown past the address asked for, glibc takes that answer
		 * for success and allocates inside the program's heap. */
		if (shim_proc.static_image && shim_self.shim_trap && A(0))
			return 0;
		return pass(c);
	case SYS_rseq: {
		long r = pass(c);
		if (r == 0 && shim_proc.static_image) /* unregistered at exit (thread.c) */
			shim_thread_rseq(c);
		return r;
	}
	case SYS_rt_sigsuspend: case SYS_pause: return shim_sigsuspend(c);
	case SYS_rt_sigtimedwait: return shim_sigtimedwait(c);
	}
	return pass(c);
}

static char *put_num(char *p, long v)
{
	char tmp[24];
	int n = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		*p++ = '-';
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* -vv: every call into the trace, to find where two runs diverge. */
/* The first argument as -vv's note shows it: a real pid or tid (glibc
 * passes the kernel's tid of a process's first thread to
 * sched_getparam and the like) as the virtual one, the same in every run. */
static long note_arg(const struct sim_call *c)
{
	if (names_a_tid(c->nr) || c->nr == SYS_kcmp) {
		if (c->a[0] == sys0(SYS_gettid))
			return shim_self.vtid;
		if (c->a[0] == sys0(SYS_getpid))
			return shim_proc.cfg.vpid;
	}
	return c->a[0];
}

static void trace_call(const struct sim_call *c, long r)
{
	char buf[96], *p = buf;
	p = stpcpy(p, "syscall ");
	p = put_num(p, c->nr);
	p = stpcpy(p, "(");
	p = put_num(p, note_arg(c));
	p = stpcpy(p, ") = ");
	p = put_num(p, r);
	*p = 0;
	shim_note(buf);
}

long shim_dispatch(struct sim_call *c)
{
	shim_ready();
	if (!shim_proc.active || shim_self.sock < 0)
		return pass(c);
	shim_self.depth++;
	if (c->nr != SYS_clock_gettime && c->nr != SYS_gettimeofday && c->nr != SYS_time)
		shim_tick(); /* clock reads charge their own tick */
	struct shim_unix_call uc;
	struct shim_sto_pre sp;
	shim_storage_before(c, &sp); /* ext4's auto_da_alloc, if power can fail (storage.c) */
	long r = shim_unix_before(c, &uc); /* abstract AF_UNIX names per node (unixabs.c) */
	if (r == 0)
		r = dispatch(c);
	shim_unix_after(c, &uc, r);
	shim_filetime_after(c, r); /* file times in virtual time (filetime.c) */
	shim_storage_after(c, r, &sp); /* durability points, if power can fail (storage.c) */
	/* Anything but a pure query may have changed what another thread
	 * waits for (a pipe drained, a file created): parked pollers retry. */
	if (!is_quiet(c->nr))
		shim_self.dirty = true;
	if (shim_proc.cfg.trace_calls)
		trace_call(c, r);
	shim_self.depth--;
	return r;
}
