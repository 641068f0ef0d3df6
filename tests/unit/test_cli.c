/*
 * test_cli.c — unit tests of supervisor/cli.c: option parsing, defaults,
 * error lines, durations, epochs, tags and placeholder expansion.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define NS_S INT64_C(1000000000)
#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct sup_opts opts;
static char err[256];

/* Parses the NULL-terminated argument list after "simsup". */
static int parse_v(const char *const *args)
{
	char *argv[600];
	int argc = 0;

	argv[argc++] = "simsup";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	err[0] = '\0';
	return sup_cli_parse(argc, argv, &opts, err, sizeof(err));
}

#define PARSE(...) parse_v((const char *const[]){ __VA_ARGS__, NULL })

static void teardown(void)
{
	sup_cli_free(&opts);
}

/* Parses expecting -1 and an error line containing each of the needles. */
static void expect_error(const char *const *args, const char *n1, const char *n2)
{
	int r = parse_v(args);

	cr_assert_eq(r, -1, "args starting \"%s\": expected -1, got %d", args[0], r);
	cr_assert(strstr(err, n1), "err \"%s\" lacks \"%s\"", err, n1);
	if (n2)
		cr_assert(strstr(err, n2), "err \"%s\" lacks \"%s\"", err, n2);
	cr_assert(!strchr(err, '\n'), "err has a newline: \"%s\"", err);
	cr_assert(strncmp(err, "simsup", 6) != 0, "err has a prefix: \"%s\"", err);
}

#define EXPECT_ERR(n1, n2, ...) \
	expect_error((const char *const[]){ __VA_ARGS__, NULL }, n1, n2)

TestSuite(cli, .fini = teardown);

/* ---- defaults and each option ---------------------------------------- */

Test(cli, defaults)
{
	cr_assert_eq(PARSE("--", "server"), 0, "%s", err);
	cr_assert_eq(opts.procs, 1);
	cr_assert_eq(opts.ntags, 0);
	cr_assert_null(opts.tags);
	cr_assert_not(opts.seed_set);
	cr_assert_eq(opts.time_limit_ns, 86400 * NS_S);
	cr_assert_null(opts.run_dir);
	cr_assert_eq(opts.epoch_ns, INT64_C(1735689600) * NS_S);
	cr_assert_eq(opts.verbosity, 0);
	cr_assert_not(opts.check_determinism);
	cr_assert_eq(opts.tick_ns, 1000);
	cr_assert_eq(opts.preempt_permille, 0);
	cr_assert_eq(opts.watchdog_ns, 30 * NS_S);
	cr_assert_eq(opts.nworkloads, 0);
	cr_assert_eq(opts.argc, 1);
	cr_assert_str_eq(opts.argv[0], "server");
	cr_assert_null(opts.argv[1]);
}

Test(cli, every_option)
{
	int r = PARSE("--procs", "5", "--tag", "role=leader,follower",
		      "--tag=zone=a,b,c", "--seed", "18446744073709551615",
		      "--time-limit", "90s", "--run-dir", "/tmp/run",
		      "--epoch", "@1700000000", "-v", "--verbose",
		      "--check-determinism", "--tick", "250ns", "--preempt", "1000",
		      "--watchdog", "2m", "--workload", "client {ip:0}",
		      "--workload", "bench", "--", "srv", "-p", "{index}");

	cr_assert_eq(r, 0, "%s", err);
	cr_assert_eq(opts.procs, 5);
	cr_assert_eq(opts.ntags, 2);
	cr_assert_str_eq(opts.tags[0].key, "role");
	cr_assert_eq(opts.tags[0].nvalues, 2);
	cr_assert_str_eq(opts.tags[0].values[1], "follower");
	cr_assert_str_eq(opts.tags[1].key, "zone");
	cr_assert_eq(opts.tags[1].nvalues, 3);
	cr_assert(opts.seed_set);
	cr_assert_eq(opts.seed, UINT64_MAX);
	cr_assert_eq(opts.time_limit_ns, 90 * NS_S);
	cr_assert_str_eq(opts.run_dir, "/tmp/run");
	cr_assert_eq(opts.epoch_ns, INT64_C(1700000000) * NS_S);
	cr_assert_eq(opts.verbosity, 2);
	cr_assert(opts.check_determinism);
	cr_assert_eq(opts.tick_ns, 250);
	cr_assert_eq(opts.preempt_permille, 1000);
	cr_assert_eq(opts.watchdog_ns, 120 * NS_S);
	cr_assert_eq(opts.nworkloads, 2);
	cr_assert_str_eq(opts.workloads[0], "client {ip:0}");
	cr_assert_str_eq(opts.workloads[1], "bench");
	cr_assert_eq(opts.argc, 3);
	cr_assert_str_eq(opts.argv[0], "srv");
	cr_assert_str_eq(opts.argv[2], "{index}");
	cr_assert_null(opts.argv[3]);
}

Test(cli, seed_zero_is_set)
{
	cr_assert_eq(PARSE("--seed", "0", "x"), 0, "%s", err);
	cr_assert(opts.seed_set);
	cr_assert_eq(opts.seed, 0);
}

Test(cli, verbosity)
{
	cr_assert_eq(PARSE("-vv", "x"), 0, "%s", err);
	cr_assert_eq(opts.verbosity, 2);
	sup_cli_free(&opts);
	cr_assert_eq(PARSE("-q", "x"), 0, "%s", err);
	cr_assert_eq(opts.verbosity, -1);
	sup_cli_free(&opts);
	cr_assert_eq(PARSE("--quiet", "x"), 0, "%s", err);
	cr_assert_eq(opts.verbosity, -1);
	sup_cli_free(&opts);
	EXPECT_ERR("--quiet", "--verbose", "-q", "-v", "x");
}

Test(cli, range_limits)
{
	cr_assert_eq(PARSE("--procs", "1000", "--preempt", "0", "x"), 0, "%s", err);
	cr_assert_eq(opts.procs, 1000);
	sup_cli_free(&opts);
	cr_assert_eq(PARSE("--procs", "1", "x"), 0, "%s", err);
	cr_assert_eq(opts.procs, 1);
}

Test(cli, repeated_scalar_option_last_wins)
{
	cr_assert_eq(PARSE("--procs", "2", "--procs", "3", "--run-dir", "a",
			   "--run-dir", "b", "x"), 0, "%s", err);
	cr_assert_eq(opts.procs, 3);
	cr_assert_str_eq(opts.run_dir, "b");
}

/* --chaos used to free the --clock list (found by tests/fuzz/fuzz_cli:
 * a use after free in sup_faults_check, and a leak without --chaos). */
Test(cli, chaos_keeps_the_clocks)
{
	cr_assert_eq(PARSE("--clock", "at=1s,proc=0,jump=1s", "--chaos", "--clock",
			   "at=2s,proc=0,drift=5ppm", "--", "x"), 0, "%s", err);
	cr_assert_eq(opts.nclocks, 2);
	cr_expect_str_eq(opts.clocks[0], "at=1s,proc=0,jump=1s");
	cr_expect_str_eq(opts.clocks[1], "at=2s,proc=0,drift=5ppm");
	cr_expect_str_eq(opts.chaos, "");
}

Test(cli, long_option_abbreviation)
{
	cr_assert_eq(PARSE("--proc", "4", "x"), 0, "%s", err);
	cr_assert_eq(opts.procs, 4);
}

/* ---- the command ------------------------------------------------------ */

Test(cli, command_without_double_dash)
{
	cr_assert_eq(PARSE("--procs", "2", "server", "--procs", "9", "--"), 0, "%s", err);
	cr_assert_eq(opts.procs, 2);
	cr_assert_eq(opts.argc, 4);
	cr_assert_str_eq(opts.argv[0], "server");
	cr_assert_str_eq(opts.argv[1], "--procs");
	cr_assert_str_eq(opts.argv[3], "--");
}

Test(cli, options_after_double_dash_belong_to_command)
{
	cr_assert_eq(PARSE("--", "--procs", "7", "-v"), 0, "%s", err);
	cr_assert_eq(opts.procs, 1);
	cr_assert_eq(opts.verbosity, 0);
	cr_assert_eq(opts.argc, 3);
	cr_assert_str_eq(opts.argv[0], "--procs");
	cr_assert_str_eq(opts.argv[2], "-v");
}

Test(cli, second_double_dash_is_kept)
{
	cr_assert_eq(PARSE("--", "sh", "--", "x"), 0, "%s", err);
	cr_assert_eq(opts.argc, 3);
	cr_assert_str_eq(opts.argv[1], "--");
}

Test(cli, single_dash_is_a_command)
{
	cr_assert_eq(PARSE("-"), 0, "%s", err);
	cr_assert_str_eq(opts.argv[0], "-");
}

Test(cli, missing_command)
{
	EXPECT_ERR("missing command: give it after --", NULL, "--procs", "2");
	EXPECT_ERR("missing command", NULL, "--procs", "2", "--");
	cr_assert_eq(sup_cli_parse(1, (char *[]){ "simsup", NULL }, &opts, err,
				   sizeof(err)), -1);
	cr_assert(strstr(err, "missing command"), "%s", err);
}

/* ---- malformed options ------------------------------------------------ */

Test(cli, bad_procs)
{
	EXPECT_ERR("--procs \"x\": expected a whole number from 1 to 1000", NULL,
		   "--procs", "x", "srv");
	EXPECT_ERR("--procs \"0\"", NULL, "--procs", "0", "srv");
	EXPECT_ERR("--procs \"1001\"", NULL, "--procs", "1001", "srv");
	EXPECT_ERR("--procs \"-1\"", NULL, "--procs", "-1", "srv");
	EXPECT_ERR("--procs \"+3\"", NULL, "--procs", "+3", "srv");
	EXPECT_ERR("--procs \" 3\"", NULL, "--procs", " 3", "srv");
	EXPECT_ERR("--procs \"3x\"", NULL, "--procs", "3x", "srv");
	EXPECT_ERR("--procs \"\"", NULL, "--procs=", "srv");
	EXPECT_ERR("--procs \"99999999999999999999999\"", NULL,
		   "--procs", "99999999999999999999999", "srv");
}

Test(cli, bad_preempt)
{
	EXPECT_ERR("--preempt \"1001\"", "0 to 1000", "--preempt", "1001", "srv");
	EXPECT_ERR("--preempt \"0.5\"", NULL, "--preempt", "0.5", "srv");
	EXPECT_ERR("--preempt \"-1\"", NULL, "--preempt", "-1", "srv");
}

Test(cli, bad_seed)
{
	EXPECT_ERR("--seed \"18446744073709551616\"", "whole number",
		   "--seed", "18446744073709551616", "srv");
	EXPECT_ERR("--seed \"-1\"", NULL, "--seed", "-1", "srv");
	EXPECT_ERR("--seed \"0x10\"", NULL, "--seed", "0x10", "srv");
	EXPECT_ERR("--seed \"\"", NULL, "--seed", "", "srv");
}

Test(cli, bad_tag)
{
	EXPECT_ERR("--tag \"role\": expected KEY=V1,V2,...", NULL, "--tag", "role", "s");
	EXPECT_ERR("--tag \"=a\"", "KEY=V1,V2", "--tag", "=a", "s");
	EXPECT_ERR("--tag \"1x=a\"", NULL, "--tag", "1x=a", "s");
	EXPECT_ERR("--tag \"a-b=a\"", NULL, "--tag", "a-b=a", "s");
	EXPECT_ERR("--tag \"role=\"", NULL, "--tag", "role=", "s");
	EXPECT_ERR("--tag \"role=a,,b\"", NULL, "--tag", "role=a,,b", "s");
	EXPECT_ERR("--tag \"role=a,\"", NULL, "--tag", "role=a,", "s");
	EXPECT_ERR("--tag \"role=,a\"", NULL, "--tag", "role=,a", "s");
}

Test(cli, repeated_tag_key)
{
	EXPECT_ERR("--tag \"role=c\"", "twice", "--tag", "role=a,b", "--tag", "role=c", "s");
	EXPECT_ERR("--tag \"ROLE=c\"", "twice", "--tag", "role=a", "--tag", "ROLE=c", "s");
}

Test(cli, good_tag_keys)
{
	cr_assert_eq(PARSE("--tag", "_a1=x", "--tag", "Zone_2=a=b,c d", "s"), 0, "%s", err);
	cr_assert_eq(opts.ntags, 2);
	cr_assert_str_eq(opts.tags[1].values[0], "a=b");
	cr_assert_str_eq(opts.tags[1].values[1], "c d");
}

Test(cli, bad_durations)
{
	EXPECT_ERR("--time-limit \"5q\": expected a duration such as 90s, 10m, 2h",
		   NULL, "--time-limit", "5q", "s");
	EXPECT_ERR("--time-limit \"0\"", NULL, "--time-limit", "0", "s");
	EXPECT_ERR("--tick \"-1us\"", "duration", "--tick", "-1us", "s");
	EXPECT_ERR("--tick \"\"", NULL, "--tick", "", "s");
	EXPECT_ERR("--watchdog \"ten\"", "duration", "--watchdog", "ten", "s");
}

Test(cli, bad_epoch)
{
	EXPECT_ERR("--epoch \"yesterday\"", "YYYY-MM-DD", "--epoch", "yesterday", "s");
	EXPECT_ERR("--epoch \"2025-13-01\"", NULL, "--epoch", "2025-13-01", "s");
}

Test(cli, bad_run_dir_and_workload)
{
	EXPECT_ERR("--run-dir \"\"", NULL, "--run-dir", "", "s");
	EXPECT_ERR("--workload \"\"", NULL, "--workload", "", "s");
	EXPECT_ERR("--workload \"  \"", NULL, "--workload", "  ", "s");
}

Test(cli, too_many_workloads)
{
	const char *args[2 * 256 + 2];
	int k = 0;

	for (int i = 0; i < 256; i++) {
		args[k++] = "--workload";
		args[k++] = "w";
	}
	args[k++] = "s";
	args[k] = NULL;
	cr_assert_eq(parse_v(args), -1);
	cr_assert(strstr(err, "--workload"), "%s", err);
	args[2 * 255] = "s";
	args[2 * 255 + 1] = NULL;
	cr_assert_eq(parse_v(args), 0, "%s", err);
	cr_assert_eq(opts.nworkloads, 255);
}

Test(cli, unknown_options)
{
	EXPECT_ERR("unknown option --frob", NULL, "--frob", "s");
	EXPECT_ERR("unknown option --frob", NULL, "--frob=3", "s");
	EXPECT_ERR("unknown option -x", NULL, "-x", "s");
	EXPECT_ERR("unknown option -x", NULL, "-vx", "s");
	EXPECT_ERR("unknown option -x", NULL, "-xv", "s");
	EXPECT_ERR("ambiguous option --t", NULL, "--t", "1", "s");
}

Test(cli, option_value_mismatch)
{
	EXPECT_ERR("--procs", "needs a value", "--procs");
	EXPECT_ERR("--workload", "needs a value", "--workload");
	EXPECT_ERR("--quiet", "takes no value", "--quiet=1", "s");
	EXPECT_ERR("--check-determinism", "takes no value", "--check-determinism=yes", "s");
	EXPECT_ERR("--verbose", "takes no value", "--verbose=2", "s");
}

Test(cli, error_is_one_printable_line)
{
	EXPECT_ERR("--procs \"1?2\"", NULL, "--procs", "1\n2", "s");
}

Test(cli, error_is_truncated_to_errlen)
{
	char small[12];
	char *argv[] = { "simsup", "--procs", "nonsense", "s", NULL };

	cr_assert_eq(sup_cli_parse(4, argv, &opts, small, sizeof(small)), -1);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert_eq(sup_cli_parse(4, argv, &opts, NULL, 0), -1);
}

Test(cli, reparse_after_error)
{
	EXPECT_ERR("--frob", NULL, "-v", "--frob", "s");
	cr_assert_eq(PARSE("-q", "s"), 0, "%s", err);
	cr_assert_eq(opts.verbosity, -1);
	cr_assert_str_eq(opts.argv[0], "s");
}

Test(cli, failed_parse_leaves_freeable_defaults)
{
	EXPECT_ERR("--procs", NULL, "--tag", "a=b", "--workload", "w",
		   "--run-dir", "d", "--procs", "x", "s");
	cr_assert_eq(opts.ntags, 0);
	cr_assert_null(opts.tags);
	cr_assert_null(opts.workloads);
	cr_assert_null(opts.run_dir);
	cr_assert_eq(opts.procs, 1);
	sup_cli_free(&opts);
	sup_cli_free(&opts);
}

/* ---- --help and --version --------------------------------------------- */

static void redirect(void)
{
	cr_redirect_stdout();
}

Test(cli, help_returns_1_and_documents_everything, .init = redirect)
{
	static const char *const words[] = {
		"--procs", "--tag", "--seed", "--time-limit", "--run-dir",
		"--epoch", "--verbose", "--quiet", "--check-determinism", "--tick",
		"--preempt", "--watchdog", "--workload", "--help", "--version",
		"{ip}", "{index}", "{boot}", "{tag:KEY}", "{peers}", "{ip:N}",
		"{tag:KEY}", "SIMSUP_IP", "SIMSUP_INDEX", "SIMSUP_BOOT", "SIMSUP_TAG_<KEY>",
		"SIMSUP_PEERS", "SIMSUP_SEED", "SIMSUP_SERVERS", "0 ", "1 ", "2 ",
		"Exit status",
	};
	char buf[8192];
	FILE *f;
	size_t n;

	cr_assert_eq(PARSE("--help"), 1);
	fflush(stdout);
	f = cr_get_redirected_stdout();
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	cr_assert(n > 500 && n < sizeof(buf) - 1, "help is %zu bytes", n);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		cr_assert(strstr(buf, words[i]), "help lacks \"%s\"", words[i]);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		cr_assert(strlen(line) <= 80, "long help line: %s", line);
}

Test(cli, help_wins_over_missing_command, .init = redirect)
{
	cr_assert_eq(PARSE("--procs", "3", "-h"), 1);
	cr_assert_eq(PARSE("--help", "--frob"), 1);
}

Test(cli, version, .init = redirect)
{
	cr_assert_eq(PARSE("--version"), 1);
	fflush(stdout);
#ifdef SIMSUP_VERSION
	cr_assert_stdout_eq_str("simsup " SIMSUP_VERSION "\n");
#else
	cr_assert_stdout_eq_str("simsup 0.1.0\n");
#endif
}

/* ---- durations -------------------------------------------------------- */

static const struct {
	const char *s;
	int64_t ns; /* -1: rejected */
} durations[] = {
	{ "90s", 90 * NS_S }, { "10m", 600 * NS_S }, { "2h", 7200 * NS_S },
	{ "1d", 86400 * NS_S }, { "250ms", 250000000 }, { "100us", 100000 },
	{ "5ns", 5 }, { "1.5s", 1500000000 }, { "7", 7 * NS_S },
	{ "0.5", NS_S / 2 }, { "0", 0 }, { "0s", 0 }, { "1.25m", 75 * NS_S },
	{ "0.001ms", 1000 }, { "1.5ns", 1 }, { "0.1d", 8640 * NS_S },
	{ "007s", 7 * NS_S }, { "1.000000000000000000000000001s", NS_S },
	{ "0.123456789123s", 123456789 },
	{ "9223372036854775807ns", INT64_MAX },
	{ "9223372036s", 9223372036 * NS_S },
	{ "106751d", INT64_C(106751) * 86400 * NS_S },
	{ "9223372036854775808ns", -1 }, { "9223372037s", -1 },
	{ "106752d", -1 }, { "99999999999999999999999", -1 },
	{ "", -1 }, { "s", -1 }, { "-1s", -1 }, { "+1s", -1 }, { " 1s", -1 },
	{ "1s ", -1 }, { "1 s", -1 }, { "5q", -1 }, { "1.s", -1 }, { ".5s", -1 },
	{ "1..5s", -1 }, { "1.5.s", -1 }, { "1S", -1 }, { "1sec", -1 },
	{ "1e3s", -1 }, { "1h30m", -1 }, { "0x10s", -1 }, { "nan", -1 },
};

Test(cli, duration_table)
{
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		int64_t ns = -42;
		int r = sup_parse_duration(durations[i].s, &ns);

		if (durations[i].ns < 0) {
			cr_expect_eq(r, -1, "\"%s\" accepted as %" PRId64,
				     durations[i].s, ns);
			cr_expect_eq(ns, -42, "\"%s\" wrote the output", durations[i].s);
		} else {
			cr_expect_eq(r, 0, "\"%s\" rejected", durations[i].s);
			cr_expect_eq(ns, durations[i].ns, "\"%s\": %" PRId64 " != %" PRId64,
				     durations[i].s, ns, durations[i].ns);
		}
	}
}

Test(cli, duration_null)
{
	int64_t ns;

	cr_assert_eq(sup_parse_duration(NULL, &ns), -1);
}

/* ---- epochs ----------------------------------------------------------- */

static const struct {
	const char *s;
	int64_t secs; /* -1: rejected */
} epochs[] = {
	{ "1700000000", 1700000000 }, { "@1700000000", 1700000000 },
	{ "0", 0 }, { "@0", 0 },
	{ "2025-01-01", 1735689600 }, { "2025-01-01T00:00:00Z", 1735689600 },
	{ "1970-01-01", 0 }, { "2024-02-29", 1709164800 },
	{ "2023-11-14T22:13:20Z", 1700000000 },
	{ "2025-12-31T23:59:59Z", 1767225599 },
	{ "9223372036", 9223372036 },
	{ "9223372037", -1 }, { "2263-01-01", -1 }, { "1969-12-31", -1 },
	{ "", -1 }, { "@", -1 }, { "-5", -1 }, { "@-5", -1 }, { "+5", -1 },
	{ "1.5", -1 }, { "17e8", -1 }, { " 1700000000", -1 }, { "@@1", -1 },
	{ "2025-1-1", -1 }, { "2025-01-01T00:00:00", -1 },
	{ "2025-01-01T00:00Z", -1 }, { "2025-01-01 00:00:00Z", -1 },
	{ "2025-01-01t00:00:00z", -1 }, { "2025-01-01T00:00:00+00:00", -1 },
	{ "2025-02-29", -1 }, { "2025-02-30", -1 }, { "2025-00-10", -1 },
	{ "2025-01-32", -1 }, { "2025-01-01T24:00:00Z", -1 },
	{ "2025-01-01T23:60:00Z", -1 }, { "2025-01-01T23:59:60Z", -1 },
	{ "2025-01-01Z", -1 }, { "tomorrow", -1 }, { "@2025-01-01", -1 },
};

Test(cli, epoch_table)
{
	for (size_t i = 0; i < sizeof(epochs) / sizeof(epochs[0]); i++) {
		int64_t ns = -42;
		int r = sup_parse_epoch(epochs[i].s, &ns);

		if (epochs[i].secs < 0) {
			cr_expect_eq(r, -1, "\"%s\" accepted as %" PRId64, epochs[i].s, ns);
		} else {
			cr_expect_eq(r, 0, "\"%s\" rejected", epochs[i].s);
			cr_expect_eq(ns, epochs[i].secs * NS_S, "\"%s\": %" PRId64,
				     epochs[i].s, ns);
		}
	}
}

Test(cli, epoch_option_iso)
{
	cr_assert_eq(PARSE("--epoch", "2023-11-14T22:13:20Z", "s"), 0, "%s", err);
	cr_assert_eq(opts.epoch_ns, INT64_C(1700000000) * NS_S);
}

/* ---- tags ------------------------------------------------------------- */

Test(cli, tag_round_robin)
{
	cr_assert_eq(PARSE("--procs", "3", "--tag", "role=leader,follower",
			   "--tag", "zone=a,b,c,d", "s"), 0, "%s", err);
	cr_assert_str_eq(sup_tag_value(&opts, "role", 0), "leader");
	cr_assert_str_eq(sup_tag_value(&opts, "role", 1), "follower");
	cr_assert_str_eq(sup_tag_value(&opts, "role", 2), "leader");
	cr_assert_str_eq(sup_tag_value(&opts, "zone", 0), "a");
	cr_assert_str_eq(sup_tag_value(&opts, "zone", 1), "b");
	cr_assert_str_eq(sup_tag_value(&opts, "zone", 2), "c");
	cr_assert_str_eq(sup_tag_value(&opts, "zone", 4), "a");
	cr_assert_str_eq(sup_tag_value(&opts, "ROLE", 1), "follower");
	cr_assert_null(sup_tag_value(&opts, "rack", 0));
	cr_assert_null(sup_tag_value(&opts, "role", -1));
}

/* ---- addresses -------------------------------------------------------- */

static void ip_of(uint32_t ip, char *buf)
{
	sup_ip_str(ip, buf, 16);
}

Test(cli, addresses)
{
	char buf[16];

	ip_of(sup_server_ip(0), buf);
	cr_assert_str_eq(buf, "10.0.1.1");
	ip_of(sup_server_ip(2), buf);
	cr_assert_str_eq(buf, "10.0.1.3");
	ip_of(sup_workload_ip(0), buf);
	cr_assert_str_eq(buf, "10.0.0.1");
	ip_of(sup_workload_ip(254), buf);
	cr_assert_str_eq(buf, "10.0.0.255");
	cr_assert_eq(sup_server_ip(0), 0x0a000101u);
	ip_of(sup_server_ip(999), buf);
	cr_assert_str_eq(buf, "10.0.4.232");
	for (int i = 0; i < 1000; i++)
		for (int j = 0; j < 255; j++)
			cr_assert_neq(sup_server_ip(i), sup_workload_ip(j));
}

/* ---- expansion -------------------------------------------------------- */

static char *expand(const char *arg, int index, bool workload, int boot)
{
	struct sup_expand_ctx ctx = {
		.opts = &opts, .index = index, .workload = workload, .boot = boot,
	};

	err[0] = '\0';
	return sup_expand(arg, &ctx, err, sizeof(err));
}

static void expect_expand(const char *arg, int index, bool workload,
			  const char *want)
{
	char *got = expand(arg, index, workload, 1);

	cr_assert_not_null(got, "\"%s\": %s", arg, err);
	cr_assert_str_eq(got, want, "\"%s\" → \"%s\"", arg, got);
	free(got);
}

static void expect_expand_err(const char *arg, bool workload, const char *needle)
{
	char *got = expand(arg, 0, workload, 1);

	cr_assert_null(got, "\"%s\" expanded to \"%s\"", arg, got);
	cr_assert(strstr(err, needle), "\"%s\": err \"%s\" lacks \"%s\"",
		  arg, err, needle);
}

static void three_servers(void)
{
	cr_assert_eq(PARSE("--procs", "3", "--tag", "role=leader,follower",
			   "--tag", "zone=a,b,c", "s"), 0, "%s", err);
}

Test(cli, expand_server, .init = three_servers)
{
	expect_expand("plain", 0, false, "plain");
	expect_expand("", 0, false, "");
	expect_expand("{ip}", 0, false, "10.0.1.1");
	expect_expand("--addr={ip}:80", 2, false, "--addr=10.0.1.3:80");
	expect_expand("{index}", 2, false, "2");
	expect_expand("{peers}", 1, false, "10.0.1.1,10.0.1.2,10.0.1.3");
	expect_expand("{ip:0}/{ip:2}", 1, false, "10.0.1.1/10.0.1.3");
	expect_expand("{tag:role}", 0, false, "leader");
	expect_expand("{tag:role}", 1, false, "follower");
	expect_expand("{tag:role}", 2, false, "leader");
	expect_expand("{tag:zone}-{tag:ROLE}", 2, false, "c-leader");
	expect_expand("n{index}.{ip}", 1, false, "n1.10.0.1.2");
}

Test(cli, expand_boot, .init = three_servers)
{
	char *s = expand("boot={boot}", 0, false, 3);

	cr_assert_not_null(s, "%s", err);
	cr_assert_str_eq(s, "boot=3");
	free(s);
}

Test(cli, expand_workload, .init = three_servers)
{
	expect_expand("{ip}", 0, true, "10.0.0.1");
	expect_expand("{ip}", 4, true, "10.0.0.5");
	expect_expand("{index}", 4, true, "4");
	expect_expand("client {ip:1} {peers}", 0, true,
		      "client 10.0.1.2 10.0.1.1,10.0.1.2,10.0.1.3");
}

Test(cli, expand_braces, .init = three_servers)
{
	expect_expand("a}b", 0, false, "a}b");
}

Test(cli, expand_errors, .init = three_servers)
{
	expect_expand("{nope}", 0, false, "{nope}");
	expect_expand("{}", 0, false, "{}");
	expect_expand("{IP}", 0, false, "{IP}");
	expect_expand("{ ip}", 0, false, "{ ip}");
	expect_expand("awk '{print $1}' {\"k\": {\"v\": 1}}", 0, false, "awk '{print $1}' {\"k\": {\"v\": 1}}");
	expect_expand("{{ip}}", 0, false, "{10.0.1.1}");
	expect_expand_err("{ip:3}", false, "{ip:3}: no such server");
	expect_expand_err("{ip:99999999999999999999}", false, "{ip:");
	expect_expand_err("{ip:-1}", false, "malformed placeholder {ip:-1}");
	expect_expand_err("{ip:}", false, "malformed placeholder {ip:}");
	expect_expand_err("{ip:x}", false, "malformed placeholder {ip:x}");
	expect_expand_err("{tag:rack}", false, "{tag:rack}: no --tag rack");
	expect_expand_err("{tag:}", false, "malformed placeholder {tag:}");
	expect_expand_err("{tag:role}", true, "{tag:role} is not defined for workloads");
	expect_expand("x{ip", 0, false, "x{ip");
	expect_expand("{", 0, false, "{");
	expect_expand("ok {ip} then {", 0, false, "ok 10.0.1.1 then {");
}

/* ---- sweeps and outputs ----------------------------------------------- */

Test(cli, sweep_options)
{
	cr_assert_eq(PARSE("--seeds", "1-10,20,30-31", "-j", "2", "--shard", "2/3", "--fail-fast",
			   "--budget", "5m", "--junit", "j.xml", "--timeline", "t.json", "--pcap",
			   "n.pcap", "x"), 0, "%s", err);
	cr_assert(opts.sweep);
	cr_assert_eq(opts.nseed_ranges, 3);
	cr_assert_eq(opts.seed_ranges[0].lo, 1);
	cr_assert_eq(opts.seed_ranges[0].hi, 10);
	cr_assert_eq(opts.seed_ranges[1].lo, 20);
	cr_assert_eq(opts.seed_ranges[1].hi, 20);
	cr_assert_eq(opts.seed_ranges[2].hi, 31);
	cr_assert_eq(opts.jobs, 2);
	cr_assert_eq(opts.shard_k, 2);
	cr_assert_eq(opts.shard_n, 3);
	cr_assert(opts.fail_fast);
	cr_assert_eq(opts.budget_ns, 300 * NS_S);
	cr_assert_str_eq(opts.junit, "j.xml");
	cr_assert_str_eq(opts.timeline, "t.json");
	cr_assert_str_eq(opts.pcap, "n.pcap");
}

Test(cli, one_seed_is_not_a_sweep)
{
	cr_assert_eq(PARSE("--seed", "5", "x"), 0, "%s", err);
	cr_assert(!opts.sweep);
	cr_assert_eq(opts.jobs, 1);
	cr_assert_eq(PARSE("--seed", "5", "--iterations", "10", "x"), 0, "%s", err);
	cr_assert(opts.sweep);
	cr_assert_eq(opts.iterations, 10);
	cr_assert_eq(PARSE("--jobs=0", "--iterations", "3", "x"), 0, "%s", err);
	cr_assert_eq(opts.jobs, 0);
}

Test(cli, bad_sweep_options)
{
	EXPECT_ERR("--seeds \"5-1\"", "low-high", "--seeds", "5-1", "x");
	EXPECT_ERR("--seeds \"1,,2\"", NULL, "--seeds", "1,,2", "x");
	EXPECT_ERR("--seeds \"1-\"", NULL, "--seeds", "1-", "x");
	EXPECT_ERR("--seeds \"0-18446744073709551615\"", NULL, "--seeds", "0-18446744073709551615", "x");
	EXPECT_ERR("--seeds and --seed", NULL, "--seeds", "1-5", "--seed", "3", "x");
	EXPECT_ERR("--seeds and --iterations", NULL, "--seeds", "1-5", "--iterations", "3", "x");
	EXPECT_ERR("--iterations \"0\"", NULL, "--iterations", "0", "x");
	EXPECT_ERR("--shard \"0/4\"", NULL, "--seeds", "1-9", "--shard", "0/4", "x");
	EXPECT_ERR("--shard \"5/4\"", NULL, "--seeds", "1-9", "--shard", "5/4", "x");
	EXPECT_ERR("--shard \"2\"", NULL, "--seeds", "1-9", "--shard", "2", "x");
	EXPECT_ERR("--shard needs a seed list", NULL, "--shard", "1/2", "x");
	EXPECT_ERR("--shard with --iterations needs --seed", NULL, "--iterations", "5", "--shard", "1/2", "x");
	EXPECT_ERR("-j \"x\"", NULL, "-j", "x", "y");
	EXPECT_ERR("-j \"1025\"", NULL, "-j", "1025", "y");
	EXPECT_ERR("--jobs", "needs a value", "-j");
	EXPECT_ERR("--fail-fast", "takes no value", "--fail-fast=1", "x");
	EXPECT_ERR("--budget", NULL, "--budget", "0", "x");
	EXPECT_ERR("--junit", NULL, "--junit", "", "x");
	EXPECT_ERR("past 18446744073709551615", NULL, "--seed", "18446744073709551615", "--iterations", "2", "x");
}

static char *replay_of(const char *const *args, uint64_t seed)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = "simsup";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return sup_cli_replay(argc, argv, seed);
}

#define REPLAY(seed, ...) replay_of((const char *const[]){ __VA_ARGS__, NULL }, seed)

Test(cli, replay_keeps_the_run_and_drops_the_sweep)
{
	char *r = REPLAY(7, "--seeds", "1-9", "-j", "4", "--procs", "3", "--run-dir", "d", "--budget=1m",
			 "--workload", "client {ip:0}", "--junit", "r.xml", "--shard=1/2", "--fail-fast",
			 "--timeline", "t.json", "--pcap", "n.pcap", "-q", "--", "prog", "it's", "a b");
	cr_assert_str_eq(r, "simsup --seed 7 --procs 3 --workload 'client {ip:0}' -- prog 'it'\\''s' 'a b'");
	free(r);
	r = REPLAY(3, "--seed=9", "--iterations", "5", "-vj2", "--check-determinism", "prog");
	cr_assert_str_eq(r, "simsup --seed 3 -v --check-determinism prog");
	free(r);
	r = REPLAY(18446744073709551615ULL, "--iter", "2", "--seed", "1", "prog", "--seeds", "x");
	cr_assert_str_eq(r, "simsup --seed 18446744073709551615 prog --seeds x");
	free(r);
}
