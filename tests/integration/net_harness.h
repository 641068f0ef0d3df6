/*
 * net_harness.h — helpers shared by the test_net_*.c integration tests:
 * a scratch run directory and numbers printed by the example programs.
 */
#ifndef NET_HARNESS_H
#define NET_HARNESS_H

#include "harness.h"

/* A fresh directory for --run-dir (the trace is read from it). */
static inline char *scratch_dir(void)
{
	return test_dir("net");
}

/* The number after `label` in text, or -1. */
static inline long long number_after(const char *text, const char *label)
{
	const char *p = text ? strstr(text, label) : NULL;
	return p ? atoll(p + strlen(label)) : -1;
}

/* How many trace events of kind ev the run wrote. */
static inline int trace_count(const char *run_dir, const char *ev)
{
	char *path, pat[128];
	cr_assert(asprintf(&path, "%s/trace.jsonl", run_dir) > 0);
	snprintf(pat, sizeof pat, "\"ev\":\"%s\"", ev);
	char *t = slurp(path);
	int n = 0;
	free(path);
	for (const char *p = t; p && (p = strstr(p, pat)); p++)
		n++;
	free(t);
	return n;
}

#endif
