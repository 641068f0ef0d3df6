/*
 * netprobe — small servers and clients that each exercise one behaviour of
 * TCP or UDP the way real programs depend on it.  The integration tests
 * (tests/integration/test_net_*.c) run them under simsup; each client
 * prints what it saw and exits 0 only if the network behaved as Linux's.
 *
 *   netprobe MODE ARGS...      (netprobe with no arguments lists the modes)
 *
 * Times printed are virtual (CLOCK_MONOTONIC) nanoseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); exit(1); } } while (0)

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *ai;
	int r = getaddrinfo(host, port, &hints, &ai);
	CHECK(r == 0, "getaddrinfo %s: %s", host, gai_strerror(r));
	struct sockaddr_in a = *(struct sockaddr_in *)ai->ai_addr;
	freeaddrinfo(ai);
	return a;
}

static int listener(const char *port, int type)
{
	int s = socket(AF_INET, type, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
	if (type == SOCK_STREAM)
		CHECK(listen(s, 64) == 0, "listen: %s", strerror(errno));
	return s;
}

/* Connects, retrying while the server is not listening yet. */
static int dial(const char *host, const char *port)
{
	struct sockaddr_in a = addr_of(host, port);
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
			return fd;
		CHECK(errno == ECONNREFUSED, "connect: %s", strerror(errno));
		close(fd);
		nap_ms(5);
	}
	CHECK(0, "the server never listened");
	return -1;
}

static void write_all(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = write(fd, (const char *)buf + done, n - done);
		CHECK(k > 0, "write: %s", strerror(errno));
		done += (size_t)k;
	}
}

static int so_error(int fd)
{
	int e = -1;
	socklen_t l = sizeof e;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	return e;
}

/* ---- connect ---- */

/* A non-blocking connect: EINPROGRESS, neither readable nor writable while
 * the handshake is in flight, then writable (a fresh EPOLLOUT edge) with
 * SO_ERROR 0 and a peer name. */
static int nbconnect(const char *host, const char *port)
{
	struct sockaddr_in a = addr_of(host, port), peer;
	nap_ms(50); /* the server listens by then */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int64_t t0 = now_ns();
	int r = connect(fd, (struct sockaddr *)&a, sizeof a);
	CHECK(r < 0 && errno == EINPROGRESS, "connect returned %d (%s), want EINPROGRESS", r,
	      strerror(errno));
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	CHECK(poll(&p, 1, 0) == 0, "poll right after connect: revents %#x, want none", p.revents);
	CHECK(so_error(fd) == 0, "SO_ERROR in flight: %d", so_error(fd));
	socklen_t pl = sizeof peer;
	CHECK(getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 && errno == ENOTCONN,
	      "getpeername in flight should be ENOTCONN");
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.fd = fd }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	CHECK(epoll_wait(ep, &out, 1, 5000) == 1 && (out.events & EPOLLOUT), "no EPOLLOUT edge");
	int64_t dt = now_ns() - t0;
	CHECK(so_error(fd) == 0, "SO_ERROR after connect: %s", strerror(so_error(fd)));
	pl = sizeof peer;
	CHECK(getpeername(fd, (struct sockaddr *)&peer, &pl) == 0 && peer.sin_port == a.sin_port,
	      "getpeername after connect");
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "a second EPOLLOUT edge without a change");
	write_all(fd, "ping", 4);
	char buf[8];
	p.events = POLLIN;
	poll(&p, 1, 5000);
	CHECK(read(fd, buf, sizeof buf) == 4 && !memcmp(buf, "ping", 4), "echo");
	printf("connected after %lld ns\n", (long long)dt);
	return 0;
}

/* A connect to a port nobody listens on: ECONNREFUSED, blocking and not. */
static int refused(const char *host, const char *port)
{
	struct sockaddr_in a = addr_of(host, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int64_t t0 = now_ns();
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno == ECONNREFUSED,
	      "blocking connect: %s, want ECONNREFUSED", strerror(errno));
	printf("refused after %lld ns\n", (long long)(now_ns() - t0));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno == EINPROGRESS, "EINPROGRESS");
	struct pollfd p = { fd, POLLOUT, 0 };
	CHECK(poll(&p, 1, 5000) == 1, "poll timed out");
	CHECK(p.revents & (POLLERR | POLLHUP), "revents %#x: want POLLERR or POLLHUP", p.revents);
	CHECK(so_error(fd) == ECONNREFUSED, "SO_ERROR %d, want ECONNREFUSED", so_error(fd));
	CHECK(so_error(fd) == 0, "SO_ERROR is cleared once read");
	printf("refused: ok\n");
	return 0;
}

/* ---- closing ---- */

/* Server: reads the client's "hello" and answers "bye", then: orderly
 * close, SO_LINGER 0 (reset), or ("unread") close with the hello unread,
 * which TCP also answers with a reset. */
static _Noreturn void closer(const char *port, const char *how)
{
	int ls = listener(port, SOCK_STREAM);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		char hello[5];
		if (!strcmp(how, "unread")) {
			struct pollfd p = { c, POLLIN, 0 };
			poll(&p, 1, -1); /* the client's bytes arrived: close without reading */
		} else {
			for (size_t got = 0; got < sizeof hello;) {
				ssize_t n = read(c, hello + got, sizeof hello - got);
				if (n <= 0)
					break;
				got += (size_t)n;
			}
		}
		write_all(c, "bye", 3);
		if (!strcmp(how, "linger0")) {
			struct linger l = { 1, 0 };
			setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		}
		close(c);
	}
}

/* Client: reads "bye", then expects EOF ("eof") or ECONNRESET ("reset"). */
static int expect_end(const char *host, const char *port, const char *want)
{
	int fd = dial(host, port);
	signal(SIGPIPE, SIG_IGN);
	write_all(fd, "hello", 5);
	char buf[16];
	size_t got = 0;
	ssize_t n;
	while (got < 3 && (n = read(fd, buf + got, sizeof buf - got)) > 0)
		got += (size_t)n;
	CHECK(got == 3 && !memcmp(buf, "bye", 3), "the data before the end");
	nap_ms(20);
	n = read(fd, buf, sizeof buf);
	int e = errno;
	if (!strcmp(want, "eof")) {
		CHECK(n == 0, "read %zd (%s), want EOF", n, strerror(e));
		CHECK(read(fd, buf, sizeof buf) == 0, "EOF again");
	} else {
		CHECK(n < 0 && e == ECONNRESET, "read %zd (%s), want ECONNRESET", n, strerror(e));
		n = write(fd, "x", 1);
		CHECK(n < 0 && errno == EPIPE, "write after the reset: %zd (%s), want EPIPE", n,
		      strerror(errno));
	}
	printf("end: %s\n", want);
	return 0;
}

/* ---- half-close ---- */

static _Noreturn void halfclose_server(const char *port)
{
	int ls = listener(port, SOCK_STREAM);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		char buf[4096], reply[64];
		long total = 0;
		ssize_t n;
		while ((n = read(c, buf, sizeof buf)) > 0)
			total += n;
		nap_ms(10); /* still writing well after the client's FIN */
		int k = snprintf(reply, sizeof reply, "got %ld", total);
		write_all(c, reply, (size_t)k);
		close(c);
	}
}

static int halfclose_client(const char *host, const char *port)
{
	int fd = dial(host, port);
	char data[10000], buf[64];
	memset(data, 'x', sizeof data);
	write_all(fd, data, sizeof data);
	CHECK(shutdown(fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	CHECK(write(fd, "y", 1) < 0 && errno == EPIPE, "write after SHUT_WR: want EPIPE");
	size_t got = 0;
	ssize_t n;
	while ((n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	CHECK(n == 0, "read: %s", strerror(errno));
	CHECK(!strcmp(buf, "got 10000"), "reply \"%s\", want \"got 10000\"", buf);
	printf("half-close: %s\n", buf);
	return 0;
}

/* ---- backpressure ---- */

static unsigned char pattern(long i)
{
	return (unsigned char)((i * 131) >> 3);
}

/* Reads BYTES slowly (4 KiB a millisecond) and checks every byte. */
static _Noreturn void slow_reader(const char *port, long bytes)
{
	int ls = listener(port, SOCK_STREAM);
	int c = accept(ls, NULL, NULL);
	unsigned char buf[4096];
	long got = 0;
	while (got < bytes) {
		ssize_t n = read(c, buf, sizeof buf);
		CHECK(n > 0, "read at %ld: %s", got, n ? strerror(errno) : "EOF");
		for (ssize_t i = 0; i < n; i++)
			CHECK(buf[i] == pattern(got + i), "byte %ld is wrong", got + i);
		got += n;
		nap_ms(1);
	}
	printf("reader: %ld bytes intact at %lld\n", got, (long long)now_ns());
	for (;;)
		pause();
}

static int fast_writer(const char *host, const char *port, long bytes)
{
	int fd = dial(host, port);
	static unsigned char buf[65536];
	int64_t t0 = now_ns();
	for (long off = 0; off < bytes;) {
		long n = bytes - off < (long)sizeof buf ? bytes - off : (long)sizeof buf;
		for (long i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		write_all(fd, buf, (size_t)n);
		off += n;
	}
	printf("writer: %ld bytes written in %lld ns\n", bytes, (long long)(now_ns() - t0));
	nap_ms(3000); /* the reader finishes */
	return 0;
}

/* ---- one listener, several processes ---- */

static int forked_server(const char *port, int kids)
{
	int ls = listener(port, SOCK_STREAM);
	for (int k = 0; k < kids; k++)
		if (fork() == 0)
			for (;;) {
				int c = accept(ls, NULL, NULL);
				char line[32];
				int n = snprintf(line, sizeof line, "pid %d\n", getpid());
				write_all(c, line, (size_t)n);
				close(c);
			}
	while (wait(NULL) > 0)
		;
	return 0;
}

static int multi_client(const char *host, const char *port, int count)
{
	int pids[64], npids = 0;
	for (int i = 0; i < count; i++) {
		int fd = dial(host, port);
		char line[32] = "";
		size_t got = 0;
		ssize_t n;
		while ((n = read(fd, line + got, sizeof line - 1 - got)) > 0)
			got += (size_t)n;
		int pid = 0;
		CHECK(sscanf(line, "pid %d", &pid) == 1, "answer %d: \"%s\"", i, line);
		close(fd);
		bool seen = false;
		for (int k = 0; k < npids; k++)
			seen |= pids[k] == pid;
		if (!seen && npids < 64)
			pids[npids++] = pid;
	}
	printf("%d connections answered by %d processes\n", count, npids);
	CHECK(npids >= 2, "only one process accepted");
	return 0;
}

/* ---- UDP ---- */

static _Noreturn void udp_echo(const char *port)
{
	int s = listener(port, SOCK_DGRAM);
	static char buf[65536];
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n >= 0)
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

/* Datagrams keep their boundaries: each receive is one whole datagram (or
 * its head, with MSG_TRUNC), MSG_PEEK leaves it queued, sizes 0 to 65507. */
static int udp_client(const char *host, const char *port)
{
	struct sockaddr_in a = addr_of(host, port), from;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	static char out[65536], in[65536];
	size_t sizes[] = { 1, 0, 100, 1472, 9000, 65507, 3 };
	int ns = (int)(sizeof sizes / sizeof *sizes);
	nap_ms(50);
	for (int i = 0; i < ns; i++) {
		memset(out, 'a' + i, sizes[i]);
		CHECK(sendto(s, out, sizes[i], 0, (struct sockaddr *)&a, sizeof a) == (ssize_t)sizes[i],
		      "sendto %zu: %s", sizes[i], strerror(errno));
	}
	for (int i = 0; i < ns; i++) {
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s, in, sizeof in, MSG_PEEK, (struct sockaddr *)&from, &fl);
		ssize_t m = recvfrom(s, in, sizeof in, 0, (struct sockaddr *)&from, &fl);
		CHECK(n == m, "MSG_PEEK saw %zd bytes, the read %zd", n, m);
		CHECK(from.sin_addr.s_addr == a.sin_addr.s_addr && from.sin_port == a.sin_port,
		      "the source is not the server");
		bool found = false;
		for (int k = 0; k < ns; k++)
			found |= (size_t)m == sizes[k] && (m == 0 || in[0] == 'a' + k);
		CHECK(found, "a datagram of %zd bytes that was never sent", m);
	}
	memset(out, 'z', 500);
	sendto(s, out, 500, 0, (struct sockaddr *)&a, sizeof a);
	struct iovec iov = { in, 10 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(s, &mh, MSG_TRUNC);
	CHECK(n == 500 && (mh.msg_flags & MSG_TRUNC), "MSG_TRUNC: %zd flags %#x", n, mh.msg_flags);
	int q = 1;
	CHECK(ioctl(s, FIONREAD, &q) == 0 && q == 0, "the truncated datagram is gone (FIONREAD %d)", q);
	printf("udp: %d datagrams, boundaries kept\n", ns + 1);
	return 0;
}

/* ---- edge-triggered and one-shot readiness ---- */

/* Server: one connection in EPOLLET, then the same in EPOLLONESHOT.  The
 * client sends one byte every 10 ms; the server reads only one byte per
 * event and checks that no event comes without new data (ET), or after the
 * first until re-armed (ONESHOT). */
static _Noreturn void edge_server(const char *port)
{
	int ls = listener(port, SOCK_STREAM);
	int c = accept(ls, NULL, NULL);
	fcntl(c, F_SETFL, O_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = c }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	char b;
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1, "ET: first edge");
	CHECK(read(c, &b, 1) == 1, "ET: read");
	nap_ms(25); /* two more bytes arrived meanwhile: two new edges, but only one report */
	CHECK(epoll_wait(ep, &out, 1, 0) == 1, "ET: new data is a new edge");
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "ET: reported twice for one edge");
	CHECK(read(c, &b, 1) == 1, "ET: read 2");
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "ET: unread data is not an edge");
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1, "ET: the next byte is an edge");
	ev.events = EPOLLIN | EPOLLONESHOT;
	epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev);
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1, "ONESHOT: first event");
	nap_ms(25);
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "ONESHOT: an event before re-arming");
	epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev);
	CHECK(epoll_wait(ep, &out, 1, 0) == 1, "ONESHOT: re-armed");
	write_all(c, "ok", 2);
	printf("edge: ok\n");
	for (;;)
		pause();
}

static int edge_client(const char *host, const char *port)
{
	int fd = dial(host, port);
	for (int i = 0; i < 12; i++) {
		write_all(fd, "x", 1);
		nap_ms(10);
	}
	char buf[2];
	CHECK(read(fd, buf, 2) == 2 && !memcmp(buf, "ok", 2), "the server's checks failed");
	printf("edge client: ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	setvbuf(stdout, NULL, _IOLBF, 0); /* servers are killed, not ended: print as we go */
	if (!strcmp(m, "nbconnect") && argc == 4) return nbconnect(argv[2], argv[3]);
	if (!strcmp(m, "refused") && argc == 4) return refused(argv[2], argv[3]);
	if (!strcmp(m, "closer") && argc == 4) closer(argv[2], argv[3]);
	if (!strcmp(m, "expect-end") && argc == 5) return expect_end(argv[2], argv[3], argv[4]);
	if (!strcmp(m, "halfclose-server") && argc == 3) halfclose_server(argv[2]);
	if (!strcmp(m, "halfclose-client") && argc == 4) return halfclose_client(argv[2], argv[3]);
	if (!strcmp(m, "slow-reader") && argc == 4) slow_reader(argv[2], atol(argv[3]));
	if (!strcmp(m, "fast-writer") && argc == 5) return fast_writer(argv[2], argv[3], atol(argv[4]));
	if (!strcmp(m, "forked-server") && argc == 4) return forked_server(argv[2], atoi(argv[3]));
	if (!strcmp(m, "multi-client") && argc == 5) return multi_client(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(m, "udp-echo") && argc == 3) udp_echo(argv[2]);
	if (!strcmp(m, "udp-client") && argc == 4) return udp_client(argv[2], argv[3]);
	if (!strcmp(m, "edge-server") && argc == 3) edge_server(argv[2]);
	if (!strcmp(m, "edge-client") && argc == 4) return edge_client(argv[2], argv[3]);
	fprintf(stderr, "usage: netprobe MODE ARGS\n"
		"  nbconnect HOST PORT | refused HOST PORT\n"
		"  closer PORT orderly|linger0|unread | expect-end HOST PORT eof|reset\n"
		"  halfclose-server PORT | halfclose-client HOST PORT\n"
		"  slow-reader PORT BYTES | fast-writer HOST PORT BYTES\n"
		"  forked-server PORT KIDS | multi-client HOST PORT COUNT\n"
		"  udp-echo PORT | udp-client HOST PORT\n"
		"  edge-server PORT | edge-client HOST PORT\n");
	return 2;
}
