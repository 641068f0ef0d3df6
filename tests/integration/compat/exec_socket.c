/*
 * exec_socket — a server that execs with its listening socket open, as
 * postfix's master runs smtpd or inetd runs a service: the next image
 * accepts on the inherited fd.  Under simsup the socket must still be a
 * virtual one there (before the fix, accept reached the AF_UNIX socket
 * underneath and getpeername said AF_UNIX: postfix logged every client as
 * localhost).  A close-on-exec socket must not come back.
 *
 *   exec_socket IP PORT   binds, listens, execs itself with the fd
 * The next image answers each connection with what it sees of it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int serve(int l, int gone)
{
	printf("close-on-exec socket %s\n", fcntl(gone, F_GETFD) < 0 ? "gone" : "STILL OPEN");
	/* its fd is free again: a new socket there is a plain new one */
	int u = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in un = { 0 };
	socklen_t unl = sizeof un;
	getsockname(u, (struct sockaddr *)&un, &unl);
	printf("a new socket on fd %d: family %d port %d\n", u, un.sin_family, ntohs(un.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0) {
			perror("accept");
			return 1;
		}
		struct sockaddr_in p = { 0 }, me = { 0 };
		socklen_t pn = sizeof p, mn = sizeof me;
		getpeername(c, (struct sockaddr *)&p, &pn);
		getsockname(c, (struct sockaddr *)&me, &mn);
		char line[160], ip[2][INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &p.sin_addr, ip[0], sizeof ip[0]);
		inet_ntop(AF_INET, &me.sin_addr, ip[1], sizeof ip[1]);
		int n = snprintf(line, sizeof line, "family %d peer %s local %s:%d\n", p.sin_family, ip[0],
				 ip[1], ntohs(me.sin_port));
		char buf[64];
		if (read(c, buf, sizeof buf) > 0 && write(c, line, (size_t)n) != n)
			perror("write");
		fputs(line, stdout);
		fflush(stdout);
		close(c);
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--serve"))
		return serve(atoi(argv[2]), atoi(argv[3]));
	if (argc != 3) {
		fprintf(stderr, "usage: exec_socket IP PORT\n");
		return 2;
	}
	int gone = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(l, 8) < 0) {
		perror("exec_socket: bind/listen");
		return 1;
	}
	char lfd[16], gfd[16];
	snprintf(lfd, sizeof lfd, "%d", l);
	snprintf(gfd, sizeof gfd, "%d", gone);
	execl("/proc/self/exe", argv[0], "--serve", lfd, gfd, (char *)NULL);
	perror("exec_socket: exec");
	return 1;
}
