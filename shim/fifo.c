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
 *  - a reader's non-blocking open succeeds at once, so it waits until the
 *    FIFO has data or a writer has come and gone (poll: POLLIN or POLLHUP).
 *    This is later than the kernel when a writer opens and writes nothing
 *    for a while: a protocol whose writer waits for the reader before its
 *    first write would wait forever here (docs/compatibility.md).
 *
 * O_NONBLOCK is then cleared, so the program gets the blocking fd it asked
 * for.  O_RDWR and O_NONBLOCK opens never block and are not touched.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
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

static long open_reader(int dirfd, const char *path, int flags, long mode)
{
	long fd = sys4(SYS_openat, dirfd, path, flags | O_NONBLOCK, mode);
	if (fd < 0)
		return fd;
	long w = shim_wait_fd((int)fd, POLLIN, -1);
	if (w < 0) {
		sys1(SYS_close, fd);
		return w;
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
