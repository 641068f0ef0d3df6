/*
 * libsimsup.so exports exactly the symbols its version script names: it is
 * preloaded into other people's programs, where every extra global symbol
 * could interpose on theirs.
 */
#include "harness.h"

static int words(const char *text, char list[][64], int max)
{
	int n = 0;
	const char *p = text;
	while (*p && n < max) {
		while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
			p++;
		int k = 0;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		       *p == '_')
			list[n][k < 63 ? k++ : k] = *p++;
		list[n][k] = 0;
		if (k)
			n++;
	}
	return n;
}

static bool in(char list[][64], int n, const char *w)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i], w))
			return true;
	return false;
}

Test(exports, only_the_version_script)
{
	const char *src = getenv("SIMSUP_SOURCE"), *lib = getenv("SIMSUP_LIBPATH");
	cr_assert(src && lib, "run through meson test");
	char path[512];
	snprintf(path, sizeof path, "%s/interposer/libsimsup.map", src);
	char *map = slurp(path);
	cr_assert(map);
	char *globals = strstr(map, "global:"), *local = strstr(map, "local:");
	cr_assert(globals && local);
	*local = 0;
	static char want[256][64], got[256][64];
	int nw = words(globals + 7, want, 256);
	struct run r;
	run_sim(&r, "nm -D --defined-only %s | awk '$2 ~ /^[TWiV]$/ {print $3}'", lib);
	cr_assert_eq(r.status, 0, "%s", r.err);
	int ng = words(r.out, got, 256);
	for (int i = 0; i < ng; i++)
		cr_expect(in(want, nw, got[i]), "exported but not in the version script: %s", got[i]);
	for (int i = 0; i < nw; i++)
		cr_expect(in(got, ng, want[i]), "in the version script but not exported: %s", want[i]);
	run_free(&r);
	free(map);
}
