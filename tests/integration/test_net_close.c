/*
 * How connections end: an orderly close is EOF after the data, a reset
 * (SO_LINGER 0, or a close with unread data) is ECONNRESET, and a
 * half-close (shutdown SHUT_WR) leaves the other direction open.
 */
#include "net_harness.h"

static void ends(const char *server_mode, const char *want, unsigned seed)
{
	struct run r;
	run_sim(&r, "simsup --seed %u --workload '%s expect-end p0 7000 %s' -- %s closer 7000 %s", seed,
		example("netprobe"), want, example("netprobe"), server_mode);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, want), "%s", r.out);
	run_free(&r);
}

Test(net_close, orderly_close_is_eof_after_the_data)
{
	ends("orderly", "eof", 1);
}

Test(net_close, linger_zero_close_is_a_reset)
{
	ends("linger0", "reset", 2);
}

Test(net_close, close_with_unread_data_is_a_reset)
{
	ends("unread", "reset", 3);
}

Test(net_close, half_close_keeps_the_other_direction)
{
	struct run r;
	run_sim(&r, "simsup --seed 4 --workload '%s halfclose-client p0 7000' -- %s halfclose-server 7000",
		example("netprobe"), example("netprobe"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "half-close: got 10000"), "%s", r.out);
	run_free(&r);
}

Test(net_close, resets_and_closes_are_in_the_trace)
{
	char *dir = scratch_dir();
	struct run r;
	run_sim(&r, "simsup --seed 5 --run-dir %s/run --workload '%s expect-end p0 7000 reset' -- %s closer 7000 linger0",
		dir, example("netprobe"), example("netprobe"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	char run_dir[4200];
	snprintf(run_dir, sizeof run_dir, "%s/run", dir);
	cr_expect_eq(trace_count(run_dir, "net-rst"), 1);
	cr_expect_eq(trace_count(run_dir, "net-reset"), 1);
	cr_expect_geq(trace_count(run_dir, "net-send"), 2);
	cr_expect_geq(trace_count(run_dir, "net-deliver"), 2);
	run_free(&r);
}
