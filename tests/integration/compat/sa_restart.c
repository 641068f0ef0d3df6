/*
 * sa_restart — a blocking read interrupted by a signal whose handler has
 * SA_RESTART (glibc's signal() sets it) is restarted by the kernel: the
 * program never sees EINTR.  Prints "read: 1 ok handler=1" and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	(void)sig;
	got++;
}

int main(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 2;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	pid_t parent = getpid();
	if (fork() == 0) {
		usleep(100000);
		kill(parent, SIGUSR1);
		usleep(100000);
		write(p[1], "x", 1);
		_exit(0);
	}
	char c;
	ssize_t r = read(p[0], &c, 1);
	printf("read: %zd %s handler=%d\n", r, r < 0 ? strerror(errno) : "ok", (int)got);
	wait(NULL);
	return r == 1 && got == 1 ? 0 : 1;
}
