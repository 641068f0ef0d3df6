/*
 * RabbitMQ 3.10 from Debian (Erlang/OTP 25), unmodified, as one node
 * (tests/realworld/rabbit-node.sh): it answers AMQP 0-9-1 connections
 * (tests/realworld/rabbit-check.sh), is crashed, and answers again once
 * it has started anew: epmd, erl_child_setup and the Erlang schedulers of
 * the new boot, on a node whose /tmp is empty again.
 *
 * One run, not two (--check-determinism is the manual check in
 * docs/compatibility.md): each start-up of the BEAM makes about 120,000
 * turns, most of a minute of wall time for the crash and the restart.
 */
#include "realworld.h"

Test(rabbitmq, answers_amqp_before_a_crash_and_after_its_restart, .timeout = 400)
{
	need_program("/usr/lib/rabbitmq/bin/rabbitmq-server");
	need_program("/usr/bin/python3");
	char *dir = scratch_dir(), *node = source_file("rabbit-node.sh"),
	     *check = source_file("rabbit-check.sh");
	struct run r;
	/* the listener comes up at about 1 s of virtual time, earlier or
	 * later with the Erlang applications the host has installed (the
	 * code server lists them at boot: 0.96 s to 1.02 s seen), and the
	 * check asks every 0.5 s: the first answer comes at 1 s or 1.5 s.
	 * The node is down 2.2-3.2 s; the check waits 2.5 s after its first
	 * answer, so that the second can only come from the second boot. */
	run_sim(&r, "simsup --seed 1 --keep --run-dir %s/run " WATCHDOG
		    " --reboot at=2200ms,proc=0,kind=crash,down=1s --workload '%s {ip:0} 2 2.5' -- %s", dir,
		    check, node);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "w0 | check 1: the broker answered\n"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | check 2: the broker answered\n"), "%s", r.out);
	char *trace = run_file(dir, "run/trace.jsonl");
	cr_expect(trace && strstr(trace, "\"kind\":\"crash\",\"node\":\"p0\""), "no crash of p0 in the trace");
	free(trace);
	/* the first boot's broker answered, then the second boot's */
	char *log = run_file(dir, "run/logs/p0.out");
	cr_assert(log && count_of(log, "Starting RabbitMQ 3.10") == 2, "%s", log);
	char *second = strstr(strstr(log, "Starting RabbitMQ 3.10") + 1, "Starting RabbitMQ 3.10");
	char *first_conn = strstr(log, "accepting AMQP connection");
	cr_expect(first_conn && first_conn < second, "the first boot answered nobody: %s", log);
	cr_expect(strstr(second, "accepting AMQP connection"), "the second boot answered nobody: %s", log);
	free(log);
	run_free(&r);
	free(node);
	free(check);
	scratch_remove(dir);
}
