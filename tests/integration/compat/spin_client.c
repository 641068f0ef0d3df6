/*
 * spin_client.c — a client that sends a request and then spins on checks
 * that do not wait, as httperf and iperf3 do, for test_compat.c.
 *   spin_client server IP PORT         echo every byte back
 *   spin_client HOW IP PORT N          N requests, spinning with HOW:
 *                                      poll, select, epoll (zero timeouts),
 *                                      recv (MSG_DONTWAIT)
 * Prints each round trip in virtual milliseconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One check that does not wait: is the answer there? */
static int ready(const char *how, int s, int ep, char *c)
{
	if (!strcmp(how, "poll")) {
		struct pollfd p = { s, POLLIN, 0 };
		return poll(&p, 1, 0) == 1;
	}
	if (!strcmp(how, "select")) {
		fd_set rd;
		FD_ZERO(&rd);
		FD_SET(s, &rd);
		struct timeval tv = { 0, 0 };
		return select(s + 1, &rd, NULL, NULL, &tv) == 1;
	}
	if (!strcmp(how, "epoll")) {
		struct epoll_event ev;
		return epoll_wait(ep, &ev, 1, 0) == 1;
	}
	return recv(s, c, 1, MSG_DONTWAIT) == 1; /* recv */
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
	inet_pton(AF_INET, argv[2], &sa.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (!strcmp(argv[1], "server")) {
		if (bind(s, (void *)&sa, sizeof sa) < 0 || listen(s, 1) < 0)
			return 2;
		int c = accept(s, NULL, NULL);
		char b[64];
		long n;
		while ((n = read(c, b, sizeof b)) > 0)
			if (write(c, b, (size_t)n) != n)
				return 1;
		return 0;
	}
	while (connect(s, (void *)&sa, sizeof sa) < 0) { /* until the server listens */
		close(s);
		usleep(1000);
		s = socket(AF_INET, SOCK_STREAM, 0);
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	int n = argc > 4 ? atoi(argv[4]) : 3;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		char c = 0;
		if (write(s, "x", 1) != 1)
			return 1;
		while (!ready(argv[1], s, ep, &c))
			;
		if (strcmp(argv[1], "recv") && read(s, &c, 1) != 1)
			return 1;
		printf("round trip %d: %.3f ms\n", i, now_ms() - t0);
	}
	return 0;
}
