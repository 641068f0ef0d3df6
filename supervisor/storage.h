/*
 * storage.h — the durable image of each server's storage dir and the power
 * loss that rolls it back (storage.c keeps the image, power.c applies a
 * power loss).  The structures below are private to those two files.
 */
#ifndef SUP_STORAGE_H
#define SUP_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "sup.h"

enum sup_profile { SUP_PROFILE_EXT4, SUP_PROFILE_POSIX };

/* --durability PROFILE[,commit=DUR][,expire=DUR] */
struct sup_durability {
	enum sup_profile profile;
	int64_t commit_ns;   /* journal commit and writeback tick (ext4: 5s) */
	int64_t expire_ns;   /* dirty data written back after this age (30s) */
};

/* Parses --durability; 0 or -1 with err set. */
int sup_durability_parse(const char *arg, struct sup_durability *d, char *err, size_t errlen);
void sup_durability_default(struct sup_durability *d);

/* Starts tracking (a power loss can happen in this run). 0 or -errno. */
int sup_storage_start(struct sup_run *R, const struct sup_durability *d);
/* A durability point on a server node: fd made durable (-1: everything). */
void sup_storage_sync(struct sup_run *R, int node, int fd);
/* auto_da_alloc (ext4): the file at fd replaced another by a rename, or
 * was truncated from a non-empty size: written back at the next commit */
void sup_storage_da_alloc(struct sup_run *R, int node, int fd);
/* Runs the writeback ticks due by now (between turns). */
void sup_storage_catch_up(struct sup_run *R);
/* An fsync of the file at fd failed with EIO (a disk fault): what it held
 * then is dropped from what later durability points make durable. */
void sup_storage_fsync_failed(struct sup_run *R, int node, int fd);
/* The node's storage dir was emptied (wipe): empty is durable. */
void sup_storage_wiped(struct sup_run *R, int node);
/* A power loss on the node, whose processes are all gone: rolls its storage
 * dir back to what was durable, after a seeded choice (rng: the faults'
 * stream) of what the kernel had written back too.  Writes a summary into
 * what; each path rolled back is a trace event. */
void sup_storage_power(struct sup_run *R, int node, uint64_t rng[4], char *what, size_t n);
void sup_storage_free(struct sup_run *R);

/* ---- private to storage.c, power.c and disk.c ---- */

/* How deep the walks of a storage dir go: a program can nest directories
 * without end, and the supervisor must not run out of stack on them.
 * Deeper directories are left out of the durable image (and so lost by a
 * power loss), as rebuild_dir in power.c also stops there. */
#define STO_MAX_DEPTH 64
extern int sto_depth;
#define STO_DESCEND(call)                         \
	do {                                      \
		if (sto_depth < STO_MAX_DEPTH) {  \
			sto_depth++;              \
			call;                     \
			sto_depth--;              \
		}                                 \
	} while (0)

struct sto_ent {
	char *name;
	unsigned char type;  /* DT_REG, DT_DIR, DT_LNK, DT_FIFO */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	uint64_t key;        /* DT_REG, DT_DIR: the inode */
	char *target;        /* DT_LNK */
};

struct sto_list {            /* a directory's durable names, sorted */
	uint64_t key;
	int n;
	struct sto_ent *e;
	int64_t dirty_since;  /* posix: when the names first differed (-1: same) */
	int64_t mtime_ns, ctime_ns; /* the directory's, when read: unchanged times,
				       unchanged names (the shim stamps every change) */
};

struct sto_file {            /* a regular file's durable state */
	uint64_t key;
	bool stored;          /* store/<key> holds its durable contents */
	int64_t size;         /* size and mtime when last made durable */
	struct timespec mtime;
	int64_t dirty_since;  /* first seen different since (-1: clean) */
};

#define STO_DA_MAX 64
struct sto_node {
	char dir[4096];       /* the storage dir, as the supervisor reaches it */
	char alias[4096];     /* the same, as the programs see it (view.c) */
	char store[4096];     /* RUN_DIR/durable/pN */
	uint64_t root;
	struct sto_list *lists;
	int nlists, caplists;
	struct sto_file *files;
	int nfiles, capfiles;
	/* ext4's auto_da_alloc: files renamed over another, or truncated from
	 * a non-empty size, since the last journal commit; their data is
	 * written back before the next commit makes the change durable */
	int da_fd[STO_DA_MAX];
	int nda;
};

struct sup_storage {
	struct sup_durability d;
	int64_t next_tick;        /* the next writeback tick (sup_storage_catch_up) */
	int nnodes;
	struct sto_node *n;
};

uint64_t sto_key_of(const struct statx *sx);
int sto_statx(int dirfd, const char *name, struct statx *sx);
struct sto_list *sto_find_list(struct sto_node *N, uint64_t key, bool make);
struct sto_file *sto_find_file(struct sto_node *N, uint64_t key, bool make);
void sto_free_entries(struct sto_ent *e, int n);
void sto_forget_all(struct sto_node *N);
void sto_store_path(const struct sto_node *N, uint64_t key, char *buf, size_t n);
int sto_snap_content(struct sto_node *N, int fd, const struct statx *sx);
int sto_read_entries(int dirfd, struct sto_ent **out);
bool sto_same_entries(const struct sto_ent *a, int na, const struct sto_ent *b, int nb);
void sto_snap_list(struct sto_node *N, int dirfd, uint64_t key, bool da_alloc);
void sto_snap_tree(struct sto_node *N, int dirfd, uint64_t key, bool contents, bool da_alloc);
int sto_open_root(const struct sto_node *N);
/* The whole file at fd, malloc'd (NULL on error); *len its length. */
char *sto_read_all(int fd, size_t *len);
/* buf (len bytes of file key as the program sees it) as it can reach the
 * disk after a failed fsync dropped pages; true if anything changed. */
bool sto_drop_failed(struct sto_node *N, uint64_t key, char *buf, size_t len);

#endif
