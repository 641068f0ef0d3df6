/*
 * wrappers.c — the PLT fast path: libc functions that libsimsup.so exports
 * so that a program's calls reach the shim as plain function calls, without
 * a trap.  Everything else reaches the shim through the trap (sud.c) or the
 * patched vDSO (vdso.c); calls glibc makes inside itself always trap.
 *
 * The hot calls that may block (read, write, the recv and send families,
 * accept, poll, epoll_wait, nanosleep, clock_nanosleep, usleep, sleep) are here too, held
 * to what the trap gives: the shim runs with every asynchronous signal
 * blocked, as in the SIGSYS handler, with the program's own mask as the
 * one that decides what ends a wait (shim_self.mask), and a signal reaches
 * the program when the call returns, before errno is set.  Each is a
 * cancellation point, as glibc's: a cancellation pending when the call
 * starts acts then, and pthread_cancel of a thread parked in one ends the
 * call and the thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

static long call(long nr, long a0, long a1, long a2)
{
	struct sim_call c = { .nr = nr, .a = { a0, a1, a2 } };
	shim_self.nplt++;
	long r = shim_dispatch(&c);
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

SHIM_EXPORT int clock_gettime(clockid_t clk, struct timespec *ts)
{
	shim_self.nplt++;
	int r = shim_clock_gettime(clk, ts);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

SHIM_EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	shim_self.nplt++;
	return shim_gettimeofday(tv, tz);
}

SHIM_EXPORT time_t time(time_t *t)
{
	shim_self.nplt++;
	return shim_time(t);
}

SHIM_EXPORT pid_t getpid(void)
{
	return (pid_t)call(SYS_getpid, 0, 0, 0);
}

/* A yield point: the turn may go to another thread, with the program's
 * signals held back meanwhile (shim_request does that for a call made
 * outside a trap).  Not a cancellation point, as glibc's is not. */
SHIM_EXPORT int sched_yield(void)
{
	return (int)call(SYS_sched_yield, 0, 0, 0);
}

SHIM_EXPORT pid_t getppid(void)
{
	return (pid_t)call(SYS_getppid, 0, 0, 0);
}

SHIM_EXPORT pid_t gettid(void)
{
	return (pid_t)call(SYS_gettid, 0, 0, 0);
}

SHIM_EXPORT int sched_getcpu(void)
{
	unsigned cpu = 0;
	shim_self.nplt++;
	shim_getcpu(&cpu, NULL, NULL);
	return (int)cpu;
}

SHIM_EXPORT ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
	return call(SYS_getrandom, (long)buf, (long)n, flags);
}

SHIM_EXPORT int getentropy(void *buf, size_t n)
{
	if (n > 256) {
		errno = EIO;
		return -1;
	}
	return call(SYS_getrandom, (long)buf, (long)n, 0) < 0 ? -1 : 0;
}

/* ---- calls that may block ---- */

struct outer {
	const uint64_t *mask;
	struct shim_lazy_hold *lazy;
};

static void outer_back(const struct outer *o)
{
	shim_self.mask = o->mask;
	shim_self.lazy = o->lazy;
}

/* One blocking call, as the SIGSYS handler would make it. */
static long blocking(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	pthread_testcancel(); /* a cancellation point: a pending cancellation acts here */
	long r;
	if (!shim_proc.active || shim_self.sock < 0 || shim_self.real_ids) {
		int type; /* not simulated: the kernel's, as glibc makes it */
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
		r = shim_syscall6(nr, a0, a1, a2, a3, a4, a5);
		pthread_setcanceltype(type, NULL);
	} else {
		/* The program's signals are blocked (as the SIGSYS handler's
		 * mask blocks them) from the call's first request to the
		 * supervisor on, if it makes one (shim_hold_signals): a call
		 * that parks holds them back until it returns, and one that
		 * asks nothing, most reads and writes, costs no
		 * rt_sigprocmask.  Asynchronous cancellation for the call, as
		 * glibc's own wrapper enables it around the syscall: glibc's
		 * pthread_cancel sends its signal only to a thread in that
		 * mode, and the signal is what wakes a thread parked here.
		 * Held back with the others, it acts at the pthread_testcancel
		 * below, or inside the call when the shim runs the program's
		 * SA_RESTART handlers to restart it (glibc's is one), as it
		 * would in glibc's read. */
		struct shim_lazy_hold lazy = { .held = false };
		int type;
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
		{
			/* put back however the call is left: a cancellation
			 * acted on inside (a handler the shim runs for a
			 * restartable call) unwinds through here */
			__attribute__((cleanup(outer_back))) struct outer o = { shim_self.mask, shim_self.lazy };
			shim_self.mask = &lazy.old; /* (filled when held) */
			shim_self.lazy = &lazy;
			struct sim_call c = { .nr = nr, .a = { a0, a1, a2, a3, a4, a5 } };
			shim_self.nplt++;
			r = shim_dispatch(&c);
		}
		pthread_setcanceltype(type, NULL);
		/* what is pending and unblocked is delivered now, as when a
		 * trap returns */
		if (lazy.held)
			shim_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&lazy.old, 0, 8, 0, 0);
	}
	pthread_testcancel();
	return r;
}

static long ret_errno(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define B(nr, a0, a1, a2, a3, a4, a5) \
	ret_errno(blocking((nr), (long)(a0), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5)))

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	return B(SYS_read, fd, buf, n, 0, 0, 0);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	return B(SYS_write, fd, buf, n, 0, 0, 0);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return B(SYS_readv, fd, iov, n, 0, 0, 0);
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return B(SYS_writev, fd, iov, n, 0, 0, 0);
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	return B(SYS_recvfrom, fd, buf, n, flags, 0, 0);
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
			     socklen_t *fromlen)
{
	return B(SYS_recvfrom, fd, buf, n, flags, from, fromlen);
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *mh, int flags)
{
	return B(SYS_recvmsg, fd, mh, flags, 0, 0, 0);
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return B(SYS_sendto, fd, buf, n, flags, 0, 0);
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
			   socklen_t tolen)
{
	return B(SYS_sendto, fd, buf, n, flags, to, tolen);
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *mh, int flags)
{
	return B(SYS_sendmsg, fd, mh, flags, 0, 0, 0);
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return (int)B(SYS_accept, fd, addr, len, 0, 0, 0);
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return (int)B(SYS_accept4, fd, addr, len, flags, 0, 0);
}

SHIM_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return (int)B(SYS_poll, fds, n, timeout, 0, 0, 0);
}

SHIM_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	return (int)B(SYS_epoll_wait, epfd, ev, max, timeout, 0, 0);
}

SHIM_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)B(SYS_nanosleep, req, rem, 0, 0, 0, 0);
}

/* usleep and sleep call glibc's nanosleep from inside libc, where no PLT
 * reaches: wrapped themselves, as glibc writes them (memcached's threads
 * sleep with usleep: a trap each before). */
SHIM_EXPORT int usleep(useconds_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	return (int)B(SYS_nanosleep, &ts, 0, 0, 0, 0, 0);
}

/* the whole seconds not slept when a signal ends it, else 0 (errno kept) */
SHIM_EXPORT unsigned int sleep(unsigned int s)
{
	int saved = errno;
	struct timespec ts = { .tv_sec = s, .tv_nsec = 0 };
	if (B(SYS_nanosleep, &ts, &ts, 0, 0, 0, 0) < 0)
		return (unsigned int)ts.tv_sec;
	errno = saved;
	return 0;
}

/* returns the error number itself, as the POSIX function does */
SHIM_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
				struct timespec *rem)
{
	long r = blocking(SYS_clock_nanosleep, clk, flags, (long)req, (long)rem, 0, 0);
	return r < 0 && r > -4096 ? (int)-r : 0;
}
