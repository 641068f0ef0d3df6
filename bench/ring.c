/*
 * ring.c — the native floor under simsup's scaling figure, for bench/run.
 *
 *   ring N ROUNDS [hub [TIMEOUT_US [SLACK_US]]]
 *
 * N processes, pinned to the CPU the first one starts on (as simsup runs),
 * pass a token round a ring ROUNDS times: each waits on its own futex word
 * in shared memory and wakes the next.  Every hand-off switches to a
 * process that last ran N hand-offs ago, as an idle cluster of N sleepers
 * under simsup switches to a process that last ran N wake-ups ago.  The
 * growth of the cost per hand-off from 3 processes to 300 and 1000 is what
 * the machine itself charges for switching among more address spaces
 * (caches, TLB), with no simulation at all.  Prints nothing; bench/run
 * times it from outside, by difference between two ROUNDS.
 *
 * With "hub", process 0 stands for simsup's supervisor: it passes the token
 * to each of the other N-1 in turn and gets it back before the next, as
 * simsup hands the turn to the next thread and gets it back when that
 * thread parks.  A round is then 2(N-1) hand-offs; the cost of one visit
 * (two hand-offs) is the floor of any design in which the supervisor takes
 * every switch, whatever its own work costs.  With TIMEOUT_US the hub waits
 * with that futex timeout, as simsup's supervisor does to notice a silent
 * death, and with SLACK_US of timer slack (prctl PR_SET_TIMERSLACK): what
 * arming that timer at every hand-off costs (docs/benchmarks.md).
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STRIDE 16 /* one futex word per 64-byte line */

static struct timespec *hub_timeout; /* the hub's futex timeout, if any */

static void wait_token(uint32_t *w)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0)
		syscall(SYS_futex, w, FUTEX_WAIT, 0, NULL, NULL, 0);
	__atomic_store_n(w, 0, __ATOMIC_RELAXED);
}

static void hub_wait(uint32_t *w)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0)
		syscall(SYS_futex, w, FUTEX_WAIT, 0, hub_timeout, NULL, 0);
	__atomic_store_n(w, 0, __ATOMIC_RELAXED);
}

static void pass_token(uint32_t *w)
{
	__atomic_store_n(w, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int main(int argc, char **argv)
{
	bool hub = argc >= 4 && argc <= 6 && strcmp(argv[3], "hub") == 0;
	if ((argc != 3 && !hub) || atoi(argv[1]) < 2 || atol(argv[2]) < 0) {
		fprintf(stderr, "usage: ring N ROUNDS [hub [TIMEOUT_US [SLACK_US]]] (N >= 2)\n");
		return 2;
	}
	struct timespec timeout;
	long slack_us = argc == 6 ? atol(argv[5]) : 0;
	if (argc >= 5 && atol(argv[4]) > 0) {
		long us = atol(argv[4]);
		timeout = (struct timespec){ .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000 };
		hub_timeout = &timeout;
	}
	int n = atoi(argv[1]);
	long rounds = atol(argv[2]);
	cpu_set_t cpu;
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	if (sched_setaffinity(0, sizeof cpu, &cpu) < 0) {
		perror("ring: sched_setaffinity");
		return 1;
	}
	uint32_t *w = mmap(NULL, (size_t)n * STRIDE * sizeof *w, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		perror("ring: mmap");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("ring: fork");
			return 1;
		}
		if (pid == 0 && hub && i == 0) {
			if (slack_us > 0)
				prctl(PR_SET_TIMERSLACK, slack_us * 1000);
			for (long r = 0; r < rounds; r++)
				for (int k = 1; k < n; k++) {
					pass_token(&w[k * STRIDE]);
					hub_wait(&w[0]);
				}
			_exit(0);
		}
		if (pid == 0 && hub) {
			for (long r = 0; r < rounds; r++) {
				wait_token(&w[i * STRIDE]);
				pass_token(&w[0]);
			}
			_exit(0);
		}
		if (pid == 0) {
			for (long r = 0; r < rounds; r++) {
				wait_token(&w[i * STRIDE]);
				pass_token(&w[((i + 1) % n) * STRIDE]);
			}
			_exit(0);
		}
	}
	if (rounds > 0 && !hub)
		pass_token(&w[0]);
	int status, bad = 0;
	for (int i = 0; i < n; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	return bad;
}
