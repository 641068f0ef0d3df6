/*
 * thread_churn — threads that end while new ones start at once, joined and
 * detached: glibc reuses or unmaps an ended thread's stack block (its TLS,
 * its rseq area) as soon as its tid reads 0, possibly while the kernel
 * thread is still on its way out.  Prints "churn ok".
 * usage: compat_thread_churn [N]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *run(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	pthread_attr_t detached;
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, i % 2 ? &detached : NULL, run, NULL))
			return 1;
		if (i % 2 == 0)
			pthread_join(t, NULL);
		else
			usleep(100);
	}
	puts("churn ok");
	return 0;
}
