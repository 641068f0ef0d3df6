/*
 * tcp_echo_server.c — a plain TCP server for bench/run, the same binary
 * natively on 127.0.0.1 and under simsup at a virtual IP.
 *
 *   tcp_echo_server IP PORT [NCONN]
 *
 * Serves one connection at a time; the client's first byte picks the mode:
 * 'E' echoes everything back until EOF; 'S' swallows everything until EOF
 * and then answers with the byte count (8 bytes, native order).  Exits
 * after NCONN connections (default: never).
 *
 * It waits for a connection in poll() and then accepts it: at the time of
 * writing a plain blocking accept() on a virtual listener blocked in the
 * kernel under simsup (the watchdog ended the run); reads and writes on
 * the connection are plain blocking calls.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void serve(int c)
{
	static char buf[1 << 16];
	char mode;
	if (read(c, &mode, 1) != 1)
		return;
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(c, buf, sizeof buf);
		if (n <= 0)
			break;
		total += (uint64_t)n;
		if (mode == 'E' && write_all(c, buf, (size_t)n) < 0)
			return;
	}
	if (mode == 'S')
		write_all(c, (const char *)&total, sizeof total);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tcp_echo_server IP PORT [NCONN]\n");
		return 2;
	}
	long nconn = argc > 3 ? atol(argv[3]) : -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "tcp_echo_server: bad IP %s\n", argv[1]);
		return 2;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0) {
		perror("tcp_echo_server: listen");
		return 1;
	}
	for (long i = 0; nconn < 0 || i < nconn; i++) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		if (poll(&pf, 1, -1) < 0) {
			perror("tcp_echo_server: poll");
			return 1;
		}
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			perror("tcp_echo_server: accept");
			return 1;
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		serve(c);
		close(c);
	}
	close(s);
	return 0;
}
