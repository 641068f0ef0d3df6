/*
 * fifo.c — opening a named pipe (FIFO) without blocking in the kernel.
 *
 * open() of a FIFO for reading blocks until a writer opens it, and for
 * writing until a reader does.  Made as is, it would block the thread that
 * holds the turn, so the other side could never run: `mkfifo f; (echo x > f
 * &); cat f` hung until the watchdog.  Here the open is made with
 * O_NONBLOCK and the thread parks until the other side is there:
 *
 *  - a writer retries while the kernel says ENXIO (no reader yet): exact;
 *  - a reader's non-blocking open succeeds at once; it then waits while
 *    the FIFO has no writer, which tee(2) tells without reading anything
 *    (writer_present).  An anonymous pipe reopened through /dev/fd/N
 *    (bash's process substitution) never blocks, as in the kernel.
 *
 * O_NONBLOCK is then cleared, so the program gets the blocking fd it asked
 * for.  O_RDWR and O_NONBLOCK opens never block and are not touched.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>

#include "shim.h"

static long clear_nonblock(long fd)
{
	long fl = sys2(SYS_fcntl, fd, F_GETFL);
	if (fl >= 0)
		sys3(SYS_fcntl, fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static long open_writer(int dirfd, const char *path, int flags, long mode)
{
	for (;;) {
		long fd = sys4(SYS_openat, dirfd, path, flags | O_NONBLOCK, mode);
		if (fd != -ENXIO)
			return fd < 0 ? fd : clear_nonblock(fd);
		long w = shim_park_poll(-1); /* until another thread changed something */
		if (w == -EINTR && shim_sig_restart())
			continue;
		if (w < 0)
			return w;
	}
}

/* Would the kernel have let a reader's open return by now?  It blocks only
 * until a writer opens.  poll says POLLHUP when a writer came and went
 * since our open (POLLIN: data); tee(2) of one byte into a scratch pipe
 * tells, without consuming anything, whether a writer is there now: data
 * (> 0), a writer but no data (-EAGAIN), or neither (0). */
static bool writer_present(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (sys3(SYS_poll, &p, 1, 0) > 0)
		return true;
	int sp[2];
	if (sys2(SYS_pipe2, sp, O_CLOEXEC | O_NONBLOCK) < 0)
		return true;
	long r = sys4(SYS_tee, fd, sp[1], 1, SPLICE_F_NONBLOCK);
	sys1(SYS_close, sp[0]);
	sys1(SYS_close, sp[1]);
	return r != 0;
}

static long open_reader(int dirfd, const char *path, int flags, long mode)
{
	long fd = sys4(SYS_openat, dirfd, path, flags | O_NONBLOCK, mode);
	if (fd < 0)
		return fd;
	/* an anonymous pipe reopened through /dev/fd or /proc never blocks */
	struct statfs sf;
	if (sys2(SYS_fstatfs, fd, &sf) == 0 && sf.f_type == PIPEFS_MAGIC)
		return clear_nonblock(fd);
	while (!writer_present((int)fd)) {
		long w = shim_park_poll(-1); /* until another thread changed something */
		if (w == -EINTR && shim_sig_restart())
			continue;
		if (w < 0) {
			sys1(SYS_close, fd);
			return w;
		}
	}
	return clear_nonblock(fd);
}

bool shim_fifo_open(struct sim_call *c, long *ret)
{
	bool at = c->nr != SYS_open;
	int dirfd = at ? (int)c->a[0] : AT_FDCWD;
	const char *path = (const char *)c->a[at ? 1 : 0];
	int flags = (int)c->a[at ? 2 : 1];
	long mode = c->a[at ? 3 : 2];
	int acc = flags & O_ACCMODE;
	if (!path || (flags & (O_NONBLOCK | O_PATH)) || (acc != O_RDONLY && acc != O_WRONLY))
		return false;
	struct stat st;
	int nofollow = flags & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0;
	if (sys4(SYS_newfstatat, dirfd, path, &st, nofollow) < 0 || !S_ISFIFO(st.st_mode))
		return false;
	*ret = acc == O_WRONLY ? open_writer(dirfd, path, flags, mode)
			       : open_reader(dirfd, path, flags, mode);
	if (*ret >= 0)
		shim_fd_forget((int)*ret);
	return true;
}
