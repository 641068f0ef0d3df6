/*
 * staticexec.c — libsimsup.so as a program: runs a statically linked
 * program inside the shim.
 *
 * LD_PRELOAD reaches only programs that glibc's dynamic loader starts, and
 * a static program never runs one.  So the shim starts it itself:
 * libsimsup.so has a PT_INTERP and an entry point, and simsup (or the shim,
 * at an execve) runs `libsimsup.so PATH ARGV0 ARGV1...` without
 * LD_PRELOAD.  ld.so loads it with libc and libunwind; its entry
 * initializes the shim as the constructor does in a dynamic program
 * (channel, traps, Syscall User Dispatch, rdtsc), maps the program's
 * PT_LOAD segments (ET_EXEC at their addresses, static-pie where the kernel
 * puts them), builds the stack the kernel would have built (argv, envp,
 * auxv), and jumps to the program's entry point.
 *
 * From then on every syscall of the program traps, since none lies inside
 * the gate; its clock reads through the vDSO jump into the shim, as in a
 * dynamic program (vdso.c); rdtsc faults as in a dynamic program; and the
 * program's thread pointers are kept apart from the shim's (tp.c).
 *
 * Runs once, in the main thread of the new image, before the program
 * exists: plain libc is fine here.  A failure ends the image with status
 * 127 and one line on stderr, as a failed execve of a shell would.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif
#define PAGE 4096UL
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define MAX_PHDRS 128
/* Room between the shim's last frame and the program's first. */
#define STACK_GAP (256 * 1024)

/* What ld.so runs: libsimsup.so is a program too. */
const char shim_interp[] __attribute__((section(".interp"), used)) = "/lib64/ld-linux-x86-64.so.2";

struct image {
	uintptr_t bias;  /* load address minus link address (0 for ET_EXEC) */
	uintptr_t entry, phdr;
	unsigned phnum;
};

__attribute__((format(printf, 2, 3), noreturn))
static void fail(const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "simsup: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(127);
}

static void read_at(const char *path, int fd, void *buf, size_t len, off_t off)
{
	if (pread(fd, buf, len, off) != (ssize_t)len)
		fail(path, "truncated ELF file");
}

static int prot_of(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* One PT_LOAD: the file part mapped, the rest of memsz zero-filled. */
static void map_segment(const char *path, int fd, const Elf64_Phdr *ph, uintptr_t bias)
{
	uintptr_t start = bias + ph->p_vaddr, file_end = start + ph->p_filesz;
	uintptr_t mem_end = start + ph->p_memsz, page = PAGE_DOWN(start);
	int prot = prot_of(ph->p_flags);
	if (ph->p_filesz) {
		void *m = mmap((void *)page, file_end - page, prot | PROT_WRITE,
			       MAP_PRIVATE | MAP_FIXED, fd, (off_t)PAGE_DOWN(ph->p_offset));
		if (m == MAP_FAILED)
			fail(path, "cannot map a segment at %#lx: %s", (unsigned long)page,
			     strerror(errno));
		/* the tail of the last file page belongs to .bss */
		if (mem_end > file_end && PAGE_UP(file_end) > file_end)
			memset((void *)file_end, 0, PAGE_UP(file_end) - file_end);
		page = PAGE_UP(file_end);
	}
	if (PAGE_UP(mem_end) > page &&
	    mmap((void *)page, PAGE_UP(mem_end) - page, prot | PROT_WRITE,
		 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		fail(path, "cannot map .bss at %#lx: %s", (unsigned long)page, strerror(errno));
	if (mprotect((void *)PAGE_DOWN(start), PAGE_UP(mem_end) - PAGE_DOWN(start), prot) < 0)
		fail(path, "cannot protect a segment: %s", strerror(errno));
}

static void load(const char *path, struct image *img)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(path, "%s", strerror(errno));
	Elf64_Ehdr eh;
	read_at(path, fd, &eh, sizeof eh, 0);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		fail(path, "not an x86-64 ELF executable");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS)
		fail(path, "corrupt ELF program headers");
	Elf64_Phdr ph[MAX_PHDRS];
	read_at(path, fd, ph, eh.e_phnum * sizeof *ph, (off_t)eh.e_phoff);
	uintptr_t lo = UINTPTR_MAX, hi = 0, phdr = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP)
			fail(path, "dynamically linked: run it with LD_PRELOAD");
		if (ph[i].p_type == PT_PHDR)
			phdr = ph[i].p_vaddr;
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_offset % PAGE != ph[i].p_vaddr % PAGE || ph[i].p_filesz > ph[i].p_memsz)
			fail(path, "corrupt ELF segment");
		if (!phdr && ph[i].p_offset == 0)
			phdr = ph[i].p_vaddr + eh.e_phoff;
		lo = ph[i].p_vaddr < lo ? ph[i].p_vaddr : lo;
		hi = ph[i].p_vaddr + ph[i].p_memsz > hi ? ph[i].p_vaddr + ph[i].p_memsz : hi;
	}
	if (hi <= lo)
		fail(path, "no loadable segment");
	lo = PAGE_DOWN(lo);
	/* Reserve the whole span first: a static-pie goes where the kernel
	 * puts it, a fixed-address program only where nothing is yet. */
	bool fixed = eh.e_type == ET_EXEC;
	void *span = mmap(fixed ? (void *)lo : NULL, PAGE_UP(hi) - lo, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED_NOREPLACE : 0), -1, 0);
	if (span == MAP_FAILED || (fixed && (uintptr_t)span != lo))
		fail(path, "its fixed addresses %#lx-%#lx overlap the shim's memory",
		     (unsigned long)lo, (unsigned long)hi);
	img->bias = fixed ? 0 : (uintptr_t)span - lo;
	for (unsigned i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			map_segment(path, fd, &ph[i], img->bias);
	close(fd);
	img->entry = img->bias + eh.e_entry;
	img->phdr = img->bias + phdr;
	img->phnum = eh.e_phnum;
}

/* The program's auxiliary vector: the kernel's, with the facts of the
 * program instead of the shim's.  AT_SYSINFO_EHDR stays: the vDSO's time
 * functions are patched to jump into the shim (vdso.c, through stubs that
 * switch thread pointers).  No FSGSBASE in AT_HWCAP2: the program must set
 * its thread pointer with arch_prctl, which the shim keeps (tp.c). */
static size_t build_auxv(const Elf64_auxv_t *kv, const struct image *img, const char *execfn,
			 Elf64_auxv_t *out)
{
	size_t n = 0;
	for (; kv->a_type != AT_NULL; kv++) {
		Elf64_auxv_t a = *kv;
		switch (a.a_type) {
		case AT_PHDR: a.a_un.a_val = img->phdr; break;
		case AT_PHENT: a.a_un.a_val = sizeof(Elf64_Phdr); break;
		case AT_PHNUM: a.a_un.a_val = img->phnum; break;
		case AT_ENTRY: a.a_un.a_val = img->entry; break;
		case AT_BASE: a.a_un.a_val = 0; break;
		case AT_EXECFN: a.a_un.a_val = (uintptr_t)execfn; break;
		case AT_HWCAP2: a.a_un.a_val &= ~(uint64_t)HWCAP2_FSGSBASE; break;
		}
		if (out)
			out[n] = a;
		n++;
	}
	if (out)
		out[n] = (Elf64_auxv_t){ .a_type = AT_NULL };
	return n + 1;
}

static char *push_str(char **top, const char *s)
{
	size_t len = strlen(s) + 1;
	*top -= len;
	memcpy(*top, s, len);
	return *top;
}

_Noreturn void shim_static_jump(uintptr_t entry, uintptr_t sp);
/* rsp at argc, rdx 0 (no function for atexit), everything else cleared;
 * %fs 0, as the kernel starts a program (%gs holds the shim's, tp.c). */
__asm__(".text\n"
	".globl shim_static_jump\n.hidden shim_static_jump\n"
	"shim_static_jump:\n"
	" mov %rsi, %rsp\n"
	" mov %rdi, %r11\n"
	" xor %eax, %eax\n"
	" wrfsbase %rax\n"
	" xor %ebx, %ebx\n xor %ecx, %ecx\n xor %edx, %edx\n xor %esi, %esi\n"
	" xor %edi, %edi\n xor %ebp, %ebp\n xor %r8d, %r8d\n xor %r9d, %r9d\n"
	" xor %r10d, %r10d\n xor %r12d, %r12d\n xor %r13d, %r13d\n"
	" xor %r14d, %r14d\n xor %r15d, %r15d\n"
	" jmp *%r11\n");

/*
 * The program's initial stack, below the shim's frames on the same stack
 * (so it grows as the kernel's would): strings, then argc, argv, envp and
 * auxv, 16-byte aligned.
 */
static _Noreturn void start(const char *path, int argc, char **argv, char **envp,
			    const Elf64_auxv_t *kv, const struct image *img)
{
	char *top = (char *)(((uintptr_t)__builtin_frame_address(0) - STACK_GAP) & ~15UL);
	int envc = 0;
	while (envp[envc])
		envc++;
	char *execfn = push_str(&top, path);
	char **args = malloc(((size_t)argc + (size_t)envc + 2) * sizeof *args);
	if (!args)
		fail(path, "out of memory");
	for (int i = envc - 1; i >= 0; i--)
		args[argc + 1 + i] = push_str(&top, envp[i]);
	for (int i = argc - 1; i >= 0; i--)
		args[i] = push_str(&top, argv[i]);
	size_t nauxv = build_auxv(kv, img, execfn, NULL);
	size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * nauxv;
	uintptr_t sp = ((uintptr_t)top - words * 8) & ~15UL;
	uint64_t *w = (uint64_t *)sp;
	*w++ = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		*w++ = (uintptr_t)args[i];
	*w++ = 0;
	for (int i = 0; i < envc; i++)
		*w++ = (uintptr_t)args[argc + 1 + i];
	*w++ = 0;
	build_auxv(kv, img, execfn, (Elf64_auxv_t *)w);
	free(args);
	/* From here on the shim runs on %gs's thread block (tp.c). */
	shim_proc.static_image = true;
	if (shim_tp_setup() < 0)
		fail(path, "cannot find glibc's thread block allocator (_dl_allocate_tls)");
	if (shim_signals_install_tp() < 0)
		fail(path, "cannot install the shim's signal handlers");
	shim_vdso_tp = 1;
	shim_self.prog_fs = 0;
	shim_static_jump(img->entry, sp);
}

/* Called from the entry point with the stack the kernel built for us. */
_Noreturn void shim_static_main(long *sp) __attribute__((used));
_Noreturn void shim_static_main(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1, **e = envp;
	while (*e)
		e++;
	const Elf64_auxv_t *kv = (const Elf64_auxv_t *)(e + 1);
	shim_init(); /* the main program's constructors are not run by ld.so */
	if (!shim_proc.active || argc < 3) {
		fprintf(stderr, "libsimsup.so: simsup's shim; it runs statically linked programs "
				"inside a simulation, started by simsup\n");
		exit(2);
	}
	const char *path = argv[1];
	if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE))
		fail(path, "statically linked, and this CPU or kernel does not allow FSGSBASE "
			   "in user space (Linux 5.9+ on a CPU with it), which the shim needs to "
			   "keep its thread pointer beside the program's");
	char *abs = realpath(path, NULL); /* for readlink of /proc/self/exe (shim/proc.c) */
	if (!abs)
		fail(path, "%s", strerror(errno));
	shim_proc.static_path = abs;
	struct image img;
	load(path, &img);
	const char *base = strrchr(path, '/');
	prctl(PR_SET_NAME, base ? base + 1 : path); /* /proc/self/comm, as execve sets it */
	start(path, argc - 2, argv + 2, envp, kv, &img);
}

__asm__(".text\n"
	".globl shim_static_entry\n.hidden shim_static_entry\n"
	"shim_static_entry:\n"
	" xor %ebp, %ebp\n"
	" mov %rsp, %rdi\n"
	" and $-16, %rsp\n"
	" call shim_static_main\n"
	" ud2\n");
