/*
 * kvclient — the workload that judges kvstore (and lazykv): finds the
 * leader among the servers, writes keys through it, and checks that every
 * server reads back exactly what was acknowledged.  Exits 0 only if every
 * check passed.
 *
 *   kvclient IP1,IP2,... [KEYS] [--duration DUR]
 *
 * Without --duration it writes KEYS keys (default 20), then reads each back
 * from every server.  With --duration (e.g. 30s, 500ms; virtual time under
 * simsup) it keeps going until DUR has passed (or KEYS keys, when given):
 * write a new key through the leader, read it back from every server, sleep
 * a little, again.  Then it reads every acknowledged key from every server
 * once more, which is where a write lost in a crash shows.
 *
 * The promise checked: a write the leader answered "OK" to is readable,
 * with its value, from every server once that server is up and caught up
 * ("ERR syncing" means not yet).  A write that failed or timed out may or
 * may not be there; its key is never checked.  Connection errors and
 * timeouts (1 s) are retried with backoff (20 ms doubling to 1 s; a write
 * that failed is retried as a new key), up to 60 s
 * after the duration, so a server that crashed and restarted, or a partition
 * that healed, is waited for.  Keys are never written twice: k0, k1, ...
 *
 * Values and pauses come from getrandom, which simsup derives from the
 * seed: each seed writes different values, and the same seed the same ones.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXSERVERS 64
#define GIVE_UP_MS 60000

struct server {
	const char *ip;
	int fd;         /* -1 when not connected */
};

struct key {
	char val[40];
	int acked;
};

static struct server srv[MAXSERVERS];
static int nsrv;
static long deadline; /* ms: retries stop here */

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000 }, NULL);
}

static void hang_up(struct server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int connect_to(struct server *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000) };
	struct timeval tv = { 1, 0 };
	inet_pton(AF_INET, s->ip, &a.sin_addr);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(s->fd, (struct sockaddr *)&a, sizeof a) == 0)
		return 0;
	hang_up(s);
	return -1;
}

/* Sends one command and reads its one-line answer into ans.  -1 on a
 * connection error or a timeout: the connection is then dropped, so a late
 * answer can never be taken for the answer to a later command. */
static int ask(struct server *s, const char *cmd, char *ans, size_t cap)
{
	if (s->fd < 0 && connect_to(s) < 0)
		return -1;
	size_t n = strlen(cmd), len = 0;
	if (write(s->fd, cmd, n) != (ssize_t)n) {
		hang_up(s);
		return -1;
	}
	for (;;) {
		ssize_t k = read(s->fd, ans + len, cap - 1 - len);
		if (k <= 0) {
			hang_up(s);
			return -1;
		}
		len += (size_t)k;
		char *nl = memchr(ans, '\n', len);
		if (nl) {
			*nl = 0;
			return 0;
		}
		if (len == cap - 1) {
			hang_up(s);
			return -1;
		}
	}
}

static long backoff(long b)
{
	sleep_ms(b);
	return b * 2 > 1000 ? 1000 : b * 2;
}

/* Reads key k from server s until it answers (retrying while it is down,
 * cut off or catching up).  1 if it has the acknowledged value, 0 if not
 * (reported). */
static int check(struct server *s, const char *key, const char *val)
{
	char cmd[64], ans[512], want[64];
	snprintf(cmd, sizeof cmd, "GET %s\n", key);
	snprintf(want, sizeof want, "VAL %s", val);
	for (long b = 20;; b = backoff(b)) {
		if (ask(s, cmd, ans, sizeof ans) == 0 && strncmp(ans, "ERR", 3)) {
			if (!strcmp(ans, want))
				return 1;
			if (!strcmp(ans, "NONE"))
				fprintf(stderr, "kvclient: %s: key %s was acknowledged but is gone\n", s->ip,
					key);
			else
				fprintf(stderr, "kvclient: %s GET %s: \"%s\", want \"%s\"\n", s->ip, key, ans,
					want);
			return 0;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "kvclient: %s did not answer GET %s before the deadline\n", s->ip,
				key);
			return 0;
		}
	}
}

static int find_leader(void)
{
	char ans[512];
	for (long b = 20;; b = backoff(b)) {
		for (int i = 0; i < nsrv; i++)
			if (ask(&srv[i], "ROLE\n", ans, sizeof ans) == 0 && !strcmp(ans, "leader"))
				return i;
		if (now_ms() > deadline)
			return -1;
	}
}

static long parse_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		return (long)v;
	if (!strcmp(end, "s") || !*end)
		return (long)(v * 1000);
	if (!strcmp(end, "m"))
		return (long)(v * 60000);
	return -1;
}

int main(int argc, char **argv)
{
	long nkeys = -1, duration = -1;
	char *ips = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
			if ((duration = parse_ms(argv[++i])) < 0) {
				fprintf(stderr, "kvclient: --duration %s: expected e.g. 30s or 500ms\n", argv[i]);
				return 2;
			}
		} else if (!ips) {
			ips = argv[i];
		} else if (nkeys < 0) {
			nkeys = atol(argv[i]);
		} else {
			ips = NULL;
			break;
		}
	}
	if (!ips) {
		fprintf(stderr, "usage: kvclient IP1,IP2,... [KEYS] [--duration DUR]\n");
		return 2;
	}
	if (nkeys < 0)
		nkeys = duration < 0 ? 20 : 1000000;
	signal(SIGPIPE, SIG_IGN); /* a server that crashed: EPIPE, then retry */
	for (char *p = strtok(ips, ","); p && nsrv < MAXSERVERS; p = strtok(NULL, ","))
		srv[nsrv++] = (struct server){ .ip = p, .fd = -1 };
	long start = now_ms(), stop = duration < 0 ? -1 : start + duration;
	deadline = (stop < 0 ? start : stop) + GIVE_UP_MS;
	int leader = find_leader();
	if (leader < 0) {
		fprintf(stderr, "kvclient: no leader among %d servers\n", nsrv);
		return 1;
	}
	long cap = 4096, written = 0, acked = 0, bad = 0, set_backoff = 20;
	struct key *ks = calloc((size_t)cap, sizeof *ks);
	for (long k = 0; k < nkeys && (stop < 0 || now_ms() < stop); k++) {
		unsigned char r[8];
		char key[32], cmd[128], ans[512];
		if (k == cap)
			ks = realloc(ks, (size_t)(cap *= 2) * sizeof *ks);
		getrandom(r, sizeof r, 0);
		ks[k].acked = 0;
		snprintf(key, sizeof key, "k%ld", k);
		snprintf(ks[k].val, sizeof ks[k].val, "v%ld-%02x%02x%02x%02x", k, r[0], r[1], r[2], r[3]);
		snprintf(cmd, sizeof cmd, "SET %s %s\n", key, ks[k].val);
		written++;
		int asked = ask(&srv[leader], cmd, ans, sizeof ans);
		if (asked == 0 && !strncmp(ans, "OK ", 3)) {
			set_backoff = 20;
			ks[k].acked = 1;
			acked++;
			for (int i = 0; i < nsrv; i++)
				bad += !check(&srv[i], key, ks[k].val);
		} else if (stop < 0) {
			fprintf(stderr, "kvclient: SET %s: %s\n", key, asked ? "no answer" : ans);
			bad++;
		} else {
			set_backoff = backoff(set_backoff); /* the leader is down, cut off or stalled */
		}
		if (stop >= 0)
			sleep_ms(50 + r[4] % 150);
	}
	/* Once more, after every fault: what was acknowledged must still be there. */
	if (stop >= 0)
		for (long k = 0; k < written; k++)
			for (int i = 0; ks[k].acked && i < nsrv; i++) {
				char key[32];
				snprintf(key, sizeof key, "k%ld", k);
				bad += !check(&srv[i], key, ks[k].val);
			}
	if (stop < 0)
		printf("kvclient: %ld keys written through %s, read back from %d servers: %s\n", written,
		       srv[leader].ip, nsrv, bad ? "FAILED" : "all match");
	else
		printf("kvclient: %ld keys written through %s, %ld acknowledged, read back from %d "
		       "servers: %s\n",
		       written, srv[leader].ip, acked, nsrv, bad ? "FAILED" : "all match");
	return bad ? 1 : 0;
}
