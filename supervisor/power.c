/*
 * power.c — a power loss on a node: what the kernel had written back on its
 * own by then (a seeded outcome), then the storage dir rebuilt from what was
 * durable (storage.c), and a trace event for every path that changed.
 *
 * Outcomes, drawn from the faults' stream at each power loss:
 *   lost  nothing written back: exactly the durable image.
 *   torn  one file with unsynced changes (seeded) was being written back:
 *         appended data survives up to a page (ext4) or 512-byte sector
 *         (posix) boundary, or, for changes in place, each changed
 *         512-byte sector is old or new.
 *   some  each file with unsynced changes, and each directory with unsynced
 *         names (posix; with ext4 the whole journal at once), was or was not
 *         written back.
 * Each is a state the kernel may leave: what was durable stays, and what
 * survives beyond it is data as the program wrote it (never invented), and
 * names as of one moment (ext4: all directories at once, as one journal
 * commit).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "storage.h"

#define SECTOR 512

/* ---- what the storage dir holds, for the evidence ---- */

struct seen {
	char *path;
	unsigned char type;
	int64_t size;
	uint64_t key;
	uint64_t hash;  /* contents (DT_REG, only those hashed) or target (DT_LNK) */
};

struct seen_set {
	struct seen *s;
	int n, cap;
};

static uint64_t hash_fd(int fd)
{
	XXH3_state_t *h = XXH3_createState();
	XXH3_64bits_reset(h);
	char b[65536];
	ssize_t k;
	while ((k = read(fd, b, sizeof b)) > 0)
		XXH3_64bits_update(h, b, (size_t)k);
	uint64_t v = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	return v;
}

struct unsynced_set;
static bool has_key(const struct unsynced_set *U, uint64_t key);
static bool was_unsynced(const struct seen_set *before, const char *path);

/* Every path under dirfd with its type, size and key; the contents of
 * regular files are hashed only where hash says (the unsynced ones: every
 * other file comes back as it was). */
static void collect(int dirfd, const char *prefix, struct seen_set *out, const struct unsynced_set *hash,
		    const struct seen_set *before)
{
	struct sto_ent *e;
	int n = sto_read_entries(dirfd, &e);
	for (int i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s%s", prefix, e[i].name) < 0)
			abort();
		if (out->n == out->cap)
			out->s = realloc(out->s, (size_t)(out->cap = out->cap ? 2 * out->cap : 64) * sizeof *out->s);
		struct seen *s = &out->s[out->n++];
		*s = (struct seen){ .path = path, .type = e[i].type, .key = e[i].key };
		if (e[i].type == DT_LNK)
			s->hash = XXH3_64bits(e[i].target, strlen(e[i].target));
		int fd = e[i].type == DT_REG || e[i].type == DT_DIR
				 ? openat(dirfd, e[i].name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
							    (e[i].type == DT_DIR ? O_DIRECTORY : 0))
				 : -1;
		if (fd >= 0 && e[i].type == DT_REG) {
			struct stat st;
			fstat(fd, &st);
			s->size = st.st_size;
			if (hash ? has_key(hash, e[i].key) : was_unsynced(before, path))
				s->hash = hash_fd(fd);
		} else if (fd >= 0) {
			char sub[4200];
			snprintf(sub, sizeof sub, "%s/", path);
			STO_DESCEND(collect(fd, sub, out, hash, before));
		}
		if (fd >= 0)
			close(fd);
	}
	if (n > 0)
		sto_free_entries(e, n);
}

static int seen_cmp(const void *a, const void *b);

/* After the rebuild: whether the file at path was hashed before (it had
 * unsynced changes), so its new contents must be hashed too. */
static bool was_unsynced(const struct seen_set *before, const char *path)
{
	struct seen k = { .path = (char *)path };
	const struct seen *b = before ? bsearch(&k, before->s, (size_t)before->n, sizeof k, seen_cmp) : NULL;
	return b && b->hash;
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->path, ((const struct seen *)b)->path);
}

static void seen_free(struct seen_set *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->s[i].path);
	free(s->s);
}

/* ---- what was not durable ---- */

struct unsynced {
	char *path;      /* relative to the storage dir */
	uint64_t key;    /* DT_REG: the file; DT_DIR: the directory */
	unsigned char type;
};

struct unsynced_set {
	struct unsynced *u;
	int n, cap;
};

static bool has_key(const struct unsynced_set *U, uint64_t key)
{
	for (int i = 0; i < U->n; i++)
		if (U->u[i].key == key && U->u[i].type == DT_REG)
			return true;
	return false;
}

static void add_unsynced(struct unsynced_set *U, const char *path, uint64_t key, unsigned char type)
{
	if (U->n == U->cap)
		U->u = realloc(U->u, (size_t)(U->cap = U->cap ? 2 * U->cap : 32) * sizeof *U->u);
	U->u[U->n++] = (struct unsynced){ strdup(path), key, type };
}

/* Whether the file open at fd holds exactly its durable contents, or
 * differs only by pages a failed fsync dropped (which never reach the
 * disk). */
static bool same_as_durable(struct sto_node *N, int fd, uint64_t key)
{
	char fp[4300];
	sto_store_path(N, key, fp, sizeof fp - 8);
	strcat(fp, ".failed");
	size_t cl = 0;
	char *cur = access(fp, F_OK) == 0 ? sto_read_all(fd, &cl) : NULL;
	bool dropped = cur && sto_drop_failed(N, key, cur, cl);
	if (dropped) { /* compare what can reach the disk */
		char sp[4200];
		sto_store_path(N, key, sp, sizeof sp);
		int d = open(sp, O_RDONLY | O_CLOEXEC);
		size_t dl = 0;
		char *dur = d >= 0 ? sto_read_all(d, &dl) : NULL;
		if (d >= 0)
			close(d);
		bool same = (dur ? dl : 0) == cl && (!cl || (dur && !memcmp(dur, cur, cl)));
		free(dur);
		free(cur);
		return same;
	}
	free(cur);
	struct sto_file *f = sto_find_file(N, key, false);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return false;
	if (!f || !f->stored)
		return st.st_size == 0;
	char sp[4200];
	sto_store_path(N, key, sp, sizeof sp);
	int d = open(sp, O_RDONLY | O_CLOEXEC);
	struct stat ds;
	bool same = d >= 0 && fstat(d, &ds) == 0 && ds.st_size == st.st_size;
	char a[65536], b[65536];
	for (off_t off = 0; same && off < st.st_size;) {
		ssize_t ka = pread(fd, a, sizeof a, off), kb = pread(d, b, sizeof b, off);
		same = ka > 0 && ka == kb && !memcmp(a, b, (size_t)ka);
		off += ka > 0 ? ka : 1;
	}
	if (d >= 0)
		close(d);
	return same;
}

/* Every file whose contents, and every directory whose names, differ from
 * the durable ones, in path order. */
static void find_unsynced(struct sto_node *N, int dirfd, uint64_t key, const char *prefix,
			  struct unsynced_set *U)
{
	struct sto_ent *e;
	int n = sto_read_entries(dirfd, &e);
	if (n < 0)
		return;
	struct sto_list *L = sto_find_list(N, key, false);
	if (!L || !sto_same_entries(L->e, L->n, e, n))
		add_unsynced(U, prefix[0] ? prefix : ".", key, DT_DIR);
	for (int i = 0; i < n; i++) {
		if (e[i].type != DT_REG && e[i].type != DT_DIR)
			continue;
		int fd = openat(dirfd, e[i].name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
						  (e[i].type == DT_DIR ? O_DIRECTORY : 0));
		if (fd < 0)
			continue;
		char path[4200];
		snprintf(path, sizeof path, "%s%s", prefix, e[i].name);
		if (e[i].type == DT_DIR) {
			char sub[4300];
			snprintf(sub, sizeof sub, "%s/", path);
			STO_DESCEND(find_unsynced(N, fd, e[i].key, sub, U));
		} else if (!same_as_durable(N, fd, e[i].key)) {
			add_unsynced(U, path, e[i].key, DT_REG);
		}
		close(fd);
	}
	sto_free_entries(e, n);
}

/* ---- outcomes ---- */

static uint64_t draw(uint64_t rng[4])
{
	return sup_rand_next(rng);
}

/* Writes the durable copy of key from buf. */
static int store_bytes(struct sto_node *N, uint64_t key, const char *buf, size_t len)
{
	char tmp[4200], dst[4200];
	snprintf(tmp, sizeof tmp, "%s/tmp", N->store);
	sto_store_path(N, key, dst, sizeof dst);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	bool ok = len == 0 || write(fd, buf, len) == (ssize_t)len;
	close(fd);
	if (!ok || rename(tmp, dst) < 0)
		return -EIO;
	struct sto_file *f = sto_find_file(N, key, true);
	f->stored = true;
	f->size = (int64_t)len;
	return 0;
}

/* One file caught in the middle of its writeback (outcome torn). */
static void tear(struct sto_node *N, bool ext4, int rootfd, const struct unsynced *u, uint64_t rng[4],
		 char *what, size_t wn)
{
	int fd = openat(rootfd, u->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t cl = 0, dl = 0;
	char *cur = sto_read_all(fd, &cl), *dur = NULL;
	close(fd);
	if (cur) /* pages a failed fsync dropped are clean: never written back */
		sto_drop_failed(N, u->key, cur, cl);
	struct sto_file *f = sto_find_file(N, u->key, false);
	if (f && f->stored) {
		char sp[4200];
		sto_store_path(N, u->key, sp, sizeof sp);
		int d = open(sp, O_RDONLY | O_CLOEXEC);
		if (d >= 0) {
			dur = sto_read_all(d, &dl);
			close(d);
		}
	}
	if (!dur)
		dur = calloc(1, 1);
	if (!cur) {
		free(dur);
		return;
	}
	if (dl <= cl && !memcmp(cur, dur, dl)) {
		/* appended: a prefix of the new data, cut where the file's size
		 * can end: a sector (posix), or a page, since ext4 (data=ordered)
		 * records a larger size only once the page's data is written */
		size_t unit = ext4 ? 4096 : SECTOR;
		size_t first = dl / unit + 1, last = (cl - 1) / unit; /* cuts strictly inside */
		size_t cut = last >= first ? (first + draw(rng) % (last - first + 1)) * unit : dl;
		store_bytes(N, u->key, cur, cut);
		snprintf(what, wn, "%s: %zu of %zu appended bytes survive", u->path, cut - dl, cl - dl);
	} else if (dl == cl) {
		/* changed in place: each changed sector old or new */
		size_t kept = 0, changed = 0;
		for (size_t off = 0; off < cl; off += SECTOR) {
			size_t l = cl - off < SECTOR ? cl - off : SECTOR;
			if (!memcmp(cur + off, dur + off, l))
				continue;
			changed++;
			if (draw(rng) % 2) {
				memcpy(dur + off, cur + off, l);
				kept++;
			}
		}
		store_bytes(N, u->key, dur, dl);
		snprintf(what, wn, "%s: %zu of %zu changed sectors survive", u->path, kept, changed);
	} else if (draw(rng) % 2) {
		store_bytes(N, u->key, cur, cl);
		snprintf(what, wn, "%s: written back whole", u->path);
	} else {
		snprintf(what, wn, "%s: not written back", u->path);
	}
	free(cur);
	free(dur);
}

static const char *apply_outcome(struct sup_storage *S, struct sto_node *N, int rootfd,
				 const struct unsynced_set *U, uint64_t rng[4], char *torn, size_t tn)
{
	torn[0] = 0;
	uint64_t pick = draw(rng) % 3;
	if (U->n == 0 || pick == 0)
		return "lost";
	if (pick == 1) {
		int files = 0;
		for (int i = 0; i < U->n; i++)
			files += U->u[i].type == DT_REG;
		if (!files)
			return "lost";
		int k = (int)(draw(rng) % (uint64_t)files);
		for (int i = 0; i < U->n; i++)
			if (U->u[i].type == DT_REG && k-- == 0)
				tear(N, S->d.profile == SUP_PROFILE_EXT4, rootfd, &U->u[i], rng, torn, tn);
		return "torn";
	}
	bool ext4 = S->d.profile == SUP_PROFILE_EXT4;
	for (int i = 0; i < U->n; i++) {
		const struct unsynced *u = &U->u[i];
		if ((u->type == DT_DIR && ext4) || !(draw(rng) % 2))
			continue;
		int fd = openat(rootfd, u->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
						 (u->type == DT_DIR ? O_DIRECTORY : 0));
		struct statx sx;
		if (fd >= 0 && u->type == DT_DIR)
			sto_snap_list(N, fd, u->key, false);
		else if (fd >= 0 && sto_statx(fd, "", &sx) == 0)
			sto_snap_content(N, fd, &sx);
		if (fd >= 0)
			close(fd);
	}
	if (ext4 && draw(rng) % 2) /* the journal committed just before */
		sto_snap_tree(N, rootfd, N->root, false, true);
	return "some";
}

/* ---- the rebuild ---- */

struct made {            /* files rebuilt so far: a second name of a key is a link */
	uint64_t key;
	char *path;
};

struct rebuild {
	struct sto_node *N;
	int rootfd, holdfd;    /* the storage dir; where its old contents wait */
	struct sto_list *old;  /* the durable listings, by old key */
	int nold;
	struct made *m;        /* rebuilt so far: key -> its first path */
	int nm, capm;
	const struct seen_set *before; /* old paths, sorted, for moves */
	const struct unsynced_set *U;
	uint64_t (*origin)[2]; /* new key -> the durable key it was made from */
	int norigin, caporigin;
};

static void add_origin(struct rebuild *B, uint64_t nk, uint64_t from)
{
	if (B->norigin == B->caporigin)
		B->origin = realloc(B->origin, (size_t)(B->caporigin = B->caporigin ? 2 * B->caporigin : 64) *
						       sizeof *B->origin);
	B->origin[B->norigin][0] = nk;
	B->origin[B->norigin++][1] = from;
}

/* A file of the old tree that is exactly its durable self (no unsynced
 * change, no page a failed fsync dropped) is moved back into place
 * instead of copied from the store: a power loss costs what changed, not
 * the size of the data. */
static const char *movable(const struct rebuild *B, uint64_t key)
{
	char fp[4300];
	sto_store_path(B->N, key, fp, sizeof fp - 8);
	strcat(fp, ".failed");
	if (has_key(B->U, key) || access(fp, F_OK) == 0)
		return NULL;
	for (int i = 0; i < B->before->n; i++)
		if (B->before->s[i].key == key && B->before->s[i].type == DT_REG)
			return B->before->s[i].path;
	return NULL;
}

static const struct sto_list *old_list(const struct rebuild *B, uint64_t key)
{
	for (int i = 0; i < B->nold; i++)
		if (B->old[i].key == key)
			return &B->old[i];
	return NULL;
}

static void copy_store(const struct sto_node *N, uint64_t key, int out)
{
	char sp[4200];
	sto_store_path(N, key, sp, sizeof sp);
	int in = open(sp, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	loff_t off = 0;
	while (copy_file_range(in, &off, out, NULL, 1 << 30, 0) > 0)
		;
	close(in);
}

static void rebuild_file(struct rebuild *B, int dirfd, const char *rel, const struct sto_ent *e)
{
	struct sto_node *N = B->N;
	for (int i = 0; i < B->nm; i++)
		if (B->m[i].key == e->key) {
			linkat(B->rootfd, B->m[i].path, dirfd, e->name, 0);
			return;
		}
	const char *from = movable(B, e->key);
	int fd = -1;
	if (from && renameat(B->holdfd, from, dirfd, e->name) == 0) {
		fd = openat(dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			fchown(fd, e->uid, e->gid);
			fchmod(fd, e->mode);
			close(fd);
		}
		add_origin(B, e->key, e->key); /* same inode, same key, same record */
		goto made;
	}
	fd = openat(dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct sto_file *old = sto_find_file(N, e->key, false);
	bool stored = old && old->stored;
	if (stored)
		copy_store(N, e->key, fd);
	fchown(fd, e->uid, e->gid);
	fchmod(fd, e->mode);
	struct timespec ts[2] = { e->mtime, e->mtime };
	futimens(fd, ts);
	struct statx sx;
	if (sto_statx(fd, "", &sx) == 0) {
		/* durable as rebuilt: its copy under the new key is the old one */
		uint64_t nk = sto_key_of(&sx);
		char src[4200], to[4200];
		sto_store_path(N, e->key, src, sizeof src);
		sto_store_path(N, nk, to, sizeof to);
		struct sto_file *f = sto_find_file(N, nk, true);
		f->stored = stored && (unlink(to), link(src, to) == 0);
		f->size = (int64_t)sx.stx_size;
		f->mtime = (struct timespec){ sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec };
		f->dirty_since = -1;
		add_origin(B, nk, e->key);
	}
	close(fd);
made:
	if (B->nm == B->capm)
		B->m = realloc(B->m, (size_t)(B->capm = B->capm ? 2 * B->capm : 32) * sizeof *B->m);
	B->m[B->nm].key = e->key;
	if (asprintf(&B->m[B->nm].path, "%s%s", rel, e->name) < 0)
		abort();
	B->nm++;
}

static void rebuild_dir(struct rebuild *B, int dirfd, uint64_t key, const char *rel, int depth)
{
	const struct sto_list *L = old_list(B, key);
	for (int i = 0; L && i < L->n; i++) {
		const struct sto_ent *e = &L->e[i];
		switch (e->type) {
		case DT_DIR: {
			if (depth >= STO_MAX_DEPTH || mkdirat(dirfd, e->name, 0700) < 0)
				break;
			int fd = openat(dirfd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				break;
			char sub[4200];
			snprintf(sub, sizeof sub, "%s%s/", rel, e->name);
			rebuild_dir(B, fd, e->key, sub, depth + 1);
			fchown(fd, e->uid, e->gid);
			fchmod(fd, e->mode);
			struct timespec ts[2] = { e->mtime, e->mtime };
			futimens(fd, ts);
			close(fd);
			break;
		}
		case DT_REG:
			rebuild_file(B, dirfd, rel, e);
			break;
		case DT_LNK:
			if (symlinkat(e->target, dirfd, e->name) == 0)
				fchownat(dirfd, e->name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW);
			break;
		case DT_FIFO:
			if (mkfifoat(dirfd, e->name, e->mode) == 0)
				fchownat(dirfd, e->name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW);
			break;
		}
	}
}

/* Moves the storage dir's contents aside (to RUN_DIR/durable/pN.old),
 * rebuilds it from the durable listings, which then name the rebuilt
 * inodes, and removes what was left aside.  Returns the origins of the new
 * files (new key -> durable key), for the evidence; *n their count. */
static uint64_t (*rebuild(struct sto_node *N, int rootfd, const struct seen_set *before,
			  const struct unsynced_set *U, int *n))[2]
{
	char hold[4200];
	snprintf(hold, sizeof hold, "%s.old", N->store);
	sup_remove_tree(hold);
	mkdir(hold, 0700);
	int holdfd = open(hold, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct sto_ent *e;
	int ne = sto_read_entries(rootfd, &e);
	for (int i = 0; i < ne; i++)
		if (holdfd < 0 || renameat(rootfd, e[i].name, holdfd, e[i].name) < 0)
			unlinkat(rootfd, e[i].name, e[i].type == DT_DIR ? AT_REMOVEDIR : 0);
	if (ne > 0)
		sto_free_entries(e, ne);
	/* the old listings are read while the new ones are made; the old
	 * file records stay beside the new ones (keys never repeat) */
	struct rebuild B = { .N = N, .rootfd = rootfd, .holdfd = holdfd, .old = N->lists, .nold = N->nlists,
			     .before = before, .U = U };
	N->lists = NULL;
	N->nlists = N->caplists = 0;
	rebuild_dir(&B, rootfd, N->root, "", 0);
	for (int i = 0; i < B.nold; i++)
		sto_free_entries(B.old[i].e, B.old[i].n);
	free(B.old);
	for (int i = 0; i < B.nm; i++)
		free(B.m[i].path);
	free(B.m);
	if (holdfd >= 0)
		close(holdfd);
	sup_remove_tree(hold);
	sto_snap_tree(N, rootfd, N->root, false, false);
	*n = B.norigin;
	return B.origin;
}

/* ---- the evidence ---- */

struct origins {
	uint64_t (*o)[2];
	int n;
};

/* The durable key the file with key k was rebuilt from. */
static uint64_t origin_of(const struct origins *o, uint64_t k)
{
	for (int i = 0; i < o->n; i++)
		if (o->o[i][0] == k)
			return o->o[i][1];
	return k;
}

/* A name now holds the file it held before if it was rebuilt from that
 * file's durable self; then only an unsynced file (hashed both times) can
 * differ. */
static bool same_file(const struct seen *b, const struct seen *a, const struct unsynced_set *U,
		      const struct origins *o)
{
	if (a->type != b->type || a->size != b->size)
		return false;
	if (a->type != DT_REG)
		return a->hash == b->hash;
	if (origin_of(o, a->key) != b->key)
		return false;
	return !has_key(U, b->key) || a->hash == b->hash;
}

static void evidence(struct sup_run *R, int node, struct seen_set *before, struct seen_set *after,
		     const struct unsynced_set *U, const struct origins *o, int *lost, int *back, int *rolled)
{
	char nb[16];
	sup_node_name(R, node, nb, sizeof nb);
	qsort(after->s, (size_t)after->n, sizeof *after->s, seen_cmp);
	int i = 0, j = 0;
	while (i < before->n || j < after->n) {
		int c = i == before->n ? 1 : j == after->n ? -1 : strcmp(before->s[i].path, after->s[j].path);
		const struct seen *b = c <= 0 ? &before->s[i] : NULL, *a = c >= 0 ? &after->s[j] : NULL;
		const char *what = NULL;
		if (!a) {
			what = "lost";
			++*lost;
		} else if (!b) {
			what = "back";
			++*back;
		} else if (!same_file(b, a, U, o)) {
			what = "rolled-back";
			++*rolled;
		}
		if (what)
			sup_trace_ev(R, NULL, 0, "power-loss", "sssii", "node", nb, "path", (b ? b : a)->path,
				     "what", what, "size", b ? b->size : (int64_t)-1, "now", a ? a->size : (int64_t)-1);
		i += c <= 0;
		j += c >= 0;
	}
}

void sup_storage_power(struct sup_run *R, int node, uint64_t rng[4], char *what, size_t n)
{
	struct sup_storage *S = R->storage;
	snprintf(what, n, "no storage tracking");
	if (!S || node < 0 || node >= S->nnodes)
		return;
	sup_storage_catch_up(R);
	struct sto_node *N = &S->n[node];
	for (int i = 0; i < N->nda; i++) /* auto_da_alloc writebacks not committed: gone */
		close(N->da_fd[i]);
	N->nda = 0;
	int rootfd = sto_open_root(N);
	if (rootfd < 0)
		return;
	struct seen_set before = { 0 }, after = { 0 };
	struct unsynced_set U = { 0 };
	find_unsynced(N, rootfd, N->root, "", &U);
	collect(rootfd, "", &before, &U, NULL);
	qsort(before.s, (size_t)before.n, sizeof *before.s, seen_cmp);
	char torn[512];
	const char *outcome = apply_outcome(S, N, rootfd, &U, rng, torn, sizeof torn);
	int norigin = 0;
	uint64_t (*origin)[2] = rebuild(N, rootfd, &before, &U, &norigin);
	/* the storage dir itself changed now, in virtual time (shim/filetime.c) */
	int64_t vt = R->o->epoch_ns + sup_faults_rt_offset(R, node) + R->now;
	struct timespec ts[2] = { { vt / 1000000000LL, vt % 1000000000LL },
				  { vt / 1000000000LL, vt % 1000000000LL } };
	futimens(rootfd, ts);
	collect(rootfd, "", &after, NULL, &before);
	int lost = 0, back = 0, rolled = 0;
	struct origins o = { origin, norigin };
	evidence(R, node, &before, &after, &U, &o, &lost, &back, &rolled);
	free(origin);
	snprintf(what, n, "outcome %s: %d lost, %d back, %d rolled back%s%s", outcome, lost, back, rolled,
		 torn[0] ? "; " : "", torn);
	close(rootfd);
	seen_free(&before);
	seen_free(&after);
	for (int i = 0; i < U.n; i++)
		free(U.u[i].path);
	free(U.u);
}
