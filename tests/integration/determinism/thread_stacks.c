/*
 * Threads started one after another, each followed at once by an mmap of
 * the creator: the layout of the address space the program sees (where
 * its mappings land) must not depend on how fast each new thread gets
 * going.  A new thread used to map its signal stack for the shim on its
 * own, before it first waited for the turn, in wall-clock time beside its
 * creator: the creator's next mapping then landed 128 KiB higher or lower
 * from run to run.  Prints one line: a sum of the addresses.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#define N 24

static pthread_barrier_t go;

static void *idle(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	uint64_t sum = 0;
	pthread_barrier_init(&go, NULL, N + 1);
	for (int i = 0; i < N; i++) {
		if (pthread_create(&t[i], NULL, idle, NULL) != 0)
			return 1;
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		sum = sum * 31 + (uint64_t)(uintptr_t)p;
	}
	pthread_barrier_wait(&go);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	printf("layout %016llx\n", (unsigned long long)sum);
	return 0;
}
