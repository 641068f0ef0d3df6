/*
 * storage.c — what each server's storage dir holds durably, and the power
 * loss that rolls it back to that (docs/faults.md, "Power loss").
 *
 * Off unless a power loss can happen (--reboot kind=power, or power in the
 * chaos kinds): then the shim reports every durability point (SIM_SYNC,
 * shim/storage.c) and this file keeps, per node, a durable image:
 *   - contents: a copy of a regular file as it was at its last durability
 *     point, in RUN_DIR/durable/pN/<key>, where the key names the inode
 *     (real inode number and birth time).  A store file is never changed
 *     once written (a new copy is renamed over it), so two keys may share
 *     one by a hard link.  No copy: the durable file is empty.
 *   - listings: per directory (by key), the names it holds durably, with
 *     each name's type, key, mode, owner and times.
 * A power loss rebuilds the storage dir from the root's durable listing,
 * after a seeded choice of what the kernel's writeback may also have
 * flushed (power_outcome).  Anything made durable is never lost; anything
 * kept beyond that is what a real kernel may have written back on its own.
 *
 * Profiles: ext4 (the default) commits its journal on every fsync and every
 * `commit` interval, and a commit makes every directory's names durable at
 * once (a prefix of the metadata operations); a rename or a new name that
 * replaces a file also writes back the new file's data first (ext4's
 * auto_da_alloc).  posix (ALICE's model) makes a directory's names durable
 * only by an fsync of that directory, sync or syncfs, or by age.  In both,
 * file data is durable by fsync/fdatasync/sync/syncfs/O_SYNC writes/msync,
 * and by age: dirty for `expire` (30s) at a writeback tick (every `commit`).
 *
 * Only the storage dir is modelled: files elsewhere (logs, /tmp, /dev/shm)
 * survive a power loss as they are.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "storage.h"
#include "sup.h"

int sto_depth; /* the walks' current depth (STO_DESCEND); one thread */

/* ---- keys, records ---- */

uint64_t sto_key_of(const struct statx *sx)
{
	uint64_t k = sx->stx_ino * 0x9e3779b97f4a7c15ULL;
	if (sx->stx_mask & STATX_BTIME)
		k ^= (uint64_t)sx->stx_btime.tv_sec * 1000000000ULL + sx->stx_btime.tv_nsec;
	return k ? k : 1;
}

int sto_statx(int dirfd, const char *name, struct statx *sx)
{
	return statx(dirfd, name, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH),
		     STATX_BASIC_STATS | STATX_BTIME, sx);
}

struct sto_list *sto_find_list(struct sto_node *N, uint64_t key, bool make)
{
	for (int i = 0; i < N->nlists; i++)
		if (N->lists[i].key == key)
			return &N->lists[i];
	if (!make)
		return NULL;
	if (N->nlists == N->caplists) {
		N->caplists = N->caplists ? 2 * N->caplists : 16;
		N->lists = realloc(N->lists, (size_t)N->caplists * sizeof *N->lists);
	}
	N->lists[N->nlists] = (struct sto_list){ .key = key, .dirty_since = -1 };
	return &N->lists[N->nlists++];
}

struct sto_file *sto_find_file(struct sto_node *N, uint64_t key, bool make)
{
	for (int i = 0; i < N->nfiles; i++)
		if (N->files[i].key == key)
			return &N->files[i];
	if (!make)
		return NULL;
	if (N->nfiles == N->capfiles) {
		N->capfiles = N->capfiles ? 2 * N->capfiles : 64;
		N->files = realloc(N->files, (size_t)N->capfiles * sizeof *N->files);
	}
	N->files[N->nfiles] = (struct sto_file){ .key = key, .dirty_since = -1 };
	return &N->files[N->nfiles++];
}

void sto_free_entries(struct sto_ent *e, int n)
{
	for (int i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].target);
	}
	free(e);
}

static void da_drop(struct sto_node *N)
{
	for (int i = 0; i < N->nda; i++)
		close(N->da_fd[i]);
	N->nda = 0;
}

void sto_forget_all(struct sto_node *N)
{
	da_drop(N);
	for (int i = 0; i < N->nlists; i++)
		sto_free_entries(N->lists[i].e, N->lists[i].n);
	N->nlists = 0;
	N->nfiles = 0;
}

void sto_store_path(const struct sto_node *N, uint64_t key, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%016llx", N->store, (unsigned long long)key);
}

/* ---- making things durable ---- */

static bool inside(const struct sto_node *N, int fd);

/*
 * After an fsync failed with EIO (disk.c), Linux has dropped the file's
 * dirty pages and marked them clean: that data never reaches the disk,
 * although the program still reads it from the page cache, and no
 * writeback will ever flush it.  The content at the failure is kept in
 * store/<key>.failed; sto_drop_failed turns content as the program sees
 * it into what can reach the disk: every page still as it was at the
 * failure keeps its durable content (zeros where the durable file was
 * shorter), pages written since are kept.
 */
char *sto_read_all(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	char *b = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	ssize_t k;
	while (n < (size_t)st.st_size && (k = pread(fd, b + n, (size_t)st.st_size - n, (off_t)n)) > 0)
		n += (size_t)k;
	*len = n;
	return b;
}

bool sto_drop_failed(struct sto_node *N, uint64_t key, char *buf, size_t len)
{
	char fp[4300], dp[4200];
	sto_store_path(N, key, dp, sizeof dp);
	snprintf(fp, sizeof fp, "%s.failed", dp);
	int ffd = open(fp, O_RDONLY | O_CLOEXEC);
	if (ffd < 0)
		return false;
	size_t fl = 0, dl = 0;
	char *failed = sto_read_all(ffd, &fl), *dur = NULL;
	close(ffd);
	int dfd = open(dp, O_RDONLY | O_CLOEXEC);
	if (dfd >= 0) {
		dur = sto_read_all(dfd, &dl);
		close(dfd);
	}
	bool changed = false;
	for (size_t off = 0; failed && off < len; off += 4096) {
		size_t k = len - off < 4096 ? len - off : 4096;
		if (off + k > fl || memcmp(buf + off, failed + off, k))
			continue; /* written since the failure (or not there then) */
		for (size_t i = 0; i < k; i++) {
			char d = dur && off + i < dl ? dur[off + i] : 0;
			changed |= buf[off + i] != d;
			buf[off + i] = d;
		}
	}
	free(failed);
	free(dur);
	return changed;
}

static void keep_dropped(struct sto_node *N, uint64_t key, int out)
{
	size_t len = 0;
	char *b = sto_read_all(out, &len);
	if (b && sto_drop_failed(N, key, b, len) && pwrite(out, b, len, 0) != (ssize_t)len)
		fprintf(stderr, "simsup: cannot write the durable copy of a file: %s\n", strerror(errno));
	free(b);
}

void sup_storage_fsync_failed(struct sup_run *R, int node, int fd)
{
	struct sup_storage *S = R->storage;
	if (!S || node < 0 || node >= S->nnodes || !inside(&S->n[node], fd))
		return;
	struct statx sx;
	char path[64], dst[4200];
	if (sto_statx(fd, "", &sx) < 0 || !S_ISREG(sx.stx_mode))
		return;
	sto_store_path(&S->n[node], sto_key_of(&sx), dst, sizeof dst);
	strcat(dst, ".failed");
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int in = open(path, O_RDONLY | O_CLOEXEC), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	loff_t off = 0;
	while (in >= 0 && out >= 0 && copy_file_range(in, &off, out, NULL, 1 << 30, 0) > 0)
		;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

/* Copies the file open at fd (any access mode, O_PATH too) into the store. */
int sto_snap_content(struct sto_node *N, int fd, const struct statx *sx)
{
	char path[64], tmp[4200], dst[4200];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	uint64_t key = sto_key_of(sx);
	snprintf(tmp, sizeof tmp, "%s/tmp", N->store);
	sto_store_path(N, key, dst, sizeof dst);
	int out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -errno;
	}
	int rc = 0;
	loff_t off = 0;
	while (rc == 0) {
		ssize_t k = copy_file_range(in, &off, out, NULL, 1 << 30, 0);
		if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS)) {
			char b[65536];
			k = pread(in, b, sizeof b, off);
			if (k > 0 && write(out, b, (size_t)k) != k)
				k = -1;
			if (k > 0)
				off += k;
		}
		if (k < 0)
			rc = -errno;
		if (k <= 0)
			break;
	}
	if (rc == 0)
		keep_dropped(N, key, out);
	close(in);
	close(out);
	if (rc == 0 && rename(tmp, dst) < 0)
		rc = -errno;
	if (rc < 0)
		return rc;
	struct sto_file *f = sto_find_file(N, key, true);
	f->stored = true;
	f->size = (int64_t)off;
	f->mtime = (struct timespec){ sx->stx_mtime.tv_sec, sx->stx_mtime.tv_nsec };
	f->dirty_since = -1;
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sto_ent *)a)->name, ((const struct sto_ent *)b)->name);
}

/* The names in the directory open at dirfd, sorted.  Returns the count or
 * -errno; *out is malloc'd. */
int sto_read_entries(int dirfd, struct sto_ent **out)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	struct sto_ent *e = NULL;
	int n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct statx sx;
		if (sto_statx(dirfd, de->d_name, &sx) < 0)
			continue;
		unsigned char type = S_ISREG(sx.stx_mode) ? DT_REG : S_ISDIR(sx.stx_mode) ? DT_DIR
				     : S_ISLNK(sx.stx_mode) ? DT_LNK : S_ISFIFO(sx.stx_mode) ? DT_FIFO : 0;
		if (!type)
			continue; /* sockets and devices do not outlive a boot */
		if (n == cap)
			e = realloc(e, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *e);
		e[n] = (struct sto_ent){ .name = strdup(de->d_name), .type = type,
					 .mode = sx.stx_mode & 07777, .uid = sx.stx_uid, .gid = sx.stx_gid,
					 .mtime = { sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec },
					 .key = sto_key_of(&sx) };
		if (type == DT_LNK) {
			char t[4096];
			ssize_t k = readlinkat(dirfd, de->d_name, t, sizeof t - 1);
			t[k > 0 ? k : 0] = 0;
			e[n].target = strdup(t);
		}
		n++;
	}
	closedir(d);
	qsort(e, (size_t)n, sizeof *e, ent_cmp);
	*out = e;
	return n;
}

bool sto_same_entries(const struct sto_ent *a, int na, const struct sto_ent *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) || a[i].type != b[i].type || a[i].key != b[i].key)
			return false;
	return true;
}

/*
 * Makes the names of the directory open at dirfd durable.  da_alloc
 * (ext4): a name that now holds another file than its durable one (a
 * rename over it, or a new file in its place) first gets that file's data
 * written back.
 */
void sto_snap_list(struct sto_node *N, int dirfd, uint64_t key, bool da_alloc)
{
	/* an fsync-heavy program (initdb fsyncs every file, each fsync an
	 * ext4 commit) would read every directory again and again: a
	 * directory whose times did not move holds the same names */
	struct statx dx;
	if (sto_statx(dirfd, "", &dx) < 0)
		return;
	int64_t mt = (int64_t)dx.stx_mtime.tv_sec * 1000000000LL + dx.stx_mtime.tv_nsec;
	int64_t ct = (int64_t)dx.stx_ctime.tv_sec * 1000000000LL + dx.stx_ctime.tv_nsec;
	struct sto_list *L = sto_find_list(N, key, false);
	if (L && L->mtime_ns == mt && L->ctime_ns == ct)
		return;
	struct sto_ent *e;
	int n = sto_read_entries(dirfd, &e);
	if (n < 0)
		return;
	L = sto_find_list(N, key, true);
	if (da_alloc)
		for (int i = 0, j = 0; i < n; i++) {
			while (j < L->n && strcmp(L->e[j].name, e[i].name) < 0)
				j++;
			bool replaced = j < L->n && !strcmp(L->e[j].name, e[i].name) && L->e[j].key != e[i].key;
			if (!replaced || e[i].type != DT_REG)
				continue;
			int fd = openat(dirfd, e[i].name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			struct statx sx;
			if (fd >= 0 && sto_statx(fd, "", &sx) == 0)
				sto_snap_content(N, fd, &sx);
			if (fd >= 0)
				close(fd);
			L = sto_find_list(N, key, false); /* the files array moved, not lists */
		}
	sto_free_entries(L->e, L->n);
	L->e = e;
	L->n = n;
	L->dirty_since = -1;
	L->mtime_ns = mt;
	L->ctime_ns = ct;
}

/* Walks the tree under dirfd: every directory's names durable (a journal
 * commit), and with contents every regular file's data too (sync). */
void sto_snap_tree(struct sto_node *N, int dirfd, uint64_t key, bool contents, bool da_alloc)
{
	sto_snap_list(N, dirfd, key, da_alloc);
	struct sto_list *L = sto_find_list(N, key, false);
	for (int i = 0; L && i < L->n; i++) {
		const struct sto_ent *e = &L->e[i];
		if (e->type != DT_DIR && !(contents && e->type == DT_REG))
			continue;
		int fd = openat(dirfd, e->name, (e->type == DT_DIR ? O_RDONLY | O_DIRECTORY : O_PATH) |
					       O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct statx sx;
		uint64_t k = e->key;
		if (e->type == DT_DIR) {
			STO_DESCEND(sto_snap_tree(N, fd, k, contents, da_alloc));
			L = sto_find_list(N, key, false); /* the array may have moved */
		} else if (sto_statx(fd, "", &sx) == 0) {
			sto_snap_content(N, fd, &sx);
		}
		close(fd);
	}
}

int sto_open_root(const struct sto_node *N)
{
	return open(N->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void commit(struct sup_storage *S, struct sto_node *N, bool contents)
{
	/* auto_da_alloc: the data of a file renamed over another or
	 * truncated and rewritten goes to disk before the commit that makes
	 * the rename or the truncation durable (data=ordered) */
	for (int i = 0; S->d.profile == SUP_PROFILE_EXT4 && i < N->nda; i++) {
		struct statx sx;
		if (sto_statx(N->da_fd[i], "", &sx) == 0 && S_ISREG(sx.stx_mode) && sx.stx_nlink > 0)
			sto_snap_content(N, N->da_fd[i], &sx);
	}
	da_drop(N);
	int fd = sto_open_root(N);
	if (fd < 0)
		return;
	sto_snap_tree(N, fd, N->root, contents, S->d.profile == SUP_PROFILE_EXT4);
	close(fd);
}

static struct sto_node *node_of(struct sup_run *R, int node)
{
	struct sup_storage *S = R->storage;
	return S && node >= 0 && node < S->nnodes ? &S->n[node] : NULL;
}

/* Whether the file open at fd lies in N's storage dir. */
static bool inside(const struct sto_node *N, int fd)
{
	char path[64], real[4096];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t k = readlink(path, real, sizeof real - 1);
	if (k <= 0)
		return false;
	real[k] = 0;
	for (int i = 0; i < 2; i++) {
		const char *d = i ? N->alias : N->dir;
		size_t l = strlen(d);
		if (l && !strncmp(real, d, l) && (real[l] == '/' || real[l] == 0))
			return true;
	}
	return false;
}

void sup_storage_sync(struct sup_run *R, int node, int fd)
{
	struct sup_storage *S = R->storage;
	struct sto_node *N = node_of(R, node);
	if (!N)
		return;
	sup_storage_catch_up(R);
	if (fd < 0) { /* sync, syncfs, msync: everything */
		commit(S, N, true);
		return;
	}
	struct statx sx;
	if (sto_statx(fd, "", &sx) < 0 || !inside(N, fd))
		return;
	if (S_ISREG(sx.stx_mode))
		sto_snap_content(N, fd, &sx);
	if (S->d.profile == SUP_PROFILE_EXT4) /* an fsync commits the journal */
		commit(S, N, false);
	else if (S_ISDIR(sx.stx_mode))
		sto_snap_list(N, fd, sto_key_of(&sx), false);
}

void sup_storage_da_alloc(struct sup_run *R, int node, int fd)
{
	struct sup_storage *S = R->storage;
	struct sto_node *N = node_of(R, node);
	struct statx sx;
	if (!N || S->d.profile != SUP_PROFILE_EXT4 || sto_statx(fd, "", &sx) < 0 ||
	    !S_ISREG(sx.stx_mode) || !inside(N, fd))
		return;
	sup_storage_catch_up(R);
	for (int i = 0; i < N->nda; i++) {
		struct statx ox;
		if (sto_statx(N->da_fd[i], "", &ox) == 0 && sto_key_of(&ox) == sto_key_of(&sx))
			return; /* already due */
	}
	int keep = N->nda < STO_DA_MAX ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
	if (keep < 0) { /* (no room: its writeback is simply earlier) */
		sto_snap_content(N, fd, &sx);
		return;
	}
	N->da_fd[N->nda++] = keep;
}

/* ---- writeback by age ---- */

static void age_tree(struct sup_run *R, struct sto_node *N, int dirfd, uint64_t key, bool lists)
{
	int64_t expire = R->storage->d.expire_ns;
	struct sto_ent *e;
	int n = sto_read_entries(dirfd, &e);
	if (n < 0)
		return;
	if (lists) { /* posix: names written back once dirty for `expire` */
		struct sto_list *L = sto_find_list(N, key, true);
		if (sto_same_entries(L->e, L->n, e, n))
			L->dirty_since = -1;
		else if (L->dirty_since < 0)
			L->dirty_since = R->now;
		else if (R->now - L->dirty_since >= expire)
			sto_snap_list(N, dirfd, key, false);
	}
	for (int i = 0; i < n; i++) {
		if (e[i].type != DT_REG && e[i].type != DT_DIR)
			continue;
		int fd = openat(dirfd, e[i].name, (e[i].type == DT_DIR ? O_RDONLY | O_DIRECTORY : O_PATH) |
						  O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct statx sx;
		if (e[i].type == DT_DIR) {
			STO_DESCEND(age_tree(R, N, fd, e[i].key, lists));
		} else if (sto_statx(fd, "", &sx) == 0) {
			struct sto_file *f = sto_find_file(N, e[i].key, true);
			bool same = f->stored ? f->size == (int64_t)sx.stx_size &&
							f->mtime.tv_sec == sx.stx_mtime.tv_sec &&
							f->mtime.tv_nsec == sx.stx_mtime.tv_nsec
					      : sx.stx_size == 0;
			if (same)
				f->dirty_since = -1;
			else if (f->dirty_since < 0)
				f->dirty_since = R->now;
			else if (R->now - f->dirty_since >= expire)
				sto_snap_content(N, fd, &sx);
		}
		close(fd);
	}
	sto_free_entries(e, n);
}

/*
 * The kernel's writeback and ext4's journal commit run every `commit` of
 * virtual time.  They are not events in the queue (a recurring event would
 * keep a finished run alive and hide deadlocks): the supervisor catches up
 * between turns, and before each durability point and power loss.  Within
 * a clock jump nothing runs, so the ticks inside it see one state; only the
 * first, and those where an age passes `expire`, can change anything.
 */
static void tick(struct sup_run *R, int64_t at)
{
	struct sup_storage *S = R->storage;
	int64_t now = R->now;
	R->now = at; /* ages count from the tick that first saw a change */
	for (int i = 0; i < S->nnodes; i++) {
		/* a node that is down changes nothing: its ticks are no-ops */
		struct sto_node *N = &S->n[i];
		if (S->d.profile == SUP_PROFILE_EXT4)
			commit(S, N, false);
		int fd = sto_open_root(N);
		if (fd >= 0) {
			age_tree(R, N, fd, N->root, S->d.profile == SUP_PROFILE_POSIX);
			close(fd);
		}
	}
	R->now = now;
}

static int64_t oldest_dirty(const struct sup_storage *S)
{
	int64_t t = -1;
	for (int i = 0; i < S->nnodes; i++) {
		const struct sto_node *N = &S->n[i];
		for (int k = 0; k < N->nfiles; k++)
			if (N->files[k].dirty_since >= 0 && (t < 0 || N->files[k].dirty_since < t))
				t = N->files[k].dirty_since;
		for (int k = 0; k < N->nlists; k++)
			if (N->lists[k].dirty_since >= 0 && (t < 0 || N->lists[k].dirty_since < t))
				t = N->lists[k].dirty_since;
	}
	return t;
}

void sup_storage_catch_up(struct sup_run *R)
{
	struct sup_storage *S = R->storage;
	if (!S || S->next_tick > R->now)
		return;
	int64_t c = S->d.commit_ns, last = R->now - R->now % c;
	tick(R, S->next_tick);
	S->next_tick += c;
	while (S->next_tick <= last) {
		/* nothing has run since: skip to where an age passes expire */
		int64_t old = oldest_dirty(S);
		int64_t due = old < 0 ? last : old + S->d.expire_ns;
		due = due % c ? due + c - due % c : due;
		if (due > last)
			break;
		if (due > S->next_tick)
			S->next_tick = due;
		tick(R, S->next_tick);
		S->next_tick += c;
	}
	if (S->next_tick <= last)
		S->next_tick = last + c;
}

/* ---- start, wipe ---- */

static void reset_node(struct sto_node *N)
{
	sto_forget_all(N);
	struct statx sx;
	if (statx(AT_FDCWD, N->dir, 0, STATX_BASIC_STATS | STATX_BTIME, &sx) == 0)
		N->root = sto_key_of(&sx);
	int fd = sto_open_root(N); /* what is there now is durable (an empty dir) */
	if (fd >= 0) {
		sto_snap_tree(N, fd, N->root, true, false);
		close(fd);
	}
}

int sup_storage_start(struct sup_run *R, const struct sup_durability *d)
{
	struct sup_storage *S = calloc(1, sizeof *S);
	S->d = *d;
	S->nnodes = R->o->procs;
	S->n = calloc((size_t)S->nnodes, sizeof *S->n);
	R->storage = S;
	char top[4000], nb[16];
	snprintf(top, sizeof top, "%s/durable", R->run_dir);
	if (mkdir(top, 0700) < 0 && errno != EEXIST)
		return -errno;
	for (int i = 0; i < S->nnodes; i++) {
		struct sto_node *N = &S->n[i];
		const char *name = sup_node_name(R, i, nb, sizeof nb);
		snprintf(N->dir, sizeof N->dir, "%s/data/%s", R->run_dir, name);
		if (R->view_dir)
			snprintf(N->alias, sizeof N->alias, "%s/data/%s", R->view_dir, name);
		snprintf(N->store, sizeof N->store, "%s/%s", top, name);
		if (mkdir(N->store, 0700) < 0 && errno != EEXIST)
			return -errno;
		reset_node(N);
	}
	S->next_tick = S->d.commit_ns;
	return 0;
}

void sup_storage_wiped(struct sup_run *R, int node)
{
	struct sto_node *N = node_of(R, node);
	if (N)
		reset_node(N);
}

void sup_storage_free(struct sup_run *R)
{
	struct sup_storage *S = R->storage;
	if (!S)
		return;
	for (int i = 0; i < S->nnodes; i++) {
		sto_forget_all(&S->n[i]);
		free(S->n[i].lists);
		free(S->n[i].files);
	}
	free(S->n);
	free(S);
	R->storage = NULL;
}

/* ---- --durability ---- */

void sup_durability_default(struct sup_durability *d)
{
	*d = (struct sup_durability){ .profile = SUP_PROFILE_EXT4, .commit_ns = 5000000000LL,
				      .expire_ns = 30000000000LL };
}

int sup_durability_parse(const char *arg, struct sup_durability *d, char *err, size_t errlen)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", arg);
	sup_durability_default(d);
	bool first = true;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (first && !eq) {
			first = false;
			if (!strcmp(t, "ext4") || !strcmp(t, "posix")) {
				d->profile = !strcmp(t, "ext4") ? SUP_PROFILE_EXT4 : SUP_PROFILE_POSIX;
				continue;
			}
			snprintf(err, errlen, "--durability \"%s\": profile %s: expected ext4 or posix", arg, t);
			return -1;
		}
		first = false;
		int64_t ns;
		if (!eq || (strncmp(t, "commit=", 7) && strncmp(t, "expire=", 7)) ||
		    sup_parse_duration(eq + 1, &ns) < 0 || ns <= 0) {
			snprintf(err, errlen, "--durability \"%s\": expected PROFILE[,commit=DUR][,expire=DUR] "
				 "(PROFILE ext4 or posix, DUR > 0 such as 5s)", arg);
			return -1;
		}
		if (t[0] == 'c')
			d->commit_ns = ns;
		else
			d->expire_ns = ns;
	}
	return 0;
}
