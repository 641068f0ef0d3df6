/*
 * clone_no_settls — a thread made by clone(2) without CLONE_SETTLS shares
 * its creator's TLS, where the shim keeps its per-thread state: simsup
 * refuses it (ENOSYS and a diagnostic) instead of corrupting both threads.
 * Prints the outcome of the clone and exits 0 whether or not it worked.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int child(void *arg)
{
	(void)arg;
	return 0;
}

int main(void)
{
	char *stack = malloc(1 << 16);
	int r = clone(child, stack + (1 << 16),
		      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
		      NULL);
	printf("clone: %s\n", r < 0 ? strerror(errno) : "made a thread");
	return 0;
}
