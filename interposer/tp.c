/*
 * tp.c — two thread pointers per thread in a statically linked program: the
 * program's and the shim's.
 *
 * A dynamically linked program and the shim share glibc, so they share one
 * thread pointer (%fs base) per thread, and the shim's per-thread state
 * (initial-exec TLS) lives in the TLS block glibc gives every thread.  A
 * static program (staticexec.c) brings its own libc, which sets %fs to a
 * thread block of its own layout (arch_prctl(ARCH_SET_FS), clone with
 * CLONE_SETTLS), with no room for the shim's state.  So each thread has a
 * block of the shim's glibc too, and %gs holds it at all times: the shim's
 * handlers (sud.c) swap %fs to %gs on entry and back on return, with the
 * FSGSBASE instructions (Linux 5.9+ on a CPU that has them; simsup refuses
 * a static program where they are missing).  The program's own thread
 * pointer is emulated: arch_prctl sets and reads the value restored on
 * return, and it never learns of %gs (ARCH_SET_GS is refused, and AT_HWCAP2
 * does not offer FSGSBASE to it).
 *
 * The shim's thread block of a thread the program creates is made here,
 * with ld.so's own _dl_allocate_tls, as glibc's pthread_create makes one.
 * Blocks are never freed (4.3 KiB per thread ever created, with glibc
 * 2.36's static TLS).
 *
 * shim_tp_new runs in the SIGSYS handler of the creating thread, with the
 * turn: it allocates through the shim's glibc (the dtv), which no program
 * code can be inside of, since the program has its own libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <asm/prctl.h>

#include "shim.h"

/* Immutable after shim_tp_setup (per process). */
static void *(*allocate_tls)(void *tcb);
static size_t static_size, static_align, tcb_size;
static long tid_offset = -1;

/* glibc's thread header (sysdeps/x86_64/nptl/tls.h), the part copied from
 * the creating thread: from multiple_threads to feature_1 included. */
#define TP_HDR_COPY_FROM 0x18
#define TP_HDR_COPY_TO 0x50

static long tp_sym(const char *name, void **out)
{
	*out = dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE");
	return *out ? 0 : -ENOSYS;
}

int shim_tp_setup(void)
{
	void (*static_info)(size_t *, size_t *);
	const unsigned *sizeof_pthread, *tid_desc;
	if (tp_sym("_dl_allocate_tls", (void **)&allocate_tls) < 0 ||
	    tp_sym("_dl_get_tls_static_info", (void **)&static_info) < 0 ||
	    tp_sym("_thread_db_sizeof_pthread", (void **)&sizeof_pthread) < 0)
		return -ENOSYS;
	static_info(&static_size, &static_align);
	tcb_size = *sizeof_pthread;
	/* db_desc_t: { size in bits, count, offset } */
	if (tp_sym("_thread_db_pthread_tid", (void **)&tid_desc) == 0 && tid_desc[0] == 32)
		tid_offset = (long)tid_desc[2];
	if (static_align < 64)
		static_align = 64;
	if (tcb_size < TP_HDR_COPY_TO || static_size < tcb_size)
		return -EINVAL;
	unsigned long self = shim_tp_fs();
	shim_tp_set_gs(self);
	return 0;
}

unsigned long shim_tp_fs(void)
{
	unsigned long v;
	__asm__ volatile("rdfsbase %0" : "=r"(v));
	return v;
}

void shim_tp_set_gs(unsigned long v)
{
	__asm__ volatile("wrgsbase %0" : : "r"(v) : "memory");
}

/*
 * Thread blocks come from 1 MiB chunks, not one mapping each: a program
 * that makes thousands of threads would otherwise add a mapping per thread
 * ever made, and every reader of /proc/self/maps (the shim's shared futex
 * keys, futex.c) would slow down with them.
 */
#define TP_CHUNK (1UL << 20)

static void *tp_alloc(size_t len)
{
	static uintptr_t cur, end; /* per process, touched only with the turn */
	cur = (cur + static_align - 1) & ~(uintptr_t)(static_align - 1);
	if (!cur || end - cur < len) {
		long p = sys6(SYS_mmap, 0, TP_CHUNK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p < 0 && p > -4096)
			return NULL;
		cur = (uintptr_t)p; /* mmap's pages are aligned beyond static_align */
		end = cur + TP_CHUNK;
	}
	void *r = (void *)cur;
	cur += len;
	return r;
}

/* A thread block of the shim's glibc for a new thread, or 0. */
unsigned long shim_tp_new(void)
{
	/* room for the TLS below the block however it aligns */
	size_t len = (static_size + 2 * static_align - 1) & ~(size_t)(static_align - 1);
	char *p = tp_alloc(len);
	if (!p)
		return 0;
	uintptr_t tcb = ((uintptr_t)p + len - tcb_size) & ~(uintptr_t)(static_align - 1);
	if (!allocate_tls((void *)tcb))
		return 0; /* (the block is lost: this thread is refused anyway) */
	/* what pthread_create sets: the self pointers, and the creator's
	 * guards (stack protector, pointer mangling) and flags */
	char *cur = (char *)shim_tp_fs();
	memcpy((char *)tcb + TP_HDR_COPY_FROM, cur + TP_HDR_COPY_FROM,
	       TP_HDR_COPY_TO - TP_HDR_COPY_FROM);
	((void **)tcb)[0] = (void *)tcb;
	((void **)tcb)[2] = (void *)tcb;
	return tcb;
}

/* In a new thread, on the block shim_tp_new made: glibc's locks name their
 * owner by the tid in it. */
void shim_tp_started(unsigned long tcb)
{
	shim_tp_set_gs(tcb);
	if (tid_offset >= 0)
		*(int *)(tcb + (unsigned long)tid_offset) = (int)sys0(SYS_gettid);
}

/* arch_prctl of a static program: its thread pointer is the one the
 * handlers restore (shim_self.prog_fs); %gs is the shim's. */
long shim_tp_arch_prctl(struct sim_call *c)
{
	switch (c->a[0]) {
	case ARCH_SET_FS:
		shim_self.prog_fs = (unsigned long)c->a[1];
		return 0;
	case ARCH_GET_FS:
		*(unsigned long *)c->a[1] = shim_self.prog_fs;
		return 0;
	case ARCH_GET_GS:
		*(unsigned long *)c->a[1] = 0;
		return 0;
	case ARCH_SET_GS:
		shim_refuse(c->nr, "arch_prctl(ARCH_SET_GS) in a statically linked program: "
				   "simsup keeps the GS base for the shim's own thread block");
		return -EPERM;
	}
	return shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}
