/*
 * pselect_sigchld — wait for "an fd or SIGCHLD" the race-free way, as GNU
 * make -j does: SIGCHLD blocked, then pselect/ppoll/epoll_pwait with a mask
 * that unblocks it.  The child's exit must end the wait with EINTR after
 * the handler ran, and SIGCHLD must be blocked again afterwards.
 *
 * usage: compat_pselect_sigchld pselect|ppoll|epoll [pending]
 * "pending": the child has already exited when the wait starts.
 * Prints one line and exits 0 when the kernel's semantics held.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_chld(int sig)
{
	(void)sig;
	got++;
}

static int wait_with_mask(const char *how, int fd, const sigset_t *mask)
{
	if (!strcmp(how, "pselect")) {
		fd_set rd;
		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		return pselect(fd + 1, &rd, NULL, NULL, NULL, mask);
	}
	if (!strcmp(how, "ppoll")) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		return ppoll(&p, 1, NULL, mask);
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return epoll_pwait(ep, &ev, 1, -1, mask);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "pselect";
	int p[2];
	if (pipe(p) < 0)
		return 2;
	struct sigaction sa = { .sa_handler = on_chld };
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t chld, empty, after;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (fork() == 0) {
		usleep(1000);
		_exit(0);
	}
	if (argc > 2)
		usleep(5000);
	int r = wait_with_mask(how, p[0], &empty);
	int e = errno;
	sigprocmask(SIG_BLOCK, NULL, &after);
	printf("%s: r=%d errno=%s handler=%d sigchld-blocked-after=%d\n", how, r,
	       r < 0 ? strerror(e) : "-", (int)got, sigismember(&after, SIGCHLD));
	wait(NULL);
	return r < 0 && e == EINTR && got == 1 && sigismember(&after, SIGCHLD) ? 0 : 1;
}
