/*
 * syscall.c — N system calls of one kind, for bench/run.
 *
 *   syscall getppid|umask|fstat|getpid N
 *
 * getppid: raw syscall(SYS_getppid): under simsup it takes the Syscall User
 *          Dispatch trap and the shim answers it without the kernel;
 * umask:   raw syscall(SYS_umask): trapped, then passed through to the kernel;
 * fstat:   raw syscall(SYS_fstat) on a bad fd (EBADF): trapped, passed through;
 * getpid:  getpid() through the PLT (under simsup: the shim's wrapper, no trap).
 *
 * Timed from outside by bench/run (see clock_read.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: syscall getppid|umask|fstat|getpid N\n");
		return 2;
	}
	long n = atol(argv[2]), sum = 0;
	const char *mode = argv[1];
	struct stat st;
	if (!strcmp(mode, "getppid")) {
		for (long i = 0; i < n; i++)
			sum += syscall(SYS_getppid);
	} else if (!strcmp(mode, "umask")) {
		for (long i = 0; i < n; i++)
			sum += syscall(SYS_umask, 022);
	} else if (!strcmp(mode, "fstat")) {
		for (long i = 0; i < n; i++)
			sum += syscall(SYS_fstat, -1, &st);
	} else if (!strcmp(mode, "getpid")) {
		for (long i = 0; i < n; i++)
			sum += getpid();
	} else {
		fprintf(stderr, "syscall: unknown mode %s\n", mode);
		return 2;
	}
	printf("%ld calls, checksum %ld\n", n, sum);
	return 0;
}
