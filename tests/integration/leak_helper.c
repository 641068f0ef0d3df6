/*
 * leak_helper — run under simsup by test_leaks: makes one of each kind of
 * IPC object a run could leave on the host, all named after MARK, then
 * stops or keeps the turn.
 *
 *   leak_helper MARK [ipc|noipc] [exit|spin|drop]
 *
 * ipc:   System V shared memory, a semaphore set and a message queue, each
 *        with key MARK, and the POSIX shared memory object and named
 *        semaphore simsup-leak-MARK (files in /dev/shm); then prints
 *        "made ...".
 * spin:  prints "spinning" and computes forever without a call simsup
 *        sees (only the watchdog or a signal to simsup ends the run).
 * drop:  the same, after switching to user and group 65534, which clears
 *        the kernel's parent-death signal.
 * What it prints reaches RUN_DIR/logs/p0.out at once, where test_leaks
 * waits for it.
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile unsigned long counter;

static void __attribute__((noinline, noreturn)) spin(void)
{
	for (;;)
		counter++;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: leak_helper MARK [ipc|noipc] [exit|spin|drop]\n");
		return 2;
	}
	key_t key = (key_t)strtol(argv[1], NULL, 10);
	const char *ipc = argc > 2 ? argv[2] : "ipc", *then = argc > 3 ? argv[3] : "exit";
	if (!strcmp(ipc, "ipc")) {
		char name[64];
		snprintf(name, sizeof name, "/simsup-leak-%s", argv[1]);
		int shm = shmget(key, 4096, IPC_CREAT | 0644);
		int sem = semget(key, 1, IPC_CREAT | 0644);
		int msg = msgget(key, IPC_CREAT | 0644);
		int pshm = shm_open(name, O_RDWR | O_CREAT, 0644);
		sem_t *psem = sem_open(name, O_CREAT, 0644, 1);
		if (shm < 0 || sem < 0 || msg < 0 || pshm < 0 || psem == SEM_FAILED) {
			perror("leak_helper: an IPC object");
			return 3;
		}
		if (ftruncate(pshm, 4096) < 0) {
			perror("leak_helper: ftruncate");
			return 3;
		}
		printf("made shm %d sem %d msg %d and %s\n", shm, sem, msg, name);
		fflush(stdout);
	}
	if (!strcmp(then, "drop")) {
		if (setgid(65534) < 0 || setuid(65534) < 0) {
			perror("leak_helper: setuid");
			return 3;
		}
	}
	if (!strcmp(then, "spin") || !strcmp(then, "drop")) {
		printf("spinning as uid %d\n", (int)getuid());
		fflush(stdout);
		spin();
	}
	return 0;
}
