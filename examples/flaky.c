/*
 * flaky — a program whose outcome depends on the seed, for sweeps.
 *
 * It reads one random byte with getrandom.  Under simsup that byte comes
 * from the seed, so each seed fails, or passes, the same way every time:
 *
 *   simsup --seeds 1-200 -- ./flaky            exits 1 when the byte < 20
 *                                              (about 8% of the seeds)
 *   simsup --seeds 1-200 -j 2 -- ./flaky --kinds
 *       byte < 20: exit 1; 20-29: crash (SIGSEGV, with a backtrace);
 *       30-39: deadlock (reads a pipe that nobody writes); else pass
 *   ./flaky --threshold N     fail below N instead of 20
 *   ./flaky --net             first talk TCP to itself on {ip}:7000 (for --pcap)
 *
 * Before deciding it sleeps the byte's value in milliseconds of (virtual)
 * time and prints a line to stdout and one to stderr, so runs have a bit of
 * a timeline and logs to show.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* NULL, but the compiler cannot know it and drop the store */
static volatile int *volatile nowhere;

static void __attribute__((noinline)) crash_here(int byte)
{
	*nowhere = byte; /* SIGSEGV */
}

static void deadlock_here(void)
{
	int p[2];
	char c;
	if (pipe(p) == 0)
		(void)read(p[0], &c, 1); /* the write end is ours and never written */
}

/* A child connects to us on $SIMSUP_IP:7000 and we echo one message. */
static int talk_to_self(void)
{
	const char *ip = getenv("SIMSUP_IP");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000) };
	inet_pton(AF_INET, ip ? ip : "127.0.0.1", &a.sin_addr);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0) {
		perror("flaky: listen");
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char buf[16] = { 0 };
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof a) < 0 || write(c, "hello", 5) != 5 ||
		    read(c, buf, sizeof buf - 1) <= 0)
			_exit(1);
		printf("flaky: the echo said %s\n", buf);
		close(c);
		_exit(0);
	}
	int s = accept(l, NULL, NULL);
	char buf[16];
	ssize_t n = s >= 0 ? read(s, buf, sizeof buf) : -1;
	if (n > 0 && write(s, buf, (size_t)n) != n)
		n = -1;
	close(s);
	close(l);
	int st = 0;
	waitpid(pid, &st, 0);
	return n > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int threshold = 20;
	int kinds = 0, net = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kinds"))
			kinds = 1;
		else if (!strcmp(argv[i], "--net"))
			net = 1;
		else if (!strcmp(argv[i], "--threshold") && i + 1 < argc)
			threshold = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: flaky [--threshold N] [--kinds] [--net]\n");
			return 2;
		}
	}
	unsigned char byte;
	if (getrandom(&byte, 1, 0) != 1) {
		perror("flaky: getrandom");
		return 2;
	}
	printf("flaky: the first random byte is %d\n", byte);
	fflush(stdout);
	usleep(1000u * byte);
	if (net && talk_to_self() < 0)
		return 3;
	if (byte < threshold) {
		fprintf(stderr, "flaky: %d < %d: failing\n", byte, threshold);
		return 1;
	}
	if (kinds && byte < 30) {
		fprintf(stderr, "flaky: %d: crashing\n", byte);
		crash_here(byte);
	}
	if (kinds && byte < 40) {
		fprintf(stderr, "flaky: %d: waiting for a pipe nobody writes\n", byte);
		deadlock_here();
	}
	fprintf(stderr, "flaky: %d: passing\n", byte);
	return 0;
}
