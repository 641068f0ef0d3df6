/* supervisor/trace.c: the trace hash depends on the events, nothing else. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sup.h"

static void write_trace(const char *path, int variant, char hash[33])
{
	struct sup_run R = { 0 };
	R.trace = sup_trace_open(path);
	cr_assert(R.trace);
	struct sup_opts o = { .procs = 2 };
	R.o = &o;
	struct sup_proc p = { .node = 1, .vpid = 100 };
	R.now = 1000;
	sup_trace_ev(&R, NULL, 0, "run", "u", "seed", (uint64_t)7);
	R.now = 2000;
	sup_trace_ev(&R, &p, 100, "exit", "i", "status", (int64_t)variant);
	sup_trace_ev(&R, &p, 0, "note", "s", "text", "quote \" and newline \n");
	sup_trace_close(R.trace, hash);
}

Test(trace, same_events_same_hash_other_events_other_hash)
{
	char a[33], b[33], c[33];
	char p1[] = "/tmp/simsup-trace-XXXXXX", p2[] = "/tmp/simsup-trace-XXXXXX";
	close(mkstemp(p1));
	close(mkstemp(p2));
	write_trace(p1, 0, a);
	write_trace(p2, 0, b);
	cr_expect_str_eq(a, b);
	cr_expect_eq(strlen(a), 32);
	write_trace(p2, 1, c);
	cr_expect_str_neq(a, c);
	unlink(p1);
	unlink(p2);
}

Test(trace, lines_are_json_with_node_names)
{
	char h[33], path[] = "/tmp/simsup-trace-XXXXXX";
	close(mkstemp(path));
	write_trace(path, 3, h);
	FILE *f = fopen(path, "r");
	char line[512];
	cr_assert(fgets(line, sizeof line, f));
	cr_expect_str_eq(line, "{\"t\":1000,\"ev\":\"run\",\"seed\":7}\n");
	cr_assert(fgets(line, sizeof line, f));
	cr_expect_str_eq(line, "{\"t\":2000,\"node\":\"p1\",\"pid\":100,\"tid\":100,\"ev\":\"exit\",\"status\":3}\n");
	cr_assert(fgets(line, sizeof line, f));
	cr_expect(strstr(line, "\\\"") && strstr(line, "\\n"), "not escaped: %s", line);
	fclose(f);
	unlink(path);
}

/* The direct rendering gives json-c's bytes, whatever the strings hold:
 * it renders what needs no escaping itself and leaves the rest to json-c. */
Test(trace, direct_rendering_is_byte_for_byte_json_c)
{
	static const char *const strs[] = { "", "p0", "net-deliver", "a/b", "quote \" here", "back\\slash",
					    "tab\tnl\ncr\r", "\x01\x1f ctrl", "del \x7f", "utf-8 \xc3\xa9",
					    "plain words, (and) [brackets] {braces} ~!@#$%^&*_+=-`'",
					    "/usr/bin/nc.openbsd" };
	static const int64_t ints[] = { 0, 1, -1, 42, INT64_MAX, INT64_MIN, 1000000000000LL };
	char a[4096], b[4096];
	for (size_t s = 0; s < sizeof strs / sizeof *strs; s++)
		for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
			struct sup_trace_field f[] = {
				{ .key = "t", .kind = 'i', .i = ints[i] },
				{ .key = "ev", .kind = 's', .s = strs[s] },
				{ .key = "big", .kind = 'u', .u = UINT64_MAX - (uint64_t)i },
				{ .key = "n", .kind = 'i', .i = -ints[i] / 3 },
				{ .key = s % 3 ? "text" : "t", .kind = 's', .s = strs[(s + i) % 12] },
				{ .key = "nil", .kind = 's', .s = NULL },
			};
			size_t la = sup_trace_render(f, 6, false, a, sizeof a);
			size_t lb = sup_trace_render(f, 6, true, b, sizeof b);
			cr_assert(la && lb);
			cr_expect(la == lb && !memcmp(a, b, la), "direct %.*s\njson-c %.*s", (int)la, a, (int)lb, b);
		}
	/* too small a buffer: 0, never a cut line */
	struct sup_trace_field g[] = { { .key = "ev", .kind = 's', .s = "0123456789" } };
	cr_expect_eq(sup_trace_render(g, 1, false, a, 19), 0); /* {"ev":"0123456789"}: 19 */
	cr_expect_eq(sup_trace_render(g, 1, true, a, 19), 0);
	cr_expect_eq(sup_trace_render(g, 1, false, a, 20), 19);
	cr_expect_eq(sup_trace_render(g, 1, true, a, 20), 19);
}
