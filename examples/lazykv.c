/*
 * lazykv — a single-node key-value store with a real bug of the kind
 * simulation finds: it acknowledges a write before the write is durable.
 *
 *   lazykv [--flush-ms MS] [--page-cache]     (MS default 500)
 *
 * Same line protocol as kvstore on TCP port 7000 (ROLE -> "leader", SET,
 * GET), so kvclient judges it:
 *
 *   simsup --chaos=kinds=crash:1+graceful:1+pause:1 --chaos-duration 20s \
 *          --workload 'kvclient {peers} --duration 20s' -- lazykv
 *
 * THE BUG.  SET answers "OK" at once and keeps the write in a buffer in
 * memory; the buffer is appended to ./data.log (and fdatasync'ed) only every
 * MS milliseconds, or when it holds 64 writes.  A crash between the "OK" and
 * the next flush loses writes the client was told are safe.  After the
 * restart the log is replayed, the lost keys are simply not there, and
 * kvclient says "key k17 was acknowledged but is gone".
 *
 * Why real servers have it: an fsync per write costs a disk round trip, so
 * servers batch writes and sync on a timer (Redis' appendfsync everysec,
 * MongoDB's journal commit interval, PostgreSQL's synchronous_commit=off,
 * etcd and Kafka settings that ack before fsync).  That is a fair trade when
 * it is documented and the client knows; it is a bug when the "OK" claims
 * durability, as it does here.  Group commit done right delays the answer
 * until the flush (kvstore's followers do that).
 *
 * Which fault finds it: only a crash (SIGKILL, or a crash-and-wipe) between
 * an acknowledged SET and the next flush.  A graceful reboot does not:
 * lazykv flushes on SIGTERM before it exits, like real servers, which is
 * why the bug survives ordinary restarts and tests that stop servers
 * politely.  A pause or a partition loses nothing.  The fix: flush (or
 * fdatasync) before answering, or answer only after the flush.
 *
 * --page-cache moves the bug one layer down: each SET is written to
 * data.log at once (write(2), so it is in the kernel's page cache) and
 * answered, and only the timer fdatasyncs.  A crash now loses nothing,
 * since the page cache survives a process; only a power loss
 * (--reboot kind=power, or power in the chaos kinds) between the answer
 * and the next fdatasync does, as with Redis' appendfsync everysec.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 64
#define MAXKEYS 65536
#define BUFFERED 64

struct conn {
	int fd;
	char in[4096];
	size_t len;
};

static struct conn conns[MAXCONN];
static int nconns;
static char *keys[MAXKEYS], *vals[MAXKEYS];
static int nkeys;
static char buf[BUFFERED * 600]; /* writes acknowledged but not yet in the log */
static size_t buflen;
static int nbuf, logfd = -1;
static int page_cache;     /* --page-cache: written at once, synced on the timer */
static int unsynced;       /* --page-cache: written since the last fdatasync */
static volatile sig_atomic_t stopping;

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

static void flush_log(void)
{
	if (page_cache && unsynced) {
		if (fdatasync(logfd) < 0) {
			perror("lazykv: data.log");
			exit(1);
		}
		unsynced = 0;
	}
	if (!buflen)
		return;
	if (write(logfd, buf, buflen) != (ssize_t)buflen || fdatasync(logfd) < 0) {
		perror("lazykv: data.log");
		exit(1);
	}
	buflen = 0;
	nbuf = 0;
}

static void replay(void)
{
	FILE *f = fopen("data.log", "r");
	char k[256], v[256];
	while (f && fscanf(f, "%255s %255s", k, v) == 2)
		put(k, v);
	if (f)
		fclose(f);
	logfd = open("data.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (logfd < 0) {
		perror("lazykv: data.log");
		exit(1);
	}
	printf("lazykv: replayed %d keys\n", nkeys);
}

static void say(int fd, const char *s)
{
	size_t n = strlen(s);
	for (size_t done = 0; done < n;) {
		ssize_t k = write(fd, s + done, n - done);
		if (k <= 0)
			return;
		done += (size_t)k;
	}
}

static void command(int fd, const char *line)
{
	char k[256], v[256], out[600];
	if (!strcmp(line, "ROLE")) {
		say(fd, "leader\n");
	} else if (sscanf(line, "GET %255s", k) == 1) {
		const char *val = get(k);
		snprintf(out, sizeof out, val ? "VAL %s\n" : "NONE\n", val);
		say(fd, out);
	} else if (sscanf(line, "SET %255s %255s", k, v) == 2) {
		put(k, v);
		buflen += (size_t)snprintf(buf + buflen, sizeof buf - buflen, "%s %s\n", k, v);
		if (page_cache) { /* into the page cache now, to disk on the timer */
			if (write(logfd, buf, buflen) != (ssize_t)buflen) {
				perror("lazykv: data.log");
				exit(1);
			}
			buflen = 0;
			unsynced = 1;
		} else if (++nbuf == BUFFERED) {
			flush_log();
		}
		say(fd, "OK 0\n"); /* the bug: the write may not be in the log yet */
	} else {
		say(fd, "ERR unknown command\n");
	}
}

static int serve(struct conn *c)
{
	ssize_t n = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);
	if (n <= 0)
		return 0;
	c->len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = 0;
		command(c->fd, c->in);
		c->len -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->len);
	}
	return c->len < sizeof c->in - 1;
}

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	long flush_ms = 500;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--flush-ms") && i + 1 < argc && atol(argv[i + 1]) > 0) {
			flush_ms = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--page-cache")) {
			page_cache = 1;
		} else {
			fprintf(stderr, "usage: lazykv [--flush-ms MS] [--page-cache]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_term }, NULL); /* no SA_RESTART */
	replay();
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000) };
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0) {
		perror("lazykv: listen");
		return 1;
	}
	printf("lazykv: serving on port 7000, %s every %ld ms\n",
	       page_cache ? "writing at once, fdatasync" : "flushing", flush_ms);
	fflush(stdout);
	long next_flush = now_ms() + flush_ms;
	while (!stopping) {
		struct pollfd p[MAXCONN + 1];
		p[0] = (struct pollfd){ ls, POLLIN, 0 };
		for (int i = 0; i < nconns; i++)
			p[i + 1] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		long wait = next_flush - now_ms();
		int n = nconns;
		if (poll(p, (nfds_t)n + 1, wait < 0 ? 0 : (int)wait) < 0)
			continue;
		if (now_ms() >= next_flush) {
			flush_log();
			next_flush = now_ms() + flush_ms;
		}
		for (int i = n - 1; i >= 0; i--)
			if (p[i + 1].revents && !serve(&conns[i])) {
				close(conns[i].fd);
				conns[i] = conns[--nconns];
			}
		if (p[0].revents & POLLIN) {
			int c = accept(ls, NULL, NULL);
			if (c >= 0 && nconns < MAXCONN)
				conns[nconns++] = (struct conn){ .fd = c };
			else if (c >= 0)
				close(c);
		}
	}
	flush_log(); /* a polite stop loses nothing: that is what hides the bug */
	printf("lazykv: flushed, bye\n");
	return 0;
}
