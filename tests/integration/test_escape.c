/*
 * test_escape.c — no simulated process runs without the shim: a program
 * that switches user loads the shim even from a checkout under a 0700
 * directory, one that cannot is stopped at its first call outside the
 * simulation with one line naming it, and one that clears LD_PRELOAD
 * before an exec stays simulated (include/simsup/escape.h).
 */
#include "harness.h"

#include <ftw.h>

/* A copy of the build's simsup and shim laid out as the build tree is
 * (bin/../shim/libsimsup.so), under a fresh 0700 directory like /root. */
static char *private_install(void)
{
	char *d = strdup("/tmp/simsup-test-private-XXXXXX");
	cr_assert_not_null(mkdtemp(d));
	cr_assert_eq(chmod(d, 0700), 0);
	const char *lib = getenv("SIMSUP_LIBPATH");
	cr_assert(lib && *lib);
	char *cmd;
	cr_assert(asprintf(&cmd, "mkdir %s/supervisor %s/shim && cp '%s' %s/supervisor/simsup && "
			   "cp '%s' %s/shim/libsimsup.so", d, d, simsup_bin(), d, lib, d) > 0);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
	return d;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("SKIPPED: needs root (only root can switch users under simsup)");
	need_program("setpriv");
}

Test(escape, switching_user_from_a_0700_checkout_stays_simulated, .timeout = 60)
{
	need_root();
	char *d = private_install();
	struct run r;
	run_sim(&r, "%s/supervisor/simsup --seed 3 -- setpriv --reuid=65534 --regid=65534 "
		    "--clear-groups sh -c 'id -u; sleep 2; date -u +%%FT%%T'", d);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "65534") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "2025-01-01T00:00:02") != NULL, "host clock? %s", r.out);
	run_free(&r);
	nftw(d, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(d);
}

/* A program that hides the shim before an exec (a chroot without it, as
 * daemons that chroot and then run a helper do): the new image cannot load
 * it, and the escape guard stops it before it prints anything.  (A private
 * mount over the shim's directory did the same; new namespaces are refused
 * now: test_compat's new_namespaces_are_refused.) */
Test(escape, an_image_without_the_shim_is_stopped_and_named, .timeout = 60)
{
	need_program("chroot");
	char *d = test_dir("chroot"); /* (removed with test_tmp()) */
	struct run r;
	run_sim(&r, "mkdir -p %s/bin %s/lib/x86_64-linux-gnu %s/lib64 && cp /bin/echo %s/bin/ && "
		    "cp /lib/x86_64-linux-gnu/libc.so.6 %s/lib/x86_64-linux-gnu/ && "
		    "cp /lib64/ld-linux-x86-64.so.2 %s/lib64/", d, d, d, d, d, d);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	run_sim(&r, "simsup --seed 3 -- chroot %s /bin/echo escaped", d);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.out, "escaped") == NULL, "it ran outside the simulation: %s", r.out);
	cr_expect(strstr(r.err, "p0 pid 100 (/bin/echo) ran without the shim and was stopped at "
				"its first call outside the simulation: the loader did not preload") != NULL,
		  "%s", r.err);
	cr_expect(strstr(r.err, "kind: ran without the shim") != NULL, "%s", r.err);
	run_free(&r);
	free(d);
}

Test(escape, clearing_ld_preload_before_exec_stays_simulated, .timeout = 60)
{
	struct run r;
	run_sim(&r, "simsup --seed 3 -- env -u LD_PRELOAD -u SIMSUP_FD sh -c 'sleep 2; date -u +%%FT%%T'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "2025-01-01T00:00:02") != NULL, "host clock? %s", r.out);
	run_free(&r);
	/* an empty environment, through a raw execve */
	need_program("python3");
	run_sim(&r, "simsup --seed 3 -- python3 -c 'import os; os.execve(\"/bin/date\", "
		    "[\"date\", \"-u\", \"+%%FT%%T\"], {})'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "2025-01-01T00:00:00") != NULL, "host clock? %s", r.out);
	run_free(&r);
}
