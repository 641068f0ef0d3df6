/*
 * sysdir.c — /sys is the simulation's: every path under /sys goes to the
 * virtual tree the supervisor wrote (RUN_DIR/sys, supervisor/sysfs.c,
 * sim_config.sys_dir), in open, the stat family, access, readlink, chdir
 * and the xattr calls.  A path that is not in it does not exist (ENOENT),
 * and simsup says so by name: the host's /sys is never read.
 *
 * Reachable from the SIGSYS handler: no allocation, gate syscalls only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "shim.h"

#define SYS_DEV_MINOR 0x15 /* sysfs's device on a stock Debian 12 (0:21) */

/* The path argument of a call, or -1 for calls that take none. */
static int path_arg(long nr)
{
	switch (nr) {
	case SYS_open: case SYS_stat: case SYS_lstat: case SYS_access: case SYS_readlink:
	case SYS_chdir: case SYS_getxattr: case SYS_lgetxattr: case SYS_listxattr:
	case SYS_llistxattr:
		return 0;
	case SYS_openat: case SYS_newfstatat: case SYS_statx: case SYS_faccessat:
	case SYS_faccessat2: case SYS_readlinkat:
		return 1;
	}
	return -1;
}

static bool under_sys(const char *p)
{
	return p && !strncmp(p, "/sys", 4) && (p[4] == '/' || !p[4]);
}

/* The refusal's text: "not in simsup's virtual /sys: PATH (ENOENT)". */
static void say_missing(long nr, const char *path)
{
	char what[400];
	char *w = stpcpy(what, "not in simsup's virtual /sys (docs/pseudo-files.md): ");
	size_t n = strnlen(path, sizeof what - (size_t)(w - what) - 10);
	memcpy(w, path, n);
	strcpy(w + n, " (ENOENT)");
	shim_refuse(nr, what);
}

bool shim_sys_call(struct sim_call *c, long *ret)
{
	int i = path_arg(c->nr);
	if (i < 0)
		return false;
	const char *path = (const char *)c->a[i];
	if (!under_sys(path) || !shim_proc.cfg.sys_dir[0])
		return false;
	char buf[1024];
	size_t root = strnlen(shim_proc.cfg.sys_dir, sizeof shim_proc.cfg.sys_dir);
	size_t rest = strnlen(path + 4, sizeof buf);
	if (root + rest + 1 > sizeof buf) {
		*ret = -ENAMETOOLONG;
		return true;
	}
	memcpy(buf, shim_proc.cfg.sys_dir, root);
	memcpy(buf + root, path + 4, rest + 1);
	c->a[i] = (long)buf;
	*ret = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	c->a[i] = (long)path;
	if (*ret == -ENOENT)
		say_missing(c->nr, path);
	else if (*ret == 0 && (c->nr == SYS_stat || c->nr == SYS_lstat || c->nr == SYS_newfstatat ||
			       c->nr == SYS_statx))
		/* the tree's device and times are the host's (a tmpfs mounted
		 * for the run): sysfs's, at the node's boot */
		shim_stat_rewrite(c, shim_proc.cfg.epoch_ns + shim_proc.rt_offset -
				  shim_proc.cfg.mono_base, 0, SYS_DEV_MINOR);
	else if (*ret >= 0 && (c->nr == SYS_open || c->nr == SYS_openat))
		shim_fd_forget((int)*ret);
	return true;
}
