/*
 * report.h — each failed assertion's message on the test program's stderr,
 * so that meson (and CI, which prints what meson prints) shows why a test
 * failed.  With --tap, Criterion writes TAP on a copy of stdout and points
 * the runner's own stdout and stderr at /dev/null (the tests' programs
 * write there too, and must not break the TAP stream): the report goes to
 * a copy of stderr taken before Criterion starts.  Included in every test
 * program by the meson files (-include).
 */
#ifndef SIMSUP_TEST_REPORT_H
#define SIMSUP_TEST_REPORT_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int report_fd = -1;

__attribute__((constructor)) static void report_keep_stderr(void)
{
	report_fd = fcntl(2, F_DUPFD_CLOEXEC, 10);
}

ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
	if (report_fd < 0)
		return;
	for (struct criterion_assert_stats *a = st->asserts; a; a = a->next)
		if (!a->passed)
			dprintf(report_fd, "%s::%s: %s:%u: %s\n", st->test->category, st->test->name,
				a->file, a->line, a->message);
	if (st->signal)
		dprintf(report_fd, "%s::%s: killed by signal %d\n", st->test->category, st->test->name,
			st->signal);
	if (st->timed_out)
		dprintf(report_fd, "%s::%s: timed out\n", st->test->category, st->test->name);
}

#endif
