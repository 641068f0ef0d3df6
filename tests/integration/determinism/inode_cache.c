/*
 * inode_cache DIR — stats a few dozen files of its own, over and over,
 * while a child waits in poll with a timeout.  The shim remembers the
 * virtual inode numbers it was given in a small cache keyed by the host's
 * inode numbers and birth times, which differ in every run; whether two of
 * these files share a cache slot is therefore chance, and a miss asks the
 * supervisor again.  Such a question must not change the schedule: the
 * same seed must trace the same hash (tests/integration/test_determinism.c).
 *
 * Before the fix, the question carried this process's pending change
 * (its writes to a file), which woke the parked child, and its reply ended
 * the running slice: where the misses fell decided when the child ran.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NFILES 40  /* about an even chance that two share one of the 1024 slots */
#define ROUNDS 120

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: inode_cache DIR\n");
		return 2;
	}
	char name[4096];
	const char *dir = argv[1];
	if (mkdir(dir, 0755) < 0)
		return perror(dir), 1;
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof name, "%s/f%d", dir, i);
		int fd = open(name, O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			return perror(name), 1;
		close(fd);
	}
	int p[2];
	if (pipe(p) < 0)
		return perror("pipe"), 1;
	pid_t c = fork();
	if (c == 0) { /* parked in poll; its timeouts end while the parent works */
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		for (int i = 0; i < 5; i++)
			poll(&pf, 1, 2);
		_exit(0);
	}
	snprintf(name, sizeof name, "%s/log", dir);
	int out = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	struct stat st;
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < NFILES; i++) {
			snprintf(name, sizeof name, "%s/f%d", dir, i);
			if (stat(name, &st) < 0 || write(out, "x", 1) != 1)
				return perror(name), 1;
		}
	int status;
	if (waitpid(c, &status, 0) != c || status != 0)
		return 1;
	return 0;
}
