/*
 * Flow and readiness on virtual sockets: backpressure when a writer
 * outpaces its reader, one listener shared by forked processes, EPOLLET and
 * EPOLLONESHOT.
 */
#include "net_harness.h"

Test(net_flow, backpressure_parks_the_writer_and_loses_nothing)
{
	char *dir = scratch_dir();
	struct run r;
	/* the reader takes 4 KiB a millisecond: about a second for 4 MB */
	run_sim(&r, "simsup --seed 1 --run-dir %s/run --workload '%s fast-writer p0 7000 4000000' -- %s slow-reader 7000 4000000",
		dir, example("netprobe"), example("netprobe"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	long long ns = number_after(r.out, "bytes written in ");
	/* a writer that never waited would be done in a few milliseconds */
	cr_expect(ns > 500000000, "the writer finished after %lld ns: it did not wait", ns);
	cr_expect(strstr(r.out, "reader: 4000000 bytes intact"), "%s", r.out);
	run_free(&r);
}

Test(net_flow, one_listener_shared_by_forked_processes)
{
	struct run r;
	run_sim(&r, "simsup --seed 2 --workload '%s multi-client p0 7000 12' -- %s forked-server 7000 3",
		example("netprobe"), example("netprobe"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "12 connections answered by"), "%s", r.out);
	run_free(&r);
}

Test(net_flow, epollet_and_epolloneshot_on_virtual_sockets)
{
	struct run r;
	run_sim(&r, "simsup --seed 3 --latency 100us:800us --workload '%s edge-client p0 7000' -- %s edge-server 7000",
		example("netprobe"), example("netprobe"));
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "edge: ok"), "%s", r.out);
	cr_expect(strstr(r.out, "edge client: ok"), "%s", r.out);
	run_free(&r);
}
