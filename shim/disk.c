/*
 * disk.c — file operations while a disk fault is active on the node
 * (sim_rep.disk_ops; supervisor/disk.c decides): fail with EIO or ENOSPC,
 * stall in virtual time, or corrupt what a read returns.  Costs nothing
 * while no disk fault is active: one test of a word per call.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "shim.h"

#define A(i) (c->a[i])

/* Flips one byte, at seed % n, of what a read returned (n bytes). */
static void corrupt(struct sim_call *c, long n, uint64_t seed)
{
	if (n <= 0)
		return;
	uint64_t at = seed % (uint64_t)n;
	uint8_t flip = (uint8_t)(1u << (seed >> 60 & 7));
	if (c->nr == SYS_read || c->nr == SYS_pread64) {
		((uint8_t *)A(1))[at] ^= flip;
		return;
	}
	const struct iovec *iov = (const struct iovec *)A(1);
	for (long i = 0; i < (long)A(2); i++) {
		if (at < iov[i].iov_len) {
			((uint8_t *)iov[i].iov_base)[at] ^= flip;
			return;
		}
		at -= iov[i].iov_len;
	}
}

bool shim_disk_call(struct sim_call *c, long *ret)
{
	if (!shim_proc.disk_ops)
		return false;
	int op, fd = (int)A(0);
	long len = 0, off = -1; /* a write's bytes and offset (-1: the file's position) */
	switch (c->nr) {
	case SYS_read: case SYS_pread64: case SYS_readv: case SYS_preadv: case SYS_preadv2:
		op = SIM_DISK_READ;
		break;
	case SYS_write: case SYS_pwrite64:
		op = SIM_DISK_WRITE;
		len = A(2);
		off = c->nr == SYS_pwrite64 ? A(3) : -1;
		break;
	case SYS_writev: case SYS_pwritev: case SYS_pwritev2: {
		op = SIM_DISK_WRITE;
		const struct iovec *iov = (const struct iovec *)A(1);
		for (long i = 0; iov && i < (long)A(2) && i < 1024; i++)
			len += (long)iov[i].iov_len;
		off = c->nr == SYS_writev || A(3) == -1 ? -1 : A(3);
		break;
	}
	case SYS_fallocate:
		op = SIM_DISK_WRITE;
		len = (A(1) & 0x01 /* FALLOC_FL_KEEP_SIZE */) ? 0 : A(3);
		off = A(2);
		break;
	case SYS_sendfile:
		op = SIM_DISK_WRITE;
		len = A(3);
		break;
	case SYS_copy_file_range: case SYS_splice:
		op = SIM_DISK_WRITE;
		fd = (int)A(2);
		len = A(4);
		off = A(3) ? *(const long *)A(3) : -1;
		break;
	case SYS_fsync: case SYS_fdatasync:
		op = SIM_DISK_FSYNC;
		break;
	default:
		return false;
	}
	if (!(shim_proc.disk_ops & op) || shim_fd_kind(fd) != S_IFREG)
		return false;
	struct sim_req rq = { .op = SIM_DISK, .a = { op, len, off } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, fd, &rep);
	if (rep.a[0] > 0)
		shim_stall(rep.a[0]);
	if (r < 0) {
		*ret = r;
		return true;
	}
	if (rep.a[1] > 0 && op == SIM_DISK_READ) {
		long n = shim_syscall6(c->nr, A(0), A(1), A(2), A(3), A(4), A(5));
		corrupt(c, n, (uint64_t)rep.a[1]);
		*ret = n;
		return true;
	}
	return false;
}
