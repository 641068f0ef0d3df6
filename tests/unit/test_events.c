/* supervisor/events.c: timed events fire in (time, creation) order. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sup.h"

static char order[64];

static void record(struct sup_run *R, void *arg)
{
	size_t n = strlen(order);
	order[n] = (char)(intptr_t)arg;
	order[n + 1] = 0;
}

static void chain(struct sup_run *R, void *arg)
{
	record(R, arg);
	sup_event_at(R, R->now, record, (void *)(intptr_t)'z'); /* due now: fires in this pass */
}

Test(events, fire_in_time_then_creation_order)
{
	struct sup_run R = { 0 };
	order[0] = 0;
	sup_event_at(&R, 30, record, (void *)(intptr_t)'c');
	sup_event_at(&R, 10, record, (void *)(intptr_t)'a');
	sup_event_at(&R, 20, record, (void *)(intptr_t)'b');
	sup_event_at(&R, 10, record, (void *)(intptr_t)'A'); /* same time: after 'a' */
	cr_expect_eq(sup_event_next(&R), 10);
	R.now = 15;
	sup_event_fire_due(&R);
	cr_expect_str_eq(order, "aA");
	cr_expect_eq(sup_event_next(&R), 20);
	R.now = 100;
	sup_event_fire_due(&R);
	cr_expect_str_eq(order, "aAbc");
	cr_expect_eq(sup_event_next(&R), -1);
	sup_events_free(&R);
}

Test(events, cancelled_events_never_fire)
{
	struct sup_run R = { 0 };
	order[0] = 0;
	struct sup_event *e = sup_event_at(&R, 5, record, (void *)(intptr_t)'x');
	sup_event_at(&R, 6, record, (void *)(intptr_t)'y');
	sup_event_cancel(e);
	cr_expect_eq(sup_event_next(&R), 6);
	R.now = 10;
	sup_event_fire_due(&R);
	cr_expect_str_eq(order, "y");
	sup_events_free(&R);
}

Test(events, past_times_become_now_and_callbacks_may_schedule)
{
	struct sup_run R = { .now = 50 };
	order[0] = 0;
	sup_event_at(&R, 10, chain, (void *)(intptr_t)'p');
	cr_expect_eq(sup_event_next(&R), 50);
	sup_event_fire_due(&R);
	cr_expect_str_eq(order, "pz");
	sup_events_free(&R);
}

Test(events, many_events_stay_ordered)
{
	struct sup_run R = { 0 };
	for (int i = 0; i < 2000; i++)
		sup_event_at(&R, (i * 7919) % 1000, record, (void *)(intptr_t)'.');
	int64_t last = -1;
	while (sup_event_next(&R) >= 0) {
		int64_t t = sup_event_next(&R);
		cr_assert_geq(t, last);
		last = t;
		R.now = t;
		order[0] = 0;
		sup_event_fire_due(&R);
	}
	cr_expect_eq(last, 999);
	sup_events_free(&R);
}
