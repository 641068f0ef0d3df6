/*
 * echo_server — a TCP echo server on one epoll loop, non-blocking sockets.
 *
 *   echo_server [PORT]            (default 7000, all addresses)
 *
 * Echoes every byte back on the connection it came from; a client that
 * shuts down its sending side gets the rest of its echo, then EOF.  Runs
 * until killed.  Under simsup:
 *
 *   simsup --workload 'echo_client {ip:0} 7000' -- echo_server 7000
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 4096

struct client {
	char buf[65536];
	size_t len;      /* bytes waiting to go back */
	int eof;         /* the client has shut down its side */
};

static struct client *clients[MAXFD];

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(clients[fd]);
	clients[fd] = NULL;
}

static void update(int ep, int fd)
{
	struct client *c = clients[fd];
	struct epoll_event ev = { .data.fd = fd };
	ev.events = (c->len < sizeof c->buf && !c->eof ? EPOLLIN : 0) | (c->len ? EPOLLOUT : 0);
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* Reads what there is room for, writes back what it can. */
static void serve(int ep, int fd)
{
	struct client *c = clients[fd];
	while (!c->eof && c->len < sizeof c->buf) {
		ssize_t n = read(fd, c->buf + c->len, sizeof c->buf - c->len);
		if (n > 0)
			c->len += (size_t)n;
		else if (n == 0)
			c->eof = 1;
		else if (errno == EAGAIN)
			break;
		else {
			drop(ep, fd);
			return;
		}
	}
	while (c->len) {
		ssize_t n = write(fd, c->buf, c->len);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			drop(ep, fd);
			return;
		}
		memmove(c->buf, c->buf + n, c->len - (size_t)n);
		c->len -= (size_t)n;
	}
	if (c->eof && !c->len) {
		drop(ep, fd);
		return;
	}
	update(ep, fd);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7000, one = 1;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0) {
		perror("echo_server: listen");
		return 1;
	}
	printf("echo_server: listening on port %d\n", port);
	fflush(stdout);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		struct epoll_event out[64];
		int n = epoll_wait(ep, out, 64, -1);
		for (int i = 0; i < n; i++) {
			int fd = out[i].data.fd;
			if (fd != ls) {
				if (clients[fd])
					serve(ep, fd);
				continue;
			}
			int c;
			while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				if (c >= MAXFD || !(clients[c] = calloc(1, sizeof *clients[c]))) {
					close(c);
					continue;
				}
				setsockopt(c, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
				struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
			}
		}
	}
}
