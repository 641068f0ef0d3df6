/*
 * The latency model and its option: --latency MIN:MAX[:TAILPCT:TAILMAX].
 */
#include "net_harness.h"

Test(net_latency, fixed_latency_makes_the_handshake_two_deliveries)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --latency 5ms:5ms --workload '%s nbconnect 10.0.1.1 7000' -- %s 7000",
		example("netprobe"), example("echo_server"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	long long ns = number_after(r.out, "connected after ");
	cr_expect(ns >= 10000000 && ns < 10100000, "connect took %lld ns, want 10ms", ns);
	run_free(&r);
}

Test(net_latency, malformed_latency_is_a_usage_error)
{
	const char *bad[] = { "5ms", "1ms:2ms:3", "2ms:1ms", "1ms:2ms:0.1:1ms", "1ms:2ms:150:9ms", "x:y" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct run r;
		run_sim(&r, "simsup --latency %s -- true", bad[i]);
		cr_expect_eq(r.status, 2, "--latency %s: status %d", bad[i], r.status);
		cr_expect(strstr(r.err, "--latency"), "--latency %s: %s", bad[i], r.err);
		run_free(&r);
	}
}

Test(net_latency, same_seed_same_latencies_other_seed_others)
{
	char hash[3][40];
	for (int i = 0; i < 3; i++) {
		struct run r;
		run_sim(&r, "simsup --seed %d --workload '%s p0 7000 50' -- %s 7000", i < 2 ? 7 : 8,
			example("echo_client"), example("echo_server"));
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		snprintf(hash[i], sizeof hash[i], "%s", trace_hash(&r));
		run_free(&r);
	}
	cr_expect_str_eq(hash[0], hash[1]);
	cr_expect_str_neq(hash[0], hash[2]);
}
