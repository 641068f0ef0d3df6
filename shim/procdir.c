/*
 * procdir.c — /proc as a node sees it: its processes by virtual pid.
 *
 * A path /proc/<vpid>[/task/<vtid>]/... names a process (and thread) of
 * the caller's node by its virtual ids; the shim turns it into the real
 * /proc path before the kernel sees it (open, the stat family, access,
 * readlink), and a number that is not one of the node's processes does
 * not exist (ENOENT).  readlink of /proc/self and /proc/thread-self gives
 * the virtual ids.  Listings of /proc and of a process's task directory
 * show the node's processes and threads by virtual id instead of the
 * host's.  pseudo.c generates the files whose content holds ids or host
 * figures (stat, status, statm).
 *
 * Absolute paths are translated, and "<vpid>/..." relative to /proc (a
 * directory fd of it, or the working directory: pidof works in /proc).  A
 * path relative to a directory fd of /proc/<vpid> needs nothing: the fd
 * already names the real process.
 *
 * Reachable from the SIGSYS handler: no allocation, gate syscalls only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

/* ---- numbers in paths ---- */

static char *put_uint(char *p, unsigned long v)
{
	char t[24];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = t[--n];
	*p = 0;
	return p;
}

/* digits at *s up to '/' or the end: the number, or -1; *s moves past it */
static long take_num(const char **s)
{
	const char *p = *s;
	long v = 0;
	int n = 0;
	for (; *p >= '0' && *p <= '9' && n < 9; p++, n++)
		v = v * 10 + (*p - '0');
	if (n == 0 || (*p && *p != '/'))
		return -1;
	*s = p;
	return v;
}

/* The kernel tid of thread vtid of process vpid on this node, or -ESRCH. */
static long real_tid(long vpid, long vtid)
{
	struct sim_req rq = { .op = SIM_PROCINFO, .a = { vpid, 3, vtid - 1 } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	return r == vtid ? rep.a[0] : -ESRCH;
}

long shim_proc_real_pid(long vpid)
{
	if (vpid == shim_proc.cfg.vpid)
		return sys0(SYS_getpid);
	struct sim_req rq = { .op = SIM_PROCINFO, .a = { vpid, 0 } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	return r < 0 ? r : rep.a[3];
}

/* Is dirfd (or the working directory) /proc itself? */
static bool at_proc(int dirfd)
{
	char link[40] = "/proc/self/cwd", target[16];
	if (dirfd != AT_FDCWD)
		put_uint(stpcpy(link, "/proc/self/fd/"), (unsigned long)dirfd);
	long k = sys4(SYS_readlinkat, AT_FDCWD, link, target, sizeof target);
	return k == 5 && !memcmp(target, "/proc", 5);
}

int shim_proc_translate(int dirfd, const char *path, char *buf, size_t n,
			struct shim_proc_ref *ref)
{
	ref->vpid = ref->vtid = 0;
	if (!path || n < 64)
		return 0;
	const char *rest;
	if (path[0] >= '0' && path[0] <= '9' && at_proc(dirfd)) /* "<vpid>/..." in /proc */
		rest = path;
	else if (!strncmp(path, "/proc/", 6))
		rest = path + 6;
	else
		return 0;
	long pid;
	if (!strncmp(rest, "self/task/", 10)) { /* its listing shows virtual tids */
		pid = shim_proc.cfg.vpid;
		rest += 4;
	} else {
		pid = take_num(&rest);
	}
	if (pid < 0 || pid == 1) /* pid 1 is passed through: container checks read it */
		return 0;
	long real = pid > 0 ? shim_proc_real_pid(pid) : -ESRCH;
	if (real < 0)
		return -ENOENT;
	ref->vpid = pid;
	char *b = put_uint(stpcpy(buf, "/proc/"), (unsigned long)real);
	if (!strncmp(rest, "/task/", 6)) {
		const char *t = rest + 6;
		long tid = take_num(&t);
		if (tid >= 0) {
			long rt = real_tid(pid, tid);
			if (rt < 0)
				return -ENOENT;
			ref->vtid = tid;
			b = put_uint(stpcpy(b, "/task/"), (unsigned long)rt);
			rest = t;
		}
	}
	size_t len = strnlen(rest, n - (size_t)(b - buf) - 1);
	if (rest[len])
		return -ENAMETOOLONG;
	memcpy(b, rest, len + 1);
	ref->rest = rest;
	return 1;
}

/* readlink of /proc/self and /proc/thread-self: the virtual ids. */
static long readlink_self(const char *path, char *out, size_t n, bool *done)
{
	char v[48], *p = v;
	*done = true;
	if (!strcmp(path, "/proc/self")) {
		put_uint(p, (unsigned long)shim_proc.cfg.vpid);
	} else if (!strcmp(path, "/proc/thread-self")) {
		p = put_uint(p, (unsigned long)shim_proc.cfg.vpid);
		p = stpcpy(p, "/task/");
		put_uint(p, (unsigned long)shim_self.vtid);
	} else {
		*done = false;
		return 0;
	}
	size_t len = strlen(v);
	if (len > n)
		len = n;
	memcpy(out, v, len);
	return (long)len;
}

/* The path argument of the calls translated here, or -1. */
static bool is_stat(long nr)
{
	return nr == SYS_stat || nr == SYS_lstat || nr == SYS_newfstatat || nr == SYS_statx;
}

static int path_arg(long nr)
{
	switch (nr) {
	case SYS_stat: case SYS_lstat: case SYS_access: case SYS_readlink: case SYS_chdir:
	case SYS_getxattr: case SYS_lgetxattr: case SYS_listxattr: case SYS_llistxattr:
		return 0;
	case SYS_newfstatat: case SYS_statx: case SYS_faccessat: case SYS_faccessat2:
	case SYS_readlinkat:
		return 1;
	}
	return -1;
}

/* A /proc entry's times are when the kernel first looked at it (host wall
 * time) and its inode number the host's: give it the process's virtual
 * start time (vpid 0: the node's boot), and a number made from the path
 * the program gave. */
static void virtual_stat(struct sim_call *c, long vpid, const char *path)
{
	int64_t t = shim_proc.cfg.epoch_ns + shim_proc.rt_offset - shim_proc.cfg.mono_base;
	if (vpid) {
		struct sim_req rq = { .op = SIM_PROCINFO, .a = { vpid, 0 } };
		struct sim_rep rep;
		if (shim_request(&rq, NULL, -1, &rep) < 0)
			return;
		t += shim_proc.cfg.mono_base + rep.a[2];
	}
	uint64_t ino = 1469598103934665603ULL; /* FNV-1a of the path the program gave */
	for (const char *p = path; *p; p++)
		ino = (ino ^ (unsigned char)*p) * 1099511628211ULL;
	ino = (ino & 0xffffffffULL) | 0x100000000ULL;
	shim_stat_rewrite(c, t, ino, 0);
}

void shim_stat_rewrite(struct sim_call *c, int64_t t, uint64_t ino, unsigned dev_minor)
{
	struct timespec ts = { .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };
	if (c->nr == SYS_statx) {
		struct statx *sx = (struct statx *)c->a[4];
		struct statx_timestamp st = { .tv_sec = ts.tv_sec, .tv_nsec = (uint32_t)ts.tv_nsec };
		sx->stx_atime = sx->stx_btime = sx->stx_ctime = sx->stx_mtime = st;
		if (ino)
			sx->stx_ino = ino;
		if (dev_minor) {
			sx->stx_dev_major = 0;
			sx->stx_dev_minor = dev_minor;
		}
		return;
	}
	struct stat *st = (struct stat *)c->a[c->nr == SYS_newfstatat ? 2 : 1];
	st->st_atim = st->st_mtim = st->st_ctim = ts;
	if (ino)
		st->st_ino = ino;
	if (dev_minor)
		st->st_dev = dev_minor; /* makedev(0, minor) for minor < 256 */
}

bool shim_proc_path_call(struct sim_call *c, long *ret)
{
	int i = path_arg(c->nr);
	if (i < 0)
		return false;
	const char *path = (const char *)c->a[i];
	int dirfd = i == 1 ? (int)c->a[0] : AT_FDCWD;
	if (!path || (strncmp(path, "/proc", 5) && !(path[0] >= '0' && path[0] <= '9')))
		return false;
	if (c->nr == SYS_readlink || c->nr == SYS_readlinkat) {
		bool done;
		long r = readlink_self(path, (char *)c->a[i + 1], (size_t)c->a[i + 2], &done);
		if (done) {
			*ret = r;
			return true;
		}
	}
	if (shim_proc_host_only(c->nr, path, ret))
		return true;
	char buf[512];
	struct shim_proc_ref ref;
	int t = shim_proc_translate(dirfd, path, buf, sizeof buf, &ref);
	if (t == 0 && path[0] == '/' && (path[5] == '/' || !path[5]) && is_stat(c->nr)) {
		*ret = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
		if (*ret == 0)
			virtual_stat(c, 0, path); /* the rest of /proc: the node's boot */
		return true;
	}
	if (t == 0)
		return false;
	if (t < 0) {
		*ret = t;
		return true;
	}
	c->a[i] = (long)buf;
	*ret = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	c->a[i] = (long)path;
	if (*ret == 0 && is_stat(c->nr))
		virtual_stat(c, ref.vpid, path);
	return true;
}

/* ---- what is not simulated ---- */

/* Files of /proc that describe the host (its devices, memory zones,
 * modules, kernel command line) or count its activity (interrupts, disk
 * and VM counters, pressure): nothing in the simulation could make them
 * up consistently, and passed through they would differ between hosts
 * and runs.  They do not exist, and simsup names them. */
static const char *const host_only[] = {
	"buddyinfo", "cgroups", "cmdline", "diskstats", "interrupts", "iomem", "ioports",
	"kallsyms", "key-users", "keys", "kmsg", "kpagecgroup", "kpagecount", "kpageflags",
	"latency_stats", "lock_stat", "locks", "mdstat", "modules", "pagetypeinfo", "partitions",
	"pressure", "sched_debug", "schedstat", "slabinfo", "softirqs", "swaps", "timer_list",
	"vmallocinfo", "vmstat", "zoneinfo",
};

static bool is_host_only(const char *name, size_t n)
{
	for (unsigned i = 0; i < sizeof host_only / sizeof *host_only; i++)
		if (strlen(host_only[i]) == n && !strncmp(name, host_only[i], n))
			return true;
	return false;
}

bool shim_proc_host_only(long nr, const char *path, long *ret)
{
	if (!path || strncmp(path, "/proc/", 6))
		return false;
	const char *name = path + 6;
	size_t n = strcspn(name, "/");
	if (!is_host_only(name, n))
		return false;
	char what[160];
	char *w = stpcpy(what, "describes the host, not simulated (docs/pseudo-files.md): /proc/");
	memcpy(w, name, n < 64 ? n : 64);
	strcpy(w + (n < 64 ? n : 64), " (ENOENT)");
	shim_refuse(nr, what);
	*ret = -ENOENT;
	return true;
}

/* ---- listings ---- */

/* Per process: the directory fds being listed with virtual entries, and
 * the last id listed (one turn at a time: no lock). */
#define LISTINGS 16
static struct {
	int fd;       /* -1: free */
	long last;    /* last virtual id listed */
} listing[LISTINGS] = { [0 ... LISTINGS - 1] = { .fd = -1 } };

void shim_proc_listing_forget(int fd)
{
	for (int i = 0; i < LISTINGS; i++)
		if (listing[i].fd == fd)
			listing[i].fd = -1;
}

static int listing_slot(int fd)
{
	for (int i = 0; i < LISTINGS; i++)
		if (listing[i].fd == fd)
			return i;
	for (int i = 0; i < LISTINGS; i++)
		if (listing[i].fd < 0) {
			listing[i].fd = fd;
			listing[i].last = 0;
			return i;
		}
	return -1;
}

struct dent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* What a directory fd lists: 1 /proc itself, 2 a task directory (its
 * process's vpid in *vpid), 0 anything else. */
static int listing_kind(int fd, long *vpid)
{
	char link[40], *p, target[128];
	p = stpcpy(link, "/proc/self/fd/");
	put_uint(p, (unsigned long)fd);
	long k = sys4(SYS_readlinkat, AT_FDCWD, link, target, sizeof target - 1);
	if (k < 5 || k >= (long)sizeof target - 1)
		return 0;
	target[k] = 0;
	if (!strcmp(target, "/proc"))
		return 1;
	if (strncmp(target, "/proc/", 6) || k < 11 || strcmp(target + k - 5, "/task"))
		return 0;
	target[k - 5] = 0;
	const char *s = target + 6;
	long real = take_num(&s);
	if (real <= 0 || *s)
		return 0;
	*vpid = real == sys0(SYS_getpid) ? shim_proc.cfg.vpid : shim_call(SIM_PID, SIM_PID_REAL_VIRTUAL, real, 0, 0);
	return *vpid > 0 ? 2 : 0;
}

/* The next virtual id above last: a process of the node (vpid 0) or a
 * thread of process vpid.  0 when there is none. */
static long next_id(long vpid, long last)
{
	struct sim_req rq = { .op = SIM_PROCINFO, .a = { vpid ? vpid : last, vpid ? 3 : 2, last } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	return r > 0 ? r : 0;
}

/* Virtual entries after slot's last id, as many as fit in buf. */
static long list_virtual(int slot, long vpid, char *buf, size_t len)
{
	size_t out = 0;
	for (;;) {
		long id = next_id(vpid, listing[slot].last);
		if (!id)
			break;
		char name[16];
		put_uint(name, (unsigned long)id);
		size_t nl = strlen(name);
		unsigned short rl = (unsigned short)((sizeof(struct dent) + nl + 1 + 7) & ~7UL);
		if (out + rl > len)
			break;
		struct dent *d = (struct dent *)(buf + out);
		memset(d, 0, rl);
		d->ino = 0x100000 + (uint64_t)id;
		d->off = 0x40000000 + id;
		d->reclen = rl;
		d->type = 4; /* DT_DIR */
		memcpy(d->name, name, nl + 1);
		out += rl;
		listing[slot].last = id;
	}
	if (out == 0 && next_id(vpid, listing[slot].last))
		return -EINVAL; /* the buffer is too small for one entry */
	return (long)out;
}

/* getdents64 on /proc or a task directory: the kernel's entries without
 * the host's numbered ones (and without host_only), then the node's processes (or the process's
 * threads) by virtual id.  A listing that starts again (rewinddir: the
 * kernel returns "." again) starts the virtual ids again.  Returns false
 * for any other directory. */
bool shim_proc_getdents(int fd, char *buf, size_t len, long *ret)
{
	long vpid = 0;
	int kind = listing_kind(fd, &vpid);
	if (!kind)
		return false;
	int slot = listing_slot(fd);
	if (slot < 0) {
		shim_refuse(SYS_getdents64, "more than 16 listings of /proc open at once");
		*ret = -EMFILE;
		return true;
	}
	if (kind == 1)
		vpid = 0;
	for (;;) {
		long r = sys3(SYS_getdents64, fd, buf, len);
		if (r < 0) {
			*ret = r;
			return true;
		}
		if (r == 0)
			break;
		long in = 0, out = 0;
		while (in < r) {
			struct dent *d = (struct dent *)(buf + in);
			unsigned short rl = d->reclen;
			if (!strcmp(d->name, "."))
				listing[slot].last = 0;
			if (!numeric(d->name) && !(kind == 1 && is_host_only(d->name, strlen(d->name)))) {
				if (out != in)
					memmove(buf + out, buf + in, rl);
				out += rl;
			}
			in += rl;
		}
		if (out > 0) {
			*ret = out;
			return true;
		}
	}
	*ret = list_virtual(slot, vpid, buf, len);
	return true;
}
