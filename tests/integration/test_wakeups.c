/*
 * Precise wake-ups (docs/architecture.md, "Waiting without blocking in the
 * kernel"): a parked thread becomes eligible only when something it waits
 * for may have changed, and never misses a wake-up.  compat/waits.c parks
 * in every kind of wait and is woken by another thread or process; a
 * missed wake-up is a deadlock, which fails the run.  -v's profile tells
 * how many wake-ups were fruitless and how many waits were told exactly.
 */
#include "harness.h"

static char *waits(void)
{
	const char *d = getenv("SIMSUP_COMPAT");
	cr_assert(d && *d, "SIMSUP_COMPAT is not set: run the tests through meson test");
	char *p;
	cr_assert(asprintf(&p, "%s/compat_waits", d) > 0);
	return p;
}

/* Figures of the profile line: "N turns, F fruitless wake-ups" and
 * "waits on fds: E exact, A on any change". */
struct profile {
	long turns, fruitless, exact, any;
};

static struct profile profile_of(const struct run *r)
{
	struct profile p = { -1, -1, -1, -1 };
	const char *s = strstr(r->err, "simsup: profile: ");
	cr_assert(s, "no profile printed: %s", r->err);
	cr_assert_eq(sscanf(s, "simsup: profile: %ld turns, %ld fruitless", &p.turns, &p.fruitless), 2,
		     "%s", s);
	s = strstr(s, "waits on fds: ");
	cr_assert(s, "%s", r->err);
	cr_assert_eq(sscanf(s, "waits on fds: %ld exact, %ld on any change", &p.exact, &p.any), 2,
		     "%s", s);
	return p;
}

static struct profile run_kind(const char *kind, int seed)
{
	char *w = waits();
	struct run r;
	run_sim(&r, "simsup -v --seed %d -- %s %s", seed, w, kind);
	cr_assert_eq(r.status, 0, "%s (seed %d): %s\n%s", kind, seed, r.out, r.err);
	char want[64];
	snprintf(want, sizeof want, "p0 | %s ok", kind);
	cr_expect(strstr(r.out, want), "%s: %s", kind, r.out);
	struct profile p = profile_of(&r);
	run_free(&r);
	free(w);
	return p;
}

/* Every kind of wait ends, under several seeds (several interleavings). */
#define WAIT_TEST(name, kind)                                     \
	Test(wakeups, name)                                       \
	{                                                         \
		for (int seed = 1; seed <= 3; seed++)             \
			run_kind(kind, seed);                     \
	}

WAIT_TEST(epoll_level_triggered, "epoll-lt")
WAIT_TEST(epoll_edge_triggered, "epoll-et")
WAIT_TEST(poll, "poll")
WAIT_TEST(select, "select")
WAIT_TEST(blocking_read, "read")
WAIT_TEST(epoll_exclusive_listener, "epoll-exclusive")
WAIT_TEST(listener_shared_by_processes, "shared-listener")
WAIT_TEST(pipes_between_processes, "pipes-procs")
WAIT_TEST(eventfd, "eventfd")
WAIT_TEST(signalfd, "signalfd")
WAIT_TEST(timerfd, "timerfd")
WAIT_TEST(futex_requeue, "futex-requeue")
WAIT_TEST(fd_number_reused_between_waits, "fd-reused")

/* Four threads, each parked on its own pipe; the main thread writes to
 * one at a time.  Only the thread written to may wake: before precise
 * wake-ups, every write woke all four. */
static void only_the_one_written_to(const char *kind)
{
	struct profile p = run_kind(kind, 1);
	cr_expect_eq(p.fruitless, 0, "%s: %ld fruitless wake-ups in %ld turns", kind, p.fruitless,
		     p.turns);
	cr_expect_eq(p.any, 0, "%s: %ld waits on any change", kind, p.any);
	cr_expect_gt(p.exact, 0, "%s", kind);
}

Test(wakeups, epoll_wakes_only_the_thread_written_to)
{
	only_the_one_written_to("epoll-lt");
	only_the_one_written_to("epoll-et");
}

Test(wakeups, poll_select_and_read_wake_only_the_thread_written_to)
{
	only_the_one_written_to("poll");
	only_the_one_written_to("select");
	only_the_one_written_to("read");
}

/* A process with a signalfd waits on any change (the kernel polls a
 * signalfd for whoever asks, not for the program): said by the profile. */
Test(wakeups, a_process_with_a_signalfd_waits_on_any_change)
{
	struct profile p = run_kind("signalfd", 1);
	cr_expect_gt(p.any, 0, "the waits of a process with a signalfd must not be exact");
}

Test(wakeups, same_seed_same_trace_hash)
{
	char *w = waits();
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		struct run r;
		run_sim(&r, "simsup --seed 7 -- %s all", w);
		cr_assert_eq(r.status, 0, "run %d: %s\n%s", i, r.out, r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d", i);
		run_free(&r);
	}
	cr_expect_neq(first[0], 0, "no trace hash printed");
	free(w);
}
