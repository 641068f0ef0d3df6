/*
 * Unmodified programs nobody here wrote, talking over the virtual network:
 * Python's http.server with a urllib client, and OpenBSD netcat.  Skipped
 * (loudly) when the program is not installed.  The command lines are the
 * ones docs/network.md shows.
 */
#include "net_harness.h"

/* The client lives alone in its own directory: Python lists the script's
 * directory while importing, and a directory that changes between runs
 * would change the run. */
static char *python_client(void)
{
	char *dir = scratch_dir(), *path;
	cr_assert(asprintf(&path, "%s/fetch.py", dir) > 0);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("import sys, time, urllib.request\n"
	      "opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
	      "for attempt in range(100):\n"
	      "    try:\n"
	      "        body = opener.open(sys.argv[1], timeout=10).read()\n"
	      "        break\n"
	      "    except OSError:\n"
	      "        time.sleep(0.1)\n"
	      "else:\n"
	      "    sys.exit('fetch: the server never answered')\n"
	      "print('fetched', len(body), 'bytes')\n"
	      "sys.exit(0 if b'Directory listing' in body else 1)\n", f);
	fclose(f);
	return path;
}

#define HTTP "simsup --seed %u --workload '/usr/bin/python3 %s http://10.0.1.1:8000/' " \
	     "-- /usr/bin/python3 -m http.server --bind {ip} 8000"

Test(net_realworld, python_http_server_serves_a_urllib_client, .timeout = 120)
{
	need_program("/usr/bin/python3");
	char *client = python_client();
	struct run r;
	run_sim(&r, HTTP, 1u, client);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "\"GET / HTTP/1.1\" 200"), "%s", r.out);
	cr_expect(strstr(r.out, "w0 | fetched"), "%s", r.out);
	run_free(&r);
}

Test(net_realworld, python_http_same_seed_same_trace_hash, .timeout = 120)
{
	need_program("/usr/bin/python3");
	char *client = python_client();
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		struct run r;
		run_sim(&r, HTTP, 9u, client);
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first);
		run_free(&r);
	}
}

Test(net_realworld, netcat_carries_a_line)
{
	need_program("/bin/nc.openbsd");
	struct run r;
	run_sim(&r, "simsup --seed 3 --workload \"sh -c 'echo hello over netcat | /bin/nc.openbsd -N 10.0.1.1 9000'\" "
		    "-- /bin/nc.openbsd -lk {ip} 9000");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | hello over netcat"), "%s", r.out);
	run_free(&r);
}
