/*
 * proc.c — processes: fork-like clones, exec, exit, wait, kill.
 *
 * Every new process is cloned with CLONE_PARENT, so that it is a real child
 * of the supervisor, which reaps everything and learns every exit status;
 * the program's own parent/child relation is virtual (virtual pids, wait4
 * answered by the supervisor).  vfork and posix_spawn's CLONE_VM|CLONE_VFORK
 * become plain forks: the child runs on the stack it was given, in its own
 * copy of memory.  (So posix_spawn does not see the child's exec error; the
 * child exits 127 instead, as with fork+exec.)
 *
 * Reachable from the SIGSYS handler: no malloc, gate only.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "shim.h"
#include "net.h"
#include "simsup/shebang.h"

static void close_inherited_channels(int keep)
{
	for (int fd = SIM_FD_MIN; fd < SIM_FD_MIN + 4096; fd++)
		if (fd != keep && shim_fd_is_own(fd)) {
			sys1(SYS_close, fd);
			shim_fd_disown(fd);
		}
}

static long clone_process(struct sim_call *c, unsigned long flags, unsigned long sp,
			  int *ptid, int *ctid)
{
	int sv[2];
	long r = sys4(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	if (r < 0)
		return r;
	sv[0] = shim_own_fd(sv[0]);
	sv[1] = shim_own_fd(sv[1]);
	struct sim_req rq = { .op = SIM_FORK };
	struct sim_rep rep;
	long vpid = shim_request(&rq, NULL, sv[0], &rep);
	uint64_t child_seed = (uint64_t)rep.a[0];
	sys1(SYS_close, sv[0]);
	shim_fd_disown(sv[0]);
	if (vpid < 0) {
		sys1(SYS_close, sv[1]);
		shim_fd_disown(sv[1]);
		return vpid;
	}
	flags &= ~(unsigned long)(CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_SETTLS);
	flags |= CLONE_PARENT;
	long sup = sys0(SYS_getppid); /* the supervisor: the child's parent too */
	long pid = sys5(SYS_clone, flags, 0, ptid, ctid, 0);
	if (pid == 0) {
		int ppid = shim_proc.cfg.vpid;
		shim_self.sock = sv[1];
		shim_chan_forked();
		close_inherited_channels(sv[1]);
		shim_probe_forget();
		shim_proc.ntkill = 0; /* the parent's threads' */
		shim_timerfd_forked();
		/* a fork does not inherit it; a supervisor killed before it is
		 * set shows as a new parent */
		sys2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
		if (sys0(SYS_getppid) != sup)
			shim_die("the supervisor is gone");
		shim_proc.cfg.vppid = ppid;
		shim_proc.cfg.vpid = (int)vpid;
		shim_self.vtid = (int)vpid;
		shim_self.clear_tid = NULL;
		shim_random_seed(child_seed);
		if (shim_sud_rearm() < 0)
			shim_die("cannot arm syscall user dispatch in a child");
		if (sp && c->uc)
			c->uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
		shim_wait_turn(&rep);
		return 0;
	}
	sys1(SYS_close, sv[1]);
	shim_fd_disown(sv[1]);
	shim_call(SIM_FORK_DONE, vpid, pid, 0, 0);
	return pid < 0 ? pid : vpid;
}

/* A new namespace (network, pid, mount, user, ...) would take the process
 * out of the simulation's view (a new network namespace has none of its
 * sockets), so it is refused as a kernel without namespaces refuses it:
 * vsftpd and sshd's sandboxes then fork plainly. */
static long new_namespace(struct sim_call *c)
{
	shim_refuse(c->nr, "a new namespace: the simulation is the node's only one");
	return -EINVAL;
}

/* Clones that would share memory in ways the simulation cannot keep:
 * a thread without its own TLS would share the shim's per-thread state
 * (initial-exec TLS) with its creator and corrupt both; a CLONE_VM child
 * that is neither a thread nor a vfork would become a fork with its own
 * memory, a silent divergence.  Refused, never approximated. */
static long clone_unsupported(struct sim_call *c, unsigned long flags)
{
	/* (a static program's threads get a shim thread block each: tp.c) */
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SETTLS) && !shim_proc.static_image) {
		shim_refuse(c->nr, "a thread without CLONE_SETTLS would share the shim's "
				   "per-thread state (use pthread_create)");
		return -ENOSYS;
	}
	if ((flags & CLONE_VM) && !(flags & (CLONE_THREAD | CLONE_VFORK))) {
		shim_refuse(c->nr, "CLONE_VM without CLONE_THREAD or CLONE_VFORK: "
				   "a child sharing its parent's memory is not simulated");
		return -ENOSYS;
	}
	return 0;
}

long shim_clone(struct sim_call *c)
{
	if (c->nr == SYS_clone || c->nr == SYS_clone3) {
		unsigned long f = (unsigned long)c->a[0];
		if (c->nr == SYS_clone3)
			f = (size_t)c->a[1] >= sizeof(uint64_t) && c->a[0]
				    ? *(const uint64_t *)c->a[0] : 0;
		long bad = clone_unsupported(c, f);
		if (bad)
			return bad;
	}
	unsigned long flags, sp = 0;
	int *ptid = NULL, *ctid = NULL;
	struct clone_args ca;
	switch (c->nr) {
	case SYS_fork:
		return clone_process(c, SIGCHLD, 0, NULL, NULL);
	case SYS_vfork:
		return clone_process(c, SIGCHLD, 0, NULL, NULL);
	case SYS_clone:
		flags = (unsigned long)c->a[0];
		sp = (unsigned long)c->a[1];
		ptid = (int *)c->a[2];
		ctid = (int *)c->a[3];
		if (flags & CLONE_THREAD)
			return shim_clone_new_thread(c, flags, sp, ctid, NULL);
		if (flags & SHIM_CLONE_NEW_ANY)
			return new_namespace(c);
		return clone_process(c, flags, sp, ptid, ctid);
	case SYS_clone3:
		if ((size_t)c->a[1] < CLONE_ARGS_SIZE_VER0 || (size_t)c->a[1] > sizeof ca)
			return -E2BIG;
		memset(&ca, 0, sizeof ca);
		memcpy(&ca, (void *)c->a[0], (size_t)c->a[1]);
		if (ca.stack)
			sp = (unsigned long)(ca.stack + ca.stack_size);
		if (ca.flags & CLONE_THREAD)
			return shim_clone_new_thread(c, (unsigned long)ca.flags, sp,
						     (int *)(uintptr_t)ca.child_tid, &ca);
		if (ca.flags & (SHIM_CLONE_NEW_ANY | CLONE_NEWTIME))
			return new_namespace(c);
		if (ca.flags & (CLONE_PIDFD | CLONE_INTO_CGROUP))
			return -ENOSYS; /* glibc falls back to clone */
		flags = (unsigned long)ca.flags | (ca.exit_signal & 0xff);
		return clone_process(c, flags, sp, (int *)(uintptr_t)ca.parent_tid,
				     (int *)(uintptr_t)ca.child_tid);
	}
	return -ENOSYS;
}

/* ---- exec ---- */

static bool env_is(const char *e, const char *name)
{
	size_t n = strlen(name);
	return strncmp(e, name, n) == 0 && e[n] == '=';
}

/* Builds envp for the next image in an mmap'd block: the program's
 * environment without our variables, then LD_PRELOAD (ours first, theirs
 * kept) and SIMSUP_FD.  Programs that clear their environment still get a
 * shim. */
static char *put_env_fd(char *s, const char *name, int v)
{
	s = stpcpy(stpcpy(s, name), "=");
	char num[16];
	int d = 0;
	do
		num[d++] = (char)('0' + v % 10);
	while ((v /= 10) && d < 15);
	while (d)
		*s++ = num[--d];
	*s = 0;
	return s;
}

/* The program's own LD_PRELOAD entries after ours, each once, without
 * ours (which an image under the shim always has first). */
static char *put_their_preload(char *s, const char *list)
{
	const char *lib = shim_proc.cfg.lib;
	size_t liblen = strlen(lib);
	for (const char *p = list; p && *p;) {
		while (*p == ':' || *p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ':' && *e != ' ')
			e++;
		size_t l = (size_t)(e - p);
		bool ours = (l == liblen && !memcmp(p, lib, l)) ||
			    (l >= 13 && !memcmp(e - 13, "/libsimsup.so", 13)) ||
			    (l == 12 && !memcmp(p, "libsimsup.so", 12));
		if (l && !ours) {
			*s++ = ':';
			memcpy(s, p, l);
			s += l;
		}
		p = e;
	}
	*s = 0;
	return s;
}

static char **build_env(char *const *envp, bool preload, int vsocks, void **blk, size_t *blklen)
{
	size_t n = 0;
	const char *their_preload = NULL;
	for (; envp && envp[n]; n++)
		if (env_is(envp[n], "LD_PRELOAD"))
			their_preload = envp[n] + 11;
	/* at most n of theirs, LD_PRELOAD, SIMSUP_FD, SIMSUP_VSOCKS, NULL */
	size_t len = (n + 4) * sizeof(char *) + 256 + strlen(shim_proc.cfg.lib) +
		     (their_preload ? strlen(their_preload) : 0);
	long p = sys6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	char **out = (char **)p;
	char *s = (char *)p + (n + 4) * sizeof(char *);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!env_is(envp[i], "LD_PRELOAD") && !env_is(envp[i], SIM_ENV_FD) &&
		    !env_is(envp[i], SIM_ENV_VSOCKS))
			out[k++] = envp[i];
	if (preload) {
		out[k++] = s;
		s = stpcpy(stpcpy(s, "LD_PRELOAD="), shim_proc.cfg.lib);
		s = put_their_preload(s, their_preload);
		s++;
	}
	out[k++] = s;
	s = put_env_fd(s, SIM_ENV_FD, shim_self.sock) + 1;
	if (vsocks >= 0) {
		out[k++] = s;
		put_env_fd(s, SIM_ENV_VSOCKS, vsocks);
	}
	out[k] = NULL;
	*blk = (void *)p;
	*blklen = len;
	return out;
}

/* Is path a statically linked ELF (no PT_INTERP)?  It would run without
 * the shim: outside the simulation, on the real clock.  Scripts and
 * unreadable files are left to the kernel. */
static bool static_elf(int dirfd, const char *path)
{
	/* execveat(fd, "", AT_EMPTY_PATH) (fexecve) runs the fd itself */
	long fd = *path ? sys4(SYS_openat, dirfd, path, O_RDONLY | O_CLOEXEC, 0) : dirfd;
	if (fd < 0)
		return false;
	Elf64_Ehdr eh;
	bool is_static = false;
	if (sys4(SYS_pread64, fd, &eh, sizeof eh, 0) == (long)sizeof eh &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	    (eh.e_type == ET_EXEC || eh.e_type == ET_DYN) && eh.e_phentsize == sizeof(Elf64_Phdr)) {
		is_static = true;
		for (int i = 0; i < eh.e_phnum && i < 64; i++) {
			Elf64_Phdr ph;
			if (sys4(SYS_pread64, fd, &ph, sizeof ph, eh.e_phoff + (uint64_t)i * sizeof ph) !=
			    (long)sizeof ph)
				break;
			if (ph.p_type == PT_INTERP)
				is_static = false;
		}
	}
	if (*path)
		sys1(SYS_close, fd);
	return is_static;
}

/* A #! script whose interpreter is a static program: true with the
 * interpreter and its optional argument cut out of head. */
static bool static_script(int dirfd, const char *path, char *head, char **interp, char **arg)
{
	long fd = *path ? sys4(SYS_openat, dirfd, path, O_RDONLY | O_CLOEXEC, 0) : dirfd;
	if (fd < 0)
		return false;
	long n = sys4(SYS_pread64, fd, head, SIM_SHEBANG_MAX, 0);
	if (*path)
		sys1(SYS_close, fd);
	return n > 0 && sim_shebang_parse(head, (size_t)n, interp, arg) &&
	       static_elf(AT_FDCWD, *interp);
}

/*
 * A static program is run by the shim itself: libsimsup.so is executable,
 * and maps the program (interposer/staticexec.c).  argv becomes
 * { shim, path, argv... }, or for a script whose interpreter is static
 * { shim, interp, interp, [arg], script, argv[1]... }, the argv the kernel
 * would give the interpreter.  The block is mmap'd; NULL on failure.
 */
static char **static_argv(const char *path, const char *interp, const char *arg,
			  char *const *argv, void **blk, size_t *blklen)
{
	size_t n = 0;
	while (argv && argv[n])
		n++;
	size_t len = (n + 6) * sizeof(char *);
	long p = sys6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	char **out = (char **)p;
	size_t k = 0, from = 0;
	out[k++] = shim_proc.cfg.lib;
	if (interp) {
		out[k++] = (char *)interp; /* the program the shim maps */
		out[k++] = (char *)interp; /* its argv[0] */
		if (arg)
			out[k++] = (char *)arg;
		out[k++] = (char *)path;
		from = n ? 1 : 0; /* the script takes argv[0]'s place */
	} else {
		out[k++] = (char *)path; /* argv[0] follows as given */
	}
	for (size_t i = from; i < n; i++)
		out[k++] = argv[i];
	out[k] = NULL;
	*blk = (void *)p;
	*blklen = len;
	return out;
}

/* In a static program the kernel's executable is libsimsup.so: a
 * readlink of /proc/self/exe names the program instead (Go's
 * os.Executable reads it).  true with *ret set when it answered. */
bool shim_exe_readlink(struct sim_call *c, long *ret)
{
	bool at = c->nr == SYS_readlinkat;
	const char *path = (const char *)c->a[at ? 1 : 0];
	if (!shim_proc.static_image || !path || strcmp(path, "/proc/self/exe"))
		return false;
	char *buf = (char *)c->a[at ? 2 : 1];
	size_t len = (size_t)c->a[at ? 3 : 2], n = strlen(shim_proc.static_path);
	if ((long)len <= 0) {
		*ret = -EINVAL;
		return true;
	}
	memcpy(buf, shim_proc.static_path, n < len ? n : len);
	*ret = (long)(n < len ? n : len);
	return true;
}

long shim_execve(struct sim_call *c)
{
	bool at = c->nr == SYS_execveat;
	const char *path = (const char *)c->a[at ? 1 : 0];
	char *const *argv = (char *const *)c->a[at ? 2 : 1];
	/* a static program re-running itself (busybox does) */
	if (path && shim_proc.static_image && !strcmp(path, "/proc/self/exe"))
		path = shim_proc.static_path;
	int dirfd = at ? (int)c->a[0] : AT_FDCWD;
	char head[SIM_SHEBANG_MAX];
	char *interp = NULL, *iarg = NULL;
	bool is_static = path && (static_elf(dirfd, path) ||
				  static_script(dirfd, path, head, &interp, &iarg));
	if (is_static && at && path[0] != '/' && dirfd != AT_FDCWD) {
		shim_refuse(c->nr, "execveat of a statically linked program (or a script it "
				   "interprets) by a file descriptor: the shim runs it by path");
		return -EPERM;
	}
	char *const *envp = (char *const *)c->a[at ? 3 : 2];
	void *blk, *ablk = NULL;
	size_t blklen, ablklen = 0;
	int vsocks = shim_net_exec_save(); /* the virtual sockets go on (net.c) */
	char **env = build_env(envp, !is_static, vsocks, &blk, &blklen);
	if (!env) {
		if (vsocks >= 0)
			sys1(SYS_close, vsocks);
		return -ENOMEM;
	}
	const char *shown = path; /* what the supervisor names the image by */
	if (is_static) {
		argv = static_argv(path, interp, iarg, argv, &ablk, &ablklen);
		if (!argv) {
			sys2(SYS_munmap, blk, blklen);
			if (vsocks >= 0)
				sys1(SYS_close, vsocks);
			return -ENOMEM;
		}
		path = shim_proc.cfg.lib;
		at = false;
	}
	struct sim_req rq = { .op = SIM_EXEC };
	struct sim_rep rep;
	rq.len = shown ? (uint32_t)strnlen(shown, 1024) : 0;
	shim_request(&rq, shown, -1, &rep);
	shim_chan_drop(); /* the supervisor dropped it too: the next image, or this one
			     if execve fails, goes on with the socket */
	sys3(SYS_fcntl, shim_self.sock, F_SETFD, 0);
	/* rdtsc faulting survives execve and the next image's loader runs
	 * rdtsc before its shim exists: turn it off; the new shim re-arms. */
	sys2(SYS_prctl, PR_SET_TSC, PR_TSC_ENABLE);
	if (c->uc) /* exec keeps the signal mask: give it the program's, not the handler's */
		sys4(SYS_rt_sigprocmask, SIG_SETMASK, &c->uc->uc_sigmask, NULL, 8);
	long r = at ? sys5(SYS_execveat, c->a[0], path, argv, env, c->a[4])
		    : sys3(SYS_execve, path, argv, env);
	if (c->uc) {
		sigset_t all;
		memset(&all, 0xff, sizeof all);
		sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
	}
	shim_rdtsc_enable();
	sys3(SYS_fcntl, shim_self.sock, F_SETFD, FD_CLOEXEC);
	sys2(SYS_munmap, blk, blklen);
	if (ablk)
		sys2(SYS_munmap, ablk, ablklen);
	if (vsocks >= 0)
		sys1(SYS_close, vsocks);
	shim_call(SIM_EXEC_FAILED, r, 0, 0, 0);
	return r;
}

/* ---- exit, wait, kill ---- */

_Noreturn void shim_exit_group(int status)
{
	if (shim_proc.active && shim_self.sock >= 0) {
		struct sim_req rq = { .op = SIM_EXIT, .a = { status & 0xff } };
		shim_request(&rq, NULL, -1, NULL);
	}
	for (;;)
		sys1(SYS_exit_group, status);
}

/* A blocking wait is interrupted by signals, as the kernel's: when the
 * supervisor ends it with -EINTR, an ended child still wins (the kernel
 * looks for one first); then a signal the program handles ends the wait
 * with EINTR, or, if its handler has SA_RESTART, runs and the wait goes on;
 * anything else was a spurious wake-up.  (A SIGALRM handler that kills a
 * hung child while its parent sits in waitpid is a common timeout.) */
static long wait_interruptible(const struct sim_req *req, struct sim_rep *rep)
{
	for (;;) {
		struct sim_req rq = *req;
		long r = shim_request(&rq, NULL, -1, rep);
		if (r != -EINTR || (req->a[1] & WNOHANG))
			return r;
		rq = *req;
		rq.a[1] |= WNOHANG;
		r = shim_request(&rq, NULL, -1, rep);
		if (r != 0)
			return r;
		if (shim_sig_deliverable() && !shim_sig_restart())
			return -EINTR;
	}
}

long shim_wait(struct sim_call *c)
{
	struct sim_rep rep;
	struct sim_req rq = { .op = SIM_WAIT };
	if (c->nr == SYS_wait4) {
		rq.a[0] = (int)c->a[0];
		rq.a[1] = (int)c->a[2];
	} else { /* waitid(idtype, id, infop, options, rusage) */
		int idtype = (int)c->a[0];
		int id = (int)c->a[1];
		if (idtype == P_PID && id > 0)
			rq.a[0] = id;
		else if (idtype == P_ALL)
			rq.a[0] = -1;
		else if (idtype == P_PGID && id >= 0)
			rq.a[0] = id == 1 ? -(int64_t)INT32_MAX : -id; /* 0: the caller's group */
		else
			return -EINVAL;
		rq.a[1] = c->a[3];
		if (!(c->a[3] & (WEXITED)))
			return -EINVAL;
	}
	long r = wait_interruptible(&rq, &rep);
	int status = (int)rep.a[0];
	if (c->nr == SYS_wait4) {
		if (r > 0 && c->a[1])
			*(int *)c->a[1] = status;
		if (c->a[3])
			memset((void *)c->a[3], 0, 144); /* struct rusage */
		return r;
	}
	siginfo_t *si = (siginfo_t *)c->a[2];
	if (si) {
		memset(si, 0, sizeof *si);
		if (r > 0) {
			si->si_signo = SIGCHLD;
			si->si_pid = (pid_t)r;
			if (WIFEXITED(status)) {
				si->si_code = CLD_EXITED;
				si->si_status = WEXITSTATUS(status);
			} else {
				si->si_code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
				si->si_status = WTERMSIG(status);
			}
		}
	}
	return r < 0 ? r : 0;
}
