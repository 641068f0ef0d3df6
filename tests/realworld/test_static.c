/*
 * Statically linked programs nobody here wrote, unmodified: busybox from
 * Debian's busybox-static, a program linked with musl, and a Go HTTP
 * server built with CGO_ENABLED=0 (tests/realworld/gohttp/main.go, built
 * here).  The shim runs each itself (interposer/staticexec.c); each must
 * see virtual time and pids and give one trace hash per seed.
 */
#include "realworld.h"

/* Skips unless PROG is installed and statically linked. */
static char *need_static(const char *prog, const char *package)
{
	need_program(prog);
	char *cmd;
	cr_assert(asprintf(&cmd, "readelf -l \"$(command -v %s)\" | grep -q 'program interpreter'",
			   prog) > 0);
	int st = system(cmd);
	free(cmd);
	if (st == 0)
		cr_skip_test("SKIPPED: %s is dynamically linked here (apt-get install %s)", prog,
			     package);
	char *path;
	cr_assert(asprintf(&path, "%s", prog) > 0);
	return path;
}

/* Runs CMD (with one %s for --run-dir) for SEED twice; returns the
 * first run's stdout; both must pass with one trace hash. */
static char *twice_same_hash(const char *cmd, int seed)
{
	char first[40] = "", *out = NULL;
	for (int i = 0; i < 2; i++) {
		char *dir = scratch_dir(), *full;
		cr_assert(asprintf(&full, "simsup " WATCHDOG " --seed %d --run-dir %s/run %s", seed,
				   dir, cmd) > 0);
		struct run r;
		run_sim(&r, "%s", full);
		cr_assert_eq(r.status, 0, "run %d\nstdout: %s\nstderr: %s", i, r.out, r.err);
		if (i == 0) {
			snprintf(first, sizeof first, "%s", trace_hash(&r));
			out = strdup(r.out);
		} else {
			cr_expect_str_eq(trace_hash(&r), first, "run %d differs", i + 1);
		}
		run_free(&r);
		free(full);
		scratch_remove(dir);
		free(dir);
	}
	cr_expect_neq(first[0], 0, "no trace hash printed");
	return out;
}

/* Removes the scratch dir and frees what a test allocated. */
static void finish(char *dir, char *a, char *b, char *c)
{
	scratch_remove(dir);
	free(dir);
	free(a);
	free(b);
	free(c);
}

Test(static_rw, busybox_date_and_shell_on_virtual_time, .timeout = 120)
{
	free(need_static("busybox", "busybox-static"));
	char *out = twice_same_hash("-- busybox sh -c 'echo pid $$; date; sleep 2; date +%s; "
				    "busybox date -u +%Y'", 3);
	cr_expect(strstr(out, "p0 | pid 100\n"), "%s", out);
	cr_expect(strstr(out, "p0 | Wed Jan  1 00:00:00 UTC 2025\n"), "%s", out);
	cr_expect(strstr(out, "p0 | 1735689602\n"), "%s", out);
	cr_expect(strstr(out, "p0 | 2025\n"), "%s", out);
	free(out);
}

/* busybox httpd forks a child per connection; the workload is busybox too,
 * exec'd by a (dynamic) shell. */
Test(static_rw, busybox_httpd_serves_busybox_wget, .timeout = 120)
{
	free(need_static("busybox", "busybox-static"));
	char *dir = scratch_dir(), *cmd, *page;
	cr_assert(asprintf(&page, "%s/index.html", dir) > 0);
	FILE *f = fopen(page, "w");
	cr_assert(f);
	fputs("hello from busybox httpd\n", f);
	fclose(f);
	cr_assert(asprintf(&cmd, "--workload \"sh -c 'sleep 1; busybox wget -q -O - "
				 "http://{ip:0}:8080/index.html; busybox wget -q -O - "
				 "http://{ip:0}:8080/index.html'\" -- busybox httpd -f -p {ip}:8080 -h %s",
			   dir) > 0);
	char *out = twice_same_hash(cmd, 4);
	cr_expect_eq(count_of(out, "w0 | hello from busybox httpd\n"), 2, "%s", out);
	finish(dir, out, cmd, page);
}

Test(static_rw, musl_static_program, .timeout = 120)
{
	need_program("musl-gcc");
	char *dir = scratch_dir(), *src = source_file("../integration/static/static_prog.c"), *cmd;
	cr_assert(asprintf(&cmd, "musl-gcc -O2 -static -pthread -D_GNU_SOURCE -o %s/prog %s", dir,
			   src) > 0);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
	cr_assert(asprintf(&cmd, "-- %s/prog x", dir) > 0);
	char *out = twice_same_hash(cmd, 1);
	cr_expect(strstr(out, "p0 | start pid 100 ppid 1 realtime 1735689600 args 2 x\n"), "%s", out);
	cr_expect(strstr(out, "p0 | thread 3 tid 103 tls 10 mono 1000."), "%s", out);
	cr_expect(strstr(out, "p0 | child pid 104 ppid 100\n"), "%s", out);
	cr_expect(strstr(out, "p0 | tcp ping from 127.0.0.1\n"), "%s", out);
	cr_expect(strstr(out, "p0 | after sleep realtime 1735689603 rdtsc advanced 3s\n"), "%s", out);
	finish(dir, out, cmd, src);
}

Test(static_rw, go_http_server_built_with_cgo_disabled, .timeout = 300)
{
	need_program("go");
	char *dir = scratch_dir(), *src = source_file("gohttp/main.go"), *cmd;
	/* the toolchain's cache lives in the build tree (meson.build): the
	 * first build compiles net/http, later ones take a second */
	const char *cache = getenv("SIMSUP_GOCACHE");
	cr_assert(cache && *cache, "SIMSUP_GOCACHE is not set: run the tests through meson test");
	cr_assert(asprintf(&cmd, "cd %s && GOCACHE=%s GOPATH=%s/gopath GO111MODULE=off "
				 "CGO_ENABLED=0 go build -o %s/gohttp %s",
			   dir, cache, dir, dir, src) > 0);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
	cr_assert(asprintf(&cmd, "readelf -l %s/gohttp | grep -q 'program interpreter'", dir) > 0);
	cr_assert_neq(system(cmd), 0, "the Go server is not static");
	free(cmd);
	cr_assert(asprintf(&cmd, "--procs 2 --workload \"sh -c 'sleep 1; for i in 1 2 3; do "
				 "curl -s http://{ip:0}:8080/; curl -s http://{ip:1}:8080/; done'\" "
				 "-- %s/gohttp {ip}:8080", dir) > 0);
	need_program("curl");
	char *out = twice_same_hash(cmd, 5);
	cr_expect(strstr(out, "p0 | go server pid 100 listening on 10.0.1.1:8080\n"), "%s", out);
	cr_expect(strstr(out, "p1 | go server pid 100 listening on 10.0.1.2:8080\n"), "%s", out);
	cr_expect(strstr(out, "w0 | go pid 100 request 1 at 2025-01-01T00:00:01Z"), "%s", out);
	cr_expect(strstr(out, "w0 | go pid 100 request 3 at 2025-01-01T00:00:01Z"), "%s", out);
	cr_expect_eq(count_of(out, "w0 | go pid 100 request "), 6, "%s", out);
	finish(dir, out, cmd, src);
}
