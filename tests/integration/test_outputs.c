/*
 * The outputs for people and tools: the failure report, JUnit XML checked
 * against tests/integration/junit.xsd with xmllint, the Chrome trace-event
 * timeline checked field by field with Python's json module, the pcap read
 * by tshark, and none of them changing the trace hash.
 */
#include <stdint.h>

#include "harness.h"

static char *source_file(const char *rel)
{
	const char *d = getenv("SIMSUP_SOURCE");
	cr_assert(d && *d, "SIMSUP_SOURCE is not set: run the tests through meson test");
	char *p;
	cr_assert(asprintf(&p, "%s/%s", d, rel) > 0);
	return p;
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/simsup-test-out-XXXXXX");
	cr_assert(mkdtemp(d));
	return d;
}

static void rm_rf(const char *d)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	cr_assert_eq(system(cmd), 0);
}

/* ---- JUnit ---- */

static void expect_valid_junit(const char *file)
{
	char *xsd = source_file("tests/integration/junit.xsd"), cmd[1024];
	snprintf(cmd, sizeof cmd, "xmllint --noout --schema '%s' '%s' 2>&1", xsd, file);
	FILE *p = popen(cmd, "r");
	char out[4096] = "";
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	int st = pclose(p);
	cr_expect_eq(st, 0, "%s does not validate:\n%s", file, out);
	free(xsd);
}

Test(outputs, junit_of_a_sweep_validates)
{
	need_program("xmllint");
	char *d = tmpdir(), *flaky = example("flaky"), file[256];
	snprintf(file, sizeof file, "%s/junit.xml", d);
	struct run r;
	run_sim(&r, "simsup --seeds 1-40 -j 2 -q --junit %s -- %s --kinds", file, flaky);
	cr_assert_eq(r.status, 1, "%s", r.err);
	expect_valid_junit(file);
	char *x = slurp(file);
	cr_expect(strstr(x, "tests=\"40\""), "%s", x);
	cr_expect(strstr(x, "<testcase name=\"seed 1\" classname=\"simsup.flaky\""), "%s", x);
	/* seed 14 exits 1: its failure's message is the why, the type the kind */
	cr_expect(strstr(x, "<failure message=\"p0 (flaky) exited with status 1\" "
			    "type=\"server exited 1\">"), "%s", x);
	cr_expect(strstr(x, "replay with: simsup --seed 14 -- "), "%s", x);
	free(x);
	run_free(&r);
	rm_rf(d);
	free(d);
	free(flaky);
}

Test(outputs, junit_of_one_seed_validates_and_escapes)
{
	need_program("xmllint");
	char *d = tmpdir(), *flaky = example("flaky"), file[256];
	snprintf(file, sizeof file, "%s/one.xml", d);
	struct run r;
	/* a bad argument: flaky exits 2, and the replay command in the XML
	 * carries characters XML must escape */
	run_sim(&r, "simsup --seed 3 -q --junit %s -- %s '<&\"x>'", file, flaky);
	cr_assert_eq(r.status, 1, "%s", r.err);
	expect_valid_junit(file);
	char *x = slurp(file);
	cr_expect(strstr(x, "tests=\"1\" failures=\"1\""), "%s", x);
	cr_expect(strstr(x, "&lt;&amp;"), "%s", x);
	free(x);
	run_free(&r);
	/* and a passing one */
	run_sim(&r, "simsup --seed 3 -q --junit %s -- %s --threshold 0", file, flaky);
	cr_assert_eq(r.status, 0, "%s", r.err);
	expect_valid_junit(file);
	run_free(&r);
	rm_rf(d);
	free(d);
	free(flaky);
}

/* ---- the timeline ---- */

/* Structural checks of the Trace Event Format (the JSON object form):
 * each event has name, ph, pid, tid; X spans ts >= 0 and dur >= 0; i
 * instants ts and a scope; M metadata args.name or args.sort_index; flows
 * s/f an id.  Then what simsup promises: named process and thread tracks,
 * running spans, a wait span, instants for the trace's events. */
static const char timeline_check[] =
	"import json, sys\n"
	"d = json.load(open(sys.argv[1]))\n"
	"ev = d['traceEvents']\n"
	"assert d['displayTimeUnit'] == 'ns'\n"
	"for e in ev:\n"
	"    for k in ('name', 'ph', 'pid', 'tid'):\n"
	"        assert k in e, (k, e)\n"
	"    assert isinstance(e['pid'], int) and isinstance(e['tid'], int), e\n"
	"    ph = e['ph']\n"
	"    assert ph in ('X', 'i', 'M', 's', 'f'), e\n"
	"    if ph == 'X':\n"
	"        assert e['ts'] >= 0 and e['dur'] >= 0, e\n"
	"    if ph == 'i':\n"
	"        assert e['ts'] >= 0 and e['s'] in ('t', 'p', 'g'), e\n"
	"    if ph == 'M':\n"
	"        assert e['name'] in ('process_name', 'thread_name', 'process_sort_index'), e\n"
	"        assert 'name' in e['args'] or 'sort_index' in e['args'], e\n"
	"    if ph in ('s', 'f'):\n"
	"        assert 'id' in e, e\n"
	"procs = [e['args']['name'] for e in ev if e['name'] == 'process_name']\n"
	"assert any(p.startswith('p0 pid 100 (flaky)') for p in procs), procs\n"
	"assert any(p.startswith('node p0 10.0.1.1') for p in procs), procs\n"
	"assert any(e['name'] == 'thread_name' for e in ev)\n"
	"assert any(e['ph'] == 'X' and e['name'] == 'running' for e in ev)\n"
	"assert any(e['ph'] == 'X' and e['name'] == 'sleep' for e in ev)\n"
	"assert any(e['ph'] == 'X' and e['name'].startswith('up') for e in ev)\n"
	"assert any(e['ph'] == 'i' and e['name'] == 'crash' and e['cat'] == 'fault' for e in ev)\n"
	"assert any(e['ph'] == 'i' and e['name'] in ('exit', 'killed') for e in ev)\n"
	"print('ok', len(ev))\n";

Test(outputs, timeline_loads_and_has_the_required_fields)
{
	need_program("python3");
	char *d = tmpdir(), *flaky = example("flaky"), file[256], script[256];
	snprintf(file, sizeof file, "%s/timeline.json", d);
	snprintf(script, sizeof script, "%s/check.py", d);
	FILE *f = fopen(script, "w");
	fputs(timeline_check, f);
	fclose(f);
	struct run r;
	/* seed 11 crashes (a byte in 20-29 with --kinds) after sleeping */
	run_sim(&r, "simsup --seed 11 -q --timeline %s -- %s --kinds", file, flaky);
	cr_assert_eq(r.status, 1, "%s", r.err);
	run_free(&r);
	run_sim(&r, "python3 %s %s", script, file);
	cr_expect_eq(r.status, 0, "timeline check failed:\n%s%s", r.out, r.err);
	run_free(&r);
	rm_rf(d);
	free(d);
	free(flaky);
}

Test(outputs, timeline_and_pcap_leave_the_trace_hash_alone)
{
	char *d = tmpdir(), *flaky = example("flaky");
	struct run a, b;
	run_sim(&a, "simsup --seed 5 --run-dir %s/a -- %s", d, flaky);
	run_sim(&b, "simsup --seed 5 --run-dir %s/b --timeline %s/t.json --pcap %s/n.pcap -- %s", d, d, d,
		flaky);
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_eq(b.status, 0, "%s", b.err);
	char ha[40];
	snprintf(ha, sizeof ha, "%s", trace_hash(&a));
	cr_expect(ha[0], "no trace hash: %s", a.err);
	cr_expect_str_eq(ha, trace_hash(&b));
	run_free(&a);
	run_free(&b);
	rm_rf(d);
	free(d);
	free(flaky);
}

Test(outputs, sweep_timeline_per_seed_with_placeholder)
{
	char *d = tmpdir(), *flaky = example("flaky"), p[256];
	struct run r;
	run_sim(&r, "simsup --seeds 1-3 -q --timeline %s/tl-{seed}.json -- %s --threshold 0", d, flaky);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (int s = 1; s <= 3; s++) {
		snprintf(p, sizeof p, "%s/tl-%d.json", d, s);
		cr_expect_eq(access(p, R_OK), 0, "no %s", p);
	}
	run_free(&r);
	rm_rf(d);
	free(d);
	free(flaky);
}

/* ---- the report ---- */

Test(outputs, report_of_a_crash_has_backtrace_events_and_logs)
{
	char *d = tmpdir(), *flaky = example("flaky"), file[256];
	struct run r;
	run_sim(&r, "simsup --seed 11 -q --run-dir %s/run -- %s --kinds", d, flaky);
	cr_assert_eq(r.status, 1, "%s", r.err);
	snprintf(file, sizeof file, "%s/run/report.txt", d);
	char *rep = slurp(file);
	cr_assert(rep, "no %s", file);
	cr_expect(strstr(rep, "kind: crash"), "%s", rep);
	cr_expect(strstr(rep, "last events before the end"), "%s", rep);
	cr_expect(strstr(rep, "crash signal=11"), "%s", rep);
	cr_expect(strstr(rep, "backtrace of p0 pid 100 (flaky), crashed with signal 11"), "%s", rep);
	cr_expect(strstr(rep, "crash_here"), "the backtrace names the function: %s", rep);
	cr_expect(strstr(rep, "flaky: 29: crashing"), "the log tail: %s", rep);
	free(rep);
	run_free(&r);
	rm_rf(d);
	free(d);
	free(flaky);
}

/* ---- pcap ---- */

Test(outputs, pcap_shows_the_conversation)
{
	/* the network must exist and call the capture API (supervisor/pcap.h) */
	char *dir = source_file("supervisor"), *cmd;
	cr_assert(asprintf(&cmd, "test -f %s/net.c && grep -l 'sup_pcap_tcp\\|sup_pcap_udp' %s/*.c "
			   "| grep -qv '/pcap.c$'", dir, dir) > 0);
	if (system(cmd) != 0)
		cr_skip_test("SKIPPED: the virtual network (supervisor/net.c) does not call "
			     "sup_pcap_tcp/sup_pcap_udp yet: --pcap has nothing to capture");
	free(cmd);
	free(dir);
	need_program("tshark");
	char *d = tmpdir(), *flaky = example("flaky"), file[256];
	snprintf(file, sizeof file, "%s/net.pcap", d);
	struct run r;
	run_sim(&r, "simsup --seed 5 -q --pcap %s -- %s --net --threshold 0", file, flaky);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	run_sim(&r, "tshark -n -r %s -q -z follow,tcp,ascii,0", file);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "10.0.1.1:7000"), "%s", r.out);
	cr_expect(strstr(r.out, "hello"), "%s", r.out);
	run_free(&r);
	rm_rf(d);
	free(d);
	free(flaky);
}

/* The run dir simsup printed ("run dir X"), or "". */
static const char *printed_run_dir(const struct run *r)
{
	static char d[4096];
	d[0] = 0;
	const char *p = r->err ? strstr(r->err, "run dir ") : NULL;
	if (p)
		sscanf(p + 8, "%4095s", d);
	return d;
}

Test(outputs, a_passing_run_removes_its_fresh_run_dir_unless_kept)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- true");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(printed_run_dir(&r)[0] && access(printed_run_dir(&r), F_OK) != 0, "%s", r.err);
	cr_expect(strstr(r.err, "simsup: removed the run dir (--keep keeps it)"), "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --seed 1 --keep -- true");
	cr_expect(access(printed_run_dir(&r), F_OK) == 0, "--keep: %s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --seed 1 -- false");
	cr_expect_eq(r.status, 1);
	cr_expect(access(printed_run_dir(&r), F_OK) == 0, "a failure's run dir goes: %s", r.err);
	run_free(&r);
	char *d = test_dir("given");
	run_sim(&r, "simsup --seed 1 --run-dir %s/run -- true", d);
	cr_expect(access(printed_run_dir(&r), F_OK) == 0, "--run-dir: %s", r.err);
	run_free(&r);
	free(d);
}
