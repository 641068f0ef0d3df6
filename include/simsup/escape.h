/*
 * escape.h — the calls that give away a program running outside the
 * simulation, shared by the launcher's seccomp policy (interposer/policy.c)
 * and the shim's syscall gate (interposer/gate.S, interposer/gatemark.c).
 *
 * Every simulated image must load libsimsup.so.  One that does not (the
 * shim is unreadable for the user a program switched to, or the loader
 * dropped LD_PRELOAD) would run on the host's clock and network without a
 * word.  The shim's gate puts SIM_GATE_MARK in the sixth argument register
 * (r9) of each call listed here; all of them take five arguments or fewer,
 * so the kernel never reads that register for them.  The policy filter kills
 * the process that makes one of these calls without the mark: only a process
 * without the shim (or a thread the shim never armed) can.  The supervisor
 * sees an image that died by SIGSYS before saying hello and names it.
 *
 * What the list must never hold: a call that ld.so or libc's start-up makes
 * before any constructor has run (mmap, openat for reading, read, close,
 * brk, mprotect, arch_prctl, set_tid_address, rseq, prlimit64, getrandom,
 * writev to fd 2 for ld.so's own messages), and any call of six arguments.
 * Other libraries' constructors that run before the shim's and call one of
 * these without going through an exported function (which starts the shim
 * first: shim/init.c) would be stopped too, loudly.
 *
 * X(name, rule): rule is ANY (every call), WRITEFD (fd argument other than
 * 2), OPENW (open flags that write or create).
 */
#ifndef SIMSUP_ESCAPE_H
#define SIMSUP_ESCAPE_H

#define SIM_GATE_MARK 0x51b5a9e5c0de2a7f /* also read by gate.S: no suffix */

#define SIM_ESCAPE_CALLS(X)                                                  \
	/* the network */                                                    \
	X(socket, ANY) X(socketpair, ANY) X(connect, ANY) X(bind, ANY)       \
	X(listen, ANY) X(accept, ANY) X(accept4, ANY) X(sendmsg, ANY)        \
	X(recvmsg, ANY) X(sendmmsg, ANY) X(recvmmsg, ANY) X(shutdown, ANY)   \
	/* waits and timers on the host's clock */                           \
	X(nanosleep, ANY) X(clock_nanosleep, ANY) X(select, ANY)             \
	X(poll, ANY) X(ppoll, ANY) X(epoll_wait, ANY) X(epoll_create, ANY)   \
	X(epoll_create1, ANY) X(alarm, ANY) X(setitimer, ANY)                \
	X(timer_create, ANY) X(timerfd_create, ANY) X(pause, ANY)            \
	/* processes and signals */                                          \
	X(clone, ANY) X(clone3, ANY) X(fork, ANY) X(vfork, ANY)              \
	X(execve, ANY) X(execveat, ANY) X(wait4, ANY) X(waitid, ANY)         \
	X(kill, ANY) X(tgkill, ANY) X(tkill, ANY)                            \
	/* writes to files and the file tree */                              \
	X(write, WRITEFD) X(writev, WRITEFD) X(pwrite64, ANY)                \
	X(pwritev, ANY) X(open, OPENW) X(openat, OPENW) X(creat, ANY)        \
	X(rename, ANY) X(renameat, ANY) X(renameat2, ANY) X(unlink, ANY)     \
	X(unlinkat, ANY) X(mkdir, ANY) X(mkdirat, ANY) X(rmdir, ANY)         \
	X(link, ANY) X(linkat, ANY) X(symlink, ANY) X(symlinkat, ANY)        \
	X(truncate, ANY) X(ftruncate, ANY) X(fallocate, ANY) X(fsync, ANY)   \
	X(fdatasync, ANY)

#endif
