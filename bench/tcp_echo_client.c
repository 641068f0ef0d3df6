/*
 * tcp_echo_client.c — the client half of tcp_echo_server.c, for bench/run.
 *
 *   tcp_echo_client IP PORT rr N SIZE   N request/response round trips of
 *                                       SIZE bytes each ('E' mode)
 *   tcp_echo_client IP PORT bulk BYTES  send BYTES in 64 KiB writes, then
 *                                       read the server's count ('S' mode)
 *
 * Retries the connection for a while when the server is not listening yet
 * (it may start after the client, natively and in the simulation).
 * Exit 0 only when every byte came back as sent.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int io_all(int fd, char *p, size_t n, int out)
{
	while (n > 0) {
		ssize_t r = out ? write(fd, p, n) : read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int dial(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return -1;
	for (int tries = 0; tries < 1000; tries++) {
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		if (s < 0)
			return -1;
		if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return s;
		}
		int e = errno;
		close(s);
		if (e != ECONNREFUSED && e != ENETUNREACH && e != EHOSTUNREACH)
			break;
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	perror("tcp_echo_client: connect");
	return -1;
}

static int round_trips(int s, long n, size_t size)
{
	char *out = malloc(size), *in = malloc(size);
	for (size_t i = 0; i < size; i++)
		out[i] = (char)('a' + i % 26);
	if (io_all(s, (char *)"E", 1, 1) < 0)
		return 1;
	for (long i = 0; i < n; i++) {
		out[0] = (char)i;
		if (io_all(s, out, size, 1) < 0 || io_all(s, in, size, 0) < 0 || memcmp(in, out, size)) {
			fprintf(stderr, "tcp_echo_client: round trip %ld failed\n", i);
			return 1;
		}
	}
	shutdown(s, SHUT_WR);
	printf("%ld round trips of %zu bytes\n", n, size);
	return 0;
}

static int bulk(int s, uint64_t bytes)
{
	static char buf[1 << 16];
	memset(buf, 'x', sizeof buf);
	if (io_all(s, (char *)"S", 1, 1) < 0)
		return 1;
	for (uint64_t left = bytes; left > 0;) {
		size_t k = left < sizeof buf ? (size_t)left : sizeof buf;
		if (io_all(s, buf, k, 1) < 0)
			return 1;
		left -= k;
	}
	shutdown(s, SHUT_WR);
	uint64_t got = 0;
	if (io_all(s, (char *)&got, sizeof got, 0) < 0 || got != bytes) {
		fprintf(stderr, "tcp_echo_client: server counted %llu of %llu bytes\n",
			(unsigned long long)got, (unsigned long long)bytes);
		return 1;
	}
	printf("%llu bytes\n", (unsigned long long)bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: tcp_echo_client IP PORT rr N SIZE | IP PORT bulk BYTES\n");
		return 2;
	}
	int s = dial(argv[1], atoi(argv[2]));
	if (s < 0)
		return 1;
	int r;
	if (!strcmp(argv[3], "rr") && argc == 6)
		r = round_trips(s, atol(argv[4]), (size_t)atol(argv[5]));
	else if (!strcmp(argv[3], "bulk"))
		r = bulk(s, strtoull(argv[4], NULL, 10));
	else
		r = 2;
	close(s);
	return r;
}
