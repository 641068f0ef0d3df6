/*
 * threadpool — a small server built the classic way: an acceptor thread
 * reads requests from a pipe and puts them on a work queue (mutex +
 * condition variable); a pool of worker threads takes them off, works for
 * a while (a virtual sleep), and writes a response to another pipe; a
 * client thread sends the requests and checks every response.
 *
 *   simsup --seed 1 -- ./threadpool [workers] [requests]
 *
 * Which worker serves which request depends on the interleaving, so it
 * changes with the seed; the responses themselves never do.  Prints a
 * per-worker tally; exits 1 if a response is missing or wrong.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 16
#define QUEUE_CAP 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static unsigned queue[QUEUE_CAP];
static int head, count, closing;
static int req_pipe[2], resp_pipe[2];
static int served[MAX_WORKERS];
static int nrequests;

static unsigned work(unsigned x)
{
	for (int i = 0; i < 1000; i++)
		x = x * 1103515245u + 12345u;
	return x;
}

static void *worker(void *arg)
{
	int me = (int)(long)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (count == 0 && !closing)
			pthread_cond_wait(&not_empty, &mu);
		if (count == 0) {
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		unsigned req = queue[head];
		head = (head + 1) % QUEUE_CAP;
		count--;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&mu);
		struct timespec ts = { 0, (long)(req % 7 + 1) * 1000000 }; /* 1-7 ms of "I/O" */
		nanosleep(&ts, NULL);
		unsigned resp[2] = { req, work(req) };
		write(resp_pipe[1], resp, sizeof resp); /* < PIPE_BUF: atomic */
		served[me]++;
	}
}

static void *client(void *arg)
{
	for (unsigned i = 0; i < (unsigned)nrequests; i++)
		write(req_pipe[1], &i, sizeof i);
	close(req_pipe[1]);
	int ok = 0;
	for (int i = 0; i < nrequests; i++) {
		unsigned resp[2];
		if (read(resp_pipe[0], resp, sizeof resp) != sizeof resp)
			break;
		ok += resp[1] == work(resp[0]);
	}
	return (void *)(long)ok;
}

int main(int argc, char **argv)
{
	int nworkers = argc > 1 ? atoi(argv[1]) : 4;
	nrequests = argc > 2 ? atoi(argv[2]) : 40;
	if (nworkers < 1 || nworkers > MAX_WORKERS || nrequests < 1) {
		fprintf(stderr, "usage: threadpool [workers 1-%d] [requests]\n", MAX_WORKERS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pipe(req_pipe);
	pipe(resp_pipe);
	pthread_t w[MAX_WORKERS], c;
	for (long i = 0; i < nworkers; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	pthread_create(&c, NULL, client, NULL);
	/* the acceptor: requests from the pipe onto the queue */
	unsigned req;
	while (read(req_pipe[0], &req, sizeof req) == sizeof req) {
		pthread_mutex_lock(&mu);
		while (count == QUEUE_CAP)
			pthread_cond_wait(&not_full, &mu);
		queue[(head + count) % QUEUE_CAP] = req;
		count++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	closing = 1;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < nworkers; i++)
		pthread_join(w[i], NULL);
	void *ok;
	pthread_join(c, &ok);
	printf("served:");
	for (int i = 0; i < nworkers; i++)
		printf(" w%d=%d", i, served[i]);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("\n%ld/%d responses correct\n", (long)ok, nrequests);
	return (long)ok == nrequests ? 0 : 1;
}
