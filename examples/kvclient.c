/*
 * kvclient — the workload that judges kvstore: finds the leader among the
 * servers, writes keys through it, and checks that every server (followers
 * included) reads back exactly what was written.  Exits 0 only if every
 * check passed.
 *
 *   kvclient IP1,IP2,... [KEYS]      (default 20 keys)
 *
 * Values come from getrandom, which simsup derives from the seed: each seed
 * writes different values, and the same seed the same ones.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXSERVERS 64

static int dial(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	for (int tries = 0; tries < 1000; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
			return fd;
		close(fd);
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	fprintf(stderr, "kvclient: %s never answered\n", ip);
	exit(1);
}

/* Sends one command, returns its one-line answer (without the newline). */
static const char *ask(int fd, const char *fmt, const char *a, const char *b)
{
	static char line[512];
	char cmd[512];
	int n = snprintf(cmd, sizeof cmd, fmt, a, b);
	if (write(fd, cmd, (size_t)n) != n) {
		perror("kvclient: write");
		exit(1);
	}
	size_t len = 0;
	while (len < sizeof line - 1) {
		ssize_t k = read(fd, line + len, 1);
		if (k <= 0) {
			fprintf(stderr, "kvclient: the server closed the connection\n");
			exit(1);
		}
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = 0;
	return line;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: kvclient IP1,IP2,... [KEYS]\n");
		return 2;
	}
	int nkeys = argc > 2 ? atoi(argv[2]) : 20, fds[MAXSERVERS], n = 0, leader = -1, bad = 0;
	char *ips[MAXSERVERS];
	for (char *p = strtok(argv[1], ","); p && n < MAXSERVERS; p = strtok(NULL, ","))
		ips[n++] = p;
	for (int i = 0; i < n; i++) {
		fds[i] = dial(ips[i]);
		if (!strcmp(ask(fds[i], "ROLE\n", "", ""), "leader"))
			leader = i;
	}
	if (leader < 0) {
		fprintf(stderr, "kvclient: no leader among %d servers\n", n);
		return 1;
	}
	char (*vals)[40] = calloc((size_t)nkeys, sizeof *vals);
	for (int k = 0; k < nkeys; k++) {
		unsigned char r[8];
		char key[32];
		getrandom(r, sizeof r, 0);
		snprintf(key, sizeof key, "k%d", k);
		snprintf(vals[k], sizeof vals[k], "v%d-%02x%02x%02x%02x", k, r[0], r[1], r[2], r[3]);
		const char *ans = ask(fds[leader], "SET %s %s\n", key, vals[k]);
		if (strncmp(ans, "OK ", 3)) {
			fprintf(stderr, "kvclient: SET %s: %s\n", key, ans);
			bad++;
		}
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nkeys; k++) {
			char key[32], want[64];
			snprintf(key, sizeof key, "k%d", k);
			snprintf(want, sizeof want, "VAL %s", vals[k]);
			const char *ans = ask(fds[i], "GET %s\n", key, "");
			if (strcmp(ans, want)) {
				fprintf(stderr, "kvclient: %s GET %s: \"%s\", want \"%s\"\n", ips[i], key, ans,
					want);
				bad++;
			}
		}
	printf("kvclient: %d keys written through %s, read back from %d servers: %s\n", nkeys,
	       ips[leader], n, bad ? "FAILED" : "all match");
	return bad ? 1 : 0;
}
