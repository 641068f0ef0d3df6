/*
 * view.c — every run sees its run directory at one fixed path.
 *
 * A program sees its storage dir as its working directory: getcwd, $PWD,
 * /proc/self/cwd, the paths it logs and hashes.  If that were the run
 * directory's real path, two runs of one seed in different directories (a
 * random default name, another machine's TMPDIR, --check-determinism's
 * second run) could behave differently.  As root, simsup runs each seed in
 * a private mount namespace where the run directory is bind-mounted at
 * SUP_VIEW_DIR, and starts the programs there.  The supervisor itself
 * keeps using the real path, which stays valid in the namespace.  Without
 * the privilege to do so, programs see the real path, and a warning says
 * so once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sup.h"

const char *sup_view_enter(const char *run_dir, int verbosity)
{
	static bool in_ns, warned;
	if (!in_ns) {
		if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			goto fallback;
		in_ns = true;
	}
	if (mkdir(SUP_VIEW_DIR, 0755) < 0 && errno != EEXIST)
		goto fallback;
	while (umount2(SUP_VIEW_DIR, MNT_DETACH) == 0) /* an earlier run's view */
		;
	if (mount(run_dir, SUP_VIEW_DIR, NULL, MS_BIND, NULL) < 0)
		goto fallback;
	return SUP_VIEW_DIR;
fallback:
	if (!warned && verbosity >= 1)
		fprintf(stderr, "simsup: programs see the run directory's real path (%s): "
			"a fixed view needs root (mount namespace): %s\n", run_dir, strerror(errno));
	warned = true;
	return run_dir;
}
