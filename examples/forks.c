/*
 * forks — children that sleep and exit, reaped in virtual-time order; the
 * other ways to start processes (posix_spawn, system, popen, exec with an
 * empty environment) all stay inside the simulation.
 *
 *   simsup --seed 1 -- ./forks
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "child")) { /* exec'd with no environment */
		printf("exec'd child pid %d sees time %lld\n", getpid(), (long long)time(NULL));
		return 0;
	}
	int delays[] = { 30, 10, 20 };
	for (int i = 0; i < 3; i++) {
		pid_t p = fork();
		if (p == 0) {
			sleep(delays[i]);
			_exit(i + 1);
		}
		printf("forked %d (sleeps %ds)\n", p, delays[i]);
	}
	for (int i = 0; i < 3; i++) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		printf("reaped %d status %d at %lld\n", p, WEXITSTATUS(st), (long long)time(NULL));
	}
	pid_t sp;
	char *av[] = { "sh", "-c", "sleep 5; echo spawned", NULL };
	posix_spawnp(&sp, "sh", NULL, NULL, av, environ);
	waitpid(sp, NULL, 0);
	printf("system: %d\n", system("sleep 1; exit 3") >> 8);
	FILE *f = popen("echo through popen", "r");
	char line[64];
	if (f && fgets(line, sizeof line, f))
		printf("popen read: %s", line);
	pclose(f);
	pid_t c = fork();
	if (c == 0) {
		char *empty[] = { NULL };
		execve(argv[0], (char *[]){ argv[0], "child", NULL }, empty);
		_exit(127);
	}
	waitpid(c, NULL, 0);
	printf("done at %lld\n", (long long)time(NULL));
	return 0;
}
