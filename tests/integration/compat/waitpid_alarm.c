/*
 * waitpid_alarm — a SIGALRM handler (no SA_RESTART) interrupts a blocking
 * waitpid after one second, as the kernel does: the classic timeout around
 * a child.  Prints "waitpid: EINTR after 1s, then reaped" and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	pid_t c = fork();
	if (c == 0) {
		sleep(5);
		_exit(0);
	}
	alarm(1);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int r = waitpid(c, NULL, 0);
	int e = errno;
	clock_gettime(CLOCK_MONOTONIC, &b);
	long secs = (long)(b.tv_sec - a.tv_sec);
	int reaped = waitpid(c, NULL, 0) == c;
	printf("waitpid: %s after %lds, then %s\n", r < 0 ? strerror(e) : "returned", secs,
	       reaped ? "reaped" : "lost");
	return r < 0 && e == EINTR && secs == 1 && reaped ? 0 : 1;
}
