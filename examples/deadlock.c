/*
 * deadlock — two threads take two mutexes in opposite orders.  Both hold
 * their first mutex before either asks for the second (a barrier makes
 * sure), so every seed deadlocks; simsup reports it, naming what each
 * thread waits for, instead of hanging.
 *
 *   simsup --seed 1 -- ./deadlock      (exits 1: "deadlock")
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static void *first_a(void *arg)
{
	pthread_mutex_lock(&a);
	sched_yield();
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&b);
	puts("first_a got both (not reached)");
	return arg;
}

static void *first_b(void *arg)
{
	pthread_mutex_lock(&b);
	sched_yield();
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&a);
	puts("first_b got both (not reached)");
	return arg;
}

int main(void)
{
	pthread_t x, y;
	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&x, NULL, first_a, NULL);
	pthread_create(&y, NULL, first_b, NULL);
	pthread_join(x, NULL);
	pthread_join(y, NULL);
	return 0;
}
