/*
 * harness.h — helpers for integration tests that drive the built simsup.
 *
 * meson passes SIMSUP_BIN (the simsup binary) and SIMSUP_EXAMPLES (the
 * build's examples directory).  run_sim() runs one shell command line with
 * "simsup" standing for the binary, captures stdout and stderr, and returns
 * the exit status; the output stays in struct run for assertions.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
	int status;  /* exit status of the command, or 128+signal */
	char *out;   /* its stdout */
	char *err;   /* its stderr */
};

static inline const char *simsup_bin(void)
{
	const char *b = getenv("SIMSUP_BIN");
	cr_assert(b && *b, "SIMSUP_BIN is not set: run the tests through meson test");
	return b;
}

/* NAME in the directory meson passes in the environment variable VAR. */
static inline char *path_in(const char *var, const char *name)
{
	const char *d = getenv(var);
	cr_assert(d && *d, "%s is not set: run the tests through meson test", var);
	char *p;
	cr_assert(asprintf(&p, "%s/%s", d, name) > 0);
	return p;
}

/* Path of a built example program. */
static inline char *example(const char *name)
{
	return path_in("SIMSUP_EXAMPLES", name);
}

/*
 * Everything a test process makes on disk (simsup's run directories, its
 * captured output, scratch directories) goes under one directory of its
 * own, removed when the process exits: the suite leaves /tmp as it found
 * it, passing or failing.  Criterion runs each test in its own process.
 */
static char *harness_tmp_dir;

static inline void harness_tmp_remove(void)
{
	char *cmd;
	if (harness_tmp_dir && asprintf(&cmd, "rm -rf '%s'", harness_tmp_dir) > 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", harness_tmp_dir);
		free(cmd);
	}
}

static inline const char *test_tmp(void)
{
	if (!harness_tmp_dir) {
		static char d[] = "/tmp/simsup-test-XXXXXX";
		cr_assert(mkdtemp(d), "mkdtemp");
		chmod(d, 0755); /* servers that drop privileges reach their run dirs */
		harness_tmp_dir = d;
		atexit(harness_tmp_remove);
	}
	return harness_tmp_dir;
}

/* A fresh directory under test_tmp(), named PREFIX-XXXXXX; every one of a
 * prefix has the same length, so runs of one seed in different
 * directories hash alike. */
static inline char *test_dir(const char *prefix)
{
	char *d;
	cr_assert(asprintf(&d, "%s/%s-XXXXXX", test_tmp(), prefix) > 0);
	cr_assert(mkdtemp(d), "mkdtemp");
	return d;
}

/* Path of a helper program built in tests/integration/ (compat_*, det_*). */
static inline char *built_helper(const char *name)
{
	return path_in("SIMSUP_COMPAT", name);
}

static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t k;
	while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Runs `sh -c CMD` where every "simsup " at a word start in CMD is the
 * binary.  Returns the exit status. */
static inline int run_sim(struct run *r, const char *fmt, ...)
{
	char *cmd, *full, outp[4096], errp[4096];
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	snprintf(outp, sizeof outp, "%s/out-XXXXXX", test_tmp());
	snprintf(errp, sizeof errp, "%s/err-XXXXXX", test_tmp());
	int of = mkstemp(outp), ef = mkstemp(errp);
	cr_assert(of >= 0 && ef >= 0);
	close(of);
	close(ef);
	/* simsup's own run directories land in test_tmp() too */
	cr_assert(asprintf(&full, "export TMPDIR='%s'; simsup() { \"%s\" \"$@\"; }; %s >%s 2>%s",
			   test_tmp(), simsup_bin(), cmd, outp, errp) > 0);
	int st = system(full);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(outp);
	r->err = slurp(errp);
	unlink(outp);
	unlink(errp);
	free(cmd);
	free(full);
	return r->status;
}

/* The trace hash simsup printed ("simsup: trace hash X"), or "" */
static inline const char *trace_hash(const struct run *r)
{
	static char h[40];
	h[0] = 0;
	const char *p = r->err ? strstr(r->err, "trace hash ") : NULL;
	if (p)
		sscanf(p + 11, "%39s", h);
	return h;
}

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Runs cmd (as run_sim) n times: each must pass with the first's hash. */
static inline void expect_same_hash(int n, const char *cmd)
{
	char first[40] = "";
	for (int i = 0; i < n; i++) {
		struct run r;
		run_sim(&r, "%s", cmd);
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		if (i == 0)
			strcpy(first, trace_hash(&r));
		cr_expect_str_eq(trace_hash(&r), first, "run %d of %s differs", i, cmd);
		run_free(&r);
	}
}

/* Skips the test, loudly, when a program is not installed. */
/* How many times needle occurs in text. */
static inline int count_of(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static inline void need_program(const char *prog)
{
	char *cmd;
	cr_assert(asprintf(&cmd, "command -v %s >/dev/null 2>&1", prog) > 0);
	int st = system(cmd);
	free(cmd);
	if (st != 0)
		cr_skip_test("SKIPPED: %s is not installed (apt-get install it; .ci/run does)", prog);
}

#endif
