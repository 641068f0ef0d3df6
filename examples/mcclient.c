/*
 * mcclient — a memcached workload speaking the text protocol: several
 * threads, each on its own connection, set keys, read them back one by one
 * and ten at a time, delete some, and all bump one shared counter with
 * incr.  Exits 0 only if every answer was the expected one and the
 * counter ends at THREADS x KEYS (memcached's worker threads must not lose
 * an increment).
 *
 *   mcclient HOST [THREADS] [KEYS]     (port 11211; default 8 threads, 100 keys)
 *
 * Values come from getrandom, which simsup derives from the seed: each seed
 * stores different values, and the same seed the same ones.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXTHREADS 64

struct conn {
	int fd;
	char buf[8192];
	size_t len, off;
};

struct worker {
	int id;
	pthread_t thread;
	int bad;
};

static const char *host;  /* immutable after main's argument parsing */
static int nkeys;         /* immutable after main's argument parsing */

/* Is the server answering on c?  "version" must come back as VERSION. */
static bool answers(struct conn *c)
{
	char line[128];
	size_t n = 0;
	if (write(c->fd, "version\r\n", 9) != 9)
		return false;
	while (n < sizeof line - 1) {
		ssize_t k = read(c->fd, line + n, 1);
		if (k <= 0)
			return false;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	return !strncmp(line, "VERSION ", 8);
}

/* Connects, retrying every 10 ms while the server is not up yet (it may
 * still be starting when the workload starts). */
static void dial(struct conn *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(11211) };
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "mcclient: %s: not an IPv4 address\n", host);
		exit(2);
	}
	for (int tries = 0; tries < 1000; tries++) {
		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		c->len = c->off = 0;
		if (connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0 && answers(c))
			return;
		close(c->fd);
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	fprintf(stderr, "mcclient: %s:11211 never answered\n", host);
	exit(1);
}

static void send_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(c->fd, p, n);
		if (k <= 0) {
			perror("mcclient: write");
			exit(1);
		}
		p += k;
		n -= (size_t)k;
	}
}

/* Reads one line (CRLF stripped) into out. */
static void read_line(struct conn *c, char *out, size_t cap)
{
	size_t n = 0;
	for (;;) {
		if (c->off == c->len) {
			ssize_t k = read(c->fd, c->buf, sizeof c->buf);
			if (k <= 0) {
				fprintf(stderr, "mcclient: the server closed the connection\n");
				exit(1);
			}
			c->len = (size_t)k;
			c->off = 0;
		}
		char ch = c->buf[c->off++];
		if (ch == '\n')
			break;
		if (n < cap - 1)
			out[n++] = ch;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = 0;
}

static void value_of(int thread, int key, char *out, size_t cap)
{
	/* The random part is drawn once per thread, so it is per seed. */
	static __thread unsigned long salt;
	if (!salt && getrandom(&salt, sizeof salt, 0) != sizeof salt)
		salt = 1;
	snprintf(out, cap, "v-%d-%d-%016lx", thread, key, salt ^ (unsigned long)key);
}

/* "get K1 K2 ...": checks that each value comes back, in order. */
static int check_get(struct conn *c, int t, int first, int count)
{
	char cmd[4096], line[512], want[128];
	int n = snprintf(cmd, sizeof cmd, "get");
	for (int k = first; k < first + count; k++)
		n += snprintf(cmd + n, sizeof cmd - (size_t)n, " t%d:k%d", t, k);
	n += snprintf(cmd + n, sizeof cmd - (size_t)n, "\r\n");
	send_all(c, cmd, (size_t)n);
	int bad = 0;
	for (int k = first; k < first + count; k++) {
		char key[64];
		snprintf(key, sizeof key, "t%d:k%d", t, k);
		value_of(t, k, want, sizeof want);
		read_line(c, line, sizeof line);
		char hdr[128];
		snprintf(hdr, sizeof hdr, "VALUE %s 0 %zu", key, strlen(want));
		if (strcmp(line, hdr)) {
			fprintf(stderr, "mcclient: get %s: got \"%s\", want \"%s\"\n", key, line, hdr);
			return 1;
		}
		read_line(c, line, sizeof line);
		if (strcmp(line, want)) {
			fprintf(stderr, "mcclient: get %s: value \"%s\", want \"%s\"\n", key, line, want);
			bad = 1;
		}
	}
	read_line(c, line, sizeof line);
	if (strcmp(line, "END")) {
		fprintf(stderr, "mcclient: get: got \"%s\", want END\n", line);
		return 1;
	}
	return bad;
}

static int expect(struct conn *c, const char *what, const char *want)
{
	char line[512];
	read_line(c, line, sizeof line);
	if (strcmp(line, want)) {
		fprintf(stderr, "mcclient: %s: got \"%s\", want \"%s\"\n", what, line, want);
		return 1;
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct conn *c = calloc(1, sizeof *c);
	char cmd[512], val[128];
	dial(c);
	for (int k = 0; k < nkeys; k++) {
		value_of(w->id, k, val, sizeof val);
		int n = snprintf(cmd, sizeof cmd, "set t%d:k%d 0 0 %zu\r\n%s\r\n", w->id, k, strlen(val), val);
		send_all(c, cmd, (size_t)n);
		w->bad |= expect(c, "set", "STORED");
		send_all(c, "incr hits 1\r\n", 13);
		read_line(c, cmd, sizeof cmd);  /* the counter's value: any number */
	}
	for (int k = 0; k < nkeys; k++)
		w->bad |= check_get(c, w->id, k, 1);
	for (int k = 0; k + 10 <= nkeys; k += 10)
		w->bad |= check_get(c, w->id, k, 10);
	for (int k = 0; k < nkeys; k += 2) {
		int n = snprintf(cmd, sizeof cmd, "delete t%d:k%d\r\n", w->id, k);
		send_all(c, cmd, (size_t)n);
		w->bad |= expect(c, "delete", "DELETED");
	}
	for (int k = 0; k < nkeys; k++) {
		int n = snprintf(cmd, sizeof cmd, "get t%d:k%d\r\n", w->id, k);
		if (k % 2 == 0) {
			send_all(c, cmd, (size_t)n);
			w->bad |= expect(c, "get of a deleted key", "END");
		} else {
			w->bad |= check_get(c, w->id, k, 1);
		}
	}
	close(c->fd);
	free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mcclient HOST [THREADS] [KEYS]\n");
		return 2;
	}
	host = argv[1];
	int nthreads = argc > 2 ? atoi(argv[2]) : 8;
	nkeys = argc > 3 ? atoi(argv[3]) : 100;
	if (nthreads < 1 || nthreads > MAXTHREADS || nkeys < 1) {
		fprintf(stderr, "mcclient: THREADS must be 1-%d and KEYS at least 1\n", MAXTHREADS);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN); /* a refused or reset connection is an error return */
	struct conn c;
	char want[64];
	dial(&c);
	send_all(&c, "set hits 0 0 1\r\n0\r\n", 19);
	if (expect(&c, "set hits", "STORED"))
		return 1;

	struct worker w[MAXTHREADS];
	for (int i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .id = i };
		if (pthread_create(&w[i].thread, NULL, work, &w[i])) {
			fprintf(stderr, "mcclient: pthread_create failed\n");
			return 1;
		}
	}
	int bad = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		bad |= w[i].bad;
	}

	send_all(&c, "get hits\r\n", 10);
	snprintf(want, sizeof want, "%d", nthreads * nkeys);
	char line[128];
	snprintf(line, sizeof line, "VALUE hits 0 %zu", strlen(want));
	bad |= expect(&c, "get hits", line);
	read_line(&c, line, sizeof line);  /* the value */
	if (strcmp(line, want)) {
		fprintf(stderr, "mcclient: hits is %s, want %s: an increment was lost\n", line, want);
		bad = 1;
	}
	bad |= expect(&c, "get hits", "END");
	send_all(&c, "stats\r\n", 7);
	char threads_line[128] = "";
	for (;;) {
		read_line(&c, line, sizeof line);
		if (!strcmp(line, "END"))
			break;
		if (!strncmp(line, "STAT threads ", 13))
			snprintf(threads_line, sizeof threads_line, "%s", line + 13);
	}
	close(c.fd);
	printf("mcclient: %d threads x %d keys: %s; hits %s; server threads %s\n", nthreads, nkeys,
	       bad ? "MISMATCH" : "all answers as expected", want, threads_line);
	return bad;
}
