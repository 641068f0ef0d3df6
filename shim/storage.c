/*
 * storage.c — durability points, reported to the supervisor when a power
 * loss can happen (sim_config.track_storage; supervisor/storage.c keeps
 * what was durable).
 *
 * Only the calls that make data durable are reported (shim_storage_call
 * answers fsync, fdatasync, sync and syncfs itself): fsync and fdatasync
 * (of files and directories), sync and syncfs, msync(MS_SYNC), and every
 * write into a file opened O_SYNC or O_DSYNC or written with RWF_SYNC or
 * RWF_DSYNC.  Every other write path (write, pwrite, writev, mmap,
 * copy_file_range, sendfile, splice, fallocate, truncate) needs nothing:
 * the supervisor copies the file as it is at each durability point, and
 * whatever was not copied is what a power loss may lose.
 * sync_file_range is not a durability point (it waits for no disk cache
 * and no metadata), so it is not reported.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "shim.h"

#define A(i) (c->a[i])

#ifndef RWF_DSYNC
#define RWF_DSYNC 0x2
#endif
#ifndef RWF_SYNC
#define RWF_SYNC 0x4
#endif

static void sync_fd(int fd)
{
	struct sim_req rq = { .op = SIM_SYNC, .a = { SIM_SYNC_FD } };
	struct sim_rep rep; /* it waits: the data is durable once answered */
	shim_request(&rq, NULL, fd, &rep);
}

static void sync_all(void)
{
	shim_call(SIM_SYNC, SIM_SYNC_ALL, 0, 0, 0);
}

/* A write into fd that the kernel has made synchronous by the file's flags. */
static void after_write(int fd)
{
	if (shim_fd_kind(fd) != S_IFREG)
		return;
	long fl = sys2(SYS_fcntl, fd, F_GETFL);
	if (fl >= 0 && (fl & O_DSYNC)) /* O_SYNC includes O_DSYNC's bit */
		sync_fd(fd);
}

/*
 * fsync, fdatasync, sync and syncfs while storage is tracked: the
 * simulation decides what is durable, so the host's disk is not waited for
 * (an fsync-heavy program runs at memory speed).  Other fds (pipes,
 * sockets) and bad ones get the kernel's answer.
 */
bool shim_storage_call(struct sim_call *c, long *ret)
{
	if (!shim_proc.cfg.track_storage)
		return false;
	switch (c->nr) {
	case SYS_fsync: case SYS_fdatasync: {
		int kind = shim_fd_kind((int)A(0));
		if (kind != S_IFREG && kind != S_IFDIR)
			return false;
		sync_fd((int)A(0));
		*ret = 0;
		return true;
	}
	case SYS_syncfs:
		if (shim_fd_kind((int)A(0)) < 0)
			return false; /* EBADF from the kernel */
		/* fall through */
	case SYS_sync:
		sync_all();
		*ret = 0;
		return true;
	}
	return false;
}

/*
 * ext4's auto_da_alloc, which the supervisor models at its next journal
 * commit: a regular file renamed over an existing one, or an existing
 * non-empty one truncated to nothing (open with O_TRUNC, truncate and
 * ftruncate to 0), has its data written back before that commit makes the
 * rename or the truncation durable.  Here: what the call will do, looked
 * at before it (SIM_SYNC_DA is sent after it succeeded).
 */
static bool regular_nonempty(int dirfd, const char *path, bool any_size)
{
	struct stat st;
	if (!path || sys4(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return S_ISREG(st.st_mode) && (any_size || st.st_size > 0);
}

void shim_storage_before(struct sim_call *c, struct shim_sto_pre *p)
{
	p->da = false;
	if (!shim_proc.cfg.track_storage)
		return;
	switch (c->nr) {
	case SYS_rename:
		p->da = regular_nonempty(AT_FDCWD, (const char *)A(1), true);
		break;
	case SYS_renameat:
		p->da = regular_nonempty((int)A(2), (const char *)A(3), true);
		break;
	case SYS_renameat2:
		p->da = !(A(4) & (RENAME_EXCHANGE | RENAME_NOREPLACE)) &&
			regular_nonempty((int)A(2), (const char *)A(3), true);
		break;
	case SYS_open:
		p->da = (A(1) & O_TRUNC) && (A(1) & O_ACCMODE) != O_RDONLY &&
			regular_nonempty(AT_FDCWD, (const char *)A(0), false);
		break;
	case SYS_creat:
		p->da = regular_nonempty(AT_FDCWD, (const char *)A(0), false);
		break;
	case SYS_openat:
		p->da = (A(2) & O_TRUNC) && (A(2) & O_ACCMODE) != O_RDONLY &&
			regular_nonempty((int)A(0), (const char *)A(1), false);
		break;
	case SYS_truncate:
		p->da = A(1) == 0 && regular_nonempty(AT_FDCWD, (const char *)A(0), false);
		break;
	case SYS_ftruncate: {
		struct stat st;
		p->da = A(1) == 0 && sys2(SYS_fstat, A(0), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
		break;
	}
	}
}

static void da_alloc(int fd)
{
	struct sim_req rq = { .op = SIM_SYNC, .a = { SIM_SYNC_DA } };
	struct sim_rep rep;
	shim_request(&rq, NULL, fd, &rep);
}

static void da_alloc_path(int dirfd, const char *path)
{
	long fd = sys4(SYS_openat, dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	da_alloc((int)fd);
	sys1(SYS_close, fd);
}

void shim_storage_after(struct sim_call *c, long r, const struct shim_sto_pre *p)
{
	if (!shim_proc.cfg.track_storage || r < 0)
		return;
	if (p->da) {
		switch (c->nr) {
		case SYS_rename: da_alloc_path(AT_FDCWD, (const char *)A(1)); break;
		case SYS_renameat: case SYS_renameat2: da_alloc_path((int)A(2), (const char *)A(3)); break;
		case SYS_open: case SYS_creat: case SYS_openat: da_alloc((int)r); break;
		case SYS_truncate: da_alloc_path(AT_FDCWD, (const char *)A(0)); break;
		case SYS_ftruncate: da_alloc((int)A(0)); break;
		}
	}
	switch (c->nr) {
	case SYS_msync:
		/* the mapping's file is not at hand: everything on the node is
		 * durable, which the kernel's writeback may always have done */
		if (A(2) & MS_SYNC)
			sync_all();
		break;
	case SYS_pwritev2:
		if (r > 0 && (A(5) & (RWF_DSYNC | RWF_SYNC)) && shim_fd_kind((int)A(0)) == S_IFREG) {
			sync_fd((int)A(0));
			break;
		}
		/* fall through */
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev:
	case SYS_sendfile:
		if (r > 0)
			after_write((int)A(0));
		break;
	case SYS_copy_file_range: case SYS_splice:
		if (r > 0)
			after_write((int)A(2));
		break;
	}
}
