/*
 * lighttpd from Debian, unmodified, with two workers: on a graceful reboot
 * its master stops the workers through its process group (kill(0,
 * SIGTERM)), so the node stops within lighttpd's own shutdown, with no
 * grace-period kill, and serves again after its restart.
 */
#include "realworld.h"

#define LIGHTTPD_CMD                                                                       \
	"simsup %s --run-dir %s/run --keep --seed %d "                                      \
	"--reboot at=2s,proc=0,kind=graceful,down=1s,grace=5s "                             \
	"--workload \"sh -c 'sleep 1; curl -s http://{ip:0}:8080/; sleep 3; "              \
	"curl -s http://{ip:0}:8080/'\" "                                                   \
	"-- sh -c 'echo hello from lighttpd > index.html; exec /usr/sbin/lighttpd -D -f %s'"

/* Lines of text before `end` (NULL: all) that hold both a and b. */
static int lines_with_both(const char *text, const char *end, const char *a, const char *b)
{
	int n = 0;
	for (const char *l = text; l && *l && (!end || l < end);) {
		const char *e = strchr(l, '\n');
		char *line = strndup(l, e ? (size_t)(e - l) : strlen(l));
		n += strstr(line, a) && strstr(line, b);
		free(line);
		l = e ? e + 1 : NULL;
	}
	return n;
}

Test(lighttpd, workers_stop_with_the_master_on_a_graceful_reboot)
{
	need_program("/usr/sbin/lighttpd");
	need_program("curl");
	char *conf = source_file("lighttpd.conf");
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_sim(&r, LIGHTTPD_CMD, WATCHDOG, dir, 1, conf);
		cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
		cr_expect_eq(count_of(r.out, "w0 | hello from lighttpd"), 2,
			     "served before the reboot and after the restart: %s", r.out);
		char *trace = run_file(dir, "run/trace.jsonl");
		cr_assert(trace);
		/* the master signals its group; all three processes end by
		 * themselves before the node counts as stopped */
		cr_expect(strstr(trace, "\"ev\":\"kill\",\"to\":0,\"signal\":15"), "no kill(0, SIGTERM)");
		const char *stopped = strstr(trace, "\"kind\":\"stopped\"");
		cr_expect(stopped, "the node never stopped by itself");
		cr_expect(!strstr(trace, "grace-expired"), "the grace period had to kill it");
		cr_expect_eq(lines_with_both(trace, stopped, "\"node\":\"p0\"", "\"ev\":\"exit\""), 3,
			     "master and two workers exit before the node stops");
		if (i == 0)
			strcpy(first, trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first, "the replay differs");
		free(trace);
		run_free(&r);
		scratch_remove(dir);
		free(dir);
	}
	free(conf);
}
