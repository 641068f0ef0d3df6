/*
 * fdtable.c — what the shim knows about each fd of the process.
 *
 * Per process, in static memory (no allocation): which fds are the shim's
 * own (protected from the program's close/dup2 loops), which read the seeded
 * random stream (/dev/urandom, /dev/random), and a cache of each fd's file
 * type, reset whenever a call may have replaced the fd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

#define FD_CACHED 65536

static uint64_t own_bits[FD_CACHED / 64];    /* per process */
static uint64_t random_bits[FD_CACHED / 64]; /* per process */
static uint8_t kind_cache[FD_CACHED];        /* per process; 0: unknown */

static bool bit_get(const uint64_t *b, int fd)
{
	return fd >= 0 && fd < FD_CACHED && (b[fd / 64] >> (fd % 64)) & 1;
}

static void bit_set(uint64_t *b, int fd, bool on)
{
	if (fd < 0 || fd >= FD_CACHED)
		return;
	if (on)
		b[fd / 64] |= 1ULL << (fd % 64);
	else
		b[fd / 64] &= ~(1ULL << (fd % 64));
}

bool shim_fd_is_own(int fd) { return bit_get(own_bits, fd); }
void shim_fd_own(int fd) { bit_set(own_bits, fd, true); }
void shim_fd_disown(int fd) { bit_set(own_bits, fd, false); }
int shim_fd_random(int fd) { return bit_get(random_bits, fd); }
void shim_fd_set_random(int fd, bool on) { bit_set(random_bits, fd, on); }

void shim_fd_forget(int fd)
{
	shim_proc.fd_gen++; /* the probes' registrations may be stale (block.c) */
	shim_timerfd_forget(fd);
	shim_proc_listing_forget(fd);
	bit_set(random_bits, fd, false);
	if (fd >= 0 && fd < FD_CACHED)
		kind_cache[fd] = 0;
}

/* Kind codes in the cache: S_IFMT >> 12 (1..14), never 0. */
int shim_fd_kind(int fd)
{
	if (fd >= 0 && fd < FD_CACHED && kind_cache[fd])
		return kind_cache[fd] << 12;
	struct stat st;
	if (sys2(SYS_fstat, fd, &st) < 0)
		return -1;
	int k = st.st_mode & S_IFMT;
	if (k == 0)
		k = S_IFSOCK; /* anon inodes (eventfd, epoll, timerfd) may block like sockets */
	if (fd >= 0 && fd < FD_CACHED)
		kind_cache[fd] = (uint8_t)(k >> 12);
	return k;
}
