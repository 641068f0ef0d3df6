/*
 * echo_client — sends messages to an echo server and checks every byte of
 * the echo.  Exits 0 when all came back intact, 1 otherwise.
 *
 *   echo_client HOST PORT [COUNT [SIZE]]     (default 10 messages of 100 bytes)
 *
 * HOST is an address (10.0.1.1) or a simulation host name (p0).  The
 * server may not listen yet when the client starts: a refused connect is
 * retried every 10 ms, for a second.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	int r = getaddrinfo(host, port, &hints, &ai);
	if (r) {
		fprintf(stderr, "echo_client: %s: %s\n", host, gai_strerror(r));
		return -1;
	}
	for (int tries = 0; tries < 100; tries++) {
		int fd = socket(ai->ai_family, ai->ai_socktype, 0);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(ai);
			return fd;
		}
		int e = errno;
		close(fd);
		if (e != ECONNREFUSED) {
			fprintf(stderr, "echo_client: connect: %s\n", strerror(e));
			break;
		}
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	freeaddrinfo(ai);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: echo_client HOST PORT [COUNT [SIZE]]\n");
		return 2;
	}
	int count = argc > 3 ? atoi(argv[3]) : 10;
	size_t size = argc > 4 ? (size_t)atol(argv[4]) : 100;
	int fd = dial(argv[1], argv[2]);
	if (fd < 0)
		return 1;
	char *out = malloc(size), *in = malloc(size);
	for (int m = 0; m < count; m++) {
		for (size_t i = 0; i < size; i++)
			out[i] = (char)('a' + (m * 7 + i) % 26);
		size_t done = 0;
		while (done < size) {
			ssize_t n = write(fd, out + done, size - done);
			if (n <= 0) {
				perror("echo_client: write");
				return 1;
			}
			done += (size_t)n;
		}
		for (done = 0; done < size;) {
			ssize_t n = read(fd, in + done, size - done);
			if (n <= 0) {
				fprintf(stderr, "echo_client: message %d: %s\n", m, n ? strerror(errno) : "EOF");
				return 1;
			}
			done += (size_t)n;
		}
		if (memcmp(in, out, size)) {
			fprintf(stderr, "echo_client: message %d came back different\n", m);
			return 1;
		}
	}
	printf("echo_client: %d messages of %zu bytes echoed intact\n", count, size);
	close(fd);
	return 0;
}
