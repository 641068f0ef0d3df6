/*
 * vdso.c — redirect the vDSO's time functions into the shim.
 *
 * glibc (and some programs) read the clock through the vDSO without making a
 * syscall, so neither the PLT wrappers nor Syscall User Dispatch see those
 * reads.  shim_vdso_patch() finds clock_gettime, gettimeofday, time and getcpu
 * in the vDSO image mapped into this process and overwrites the first bytes
 * of each with an absolute jump to a trampoline below, which calls the shim's
 * virtual-time implementation.  Patching the code (not glibc's cached
 * function pointers) catches every caller, whoever looked the symbol up.
 *
 * This runs inside other people's programs, early in the shim's start-up and
 * possibly again after fork: it is async-signal-safe, allocates nothing, and
 * enters the kernel only through shim_syscall6 (the sysN() macros).
 * getauxval() only reads a copy of the auxiliary vector and makes no syscall.
 *
 * The vvar pages (the data the vDSO reads) are a separate mapping next to
 * the vDSO; they are never touched here.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "shim.h"

/* movabs $imm64, %rax ; jmp *%rax.  %rax is free to clobber: it is
 * caller-saved and the return register, and it is not an argument register. */
#define PATCH_LEN 12

#define PAGE_SIZE_ 4096UL /* x86-64 base page; the vDSO is mapped in these */

/*
 * Trampolines: the kernel's vDSO signatures, not the shim's.  The return
 * types matter: glibc calls __vdso_getcpu through a `long (*)(...)` pointer,
 * so an int -errno from shim_getcpu must be sign-extended to 64 bits here,
 * and __vdso_time returns a 64-bit time_t.  clock_gettime and gettimeofday
 * return int in the vDSO too, and -errno (not -1/errno) on failure, which is
 * what the shim functions return: it is passed through unchanged.
 */
int vdso_clock_gettime(clockid_t clk, struct timespec *ts);
int vdso_gettimeofday(struct timeval *tv, void *tz);
time_t vdso_time(time_t *t);
long vdso_getcpu(unsigned *cpu, unsigned *node, void *cache);

int vdso_clock_gettime(clockid_t clk, struct timespec *ts)
{
	shim_self.nvdso++;
	return shim_clock_gettime(clk, ts);
}

int vdso_gettimeofday(struct timeval *tv, void *tz)
{
	shim_self.nvdso++;
	return shim_gettimeofday(tv, tz);
}

time_t vdso_time(time_t *t)
{
	shim_self.nvdso++;
	return shim_time(t);
}

long vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	shim_self.nvdso++;
	return shim_getcpu(cpu, node, cache);
}

/*
 * What the patched vDSO jumps to: in a dynamic program straight to the
 * trampolines above; in a static one (interposer/tp.c) through a stub that
 * runs them on the shim's thread pointer (%gs) and puts back the
 * program's.  A clock read that ends the thread's slice waits for the turn
 * with the program's signals held (shim_request); the stub puts the mask
 * back only after the program's thread pointer, so that a handler that
 * runs then runs on it.
 */
unsigned char shim_vdso_tp; /* set once, before a static program starts (per process) */

void vdso_tp_enter(void);
int vdso_tp_leave(uint64_t *mask);

/* On the shim's thread pointer, around the call. */
void vdso_tp_enter(void)
{
	shim_self.in_vdso_tp = true;
}

/* 1 with *mask set when the program's signal mask is to be put back. */
int vdso_tp_leave(uint64_t *mask)
{
	shim_self.in_vdso_tp = false;
	if (!shim_self.vdso_mask_held)
		return 0;
	shim_self.vdso_mask_held = false;
	*mask = shim_self.vdso_mask;
	return 1;
}

/* Stack in the stub: 0(%rsp) the mask to put back, 8 the result, 16 and
 * 24 the saved arguments, then r12 and rbx (callee-saved, ours). */
#define VDSO_STUB(fn)                                                        \
	void fn##_stub(void);                                                \
	__asm__(".text\n.globl " #fn "_stub\n.hidden " #fn "_stub\n"        \
		#fn "_stub:\n"                                               \
		" cmpb $0, shim_vdso_tp(%rip)\n"                             \
		" je " #fn "\n"                                               \
		" push %rbx\n"                                                \
		" push %r12\n"                                                \
		" sub $40, %rsp\n"                                            \
		" rdfsbase %rbx\n"                                            \
		" rdgsbase %rax\n"                                            \
		" wrfsbase %rax\n"                                            \
		" mov %rdi, 16(%rsp)\n mov %rsi, 24(%rsp)\n mov %rdx, 32(%rsp)\n" \
		" call vdso_tp_enter\n"                                       \
		" mov 16(%rsp), %rdi\n mov 24(%rsp), %rsi\n mov 32(%rsp), %rdx\n" \
		" call " #fn "\n"                                             \
		" mov %rax, 8(%rsp)\n"                                        \
		" mov %rsp, %rdi\n"                                           \
		" call vdso_tp_leave\n"                                       \
		" mov %eax, %r12d\n"                                          \
		" wrfsbase %rbx\n"                                            \
		" test %r12d, %r12d\n"                                        \
		" jz 1f\n"                                                    \
		" mov %rsp, %rdi\n"                                           \
		" call shim_gate_setmask\n"                                   \
		"1: mov 8(%rsp), %rax\n"                                      \
		" add $40, %rsp\n"                                            \
		" pop %r12\n"                                                 \
		" pop %rbx\n"                                                 \
		" ret\n")
VDSO_STUB(vdso_clock_gettime);
VDSO_STUB(vdso_gettimeofday);
VDSO_STUB(vdso_time);
VDSO_STUB(vdso_getcpu);

/* Both the __vdso_ names and the unprefixed weak aliases: they have the
 * same address today, but an image that only carries one of them still gets
 * patched. */
static const struct {
	const char *name;
	void *target;
} wanted[] = {
	{ "__vdso_clock_gettime", (void *)vdso_clock_gettime_stub },
	{ "clock_gettime", (void *)vdso_clock_gettime_stub },
	{ "__vdso_gettimeofday", (void *)vdso_gettimeofday_stub },
	{ "gettimeofday", (void *)vdso_gettimeofday_stub },
	{ "__vdso_time", (void *)vdso_time_stub },
	{ "time", (void *)vdso_time_stub },
	{ "__vdso_getcpu", (void *)vdso_getcpu_stub },
	{ "getcpu", (void *)vdso_getcpu_stub },
};
#define N_WANTED (sizeof wanted / sizeof wanted[0])

/* Not reachable from outside (shim.h has no room for them); kept so a
 * debugger can see what the last call did. */
static unsigned vdso_n_patched; /* functions the last call (re)wrote   */
static unsigned vdso_n_short;   /* functions skipped: st_size < PATCH_LEN */

struct vdso_image {
	uintptr_t map_start, map_end; /* the [vdso] mapping, page-aligned */
	uintptr_t bias;               /* runtime address = bias + ELF vaddr */
	const Elf64_Sym *symtab;
	const char *strtab;
	size_t strsz;
	size_t nsyms;
};

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static uintptr_t page_up(uintptr_t x)
{
	return (x + PAGE_SIZE_ - 1) & ~(PAGE_SIZE_ - 1);
}

/* Number of symbols described by a DT_GNU_HASH table (it has no explicit
 * count): one past the last symbol reachable from any bucket. */
static size_t gnu_hash_nsyms(const uint32_t *h)
{
	uint32_t nbuckets = h[0], symoffset = h[1], bloom_words = h[2];
	const uint32_t *buckets = h + 4 + 2 * (size_t)bloom_words; /* 64-bit bloom */
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;

	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))
		last++;
	return (size_t)last + 1;
}

/* Parse the mapped vDSO through its program headers and dynamic section.
 * 0, or -ENOEXEC if the image does not look like the vDSO we expect. */
static int vdso_parse(uintptr_t base, struct vdso_image *img)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	const uint32_t *hash = NULL, *gnu_hash = NULL;
	uintptr_t end = 0;
	int have_load = 0;

	if (eh->e_ident[EI_MAG0] != ELFMAG0 || eh->e_ident[EI_MAG1] != ELFMAG1 ||
	    eh->e_ident[EI_MAG2] != ELFMAG2 || eh->e_ident[EI_MAG3] != ELFMAG3 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr))
		return -ENOEXEC;

	*img = (struct vdso_image){ 0 };
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	/* The vDSO has a single PT_LOAD at file offset 0 (p_vaddr was
	 * 0xffffffffff700000 on old kernels, 0 today): the load bias maps
	 * its p_vaddr onto the mapped address. */
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			img->bias = base + ph[i].p_offset - ph[i].p_vaddr;
			end = base + ph[i].p_offset + ph[i].p_memsz;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return -ENOEXEC;

	/*
	 * The [vdso] mapping is the whole image file rounded up to pages,
	 * which includes the section header table past the PT_LOAD end.  We
	 * must mprotect exactly that range: the kernel refuses to split a
	 * special mapping, so mprotect of only the pages we write fails
	 * with EINVAL.
	 */
	if (eh->e_shoff && eh->e_shnum) {
		uintptr_t sh_end = base + eh->e_shoff + (uintptr_t)eh->e_shnum * eh->e_shentsize;
		if (sh_end > end)
			end = sh_end;
	}
	img->map_start = base & ~(PAGE_SIZE_ - 1);
	img->map_end = page_up(end);

	/* Dynamic entries hold link-time addresses: add the bias. */
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			img->symtab = (const Elf64_Sym *)(img->bias + dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			img->strtab = (const char *)(img->bias + dyn->d_un.d_ptr);
			break;
		case DT_STRSZ:
			img->strsz = dyn->d_un.d_val;
			break;
		case DT_HASH:
			hash = (const uint32_t *)(img->bias + dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			gnu_hash = (const uint32_t *)(img->bias + dyn->d_un.d_ptr);
			break;
		case DT_SYMENT:
			if (dyn->d_un.d_val != sizeof(Elf64_Sym))
				return -ENOEXEC;
			break;
		}
	}
	if (!img->symtab || !img->strtab || !img->strsz || (!hash && !gnu_hash))
		return -ENOEXEC;
	/* DT_HASH's nchain is the symbol count; GNU hash has to be walked. */
	img->nsyms = hash ? hash[1] : gnu_hash_nsyms(gnu_hash);
	return 0;
}

static void patch_bytes(uint8_t out[PATCH_LEN], void *target)
{
	uint64_t t = (uint64_t)(uintptr_t)target;

	out[0] = 0x48; /* REX.W */
	out[1] = 0xB8; /* mov imm64, %rax */
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(t >> (8 * i));
	out[10] = 0xFF; /* jmp *%rax */
	out[11] = 0xE0;
}

static int bytes_eq(const volatile uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

int shim_vdso_patch(void)
{
	struct vdso_image img;
	struct {
		uintptr_t addr;
		void *target;
	} site[N_WANTED];
	unsigned nsites = 0, nshort = 0;
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	uint64_t all = ~0ULL, oldmask;
	long r, r2;
	int err;

	if (!base)
		return 0; /* no vDSO (vdso=0): every time call is a syscall */
	err = vdso_parse(base, &img);
	if (err)
		return err;

	for (size_t s = 1; s < img.nsyms; s++) { /* symbol 0 is the null symbol */
		const Elf64_Sym *sym = &img.symtab[s];
		uintptr_t addr;
		unsigned k, w;

		if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_shndx == SHN_UNDEF ||
		    sym->st_name >= img.strsz)
			continue;
		for (w = 0; w < N_WANTED; w++)
			if (str_eq(img.strtab + sym->st_name, wanted[w].name))
				break;
		if (w == N_WANTED)
			continue;
		addr = img.bias + sym->st_value;
		for (k = 0; k < nsites; k++)
			if (site[k].addr == addr)
				break;
		if (k < nsites)
			continue; /* alias of an address already queued */
		if (addr < img.map_start || addr + PATCH_LEN > img.map_end)
			return -ENOEXEC;
		if (sym->st_size < PATCH_LEN) {
			/* Too short to hold the jump: we would overwrite the
			 * next function.  Count it under its first name only
			 * (aliases follow, so remember the address). */
			nshort++;
			site[nsites].addr = addr;
			site[nsites++].target = NULL;
			continue;
		}
		site[nsites].addr = addr;
		site[nsites++].target = wanted[w].target;
	}

	/* Drop what needs no write: too-short functions and, on a second call
	 * (or in a forked child, which inherits the patched pages), functions
	 * that already hold our jump.  Comparing the bytes instead of keeping
	 * a "done" flag stays right across fork and exec without bookkeeping. */
	unsigned n = 0;
	for (unsigned k = 0; k < nsites; k++) {
		uint8_t want[PATCH_LEN];

		if (!site[k].target)
			continue;
		patch_bytes(want, site[k].target);
		if (bytes_eq((const volatile uint8_t *)site[k].addr, want, PATCH_LEN))
			continue;
		site[n++] = site[k];
	}
	vdso_n_short = nshort;
	vdso_n_patched = n;
	if (n == 0)
		return 0;

	/*
	 * While the pages are RW they are not executable: a signal handler
	 * that read the clock now would fault.  Block every signal for the
	 * window (SIGKILL/SIGSTOP aside; synchronous faults are still
	 * delivered).  The kernel sigset is 8 bytes.  The whole [vdso]
	 * mapping goes RW and back (see vdso_parse for why not less).  Never
	 * RWX: hardened kernels and W^X policies refuse it (6.18 here allows
	 * it, but RW then RX works everywhere).  The first write to each page
	 * replaces the shared vDSO page with a private copy, which fork
	 * children inherit.
	 */
	r = sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, &oldmask, sizeof all);
	if (r < 0)
		return (int)r;
	r = sys3(SYS_mprotect, img.map_start, img.map_end - img.map_start, PROT_READ | PROT_WRITE);
	if (r == 0) {
		for (unsigned k = 0; k < n; k++) {
			uint8_t code[PATCH_LEN];
			volatile uint8_t *dst = (volatile uint8_t *)site[k].addr;

			patch_bytes(code, site[k].target);
			for (int i = 0; i < PATCH_LEN; i++)
				dst[i] = code[i];
		}
		r = sys3(SYS_mprotect, img.map_start, img.map_end - img.map_start,
			 PROT_READ | PROT_EXEC);
		/* x86 keeps instruction fetch coherent with stores, and the
		 * mprotect serializes anyway: no cache flush is needed. */
	}
	r2 = sys4(SYS_rt_sigprocmask, SIG_SETMASK, &oldmask, NULL, sizeof oldmask);
	/* -EPERM here most likely means the kernel sealed the vDSO
	 * (CONFIG_MSEAL_SYSTEM_MAPPINGS): it can then not be patched. */
	if (r < 0)
		return (int)r;
	return (int)r2;
}
