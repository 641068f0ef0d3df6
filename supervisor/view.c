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
 * so once.  Each run also gets a fresh System V IPC namespace and /dev/shm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sup.h"

/*
 * The null device the programs get.  The host's /dev/null, unless it is no
 * longer the null device: a process removed it and `> /dev/null` made a
 * regular file in its place (seen on a shared machine).  Every run would
 * then depend on that file: a program that stats its stdin, glibc's stdio
 * asking whether a stream is a terminal only for a character device.  In
 * the run's namespace a null device of its own goes over it, and simsup
 * says so once (without a namespace of the run's own, run_dir NULL, it
 * can only say so).
 */
static void keep_null(const char *run_dir)
{
	static bool told;
	struct stat st;
	if (stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		return;
	char path[4096];
	bool ok = false;
	int e = EPERM; /* no namespace of the run's own (run_dir NULL) */
	if (run_dir) {
		snprintf(path, sizeof path, "%s/.null", run_dir);
		unlink(path);
		ok = mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0 && chmod(path, 0666) == 0 &&
		     mount(path, "/dev/null", NULL, MS_BIND, NULL) == 0;
		e = errno;
		unlink(path); /* the mount keeps the node */
	}
	if (told)
		return;
	told = true;
	if (ok)
		fprintf(stderr, "simsup: the host's /dev/null is not the null device (a regular "
			"file?): the runs use one of their own; repair the host's with "
			"`mknod -m 666 /dev/null.new c 1 3 && mv /dev/null.new /dev/null`\n");
	else
		fprintf(stderr, "simsup: the host's /dev/null is not the null device, and simsup "
			"cannot put one in its place (%s): runs depend on that file\n", strerror(e));
}

const char *sup_view_enter(const char *run_dir, int verbosity)
{
	static bool in_ns, warned;
	if (!in_ns) {
		if (geteuid() != 0)
			errno = EPERM;
		if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			goto fallback;
		in_ns = true;
	}
	/* a fresh System V IPC namespace per run: segment and semaphore ids
	 * start from the same place every time, and nothing an earlier run
	 * left behind (a killed PostgreSQL's segments) is visible */
	unshare(CLONE_NEWIPC);
	/* and a fresh /dev/shm (POSIX shared memory and semaphores), for the
	 * same reasons */
	while (umount2("/dev/shm", MNT_DETACH) == 0)
		;
	mount("simsup-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	if (mkdir(SUP_VIEW_DIR, 0755) < 0 && errno != EEXIST)
		goto fallback;
	while (umount2(SUP_VIEW_DIR, MNT_DETACH) == 0) /* an earlier run's view */
		;
	if (mount(run_dir, SUP_VIEW_DIR, NULL, MS_BIND, NULL) < 0)
		goto fallback;
	keep_null(run_dir);
	return SUP_VIEW_DIR;
fallback:
	keep_null(NULL);
	if (!warned && verbosity >= 1)
		fprintf(stderr, "simsup: programs see the run directory's real path (%s): "
			"a fixed view needs root (mount namespace): %s\n", run_dir, strerror(errno));
	warned = true;
	return run_dir;
}

/* ---- inode numbers ---- */

struct sup_inodes {
	uint64_t *ino;   /* open addressing: real inode (0: empty) */
	uint64_t *born;  /* and its birth time: numbers are reused */
	int64_t *vino;
	size_t cap, n;
};

int64_t sup_inode(struct sup_run *R, uint64_t ino, uint64_t born)
{
	struct sup_inodes *T = R->inodes;
	if (!ino)
		return 0;
	if (!T) {
		T = R->inodes = calloc(1, sizeof *T);
		if (!T)
			abort();
	}
	if ((T->n + 1) * 2 > T->cap) {
		struct sup_inodes old = *T;
		T->cap = old.cap ? 2 * old.cap : 1024;
		T->ino = calloc(T->cap, sizeof *T->ino);
		T->born = calloc(T->cap, sizeof *T->born);
		T->vino = calloc(T->cap, sizeof *T->vino);
		if (!T->ino || !T->born || !T->vino)
			abort();
		T->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.ino[i]) {
				size_t h = (size_t)((old.ino[i] ^ old.born[i]) * 0x9e3779b97f4a7c15ULL) &
					   (T->cap - 1);
				while (T->ino[h])
					h = (h + 1) & (T->cap - 1);
				T->ino[h] = old.ino[i];
				T->born[h] = old.born[i];
				T->vino[h] = old.vino[i];
				T->n++;
			}
		free(old.ino);
		free(old.born);
		free(old.vino);
	}
	size_t h = (size_t)((ino ^ born) * 0x9e3779b97f4a7c15ULL) & (T->cap - 1);
	while (T->ino[h] && (T->ino[h] != ino || T->born[h] != born))
		h = (h + 1) & (T->cap - 1);
	if (!T->ino[h]) {
		T->ino[h] = ino;
		T->born[h] = born;
		T->vino[h] = 1000 + (int64_t)T->n++;
	}
	return T->vino[h];
}

void sup_inodes_free(struct sup_run *R)
{
	if (!R->inodes)
		return;
	free(R->inodes->ino);
	free(R->inodes->born);
	free(R->inodes->vino);
	free(R->inodes);
	R->inodes = NULL;
}
