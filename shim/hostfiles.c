/*
 * hostfiles.c — the host's configuration as a program reads it from /proc:
 * kernel settings (overcommit, somaxconn, ...; those under /sys are in the
 * virtual /sys, supervisor/sysfs.c) and the memory figures of
 * /proc/self/smaps.  Passed through, they differ from host to host (and
 * smaps from run to run, with the kernel's page accounting); programs
 * print them, size buffers by them and send them to clients (redis's
 * INFO reports the copy-on-write size its fork child read from smaps).
 *
 * Settings files read the fixed values of the virtual machine: a stock
 * Debian kernel's defaults (docs/pseudo-files.md).  /proc/self/smaps
 * (and smaps_rollup) keep the real mappings, which do not vary with ASLR
 * off, but every per-mapping figure except the mapping's size reads 0:
 * memory use is not simulated.  Writes to /proc/sys and /sys would change
 * the host: they are refused (EACCES, as in an unprivileged container).
 *
 * Reachable from the SIGSYS handler: no allocation, gate syscalls only;
 * content goes to a memfd through small stack buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "shim.h"

static const struct {
	const char *path;
	const char *content;
} settings[] = {
	{ "/proc/sys/vm/overcommit_memory", "0\n" },
	{ "/proc/sys/vm/max_map_count", "65530\n" },
	{ "/proc/sys/vm/swappiness", "60\n" },
	{ "/proc/sys/net/core/somaxconn", "4096\n" },
	/* simsup's ephemeral ports come from this range (supervisor/net.c) */
	{ "/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n" },
	{ "/proc/sys/kernel/pid_max", "4194304\n" },
	{ "/proc/sys/fs/file-max", "9223372036854775807\n" },
	{ "/proc/sys/fs/nr_open", "1048576\n" },
};

static long memfd(int flags)
{
	long fd = sys2(SYS_memfd_create, "simsup-host", flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
	if (fd >= 0)
		shim_fd_forget((int)fd);
	return fd;
}

static void write_all(long fd, const char *p, size_t n)
{
	while (n > 0) {
		long r = sys3(SYS_write, fd, p, n);
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

static long fixed_file(const char *content, int flags)
{
	long fd = memfd(flags);
	if (fd < 0)
		return fd;
	write_all(fd, content, strlen(content));
	sys3(SYS_lseek, fd, 0, SEEK_SET);
	return fd;
}

/* ---- smaps: the real mappings, the figures zeroed ---- */

/* Lines "Key:   123 kB" keep their key; the figure becomes 0, except for
 * these, which describe the mapping rather than the memory it uses. */
static bool keeps_figure(const char *key)
{
	return !strcmp(key, "Size") || !strcmp(key, "KernelPageSize") || !strcmp(key, "MMUPageSize");
}

struct filter {
	long out;
	char line[512];  /* the current line, while it may still be a figure */
	size_t n;
	bool passing;    /* the rest of the line is copied as it is */
	char buf[2048];
	size_t bn;
};

static void emit(struct filter *f, const char *p, size_t n)
{
	while (n > 0) {
		if (f->bn == sizeof f->buf) {
			write_all(f->out, f->buf, f->bn);
			f->bn = 0;
		}
		size_t k = sizeof f->buf - f->bn < n ? sizeof f->buf - f->bn : n;
		memcpy(f->buf + f->bn, p, k);
		f->bn += k;
		p += k;
		n -= k;
	}
}

/* A whole line of at most sizeof line bytes, with its newline. */
static void end_line(struct filter *f)
{
	char *colon = memchr(f->line, ':', f->n);
	size_t len = f->n;
	bool figure = colon && len > 4 && !memcmp(f->line + len - 4, " kB\n", 4);
	for (char *p = f->line; figure && p < colon; p++)
		figure = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_';
	if (figure) {
		*colon = 0;
		figure = !keeps_figure(f->line);
		*colon = ':';
	}
	if (!figure) {
		emit(f, f->line, len);
		return;
	}
	/* "Rss:                 123 kB" -> the same width, figure 0 */
	size_t head = (size_t)(colon - f->line) + 1;
	emit(f, f->line, head);
	for (size_t i = head; i + 5 < len; i++)
		emit(f, " ", 1);
	emit(f, "0 kB\n", 5);
}

static void filter_bytes(struct filter *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (f->passing) {
			emit(f, &ch, 1);
			if (ch == '\n')
				f->passing = false;
			continue;
		}
		f->line[f->n++] = ch;
		if (ch == '\n') {
			end_line(f);
			f->n = 0;
		} else if (f->n == sizeof f->line) {
			/* too long to be a figure (a mapping's long path) */
			emit(f, f->line, f->n);
			f->n = 0;
			f->passing = true;
		}
	}
}

static long smaps_file(const char *real, int flags)
{
	long in = sys4(SYS_openat, AT_FDCWD, real, O_RDONLY | O_CLOEXEC, 0);
	if (in < 0)
		return in;
	long out = memfd(flags);
	if (out < 0) {
		sys1(SYS_close, in);
		return out;
	}
	struct filter f = { .out = out };
	char chunk[2048];
	long r;
	while ((r = sys3(SYS_read, in, chunk, sizeof chunk)) > 0)
		filter_bytes(&f, chunk, (size_t)r);
	emit(&f, f.line, f.n);
	write_all(out, f.buf, f.bn);
	sys1(SYS_close, in);
	sys3(SYS_lseek, out, 0, SEEK_SET);
	return out;
}

/* "/proc/self/X", "/proc/thread-self/X" or "/proc/<own vpid>/X": X, or NULL */
static const char *own_proc_file(const char *path)
{
	if (strncmp(path, "/proc/", 6))
		return NULL;
	const char *p = path + 6;
	if (!strncmp(p, "self/", 5))
		return p + 5;
	if (!strncmp(p, "thread-self/", 12))
		return p + 12;
	long v = 0;
	const char *d = p;
	for (; *d >= '0' && *d <= '9' && d - p < 9; d++)
		v = v * 10 + (*d - '0');
	if (d == p || *d != '/' || v != shim_proc.cfg.vpid)
		return NULL;
	return d + 1;
}

bool shim_hostfile_open(long nr, const char *path, int flags, long *fd)
{
	if (!path || path[0] != '/' || (strncmp(path, "/proc/", 6) && strncmp(path, "/sys/", 5)))
		return false;
	if ((flags & O_ACCMODE) != O_RDONLY) {
		if (strncmp(path, "/proc/sys/", 10) && strncmp(path, "/sys/", 5))
			return false;
		shim_refuse(nr, "writing kernel settings (/proc/sys, /sys) would change the host");
		*fd = -EACCES;
		return true;
	}
	for (unsigned i = 0; i < sizeof settings / sizeof *settings; i++)
		if (!strcmp(path, settings[i].path)) {
			*fd = fixed_file(settings[i].content, flags);
			return true;
		}
	const char *own = own_proc_file(path);
	if (own && (!strcmp(own, "smaps") || !strcmp(own, "smaps_rollup"))) {
		char real[32] = "/proc/self/";
		strcat(real, own);
		*fd = smaps_file(real, flags);
		return true;
	}
	return false;
}
