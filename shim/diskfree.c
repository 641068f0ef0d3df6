/*
 * diskfree.c — statfs and fstatfs answer for the node's own disk.
 *
 * The file system that holds the storage dirs is the host's, and its free
 * space moves with everything the host writes: other runs, a file someone
 * left in /tmp.  A program that reads it (df, RabbitMQ's disk monitor, a
 * database that checks for room before it writes) would see the host, and
 * a run could depend on it.  On that file system statfs and fstatfs report
 * the node's disk instead: as large as --disk-size, or 64 GiB (the vda of
 * the virtual /sys), holding what the node's storage dir holds (the sum of
 * its files' sizes, counted by the supervisor, as --disk-size counts it).
 * The file system's type, name length and mount flags stay the kernel's;
 * other file systems (proc, the run's tmpfs mounts, another disk of the
 * host) answer as the kernel does.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "shim.h"

#define BLOCK 4096
#define BYTES_PER_INODE 16384 /* mke2fs's default ratio */

static void node_disk(struct statfs *sf)
{
	struct sim_req rq = { .op = SIM_DISK_USAGE };
	struct sim_rep rep;
	bool dirty = shim_self.dirty; /* a question changes nothing */
	shim_self.dirty = false;
	int64_t used = shim_request(&rq, NULL, -1, &rep);
	shim_self.dirty = dirty;
	int64_t size = rep.a[1], entries = rep.a[0];
	if (used < 0 || size <= 0)
		return;
	uint64_t blocks = (uint64_t)size / BLOCK, inodes = (uint64_t)size / BYTES_PER_INODE;
	uint64_t used_blocks = ((uint64_t)used + BLOCK - 1) / BLOCK;
	sf->f_bsize = sf->f_frsize = BLOCK;
	sf->f_blocks = blocks;
	sf->f_bfree = sf->f_bavail = used_blocks < blocks ? blocks - used_blocks : 0;
	sf->f_files = inodes;
	sf->f_ffree = (uint64_t)entries < inodes ? inodes - (uint64_t)entries : 0;
	sf->f_fsid.__val[0] = 0xfe00; /* the virtual vda, 254:0 */
	sf->f_fsid.__val[1] = 0;
}

bool shim_statfs_call(struct sim_call *c, long *ret)
{
	if (c->nr != SYS_statfs && c->nr != SYS_fstatfs)
		return false;
	*ret = shim_syscall6(c->nr, c->a[0], c->a[1], 0, 0, 0, 0);
	if (*ret < 0 || !shim_proc.cfg.run_dev)
		return true;
	struct stat st;
	long r = c->nr == SYS_statfs ? sys4(SYS_newfstatat, AT_FDCWD, c->a[0], &st, 0)
				     : sys2(SYS_fstat, c->a[0], &st);
	if (r == 0 && st.st_dev == shim_proc.cfg.run_dev)
		node_disk((struct statfs *)c->a[1]);
	return true;
}
