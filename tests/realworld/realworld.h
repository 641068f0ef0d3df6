/*
 * realworld.h — helpers for the realworld suite: unmodified programs from
 * Debian (redis, memcached) under simsup, driven by their own clients.
 * The command lines are the ones docs/realworld.md shows.
 */
#ifndef REALWORLD_H
#define REALWORLD_H

#include "../integration/harness.h"

/* A thread that keeps the turn for 10 s of wall time (the default
 * watchdog) ends a run; on a loaded CI machine, sharing its CPUs with
 * other jobs, a fork of a shell has been seen to take that long.  These
 * runs take seconds: give them a minute.  Virtual time is unaffected. */
#define WATCHDOG "--watchdog 60s"

/* A file of this source directory (the scenario scripts). */
static inline char *source_file(const char *name)
{
	const char *d = getenv("SIMSUP_SOURCE");
	cr_assert(d && *d, "SIMSUP_SOURCE is not set: run the tests through meson test");
	char *p;
	cr_assert(asprintf(&p, "%s/tests/realworld/%s", d, name) > 0);
	return p;
}

/* A fresh directory for --run-dir (harness.h's test_dir). */
static inline char *scratch_dir(void)
{
	return test_dir("rw");
}

static inline void scratch_remove(const char *dir)
{
	char *cmd;
	cr_assert(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	cr_expect_eq(system(cmd), 0);
	free(cmd);
}

/* The contents of RUN/REL, or NULL. */
static inline char *run_file(const char *run, const char *rel)
{
	char *path;
	cr_assert(asprintf(&path, "%s/%s", run, rel) > 0);
	char *t = slurp(path);
	free(path);
	return t;
}

static inline bool run_file_exists(const char *run, const char *rel)
{
	char *path;
	struct stat st;
	cr_assert(asprintf(&path, "%s/%s", run, rel) > 0);
	bool ok = stat(path, &st) == 0 && st.st_size > 0;
	free(path);
	return ok;
}

#endif
