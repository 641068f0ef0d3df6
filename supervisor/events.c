/*
 * events.c — the supervisor's timed events in virtual time (message
 * deliveries, timers, faults): a binary min-heap ordered by (time, sequence),
 * so that events due at the same instant fire in the order they were made.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "sup.h"

struct sup_event {
	int64_t when;
	uint64_t seq;
	sup_event_fn fire;
	void *arg;
	bool cancelled;
};

struct sup_events {
	struct sup_event **heap;
	size_t n, cap;
	uint64_t seq;
};

static bool before(const struct sup_event *a, const struct sup_event *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void swap(struct sup_event **h, size_t i, size_t j)
{
	struct sup_event *t = h[i];
	h[i] = h[j];
	h[j] = t;
}

static void sift_down(struct sup_events *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->n && before(q->heap[l], q->heap[m]))
			m = l;
		if (r < q->n && before(q->heap[r], q->heap[m]))
			m = r;
		if (m == i)
			return;
		swap(q->heap, i, m);
		i = m;
	}
}

struct sup_event *sup_event_at(struct sup_run *R, int64_t when, sup_event_fn fire, void *arg)
{
	if (!R->events)
		R->events = calloc(1, sizeof *R->events);
	struct sup_events *q = R->events;
	struct sup_event *e = calloc(1, sizeof *e);
	if (!q || !e)
		abort();
	e->when = when < R->now ? R->now : when;
	e->seq = q->seq++;
	e->fire = fire;
	e->arg = arg;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->heap = realloc(q->heap, q->cap * sizeof *q->heap);
		if (!q->heap)
			abort();
	}
	size_t i = q->n++;
	q->heap[i] = e;
	while (i && before(q->heap[i], q->heap[(i - 1) / 2])) {
		swap(q->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return e;
}

void sup_event_cancel(struct sup_event *e)
{
	if (e)
		e->cancelled = true;
}

static struct sup_event *pop(struct sup_events *q)
{
	struct sup_event *top = q->heap[0];
	q->heap[0] = q->heap[--q->n];
	sift_down(q, 0);
	return top;
}

int64_t sup_event_next(struct sup_run *R)
{
	struct sup_events *q = R->events;
	while (q && q->n && q->heap[0]->cancelled)
		free(pop(q));
	return q && q->n ? q->heap[0]->when : -1;
}

void sup_event_fire_due(struct sup_run *R)
{
	struct sup_events *q = R->events;
	while (q && q->n && q->heap[0]->when <= R->now) {
		struct sup_event *e = pop(q);
		if (!e->cancelled)
			e->fire(R, e->arg);
		free(e);
	}
}

void sup_events_free(struct sup_run *R)
{
	struct sup_events *q = R->events;
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->heap[i]);
	free(q->heap);
	free(q);
	R->events = NULL;
}
