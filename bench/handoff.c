/*
 * handoff.c — N futex hand-offs between two processes (native only), for
 * bench/run: the physical floor of any serialized hand-off, such as the
 * turn passing between a simulated thread and the supervisor.  bench/run
 * runs it pinned to one CPU (the way simsup runs) and unpinned.
 *
 *   handoff N              futex on shared memory: the parent sets the word to
 *                          1 and wakes the child; the child sets it to 0 and
 *                          wakes the parent (as probes/handoff.c)
 *   handoff N seqpacket    a 64-byte message each way over an AF_UNIX
 *                          SOCK_SEQPACKET pair: the transport simsup's
 *                          channel uses today (include/simsup/proto.h)
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long fut(atomic_int *a, int op, int v)
{
	return syscall(SYS_futex, a, op, v, NULL, NULL, 0);
}

static int seqpacket(long n)
{
	int sv[2];
	char b[64] = { 0 };
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 1;
	pid_t p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		for (long i = 0; i < n; i++)
			if (read(sv[1], b, sizeof b) != sizeof b || write(sv[1], b, sizeof b) != sizeof b)
				_exit(1);
		_exit(0);
	}
	for (long i = 0; i < n; i++)
		if (write(sv[0], b, sizeof b) != sizeof b || read(sv[0], b, sizeof b) != sizeof b)
			return 1;
	int st;
	waitpid(p, &st, 0);
	printf("%ld seqpacket round trips\n", n);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: handoff N [seqpacket]\n");
		return 2;
	}
	long n = atol(argv[1]);
	if (argc == 3 && !strcmp(argv[2], "seqpacket"))
		return seqpacket(n);
	atomic_int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return 1;
	atomic_store(w, 0);
	pid_t p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		for (long i = 0; i < n; i++) {
			while (atomic_load(w) != 1)
				fut(w, FUTEX_WAIT, 0);
			atomic_store(w, 0);
			fut(w, FUTEX_WAKE, 1);
		}
		_exit(0);
	}
	for (long i = 0; i < n; i++) {
		atomic_store(w, 1);
		fut(w, FUTEX_WAKE, 1);
		while (atomic_load(w) != 0)
			fut(w, FUTEX_WAIT, 1);
	}
	int st;
	waitpid(p, &st, 0);
	printf("%ld hand-offs\n", n);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
