/*
 * Every malformed command line gets one line naming the argument and exit
 * status 2; a program that cannot run under simsup is refused before
 * anything starts.
 */
#include "harness.h"

static void expect_usage_error(const char *args, const char *needle)
{
	struct run r;
	run_sim(&r, "simsup %s", args);
	cr_expect_eq(r.status, 2, "simsup %s: exit %d, want 2; stderr: %s", args, r.status, r.err);
	cr_expect(strstr(r.err, needle), "simsup %s: stderr lacks \"%s\": %s", args, needle, r.err);
	int lines = 0;
	for (const char *p = r.err; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 1, "simsup %s: want one line, got: %s", args, r.err);
	run_free(&r);
}

Test(cli_errors, bad_procs) { expect_usage_error("--procs x -- true", "--procs"); }
Test(cli_errors, zero_procs) { expect_usage_error("--procs 0 -- true", "--procs"); }
Test(cli_errors, bad_tag) { expect_usage_error("--tag role -- true", "--tag"); }
Test(cli_errors, bad_duration) { expect_usage_error("--time-limit 5q -- true", "--time-limit"); }
Test(cli_errors, bad_seed) { expect_usage_error("--seed -3 -- true", "--seed"); }
Test(cli_errors, unknown_option) { expect_usage_error("--frobnicate -- true", "--frobnicate"); }
Test(cli_errors, missing_command) { expect_usage_error("--seed 1", "command"); }
Test(cli_errors, bad_placeholder) { expect_usage_error("-- echo {ip:9}", "{ip:9}"); }
Test(cli_errors, missing_program) { expect_usage_error("-- /nonexistent/prog", "no such file"); }
Test(cli_errors, directory_program) { expect_usage_error("-- /tmp", "directory"); }

Test(cli_errors, not_executable)
{
	char path[] = "/tmp/simsup-noexec-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	char args[128];
	snprintf(args, sizeof args, "-- %s", path);
	expect_usage_error(args, "not executable");
	unlink(path);
}

Test(cli_errors, help_and_version)
{
	struct run r;
	cr_expect_eq(run_sim(&r, "simsup --help"), 0);
	cr_expect(strstr(r.out, "--procs") && strstr(r.out, "{peers}"), "help: %s", r.out);
	run_free(&r);
	cr_expect_eq(run_sim(&r, "simsup --version"), 0);
	cr_expect(strstr(r.out, "simsup "), "version: %s", r.out);
	run_free(&r);
}
