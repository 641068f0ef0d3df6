/*
 * req_loop.c — a request loop against a real server, for bench/run: the
 * same binary natively and under simsup, against the same server binary.
 *
 *   req_loop IP PORT N memcached   N x (set k 0 0 8 / STORED, get k / VALUE...END)
 *   req_loop IP PORT N redis       N x (SET k v / +OK, GET k / $8 v)
 *
 * One connection, one request in flight: every request costs a round trip
 * through the server's event loop.  Retries the connection for a while when
 * the server is not listening yet.  Exit 0 only when every reply was the
 * expected one.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int dial(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return -1;
	for (int i = 0; i < 20000; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return fd;
		}
		close(fd);
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Sends req, then reads exactly strlen(want) bytes and compares them. */
static int exchange(int fd, const char *req, const char *want)
{
	size_t n = strlen(req), w = strlen(want), got = 0;
	if (write(fd, req, n) != (ssize_t)n)
		return -1;
	char buf[256];
	while (got < w) {
		ssize_t r = read(fd, buf + got, w - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return memcmp(buf, want, w) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: req_loop IP PORT N memcached|redis\n");
		return 2;
	}
	long n = atol(argv[3]);
	int mc = !strcmp(argv[4], "memcached");
	if (!mc && strcmp(argv[4], "redis")) {
		fprintf(stderr, "req_loop: unknown protocol %s\n", argv[4]);
		return 2;
	}
	int fd = dial(argv[1], atoi(argv[2]));
	if (fd < 0) {
		fprintf(stderr, "req_loop: cannot connect to %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		int r = mc ? exchange(fd, "set k 0 0 8\r\nabcdefgh\r\n", "STORED\r\n") ||
				     exchange(fd, "get k\r\n", "VALUE k 0 8\r\nabcdefgh\r\nEND\r\n")
			   : exchange(fd, "SET k abcdefgh\r\n", "+OK\r\n") ||
				     exchange(fd, "GET k\r\n", "$8\r\nabcdefgh\r\n");
		if (r) {
			fprintf(stderr, "req_loop: request %ld: wrong or no reply\n", i);
			return 1;
		}
	}
	close(fd);
	printf("req_loop: %ld request pairs answered\n", n);
	return 0;
}
