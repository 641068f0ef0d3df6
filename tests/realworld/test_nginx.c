/*
 * nginx from Debian, unmodified: a master forks two workers that share one
 * listening socket; curl, unmodified, asks each server several times.
 */
#include "realworld.h"

Test(nginx, master_and_workers_serve_curl_deterministically)
{
	need_program("/usr/sbin/nginx");
	need_program("curl");
	char *conf = source_file("nginx.conf");
	char first[40] = "";
	for (int i = 0; i < 3; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_sim(&r, "simsup %s --run-dir %s/run --seed 5 --procs 2 --workload "
			    "\"sh -c 'sleep 1; for i in 1 2 3; do curl -s http://{ip:0}:8080/; "
			    "curl -s http://{ip:1}:8080/; done'\" -- /usr/sbin/nginx -c %s -p .",
			WATCHDOG, dir, conf);
		cr_assert_eq(r.status, 0, "%s", r.err);
		const char *p = r.out;
		int n0 = 0, n1 = 0;
		while ((p = strstr(p, "w0 | hello from nginx 10.0.1."))) {
			p += strlen("w0 | hello from nginx 10.0.1.");
			n0 += *p == '1';
			n1 += *p == '2';
		}
		cr_expect(n0 == 3 && n1 == 3, "answers: %s", r.out);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i + 1);
		run_free(&r);
		scratch_remove(dir);
		free(dir);
	}
	free(conf);
}
