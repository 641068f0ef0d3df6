/*
 * fullmask_handler — a signal handler installed with every signal in its
 * sa_mask (libuv's, hence node's, SIGCHLD handler) that makes a syscall.
 * Prints "handler wrote" then "fullmask ok".
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_usr1(int sig)
{
	(void)sig;
	write(1, "handler wrote\n", 14);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigfillset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	kill(getpid(), SIGUSR1);
	write(1, "fullmask ok\n", 12);
	return 0;
}
