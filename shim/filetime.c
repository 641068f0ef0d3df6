/*
 * filetime.c — file timestamps in virtual time.
 *
 * The kernel stamps files with the host's clock, which differs between two
 * runs of one seed: make compares mtimes, git stores ctimes in its index,
 * tar records them.  So after each call that changes a file (a write to a
 * regular file, a truncate, a create, a rename or removal in a directory)
 * the shim sets the times it changed to the virtual CLOCK_REALTIME, and
 * UTIME_NOW in utimensat means virtual now.  The kernel always sets ctime
 * (and statx's birth time) to the host's clock, so the stat family reports
 * ctime and birth time equal to mtime, and atime too (as with noatime).
 *
 * Inode numbers are the kernel's too, and new files get new ones in every
 * run (PostgreSQL derives its shared-memory key from one).  On the run
 * directory's file system the stat family, statx and getdents64 report
 * virtual inode numbers, handed out by the supervisor in the order the
 * simulation first sees them, and one fixed device number.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "shim.h"

#define A(i) (c->a[i])

static struct timespec vnow(void)
{
	struct timespec ts;
	shim_ns_ts(shim_realtime_at(shim_proc.now), &ts);
	return ts;
}

static void stamp_fd(int fd)
{
	struct timespec ts[2] = { vnow(), vnow() };
	sys4(SYS_utimensat, fd, NULL, ts, 0);
}

static void stamp_path(int dirfd, const char *path)
{
	struct timespec ts[2] = { vnow(), vnow() };
	if (path)
		sys4(SYS_utimensat, dirfd, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* The directory holding path (relative to dirfd) got an entry more or less. */
static void stamp_parent(int dirfd, const char *path)
{
	char dir[1024];
	if (!path)
		return;
	size_t n = strnlen(path, sizeof dir);
	if (n >= sizeof dir)
		return;
	memcpy(dir, path, n + 1);
	while (n > 1 && dir[n - 1] == '/') /* "a/b/" names b */
		dir[--n] = 0;
	char *slash = strrchr(dir, '/');
	if (!slash)
		stamp_path(dirfd, ".");
	else if (slash == dir)
		stamp_path(dirfd, "/");
	else {
		*slash = 0;
		stamp_path(dirfd, dir);
	}
}

/* The device every simulation shows for the run directory's file system. */
#define VIRTUAL_DEV_MAJOR 0
#define VIRTUAL_DEV_MINOR 0x53 /* 'S' */

/* Per process (copied by fork): real inode -> virtual, direct-mapped. */
static struct {
	uint64_t ino, born, vino;
} ino_cache[1024];

/* A file is its inode number and its birth time: the kernel reuses the
 * numbers of removed files, at moments that differ between runs, and a
 * new file with an old number must still get a new virtual one. */
static uint64_t birth(int dirfd, const char *path, int flags)
{
	struct statx sx;
	if (sys5(SYS_statx, dirfd, path, flags | AT_STATX_DONT_SYNC, STATX_BTIME, &sx) < 0 ||
	    !(sx.stx_mask & STATX_BTIME))
		return 0;
	return (uint64_t)sx.stx_btime.tv_sec * 1000000000ULL + sx.stx_btime.tv_nsec;
}

static uint64_t virtual_ino(uint64_t ino, uint64_t born)
{
	unsigned h = (unsigned)(((ino ^ born) * 0x9e3779b97f4a7c15ULL) >> 54);
	if (ino_cache[h].ino == ino && ino_cache[h].born == born && ino_cache[h].vino)
		return ino_cache[h].vino;
	long v = shim_query(SIM_INODE, (long)ino, (long)born, 0, 0); /* asked on a miss only */
	if (v <= 0)
		return ino;
	ino_cache[h].ino = ino;
	ino_cache[h].born = born;
	ino_cache[h].vino = (uint64_t)v;
	return (uint64_t)v;
}

static bool on_run_fs(uint64_t dev)
{
	return shim_proc.cfg.run_dev && dev == shim_proc.cfg.run_dev;
}

static void same_times_stat(struct stat *st, int dirfd, const char *path, int flags)
{
	shim_devnode_stat(st); /* /dev/null & co.: the node's, not the host's (entropy.c) */
	st->st_atim = st->st_mtim;
	st->st_ctim = st->st_mtim;
	if (on_run_fs(st->st_dev)) {
		st->st_ino = virtual_ino(st->st_ino, birth(dirfd, path, flags));
		st->st_dev = makedev(VIRTUAL_DEV_MAJOR, VIRTUAL_DEV_MINOR);
	}
}

static void same_times_statx(struct statx *sx, int dirfd, const char *path, int flags)
{
	shim_devnode_statx(sx);
	sx->stx_atime = sx->stx_mtime;
	sx->stx_ctime = sx->stx_mtime;
	sx->stx_btime = sx->stx_mtime;
	if (on_run_fs(makedev(sx->stx_dev_major, sx->stx_dev_minor))) {
		sx->stx_ino = virtual_ino(sx->stx_ino, birth(dirfd, path, flags));
		sx->stx_dev_major = VIRTUAL_DEV_MAJOR;
		sx->stx_dev_minor = VIRTUAL_DEV_MINOR;
	}
}

/* getdents64 of a directory on the run file system: virtual d_ino too, so
 * that a name's d_ino matches its st_ino. */
void shim_filetime_dents(int fd, char *buf, long len)
{
	struct stat st;
	if (len <= 0 || sys2(SYS_fstat, fd, &st) < 0 || !on_run_fs(st.st_dev))
		return;
	for (long off = 0; off < len;) {
		struct {
			uint64_t ino;
			int64_t off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *d = (void *)(buf + off);
		if (d->ino)
			d->ino = virtual_ino(d->ino, birth(fd, d->name, AT_SYMLINK_NOFOLLOW));
		off += d->reclen;
	}
}

/* utimensat/futimesat/utimes/utime asking for "now" get virtual now. */
long shim_filetime_set(struct sim_call *c)
{
	struct timespec ts[2];
	switch (c->nr) {
	case SYS_utimensat: {
		const struct timespec *in = (const struct timespec *)A(2);
		ts[0] = in ? in[0] : (struct timespec){ 0, UTIME_NOW };
		ts[1] = in ? in[1] : (struct timespec){ 0, UTIME_NOW };
		for (int i = 0; i < 2; i++)
			if (ts[i].tv_nsec == UTIME_NOW)
				ts[i] = vnow();
		return sys4(SYS_utimensat, A(0), A(1), ts, A(3));
	}
	case SYS_futimesat:
	case SYS_utimes: {
		const struct timeval *tv = (const struct timeval *)A(c->nr == SYS_utimes ? 1 : 2);
		for (int i = 0; i < 2; i++)
			ts[i] = tv ? (struct timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 } : vnow();
		return c->nr == SYS_utimes ? sys4(SYS_utimensat, AT_FDCWD, A(0), ts, 0)
					   : sys4(SYS_utimensat, A(0), A(1), ts, 0);
	}
	case SYS_utime: {
		const struct { long actime, modtime; } *u = (const void *)A(1);
		ts[0] = u ? (struct timespec){ u->actime, 0 } : vnow();
		ts[1] = u ? (struct timespec){ u->modtime, 0 } : vnow();
		return sys4(SYS_utimensat, AT_FDCWD, A(0), ts, 0);
	}
	}
	return -ENOSYS;
}

/* After a call has run: stamp what it changed, fix what stat reports. */
void shim_filetime_after(struct sim_call *c, long r)
{
	if (r < 0)
		return;
	switch (c->nr) {
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev: case SYS_pwritev2:
	case SYS_ftruncate: case SYS_fallocate:
		if (r > 0 || c->nr == SYS_ftruncate || c->nr == SYS_fallocate)
			if (shim_fd_kind((int)A(0)) == S_IFREG)
				stamp_fd((int)A(0));
		break;
	case SYS_copy_file_range:
		if (r > 0 && shim_fd_kind((int)A(2)) == S_IFREG)
			stamp_fd((int)A(2));
		break;
	case SYS_truncate:
		stamp_path(AT_FDCWD, (const char *)A(0));
		break;
	case SYS_open: case SYS_creat:
		if (c->nr == SYS_creat || (A(1) & (O_CREAT | O_TRUNC))) {
			if (shim_fd_kind((int)r) == S_IFREG)
				stamp_fd((int)r);
			if (c->nr == SYS_creat || (A(1) & O_CREAT))
				stamp_parent(AT_FDCWD, (const char *)A(0));
		}
		break;
	case SYS_openat:
		if (A(2) & (O_CREAT | O_TRUNC)) {
			if (shim_fd_kind((int)r) == S_IFREG)
				stamp_fd((int)r);
			if (A(2) & O_CREAT)
				stamp_parent((int)A(0), (const char *)A(1));
		}
		break;
	case SYS_mkdir: case SYS_rmdir: case SYS_unlink: case SYS_symlink: case SYS_mknod:
		if (c->nr == SYS_mkdir || c->nr == SYS_mknod)
			stamp_path(AT_FDCWD, (const char *)A(0));
		stamp_parent(AT_FDCWD, (const char *)A(c->nr == SYS_symlink ? 1 : 0));
		if (c->nr == SYS_symlink)
			stamp_path(AT_FDCWD, (const char *)A(1));
		break;
	case SYS_mkdirat: case SYS_mknodat:
		stamp_path((int)A(0), (const char *)A(1));
		stamp_parent((int)A(0), (const char *)A(1));
		break;
	case SYS_unlinkat:
		stamp_parent((int)A(0), (const char *)A(1));
		break;
	case SYS_symlinkat:
		stamp_path((int)A(1), (const char *)A(2));
		stamp_parent((int)A(1), (const char *)A(2));
		break;
	case SYS_bind: { /* a local socket by path makes a file (php-fpm's) */
		const struct sockaddr_un *sun = (const struct sockaddr_un *)A(1);
		size_t len = (size_t)A(2), off = offsetof(struct sockaddr_un, sun_path);
		char path[sizeof sun->sun_path + 1];
		if (!sun || len <= off || len > sizeof *sun || sun->sun_family != AF_UNIX || !sun->sun_path[0])
			break;
		memcpy(path, sun->sun_path, len - off); /* not always NUL-terminated */
		path[len - off] = 0;
		stamp_path(AT_FDCWD, path);
		stamp_parent(AT_FDCWD, path);
		break;
	}
	case SYS_link:
		stamp_parent(AT_FDCWD, (const char *)A(1));
		break;
	case SYS_linkat:
		stamp_parent((int)A(2), (const char *)A(3));
		break;
	case SYS_rename:
		stamp_parent(AT_FDCWD, (const char *)A(0));
		stamp_parent(AT_FDCWD, (const char *)A(1));
		break;
	case SYS_renameat: case SYS_renameat2:
		stamp_parent((int)A(0), (const char *)A(1));
		stamp_parent((int)A(2), (const char *)A(3));
		break;
	case SYS_stat: case SYS_lstat:
		same_times_stat((struct stat *)A(1), AT_FDCWD, (const char *)A(0),
				c->nr == SYS_lstat ? AT_SYMLINK_NOFOLLOW : 0);
		break;
	case SYS_fstat:
		same_times_stat((struct stat *)A(1), (int)A(0), "", AT_EMPTY_PATH);
		break;
	case SYS_newfstatat:
		same_times_stat((struct stat *)A(2), (int)A(0), (const char *)A(1), (int)A(3));
		break;
	case SYS_statx:
		same_times_statx((struct statx *)A(4), (int)A(0), (const char *)A(1), (int)A(2));
		break;
	}
}
