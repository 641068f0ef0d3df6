/*
 * haproxy from Debian, unmodified, balancing round-robin over two python
 * http.server backends; curl asks four times through it.
 */
#include "realworld.h"

Test(haproxy, round_robin_over_two_backends_deterministically)
{
	need_program("/usr/sbin/haproxy");
	need_program("curl");
	need_program("/usr/bin/python3");
	char *node = source_file("haproxy-node.sh");
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_sim(&r, "simsup %s --run-dir %s/run --seed 1 --procs 3 --workload "
			    "\"sh -c 'sleep 2; for i in 1 2 3 4; do curl -s http://{ip:0}:8000/; done'\" -- %s",
			WATCHDOG, dir, node);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_expect(strstr(r.out, "w0 | backend 10.0.1.2\nw0 | backend 10.0.1.3\nw0 | backend 10.0.1.2\n"
					"w0 | backend 10.0.1.3\n"), "%s", r.out);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "second run differs");
		run_free(&r);
		scratch_remove(dir);
		free(dir);
	}
	free(node);
}
