/*
 * `meson install --destdir` of this build gives a simsup that runs and
 * preloads the shim installed with it (found relative to its own binary,
 * not at the absolute path it was built for), plus its man page and bash
 * completion.  Each test installs into its own directory under test_tmp()
 * and removes it.
 *
 * meson passes SIMSUP_BUILD (the build directory) and SIMSUP_INSTALLED_*
 * (where each file goes, without the destdir).
 */
#include "harness.h"

static char *destdir;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	cr_assert(v && *v, "%s is not set: run the tests through meson test", name);
	return v;
}

/* The installed path of SIMSUP_INSTALLED_<what> under destdir. */
static char *installed(const char *what)
{
	char *p;
	cr_assert(asprintf(&p, "%s%s", destdir, env(what)) > 0);
	return p;
}

static void install_tree(void)
{
	need_program("meson");
	destdir = test_dir("destdir");
	struct run r;
	run_sim(&r, "meson install -C '%s' --destdir '%s' --no-rebuild --quiet",
		env("SIMSUP_BUILD"), destdir);
	cr_assert_eq(r.status, 0, "meson install --destdir failed (%d):\n%s%s", r.status, r.out,
		     r.err);
	run_free(&r);
}

static void remove_tree(void)
{
	char *cmd;
	if (destdir && asprintf(&cmd, "rm -rf '%s'", destdir) > 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "test_install: could not remove %s\n", destdir);
		free(cmd);
	}
}

/* Whether the files at paths A and B hold the same bytes. */
static bool same_file(const char *a, const char *b)
{
	char *cmd;
	cr_assert(asprintf(&cmd, "cmp -s '%s' '%s'", a, b) > 0);
	int st = system(cmd);
	free(cmd);
	return st == 0;
}

Test(install, installed_simsup_runs, .init = install_tree, .fini = remove_tree)
{
	char *bin = installed("SIMSUP_INSTALLED_BIN");
	struct run r;
	run_sim(&r, "'%s' --seed 1 -- true", bin);
	cr_expect_eq(r.status, 0, "the installed %s failed on `-- true` (%d):\n%s", bin, r.status,
		     r.err);
	run_free(&r);
	free(bin);
}

/* A shim at the built-for absolute path (a real install of some other
 * build) must not stand in for the one under the destdir: break the
 * installed one and the run must fail for want of it. */
Test(install, installed_simsup_preloads_its_own_shim, .init = install_tree, .fini = remove_tree)
{
	char *bin = installed("SIMSUP_INSTALLED_BIN"), *shim = installed("SIMSUP_INSTALLED_SHIM");
	cr_assert(access(shim, R_OK) == 0, "meson install did not put the shim at %s", shim);
	cr_assert(truncate(shim, 0) == 0, "truncate %s", shim);
	struct run r;
	run_sim(&r, "'%s' --seed 1 -- sleep 1", bin);
	cr_expect(r.status == 1 && strstr(r.err, "ran without the shim"),
		  "the installed simsup did not preload the (emptied) shim in its destdir: "
		  "expected exit 1 and \"ran without the shim\", got exit %d:\n%s",
		  r.status, r.err);
	run_free(&r);
	free(bin);
	free(shim);
}

Test(install, man_page_installed, .init = install_tree, .fini = remove_tree)
{
	char *man = installed("SIMSUP_INSTALLED_MAN"), *src;
	cr_assert(asprintf(&src, "%s/docs/simsup.1", env("SIMSUP_SOURCE")) > 0);
	cr_expect(same_file(man, src), "the installed man page %s is missing or differs from %s",
		  man, src);
	free(man);
	free(src);
}

Test(install, bash_completion_installed, .init = install_tree, .fini = remove_tree)
{
	char *comp = installed("SIMSUP_INSTALLED_COMPLETION"), *src;
	cr_assert(asprintf(&src, "%s/data/simsup.bash", env("SIMSUP_SOURCE")) > 0);
	cr_expect(same_file(comp, src), "the installed completion %s is missing or differs from %s",
		  comp, src);
	free(comp);
	free(src);
}
