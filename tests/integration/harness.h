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

/* Path of a built example program. */
static inline char *example(const char *name)
{
	const char *d = getenv("SIMSUP_EXAMPLES");
	cr_assert(d && *d, "SIMSUP_EXAMPLES is not set: run the tests through meson test");
	char *p;
	cr_assert(asprintf(&p, "%s/%s", d, name) > 0);
	return p;
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
	char *cmd, *full, outp[] = "/tmp/simsup-test-out-XXXXXX", errp[] = "/tmp/simsup-test-err-XXXXXX";
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	int of = mkstemp(outp), ef = mkstemp(errp);
	cr_assert(of >= 0 && ef >= 0);
	close(of);
	close(ef);
	cr_assert(asprintf(&full, "simsup() { \"%s\" \"$@\"; }; %s >%s 2>%s", simsup_bin(), cmd, outp,
			   errp) > 0);
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

/* Skips the test, loudly, when a program is not installed. */
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
