/*
 * kvstore — a small replicated key-value store: one leader, followers,
 * synchronous replication, a write-ahead log in the working directory.
 *
 *   kvstore --role leader|follower --peers IP1,IP2,... [--port 7000]
 *
 * Line protocol on TCP port 7000:
 *   ROLE           -> "leader" | "follower"
 *   SET KEY VALUE  -> "OK SEQ"      (leader only; once every follower has it)
 *   GET KEY        -> "VAL VALUE" | "NONE" | "ERR syncing"
 * and between the leader and a follower (the leader dials the follower):
 *   SYNC           -> "AT SEQ"      (the last write the follower has logged)
 *   REPL SEQ K V   -> "ACK SEQ"     (one write, in order)
 *   SYNCED                          (the follower has everything: reads count)
 *
 * The promise: a write answered "OK" is on every server's log, fdatasync'ed,
 * so every server that is up answers it, across crashes, restarts and
 * partitions.  How it is kept:
 *  - every write is appended to ./wal.log and fdatasync'ed before it is
 *    acknowledged (a follower syncs once for all the REPLs one read brought,
 *    then acknowledges the last); at start the log is replayed;
 *  - the leader answers "OK" only once every follower (not only those that
 *    are up) has acknowledged the write, so a follower that is down or cut
 *    off stalls writes; clients time out and retry;
 *  - the leader keeps trying to reach a follower that went away, or that
 *    owes it an answer for more than 2 s (a connection reset on the
 *    follower's side only never shows on the leader's); once it
 *    answers, the leader asks where its log ends (SYNC) and sends the rest of
 *    its own log from there, then SYNCED.  A follower answers reads only
 *    after SYNCED since it started: a follower whose storage was wiped would
 *    otherwise answer NONE for writes that were acknowledged.
 * What it does not survive: a leader whose storage is wiped (its log is the
 * only source of truth; docs/examples.md).
 *
 * The node finds its own address by its host name (p0, p1, ... under
 * simsup), so the leader knows which peers are the others.  Under simsup:
 *
 *   simsup --procs 3 --tag role=leader,follower,follower \
 *          --workload 'kvclient {peers}' -- kvstore --role {tag:role} --peers {peers}
 *
 * (--tag role=leader,follower works too: the third server, tagged leader
 * again by the round-robin, finds the first one leading and follows it.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 256
#define MAXKEYS 65536
#define MAXPEND 1024
#define MAXFOLLOWERS 32
#define SILENCE_MS 2000 /* a follower that owes an answer this long is redialed */

struct conn {
	int fd;
	long id;        /* unique in this process: pending answers find it by id */
	char in[8192];
	size_t len;
	int follower;   /* the leader's connection to follower number `follower`, or -1 */
	long ack;       /* a follower: the last REPL read, to acknowledge once synced */
};

/* The leader's view of one follower. */
struct follower {
	char ip[64];
	long conn;      /* id of the connection to it, 0 when there is none */
	int synced;     /* it has the whole log up to what was sent */
	long acked;     /* the last write it has logged */
	long retry_at;  /* ms of CLOCK_MONOTONIC for the next dial */
	long waiting;   /* ms since when it owes an answer (AT, ACK), or 0 */
	int backoff;    /* ms */
};

struct pending {
	long seq;
	long client;    /* connection id waiting for "OK seq" */
};

static struct conn conns[MAXCONN];
static int nconns;
static long next_conn_id = 1;
static char *keys[MAXKEYS], *vals[MAXKEYS];
static int nkeys;
static char **logk, **logv; /* the log in memory: write s is at s - 1 */
static long seq, logcap;
static int wal = -1, ready;
static struct follower fol[MAXFOLLOWERS];
static int nfollowers;
static struct pending pend[MAXPEND];
static int npend;

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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

/* Applies write s (the next one) to memory and the in-memory log. */
static void apply(long s, const char *k, const char *v)
{
	if (s > logcap) {
		logcap = logcap ? logcap * 2 : 1024;
		logk = realloc(logk, (size_t)logcap * sizeof *logk);
		logv = realloc(logv, (size_t)logcap * sizeof *logv);
		if (!logk || !logv) {
			fprintf(stderr, "kvstore: out of memory\n");
			exit(1);
		}
	}
	logk[s - 1] = strdup(k);
	logv[s - 1] = strdup(v);
	put(k, v);
	seq = s;
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (int done = 0; done < n;) {
		ssize_t k = write(fd, buf + done, (size_t)(n - done));
		if (k <= 0)
			return; /* the reader sees the connection close */
		done += (int)k;
	}
}

/* The write-ahead log: one line per write, durable (wal_sync) before it
 * is acknowledged. */
static void wal_write(long s, const char *k, const char *v)
{
	char line[600];
	int n = snprintf(line, sizeof line, "%ld %s %s\n", s, k, v);
	if (write(wal, line, (size_t)n) != n) {
		perror("kvstore: wal");
		exit(1);
	}
}

static void wal_sync(void)
{
	if (fdatasync(wal) < 0) {
		perror("kvstore: wal");
		exit(1);
	}
}

static void wal_replay(void)
{
	FILE *f = fopen("wal.log", "r");
	char k[256], v[256];
	long s;
	while (f && fscanf(f, "%ld %255s %255s", &s, k, v) == 3)
		if (s == seq + 1)
			apply(s, k, v);
	if (f)
		fclose(f);
	wal = open("wal.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (wal < 0) {
		perror("kvstore: wal.log");
		exit(1);
	}
	printf("kvstore: replayed %d keys up to seq %ld\n", nkeys, seq);
}

static struct conn *add_conn(int fd, int follower)
{
	if (nconns == MAXCONN) {
		close(fd);
		return NULL;
	}
	conns[nconns] = (struct conn){ .fd = fd, .id = next_conn_id++, .follower = follower };
	return &conns[nconns++];
}

static struct conn *find_conn(long id)
{
	for (int i = 0; i < nconns; i++)
		if (conns[i].id == id)
			return &conns[i];
	return NULL;
}

/* One connect attempt, bounded: a follower that is cut off by a partition
 * must not hold the leader for long (SO_SNDTIMEO bounds connect). */
static int dial_once(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000) };
	struct timeval tv = { 0, 500000 };
	inet_pton(AF_INET, ip, &a.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
		return fd;
	close(fd);
	return -1;
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

/* The leader: answers every pending write that all followers have logged. */
static void answer_pending(void)
{
	for (int i = 0; i < npend;) {
		int all = 1;
		for (int f = 0; f < nfollowers; f++)
			if (fol[f].acked < pend[i].seq)
				all = 0;
		if (!all) {
			i++;
			continue;
		}
		struct conn *c = find_conn(pend[i].client);
		if (c)
			say(c->fd, "OK %ld\n", pend[i].seq);
		memmove(&pend[i], &pend[i + 1], (size_t)(npend - i - 1) * sizeof *pend);
		npend--;
	}
}

/* The leader: dials the followers it has no connection to, when due. */
static void dial_followers(void)
{
	long now = now_ms();
	for (int f = 0; f < nfollowers; f++) {
		if (fol[f].conn || fol[f].retry_at > now)
			continue;
		int fd = dial_once(fol[f].ip);
		struct conn *c = fd >= 0 ? add_conn(fd, f) : NULL;
		if (!c) {
			fol[f].backoff = fol[f].backoff ? fol[f].backoff * 2 : 10;
			if (fol[f].backoff > 500)
				fol[f].backoff = 500;
			fol[f].retry_at = now_ms() + fol[f].backoff;
			continue;
		}
		fol[f].conn = c->id;
		fol[f].synced = 0;
		fol[f].backoff = 0;
		fol[f].waiting = now_ms();
		say(fd, "SYNC\n");
	}
}

/* The leader's poll timeout: the next dial, or the moment a follower's
 * silence becomes too long. */
static int leader_timeout(void)
{
	long now = now_ms(), next = -1;
	for (int f = 0; f < nfollowers; f++) {
		long due = !fol[f].conn ? fol[f].retry_at
			   : fol[f].waiting ? fol[f].waiting + SILENCE_MS : -1;
		if (due >= 0 && (next < 0 || due < next))
			next = due;
	}
	return next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
}

/* The leader: what a follower says on its connection. */
static void from_follower(struct conn *c, const char *line)
{
	struct follower *f = &fol[c->follower];
	long s;
	if (sscanf(line, "AT %ld", &s) == 1) {
		if (s > seq)
			fprintf(stderr, "kvstore: follower %s has seq %ld, beyond mine (%ld)\n", f->ip, s,
				seq);
		f->acked = s;
		for (long i = s + 1; i <= seq; i++)
			say(c->fd, "REPL %ld %s %s\n", i, logk[i - 1], logv[i - 1]);
		say(c->fd, "SYNCED\n");
		f->synced = 1;
		f->waiting = s < seq ? now_ms() : 0;
		if (s < seq)
			printf("kvstore: follower %s caught up from seq %ld to %ld\n", f->ip, s, seq);
	} else if (sscanf(line, "ACK %ld", &s) == 1 && s > f->acked) {
		f->acked = s;
		f->waiting = s < seq ? now_ms() : 0;
	}
	answer_pending();
}

static void command(struct conn *c, char *line, int leader)
{
	char k[256], v[256];
	long s;
	if (c->follower >= 0) {
		from_follower(c, line);
	} else if (!strcmp(line, "ROLE")) {
		say(c->fd, "%s\n", leader ? "leader" : "follower");
	} else if (sscanf(line, "GET %255s", k) == 1) {
		const char *val = get(k);
		if (!ready)
			say(c->fd, "ERR syncing\n");
		else if (val)
			say(c->fd, "VAL %s\n", val);
		else
			say(c->fd, "NONE\n");
	} else if (sscanf(line, "SET %255s %255s", k, v) == 2) {
		if (!leader || npend == MAXPEND) {
			say(c->fd, leader ? "ERR busy\n" : "ERR not the leader\n");
			return;
		}
		wal_write(seq + 1, k, v);
		wal_sync();
		apply(seq + 1, k, v);
		pend[npend++] = (struct pending){ .seq = seq, .client = c->id };
		for (int f = 0; f < nfollowers; f++) {
			struct conn *fc = fol[f].synced ? find_conn(fol[f].conn) : NULL;
			if (fc)
				say(fc->fd, "REPL %ld %s %s\n", seq, k, v);
			if (fc && !fol[f].waiting)
				fol[f].waiting = now_ms();
		}
		answer_pending();
	} else if (!leader && !strcmp(line, "SYNC")) {
		say(c->fd, "AT %ld\n", seq);
	} else if (!leader && sscanf(line, "REPL %ld %255s %255s", &s, k, v) == 3) {
		if (s == seq + 1) {
			wal_write(s, k, v);
			apply(s, k, v);
		} else if (s > seq + 1) {
			fprintf(stderr, "kvstore: REPL %ld after %ld: a gap, ignored\n", s, seq);
			return;
		}
		c->ack = s; /* answered by serve() once the log is synced */
	} else if (!leader && !strcmp(line, "SYNCED")) {
		if (!ready)
			printf("kvstore: in sync with the leader at seq %ld\n", seq);
		ready = 1;
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
	if (c->ack) { /* group commit: one fdatasync for what this read brought */
		wal_sync();
		say(c->fd, "ACK %ld\n", c->ack);
		c->ack = 0;
	}
	return c->len < sizeof c->in - 1;
}

static void drop_conn(int i)
{
	if (conns[i].follower >= 0) {
		struct follower *f = &fol[conns[i].follower];
		fprintf(stderr, "kvstore: lost follower %s; writes wait for it\n", f->ip);
		f->conn = 0;
		f->synced = 0;
		f->waiting = 0;
		f->retry_at = now_ms() + 10;
	}
	close(conns[i].fd);
	conns[i] = conns[--nconns];
}

/* The leader: a connection whose follower stays silent is given up and
 * redialed.  TCP alone may never tell: a connection reset on the
 * follower's side only, or a follower that is paused or cut off, looks
 * the same from here as a slow one. */
static void drop_silent_followers(void)
{
	long now = now_ms();
	for (int i = nconns - 1; i >= 0; i--) {
		struct follower *f = conns[i].follower >= 0 ? &fol[conns[i].follower] : NULL;
		if (f && f->waiting && now - f->waiting >= SILENCE_MS) {
			fprintf(stderr, "kvstore: follower %s silent for %d ms\n", f->ip, SILENCE_MS);
			drop_conn(i);
		}
	}
}

/* Tag values go round-robin (--tag role=leader,follower on three servers
 * tags p0 and p2 leader): the first server in --peers that was told to lead
 * leads, and a later one told the same follows it.  Asks each earlier peer
 * its ROLE, waiting a while for it to start; true if one of them leads. */
static bool earlier_leader(const char *peers, const char *me)
{
	char *list = strdup(peers);
	bool found = false;
	for (char *p = strtok(list, ","); p && strcmp(p, me) && !found; p = strtok(NULL, ",")) {
		for (int tries = 0; tries < 50 && !found; tries++) {
			int fd = dial_once(p);
			if (fd < 0) {
				usleep(100000);
				continue;
			}
			char buf[64] = "";
			say(fd, "ROLE\n");
			ssize_t n = read(fd, buf, sizeof buf - 1);
			found = n > 0 && !strncmp(buf, "leader", 6);
			close(fd);
			break;
		}
	}
	free(list);
	return found;
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
	signal(SIGPIPE, SIG_IGN); /* a peer that crashed: EPIPE, not death */
	int leader = !strcmp(role, "leader");
	char me[64];
	my_address(me, sizeof me);
	if (leader && earlier_leader(peers, me)) {
		printf("kvstore: an earlier server leads already: following it\n");
		leader = 0;
		role = "follower";
	}
	ready = leader;
	printf("kvstore: %s at %s\n", role, me);
	wal_replay();
	if (leader) {
		char *list = strdup(peers);
		for (char *p = strtok(list, ","); p && nfollowers < MAXFOLLOWERS; p = strtok(NULL, ","))
			if (strcmp(p, me))
				snprintf(fol[nfollowers++].ip, sizeof fol[0].ip, "%s", p);
		free(list);
		dial_followers();
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
		int n = nconns;
		if (poll(p, (nfds_t)n + 1, leader ? leader_timeout() : -1) < 0)
			continue;
		for (int i = n - 1; i >= 0; i--)
			if (p[i + 1].revents && !serve(&conns[i], leader))
				drop_conn(i);
		if (p[0].revents & POLLIN) {
			int c = accept(ls, NULL, NULL);
			if (c >= 0)
				add_conn(c, -1);
		}
		if (leader) {
			drop_silent_followers();
			dial_followers();
		}
		fflush(stdout);
	}
}
