/*
 * storage_writer MODE N — the storage benchmark's program (bench/storage).
 *   fsync: N times: append 4 KiB to bench.dat, then fdatasync it
 *   write: N times: append 4 KiB; one fdatasync at the end
 * In the current directory (a storage dir under simsup).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "fsync") && strcmp(argv[1], "write"))) {
		fprintf(stderr, "usage: storage_writer fsync|write N\n");
		return 2;
	}
	long n = atol(argv[2]);
	int each = !strcmp(argv[1], "fsync");
	char buf[4096];
	memset(buf, 'x', sizeof buf);
	int fd = open("bench.dat", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("bench.dat");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || (each && fdatasync(fd) < 0)) {
			perror("bench.dat");
			return 1;
		}
	}
	if (!each && fdatasync(fd) < 0)
		return 1;
	close(fd);
	unlink("bench.dat");
	return 0;
}
