/*
 * sigrestart.c — SA_RESTART for calls the shim makes wait.
 *
 * When a signal interrupts a blocking read, write, accept, connect or open
 * of a FIFO, the kernel runs the handler and, if the handler was installed
 * with SA_RESTART (glibc's signal() does so), restarts the call: the
 * program never sees EINTR.  The shim's waits end with -EINTR when a
 * signal the program will see is pending; without this, that EINTR reached
 * the program, and code that relies on SA_RESTART (most code that uses
 * signal()) failed where it works natively.
 *
 * shim_sig_restart() is asked by such a wait when it is interrupted: if
 * every pending signal the program will see has a handler with SA_RESTART,
 * the handlers are run now (the kernel's rt_sigsuspend under the program's
 * own mask, as shim_sigsuspend does) and the wait goes on; otherwise
 * nothing is done and the call ends with EINTR, the signal being delivered
 * when the trap returns, as before.  Calls the kernel never restarts
 * (poll, select, epoll_wait, nanosleep, calls with a socket timeout) do not
 * ask.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>

#include "shim.h"

#define KEEP ((1ULL << (SIGSYS - 1)) | (1ULL << (SIGSEGV - 1)))

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static bool ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

bool shim_sig_restart(void)
{
	uint64_t mask = shim_prog_mask() & ~KEEP;
	uint64_t set = 0;
	sys2(SYS_rt_sigpending, &set, 8);
	set &= ~mask & ~KEEP;
	bool handled = false;
	for (int sig = 1; sig <= 64; sig++) {
		if (!((set >> (sig - 1)) & 1))
			continue;
		struct ksigaction act;
		if (sys4(SYS_rt_sigaction, sig, NULL, &act, 8) < 0)
			return false;
		if (act.handler == SIG_IGN || (act.handler == SIG_DFL && ignored_by_default(sig)))
			continue;
		if (act.handler == SIG_DFL || !(act.flags & SA_RESTART))
			return false; /* EINTR, or the default action, as the kernel */
		handled = true;
	}
	if (!handled)
		return false;
	shim_run_handlers(&mask); /* runs the handlers, then -EINTR */
	return true;
}
