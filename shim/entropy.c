/*
 * entropy.c — /dev/urandom and /dev/random look the same on every host.
 *
 * An fd on one is an fd on the real device whose reads the shim answers
 * from the seeded stream (random.c, dispatch.c); its stat (and a stat of
 * its path), its ioctls, its writes and kernel copies from it are answered
 * here.  The host's device nodes carry the host's times and inode numbers,
 * their ioctls report and change the host's entropy pool, and splice or
 * sendfile would copy real random bytes.  The fd used to be one on
 * /dev/null, which made every run depend on that file: with the host's
 * /dev/null a regular file (a process removed it, then `> /dev/null` made
 * one), glibc's stdio no longer asked whether the "device" was a terminal,
 * one call fewer, and a Redis Sentinel run's trace changed at its first
 * fopen of /dev/urandom (tests/integration/test_determinism.c).
 * The memory devices (null, zero, full, random, urandom) also stat the
 * same on every host, as device nodes made at the node's boot.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "shim.h"

#define DEVTMPFS_MINOR 5 /* /dev's device on a stock Debian 12 (0:5) */

/* The device's minor number (9 urandom, 8 random), 0 for any other path. */
static unsigned entropy_minor(const char *path)
{
	if (!path)
		return 0;
	return !strcmp(path, "/dev/urandom") ? 9 : !strcmp(path, "/dev/random") ? 8 : 0;
}

bool shim_entropy_open(const char *path, int flags, long *fd)
{
	if (!entropy_minor(path))
		return false;
	*fd = sys4(SYS_openat, AT_FDCWD, path, flags & ~O_CREAT, 0);
	if (*fd >= 0) {
		shim_fd_forget((int)*fd);
		shim_fd_set_random((int)*fd, true);
	}
	return true;
}

/* The node's boot, when its device nodes were made (as /sys's entries:
 * sysdir.c). */
static struct timespec boot_time(void)
{
	int64_t t = shim_proc.cfg.epoch_ns + shim_proc.rt_offset - shim_proc.cfg.mono_base;
	return (struct timespec){ .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };
}

/* The memory devices every Linux has (major 1): null 3, zero 5, full 7,
 * random 8, urandom 9. */
static bool mem_device(unsigned major, unsigned minor)
{
	return major == 1 && (minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9);
}

void shim_devnode_stat(struct stat *st)
{
	if (!S_ISCHR(st->st_mode) || !mem_device(major(st->st_rdev), minor(st->st_rdev)))
		return;
	unsigned minor = minor(st->st_rdev);
	struct timespec ts = boot_time();
	memset(st, 0, sizeof *st);
	st->st_dev = makedev(0, DEVTMPFS_MINOR);
	st->st_ino = minor;
	st->st_nlink = 1;
	st->st_mode = S_IFCHR | 0666;
	st->st_rdev = makedev(1, minor);
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = ts;
}

void shim_devnode_statx(struct statx *sx)
{
	if (!S_ISCHR(sx->stx_mode) || !mem_device(sx->stx_rdev_major, sx->stx_rdev_minor))
		return;
	unsigned minor = sx->stx_rdev_minor;
	struct timespec ts = boot_time();
	struct statx_timestamp t = { .tv_sec = ts.tv_sec, .tv_nsec = (uint32_t)ts.tv_nsec };
	memset(sx, 0, sizeof *sx);
	sx->stx_mask = STATX_BASIC_STATS | STATX_BTIME;
	sx->stx_blksize = 4096;
	sx->stx_nlink = 1;
	sx->stx_mode = S_IFCHR | 0666;
	sx->stx_ino = minor;
	sx->stx_atime = sx->stx_btime = sx->stx_ctime = sx->stx_mtime = t;
	sx->stx_rdev_major = 1;
	sx->stx_rdev_minor = minor;
	sx->stx_dev_minor = DEVTMPFS_MINOR;
}

/* A character device 1:minor as every node's /dev has it. */
static void entropy_stat(struct sim_call *c, unsigned minor)
{
	if (c->nr == SYS_statx) {
		struct statx *sx = (struct statx *)c->a[4];
		sx->stx_mode = S_IFCHR;
		sx->stx_rdev_major = 1;
		sx->stx_rdev_minor = minor;
		shim_devnode_statx(sx);
		return;
	}
	struct stat *st = (struct stat *)c->a[c->nr == SYS_newfstatat ? 2 : 1];
	st->st_mode = S_IFCHR;
	st->st_rdev = makedev(1, minor);
	shim_devnode_stat(st);
}

/* Which entropy device a stat-family call asks about, 0 for none. */
static unsigned stat_target(const struct sim_call *c)
{
	switch (c->nr) {
	case SYS_fstat:
		return shim_fd_random((int)c->a[0]) ? 1 : 0;
	case SYS_stat: case SYS_lstat:
		return entropy_minor((const char *)c->a[0]);
	case SYS_newfstatat: case SYS_statx: {
		const char *path = (const char *)c->a[1];
		int flags = (int)c->a[c->nr == SYS_statx ? 2 : 3];
		if (path && !*path && (flags & AT_EMPTY_PATH))
			return shim_fd_random((int)c->a[0]) ? 1 : 0;
		return path && path[0] == '/' ? entropy_minor(path) : 0;
	}
	}
	return 0;
}

bool shim_entropy_call(struct sim_call *c, long *ret)
{
	unsigned minor = stat_target(c);
	if (minor) {
		/* an fd: ask the kernel which device it is (EBADF and EFAULT
		 * stay the kernel's), then answer with the virtual one */
		*ret = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
		if (*ret < 0)
			return true;
		if (minor == 1) {
			struct stat real;
			minor = sys2(SYS_fstat, c->a[0], &real) == 0 && S_ISCHR(real.st_mode) &&
					minor(real.st_rdev) == 8
				? 8 : 9;
		}
		entropy_stat(c, minor);
		return true;
	}
	if (c->nr == SYS_ioctl && shim_fd_random((int)c->a[0])) {
		unsigned long req = (unsigned long)c->a[1];
		switch (req) {
		case FIOCLEX: case FIONCLEX: case FIONBIO: case FIOASYNC: /* the VFS's own */
			return false;
		case RNDGETENTCNT: /* a seeded pool, as any kernel since 5.18 says */
			*(int *)c->a[2] = 256;
			*ret = 0;
			return true;
		case RNDADDTOENTCNT: case RNDADDENTROPY: case RNDZAPENTCNT: case RNDCLEARPOOL:
		case RNDRESEEDCRNG:
			shim_refuse(c->nr, "ioctl on /dev/random: the host kernel's entropy pool "
					   "is not the simulation's to change");
			*ret = -EPERM;
			return true;
		default: /* the driver's answer to anything else, TCGETS included */
			*ret = -EINVAL;
			return true;
		}
	}
	if (c->nr == SYS_fcntl && shim_fd_random((int)c->a[0]) &&
	    ((int)c->a[1] == F_DUPFD || (int)c->a[1] == F_DUPFD_CLOEXEC)) {
		*ret = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], 0, 0, 0);
		if (*ret >= 0) {
			shim_fd_forget((int)*ret);
			shim_fd_set_random((int)*ret, true);
		}
		return true;
	}
	/* the kernel would copy the host's random bytes */
	if (((c->nr == SYS_splice || c->nr == SYS_copy_file_range) && shim_fd_random((int)c->a[0])) ||
	    (c->nr == SYS_sendfile && shim_fd_random((int)c->a[1]))) {
		shim_refuse(c->nr, "copying from /dev/urandom or /dev/random in the kernel: the "
				   "simulation's random bytes come by read");
		*ret = -EINVAL;
		return true;
	}
	if ((c->nr == SYS_write || c->nr == SYS_pwrite64) && shim_fd_random((int)c->a[0])) {
		*ret = (long)c->a[2]; /* mixed into the pool: nothing the program sees */
		return true;
	}
	if ((c->nr == SYS_writev || c->nr == SYS_pwritev) && shim_fd_random((int)c->a[0])) {
		const struct iovec *iov = (const struct iovec *)c->a[1];
		long n = 0;
		for (int i = 0; i < (int)c->a[2]; i++)
			n += (long)iov[i].iov_len;
		*ret = n;
		return true;
	}
	return false;
}
