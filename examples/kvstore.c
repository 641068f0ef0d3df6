/*
 * kvstore — a small replicated key-value store: one leader, followers,
 * synchronous replication, a write-ahead log in the working directory.
 *
 *   kvstore --role leader|follower --peers IP1,IP2,... [--port 7000]
 *
 * Line protocol on TCP port 7000:
 *   ROLE           -> "leader" | "follower"
 *   SET KEY VALUE  -> "OK SEQ"      (leader only; once every follower has it)
 *   GET KEY        -> "VAL VALUE" | "NONE"
 *   REPL SEQ K V   -> "ACK SEQ"     (leader to followers)
 * Every applied write is appended to ./wal.log and fdatasync'ed before it
 * is acknowledged; at start the log is replayed.  The node finds its own
 * address by its host name (p0, p1, ... under simsup), so the leader knows
 * which peers are the others.  Under simsup:
 *
 *   simsup --procs 3 --tag role=leader,follower,follower \
 *          --workload 'kvclient {peers}' -- kvstore --role {tag:role} --peers {peers}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 256
#define MAXKEYS 4096

struct conn {
	int fd;
	char in[8192];
	size_t len;
	int follower;   /* the leader's connection to a follower */
};

struct pending {
	long seq;
	int client;     /* fd waiting for "OK seq" */
	int acks;
};

static struct conn conns[MAXCONN];
static int nconns;
static char *keys[MAXKEYS], *vals[MAXKEYS];
static int nkeys;
static long seq;
static int wal = -1, nfollowers;
static struct pending pend[1024];
static int npend;

static void put(const char *k, const char *v)
{
	for (int i = 0; i < nkeys; i++)
		if (!strcmp(keys[i], k)) {
			free(vals[i]);
			vals[i] = strdup(v);
			return;
		}
	if (nkeys < MAXKEYS) {
		keys[nkeys] = strdup(k);
		vals[nkeys++] = strdup(v);
	}
}

static const char *get(const char *k)
{
	for (int i = 0; i < nkeys; i++)
		if (!strcmp(keys[i], k))
			return vals[i];
	return NULL;
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (int done = 0; done < n;) {
		ssize_t k = write(fd, buf + done, (size_t)(n - done));
		if (k <= 0)
			return;
		done += (int)k;
	}
}

/* The write-ahead log: one line per write, durable before it is answered. */
static void wal_append(long s, const char *k, const char *v)
{
	char line[512];
	int n = snprintf(line, sizeof line, "%ld %s %s\n", s, k, v);
	if (write(wal, line, (size_t)n) != n || fdatasync(wal) < 0) {
		perror("kvstore: wal");
		exit(1);
	}
}

static void wal_replay(void)
{
	FILE *f = fopen("wal.log", "r");
	char k[256], v[256];
	long s;
	while (f && fscanf(f, "%ld %255s %255s", &s, k, v) == 3) {
		put(k, v);
		seq = s;
	}
	if (f)
		fclose(f);
	wal = open("wal.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (wal < 0) {
		perror("kvstore: wal.log");
		exit(1);
	}
	printf("kvstore: replayed %d keys up to seq %ld\n", nkeys, seq);
}

static void add_conn(int fd, int follower)
{
	if (nconns == MAXCONN) {
		close(fd);
		return;
	}
	conns[nconns] = (struct conn){ .fd = fd, .follower = follower };
	nconns++;
}

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
	fprintf(stderr, "kvstore: follower %s never answered\n", ip);
	exit(1);
}

static void my_address(char *ip, size_t n)
{
	char host[64];
	struct addrinfo hints = { .ai_family = AF_INET }, *ai;
	gethostname(host, sizeof host);
	if (getaddrinfo(host, NULL, &hints, &ai)) {
		fprintf(stderr, "kvstore: cannot resolve my host name %s\n", host);
		exit(1);
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, (socklen_t)n);
	freeaddrinfo(ai);
}

/* The leader: a write is answered once every follower has logged it. */
static void on_ack(long s)
{
	for (int i = 0; i < npend; i++)
		if (pend[i].seq == s && ++pend[i].acks == nfollowers) {
			say(pend[i].client, "OK %ld\n", s);
			pend[i] = pend[--npend];
			return;
		}
}

static void command(struct conn *c, char *line, int leader)
{
	char k[256], v[256];
	long s;
	if (c->follower) {
		if (sscanf(line, "ACK %ld", &s) == 1)
			on_ack(s);
	} else if (!strcmp(line, "ROLE")) {
		say(c->fd, "%s\n", leader ? "leader" : "follower");
	} else if (sscanf(line, "GET %255s", k) == 1) {
		const char *val = get(k);
		if (val)
			say(c->fd, "VAL %s\n", val);
		else
			say(c->fd, "NONE\n");
	} else if (sscanf(line, "SET %255s %255s", k, v) == 2) {
		if (!leader || npend == 1024) {
			say(c->fd, "ERR not the leader\n");
			return;
		}
		wal_append(++seq, k, v);
		put(k, v);
		if (nfollowers == 0) {
			say(c->fd, "OK %ld\n", seq);
			return;
		}
		pend[npend++] = (struct pending){ .seq = seq, .client = c->fd };
		for (int i = 0; i < nconns; i++)
			if (conns[i].follower)
				say(conns[i].fd, "REPL %ld %s %s\n", seq, k, v);
	} else if (sscanf(line, "REPL %ld %255s %255s", &s, k, v) == 3) {
		if (s > seq) {
			wal_append(s, k, v);
			put(k, v);
			seq = s;
		}
		say(c->fd, "ACK %ld\n", s);
	} else {
		say(c->fd, "ERR unknown command\n");
	}
}

/* Reads what the connection has; false when it is closed. */
static int serve(struct conn *c, int leader)
{
	ssize_t n = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);
	if (n <= 0)
		return 0;
	c->len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = 0;
		command(c, c->in, leader);
		c->len -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->len);
	}
	return c->len < sizeof c->in - 1;
}

int main(int argc, char **argv)
{
	const char *role = NULL, *peers = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--role"))
			role = argv[i + 1];
		else if (!strcmp(argv[i], "--peers"))
			peers = argv[i + 1];
	}
	if (!role || !peers || (strcmp(role, "leader") && strcmp(role, "follower"))) {
		fprintf(stderr, "usage: kvstore --role leader|follower --peers IP1,IP2,...\n");
		return 2;
	}
	int leader = !strcmp(role, "leader");
	char me[64];
	my_address(me, sizeof me);
	printf("kvstore: %s at %s\n", role, me);
	wal_replay();
	if (leader) { /* followers first: clients are let in once writes can replicate */
		char *list = strdup(peers);
		for (char *p = strtok(list, ","); p; p = strtok(NULL, ","))
			if (strcmp(p, me)) {
				add_conn(dial(p), 1);
				nfollowers++;
			}
		free(list);
	}
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000) };
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0) {
		perror("kvstore: listen");
		return 1;
	}
	printf("kvstore: serving on port 7000 with %d followers\n", nfollowers);
	fflush(stdout);
	for (;;) {
		struct pollfd p[MAXCONN + 1];
		p[0] = (struct pollfd){ ls, POLLIN, 0 };
		for (int i = 0; i < nconns; i++)
			p[i + 1] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		if (poll(p, (nfds_t)nconns + 1, -1) < 0)
			continue;
		for (int i = nconns - 1; i >= 0; i--)
			if (p[i + 1].revents && !serve(&conns[i], leader)) {
				if (conns[i].follower) {
					fprintf(stderr, "kvstore: lost a follower\n");
					return 1;
				}
				close(conns[i].fd);
				conns[i] = conns[--nconns];
			}
		if (p[0].revents & POLLIN) {
			int c = accept(ls, NULL, NULL);
			if (c >= 0)
				add_conn(c, 0);
		}
	}
}
