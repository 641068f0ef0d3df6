/*
 * staleflag — test_minimize's planted bug that needs two faults together.
 *
 *   staleflag leader [IP]
 *   staleflag follower LEADER_IP
 *
 * The leader answers one-byte pings on port 7100.  The follower pings it
 * every 200 ms; after 3 missed pings in a row it writes a "stale" mark to
 * its storage dir (fsynced), and removes it at the next answered ping.
 * The bug: a follower that starts with the mark refuses to serve and exits
 * 3, where it should resync.  So the run fails only when the follower
 * stops while the mark is there: cut off from the leader (a partition, or
 * the leader down) and then rebooted before the cut heals.  One fault alone
 * never fails it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORT 7100

static void leader(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0) {
		perror("staleflag: leader");
		exit(1);
	}
	printf("staleflag: leader up\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		char b;
		if (c < 0)
			continue;
		if (read(c, &b, 1) == 1)
			(void)!write(c, &b, 1);
		close(c);
	}
}

/* One ping, 100 ms for the connect and 100 ms for the answer. */
static int ping(const char *ip)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ok = 0, err = 0;
	socklen_t el = sizeof err;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	struct pollfd p = { .fd = s, .events = POLLOUT };
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
		goto out;
	if (poll(&p, 1, 100) != 1 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
		goto out;
	char b = 'p';
	if (write(s, &b, 1) != 1)
		goto out;
	p.events = POLLIN;
	ok = poll(&p, 1, 100) == 1 && read(s, &b, 1) == 1;
out:
	close(s);
	return ok;
}

static void follower(const char *ip)
{
	if (access("stale", F_OK) == 0) {
		fprintf(stderr, "staleflag: started with a stale mark: refusing to serve\n");
		exit(3);
	}
	printf("staleflag: follower up\n");
	fflush(stdout);
	int missed = 0;
	for (;;) {
		struct timespec t = { 0, 200000000 };
		nanosleep(&t, NULL);
		if (ping(ip)) {
			if (missed >= 3) {
				unlink("stale");
				printf("staleflag: leader back, mark removed\n");
				fflush(stdout);
			}
			missed = 0;
		} else if (++missed == 3) {
			int fd = open("stale", O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0) {
				fsync(fd);
				close(fd);
			}
			printf("staleflag: leader unreachable, marked stale\n");
			fflush(stdout);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "leader")) /* the leader ignores a peer address */
		leader();
	if (argc == 3 && !strcmp(argv[1], "follower"))
		follower(argv[2]);
	fprintf(stderr, "usage: staleflag leader | staleflag follower LEADER_IP\n");
	return 2;
}
