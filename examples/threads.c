/*
 * threads — a work queue: one producer, three workers on a mutex and a
 * condition variable, jobs a virtual second apart; joined at the end.
 *
 *   simsup --seed 1 -- ./threads
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <time.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int q, done;
static void *worker(void *arg) {
	long id = (long)arg;
	for (;;) {
		pthread_mutex_lock(&m);
		while (q == 0 && !done) pthread_cond_wait(&c, &m);
		if (q == 0 && done) { pthread_mutex_unlock(&m); return NULL; }
		q--;
		pthread_mutex_unlock(&m);
		printf("worker %ld took job at %ld\n", id, (long)time(NULL));
		usleep(1000);
	}
}
int main(void) {
	pthread_t t[3];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void*)i);
	for (int j = 0; j < 10; j++) {
		pthread_mutex_lock(&m); q++; pthread_cond_signal(&c); pthread_mutex_unlock(&m);
		sleep(1);
	}
	pthread_mutex_lock(&m); done = 1; pthread_cond_broadcast(&c); pthread_mutex_unlock(&m);
	for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
	printf("all joined, tid %d\n", gettid());
	return 0;
}
