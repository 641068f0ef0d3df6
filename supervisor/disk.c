/*
 * disk.c — disk faults (--disk, and the chaos family disk=on): EIO, ENOSPC,
 * stalls and corrupt reads on a server's files, for a window of virtual
 * time or a number of operations (docs/faults.md, "Disk faults").
 *
 * While a fault is active on a node, every reply tells its shim which
 * operations are affected (sim_rep.disk_ops); the shim then asks about each
 * such operation on a regular file (SIM_DISK, with the file), and this file
 * decides: the fault's path glob, its count, and the faults' random stream
 * for stalls and corrupted bytes.  An fsync that fails with EIO follows
 * Linux: the dirty data is dropped (storage.c keeps it out of the durable
 * state), so a retried fsync succeeds without making it durable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "disk.h"
#include "storage.h"
#include "sup.h"

static const char *const fault_names[] = { "eio", "enospc", "stall", "corrupt" };
static const char *const op_names[] = { "read", "write", "fsync" };

struct sup_disk {
	struct sup_disk_fault **f; /* each its own allocation: events point at it */
	int n, cap;
	int64_t *used;     /* --disk-size: bytes in each server's storage dir (-1: measure) */
	uint64_t rng[4];   /* its own stream: a disk fault must not move other draws */
};

/* ---- parsing: at=DUR,proc=N,fault=F[,op=O][,for=DUR|count=N][,path=GLOB][,delay=DUR] ---- */

static int bad(char *err, size_t n, const char *arg, const char *why)
{
	snprintf(err, n, "--disk \"%s\": %s", arg, why);
	return -1;
}

int sup_disk_parse(const char *arg, int procs, struct sup_disk_fault *d, char *err, size_t n)
{
	*d = (struct sup_disk_fault){ .fault = -1, .node = -1, .at = -1, .delay = 1000000000LL };
	char buf[512];
	if (strlen(arg) >= sizeof buf)
		return bad(err, n, arg, "too long");
	snprintf(buf, sizeof buf, "%s", arg);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *v = strchr(t, '=');
		if (!v)
			return bad(err, n, arg, "expected KEY=VALUE pairs (at, proc, fault, op, for, count, path, delay)");
		*v++ = 0;
		char *end;
		if (!strcmp(t, "at") || !strcmp(t, "for") || !strcmp(t, "delay")) {
			int64_t ns;
			if (sup_parse_duration(v, &ns) < 0 || (strcmp(t, "at") && ns <= 0))
				return bad(err, n, arg, "at, for and delay take a duration such as 2s or 500ms");
			if (!strcmp(t, "at"))
				d->at = ns;
			else if (!strcmp(t, "for"))
				d->dur = ns;
			else
				d->delay = ns;
		} else if (!strcmp(t, "proc")) {
			long p = strtol(v, &end, 10);
			if (!*v || *end || p < 0 || p >= procs)
				return bad(err, n, arg, "proc: expected a server index");
			d->node = (int)p;
		} else if (!strcmp(t, "count")) {
			long c = strtol(v, &end, 10);
			if (!*v || *end || c <= 0 || c > 1000000)
				return bad(err, n, arg, "count: expected a number from 1 to 1000000");
			d->count = (int)c;
		} else if (!strcmp(t, "fault")) {
			for (int i = 0; i < 4; i++)
				if (!strcmp(v, fault_names[i]))
					d->fault = i;
			if (d->fault < 0)
				return bad(err, n, arg, "fault: expected eio, enospc, stall or corrupt");
		} else if (!strcmp(t, "op")) { /* read, write, fsync, or some joined by + */
			int o = 0;
			for (char *s2 = NULL, *w = strtok_r(v, "+", &s2); w; w = strtok_r(NULL, "+", &s2)) {
				int one = 0;
				for (int i = 0; i < 3; i++)
					if (!strcmp(w, op_names[i]))
						one = 1 << i;
				if (!one)
					return bad(err, n, arg, "op: expected read, write or fsync (or some joined by +)");
				o |= one;
			}
			if (!o)
				return bad(err, n, arg, "op: expected read, write or fsync (or some joined by +)");
			d->ops = o;
		} else if (!strcmp(t, "path")) {
			if (!*v || strlen(v) >= sizeof d->glob)
				return bad(err, n, arg, "path: expected a glob such as *.log");
			snprintf(d->glob, sizeof d->glob, "%s", v);
		} else {
			return bad(err, n, arg, "unknown key (at, proc, fault, op, for, count, path, delay)");
		}
	}
	if (d->at < 0 || d->node < 0 || d->fault < 0)
		return bad(err, n, arg, "at, proc and fault are required");
	if (d->dur && d->count)
		return bad(err, n, arg, "give for or count, not both");
	/* what each fault hits unless op= says */
	static const int default_ops[] = { SIM_DISK_FSYNC, SIM_DISK_WRITE, SIM_DISK_FSYNC | SIM_DISK_WRITE,
					   SIM_DISK_READ };
	if (!d->ops)
		d->ops = default_ops[d->fault];
	if (d->fault == SUP_DISK_ENOSPC && d->ops != SIM_DISK_WRITE)
		return bad(err, n, arg, "enospc affects writes only (op=write)");
	if (d->fault == SUP_DISK_CORRUPT && d->ops != SIM_DISK_READ)
		return bad(err, n, arg, "corrupt affects reads only (op=read)");
	if (!d->dur && !d->count)
		d->count = 1;
	return 0;
}

/* ---- the faults in a run ---- */

static void log_fault(struct sup_run *R, const struct sup_disk_fault *d, const char *what, const char *path)
{
	char nb[16];
	sup_trace_ev(R, NULL, 0, "disk", "sssss", "node", sup_node_name(R, d->node, nb, sizeof nb), "fault",
		     fault_names[d->fault], "what", what, "path", path ? path : "", "glob", d->glob);
}

static void start_ev(struct sup_run *R, void *arg)
{
	struct sup_disk_fault *d = arg;
	d->active = true;
	d->until = d->dur ? R->now + d->dur : -1;
	log_fault(R, d, "start", NULL);
	sup_fault_note(R, "disk", d->node, "%s on %s%s%s", fault_names[d->fault],
		       d->ops == SIM_DISK_READ ? "reads" : d->ops == SIM_DISK_WRITE ? "writes"
		       : d->ops == SIM_DISK_FSYNC ? "fsyncs" : "writes and fsyncs",
		       d->glob[0] ? " of " : "", d->glob);
	R->gen++; /* replies now carry the fault */
	char ops[32] = "", len[48], dl[32];
	for (int i = 0; i < 3; i++)
		if (d->ops & (1 << i))
			snprintf(ops + strlen(ops), sizeof ops - strlen(ops), "%s%s", ops[0] ? "+" : "", op_names[i]);
	if (d->dur)
		snprintf(len, sizeof len, "for=%s", sup_fmt_duration(d->dur, dl, sizeof dl));
	else
		snprintf(len, sizeof len, "count=%d", d->count);
	sup_fault_record(R, "--disk", "proc=%d,fault=%s,op=%s,%s,delay=%s%s%s", d->node, fault_names[d->fault], ops,
			 len, sup_fmt_duration(d->delay, dl, sizeof dl), d->glob[0] ? ",path=" : "", d->glob);
}

static void end_ev(struct sup_run *R, void *arg)
{
	struct sup_disk_fault *d = arg;
	if (!d->active)
		return;
	d->active = false;
	log_fault(R, d, "end", NULL);
}

static struct sup_disk *disk_of(struct sup_run *R)
{
	if (!R->disk) {
		R->disk = calloc(1, sizeof *R->disk);
		sup_rand_seed(R->disk->rng, R->seed ^ 0xd15cfa0177ULL);
	}
	return R->disk;
}

static void add(struct sup_run *R, const struct sup_disk_fault *f)
{
	struct sup_disk *D = disk_of(R);
	if (D->n == D->cap)
		D->f = realloc(D->f, (size_t)(D->cap = D->cap ? 2 * D->cap : 8) * sizeof *D->f);
	struct sup_disk_fault *d = malloc(sizeof *d);
	*d = *f;
	D->f[D->n++] = d;
	sup_event_at(R, d->at, start_ev, d);
	if (d->dur)
		sup_event_at(R, d->at + d->dur, end_ev, d);
}

void sup_disk_start(struct sup_run *R)
{
	const struct sup_opts *o = R->o;
	char err[256];
	struct sup_disk_fault d;
	for (int i = 0; i < o->ndisks; i++)
		if (sup_disk_parse(o->disks[i], o->procs, &d, err, sizeof err) == 0)
			add(R, &d);
}

void sup_disk_chaos(struct sup_run *R, uint64_t rng[4], int64_t lo, int64_t hi)
{
	struct sup_disk_fault d = { .node = (int)(sup_rand_next(rng) % (uint64_t)R->o->procs),
				    .fault = (int)(sup_rand_next(rng) % 4), .at = R->now,
				    .delay = 1000000000LL };
	d.dur = lo + (int64_t)(sup_rand_next(rng) % (uint64_t)(hi - lo + 1));
	static const int ops[4][3] = { { SIM_DISK_FSYNC, SIM_DISK_WRITE, SIM_DISK_READ },
				       { SIM_DISK_WRITE, SIM_DISK_WRITE, SIM_DISK_WRITE },
				       { SIM_DISK_FSYNC, SIM_DISK_WRITE, SIM_DISK_FSYNC | SIM_DISK_WRITE },
				       { SIM_DISK_READ, SIM_DISK_READ, SIM_DISK_READ } };
	d.ops = ops[d.fault][sup_rand_next(rng) % 3];
	add(R, &d);
}

void sup_disk_free(struct sup_run *R)
{
	if (!R->disk)
		return;
	for (int i = 0; i < R->disk->n; i++)
		free(R->disk->f[i]);
	free(R->disk->f);
	free(R->disk->used);
	free(R->disk);
	R->disk = NULL;
}

int64_t sup_disk_ops(struct sup_run *R, int node)
{
	struct sup_disk *D = R->disk;
	int64_t ops = R->o->disk_size && node >= 0 ? SIM_DISK_WRITE : 0; /* every write counts */
	for (int i = 0; D && i < D->n; i++)
		if (D->f[i]->active && D->f[i]->node == node)
			ops |= D->f[i]->ops;
	return ops;
}

/* The path of the file open at fd relative to the node's storage dir (its
 * disk), or NULL when it lies elsewhere: logs, /tmp and the host's files
 * are not on the simulated disk. */
static const char *file_path(struct sup_run *R, int node, int fd, char *buf, size_t n)
{
	char link[64], nb[16], dir[4200];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, buf, n - 1);
	buf[k > 0 ? k : 0] = 0;
	for (int i = 0; i < 2; i++) {
		const char *top = i ? R->view_dir : R->run_dir;
		if (!top)
			continue;
		snprintf(dir, sizeof dir, "%s/data/%s/", top, sup_node_name(R, node, nb, sizeof nb));
		size_t l = strlen(dir);
		if (!strncmp(buf, dir, l))
			return buf + l;
	}
	return NULL;
}

/* The sizes of the regular files under dirfd; *entries (if given) counts
 * every file and directory under it. */
static int64_t sum_sizes(int dirfd, int64_t *entries)
{
	int64_t total = 0;
	struct sto_ent *e;
	int n = sto_read_entries(dirfd, &e);
	if (entries && n > 0)
		*entries += n;
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (e[i].type == DT_DIR) {
			int fd = openat(dirfd, e[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0) {
				STO_DESCEND(total += sum_sizes(fd, entries));
				close(fd);
			}
		} else if (e[i].type == DT_REG && fstatat(dirfd, e[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			total += st.st_size;
		}
	}
	if (n > 0)
		sto_free_entries(e, n);
	return total;
}

/* What the node's disk holds, for statfs (SIM_DISK_USAGE, shim/diskfree.c):
 * the bytes of its storage dir's files; *entries its files and
 * directories, *size the disk's size. */
int64_t sup_disk_usage(struct sup_run *R, int node, int64_t *entries, int64_t *size)
{
	char dir[4200], nb[16];
	snprintf(dir, sizeof dir, "%s/data/%s", R->run_dir, sup_node_name(R, node, nb, sizeof nb));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*entries = 0;
	*size = R->o->disk_size ? R->o->disk_size : SUP_DISK_BYTES;
	int64_t used = dfd >= 0 ? sum_sizes(dfd, entries) : 0;
	if (dfd >= 0)
		close(dfd);
	return used;
}

/*
 * --disk-size: the storage dir holds at most that many bytes (the sum of
 * its files' sizes, so that a run does not depend on the host's block
 * allocation).  A write that would grow a file past it fails with ENOSPC;
 * the used size is counted up by each write and measured again (files may
 * have been removed or truncated since) before it refuses one.  Linux would
 * write what fits and fail the next call; here the call that does not fit
 * fails whole.
 */
static int64_t check_size(struct sup_run *R, int node, int fd, int64_t len, int64_t off, const char *path)
{
	struct sup_disk *D = disk_of(R);
	if (!D->used) {
		D->used = malloc((size_t)R->o->procs * sizeof *D->used);
		for (int i = 0; i < R->o->procs; i++)
			D->used[i] = -1;
	}
	struct stat st;
	if (len <= 0 || fstat(fd, &st) < 0)
		return 0;
	if (off < 0) /* the file's own position, shared with the program's fd */
		off = (fcntl(fd, F_GETFL) & O_APPEND) ? st.st_size : lseek(fd, 0, SEEK_CUR);
	int64_t grow = off + len > st.st_size ? off + len - st.st_size : 0;
	for (int pass = 0; grow && pass < 2; pass++) {
		if (D->used[node] < 0 || pass) {
			char dir[4200], nb[16];
			snprintf(dir, sizeof dir, "%s/data/%s", R->run_dir, sup_node_name(R, node, nb, sizeof nb));
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			D->used[node] = dfd >= 0 ? sum_sizes(dfd, NULL) : 0;
			if (dfd >= 0)
				close(dfd);
		}
		if (D->used[node] + grow <= R->o->disk_size) {
			D->used[node] += grow;
			return 0;
		}
	}
	if (!grow)
		return 0;
	char nb[16];
	sup_trace_ev(R, NULL, 0, "disk", "ssssi", "node", sup_node_name(R, node, nb, sizeof nb), "fault", "full",
		     "what", "write", "path", path, "used", D->used[node]);
	return -ENOSPC;
}

int64_t sup_disk_decide(struct sup_run *R, int node, int op, int fd, int64_t len, int64_t off,
			int64_t *stall, int64_t *corrupt)
{
	struct sup_disk *D = R->disk;
	*stall = 0;
	*corrupt = 0;
	if (node < 0)
		return 0;
	char buf[4200];
	const char *path = NULL;
	bool looked = false;
	if (R->o->disk_size && op == SIM_DISK_WRITE) {
		path = file_path(R, node, fd, buf, sizeof buf);
		looked = true;
		int64_t r = path ? check_size(R, node, fd, len, off, path) : 0;
		if (r < 0)
			return r;
		D = R->disk;
	}
	if (!D)
		return 0;
	for (int i = 0; i < D->n; i++) {
		struct sup_disk_fault *d = D->f[i];
		if (!d->active || d->node != node || !(d->ops & op))
			continue;
		if (!looked)
			path = file_path(R, node, fd, buf, sizeof buf);
		looked = true;
		if (!path)
			return 0;
		const char *base = strrchr(path, '/');
		if (d->glob[0] && fnmatch(d->glob, path, 0) && fnmatch(d->glob, base ? base + 1 : path, 0))
			continue;
		if (d->count && --d->count == 0)
			d->active = false;
		log_fault(R, d, op == SIM_DISK_READ ? "read" : op == SIM_DISK_WRITE ? "write" : "fsync", path);
		switch (d->fault) {
		case SUP_DISK_EIO:
			if (op == SIM_DISK_FSYNC) /* Linux drops the dirty pages */
				sup_storage_fsync_failed(R, node, fd);
			return -EIO;
		case SUP_DISK_ENOSPC:
			return -ENOSPC;
		case SUP_DISK_STALL:
			/* seeded, up to the fault's delay */
			*stall = 1 + (int64_t)(sup_rand_next(D->rng) % (uint64_t)d->delay);
			return 0;
		case SUP_DISK_CORRUPT:
			*corrupt = 1 + (int64_t)(sup_rand_next(D->rng) >> 1);
			return 0;
		}
	}
	return 0;
}
