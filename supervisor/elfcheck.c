/*
 * elfcheck.c — find the program the user named and tell, before launch,
 * whether simsup can run it.
 *
 * The shim reaches a dynamic program through LD_PRELOAD, which only glibc's
 * dynamic loader honours, and runs a static one itself
 * (interposer/staticexec.c).  So the program must be an x86-64 ELF, with
 * no PT_INTERP or one naming glibc's loader, or a #! script whose
 * interpreter (through `/usr/bin/env NAME` too) is one.  Anything else
 * would start outside the simulation and fail in confusing ways; here it
 * fails in one line instead.
 *
 * Reads headers only, with pread; never executes anything.  Messages are
 * "PATH: problem", without a "simsup: " prefix: the caller adds that.
 */
#include "elfcheck.h"
#include "simsup/shebang.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#define ELFCHECK_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* Interpreters of interpreters: a script run by a script, and so on. */
#define ELFCHECK_MAX_DEPTH 4
/* The kernel reads this much of a file to find a #! line (BINPRM_BUF_SIZE). */
#define ELFCHECK_HEAD 256
/* The kernel refuses program header tables larger than this. */
#define ELFCHECK_MAX_PHDRS (65536 / sizeof(Elf64_Phdr))
/* glibc's loader on x86-64, wherever it lives (/lib64, /nix/store/…). */
#define ELFCHECK_GLIBC_LOADER "ld-linux-x86-64.so.2"
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

static int check_file(const char *path, int depth, char *why, size_t whylen);

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* pread until len bytes or end of file.  Returns the count or -errno. */
static ssize_t read_at(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* What execve would run: a regular file we may execute. */
static bool is_runnable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

static int copy_path(const char *src, char *out, size_t outlen,
		     char *why, size_t whylen)
{
	if (strlen(src) >= outlen)
		return fail(why, whylen, "%s: file name too long", src);
	strcpy(out, src);
	return 0;
}

/*
 * Resolve cmd as execvp does.  Like execvp, skip PATH entries that exist but
 * cannot be run; if nothing can, return the first that exists, so that the
 * check says why ("not executable", "is a directory").
 */
static int resolve(const char *cmd, char *out, size_t outlen,
		   char *why, size_t whylen)
{
	const char *dir = getenv("PATH");
	char cand[PATH_MAX];
	bool have_existing = false;

	if (*cmd == '\0')
		return fail(why, whylen, "empty command name: no such file");
	if (strchr(cmd, '/') != NULL)
		return copy_path(cmd, out, outlen, why, whylen);
	if (dir == NULL)
		dir = ELFCHECK_DEFAULT_PATH;
	for (;; dir++) {
		const char *end = strchr(dir, ':');
		int dlen, n;

		if (end == NULL)
			end = dir + strlen(dir);
		dlen = (int)(end - dir);
		/* An empty entry means the current directory, as for execvp. */
		n = snprintf(cand, sizeof(cand), "%.*s/%s", dlen ? dlen : 1,
			     dlen ? dir : ".", cmd);
		if (n > 0 && (size_t)n < sizeof(cand)) {
			if (is_runnable(cand))
				return copy_path(cand, out, outlen, why, whylen);
			if (!have_existing && access(cand, F_OK) == 0)
				have_existing = copy_path(cand, out, outlen, NULL, 0) == 0;
		}
		if (*end == '\0')
			break;
		dir = end;
	}
	if (have_existing)
		return 0;
	return fail(why, whylen, "%s: no such file in PATH", cmd);
}

/* Split off the next blank-separated word of *p (the kernel splits a #! line
 * on spaces and tabs only).  Returns NULL when none is left. */
static char *next_word(char **p)
{
	char *w = *p + strspn(*p, " \t");
	char *end = w + strcspn(w, " \t");

	if (*w == '\0')
		return NULL;
	*p = *end ? end + 1 : end;
	*end = '\0';
	return w;
}

/*
 * The program `#!/usr/bin/env ARGS` runs: the first word that is neither an
 * option (-S, -i, …) nor an assignment (NAME=value).  The kernel passes ARGS
 * to env as one argument, so only `env -S` really splits it; a script that
 * relies on more fails the same way with or without simsup.
 */
static const char *env_target(char *args)
{
	char *w;

	while ((w = next_word(&args)) != NULL)
		if (w[0] != '-' && strchr(w, '=') == NULL)
			return w;
	return NULL;
}

/* Check the program `env NAME` would run, found on PATH. */
static int check_env_target(const char *path, char *args, int depth,
			    char *why, size_t whylen)
{
	const char *name = env_target(args);
	char resolved[PATH_MAX], inner[512];

	if (name == NULL)
		return fail(why, whylen, "%s: #! line runs env with no program",
			    path);
	if (resolve(name, resolved, sizeof(resolved), inner, sizeof(inner)) < 0 ||
	    check_file(resolved, depth, inner, sizeof(inner)) < 0)
		return fail(why, whylen, "%s: interpreter %s", path, inner);
	return 0;
}

/* head holds the first n bytes of path, starting with "#!". */
static int check_script(const char *path, const char *head, size_t n,
			int depth, char *why, size_t whylen)
{
	char line[ELFCHECK_HEAD], inner[512], *rest = line;
	const char *nl = memchr(head + 2, '\n', n - 2);
	size_t len = nl ? (size_t)(nl - (head + 2)) : n - 2;
	const char *interp;

	if (depth >= ELFCHECK_MAX_DEPTH)
		return fail(why, whylen, "%s: too many levels of #! interpreters",
			    path);
	if (nl == NULL && n == ELFCHECK_HEAD)
		return fail(why, whylen, "%s: #! line too long", path);
	memcpy(line, head + 2, len);
	line[len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		return fail(why, whylen,
			    "%s: #! line ends in CR (DOS line endings)", path);
	interp = next_word(&rest);
	if (interp == NULL)
		return fail(why, whylen, "%s: #! line names no interpreter", path);
	if (check_file(interp, depth + 1, inner, sizeof(inner)) < 0)
		return fail(why, whylen, "%s: interpreter %s", path, inner);
	if (strcmp(base_name(interp), "env") == 0)
		return check_env_target(path, rest, depth + 1, why, whylen);
	return 0;
}

/* The PT_INTERP string (the ELF's loader) must name glibc's loader. */
static int check_loader(const char *path, int fd, const Elf64_Phdr *ph,
			char *why, size_t whylen)
{
	char loader[PATH_MAX];

	if (ph->p_filesz < 2 || ph->p_filesz > sizeof(loader) ||
	    read_at(fd, loader, ph->p_filesz, (off_t)ph->p_offset) !=
		    (ssize_t)ph->p_filesz ||
	    loader[ph->p_filesz - 1] != '\0')
		return fail(why, whylen, "%s: corrupt ELF interpreter name", path);
	if (strcmp(base_name(loader), ELFCHECK_GLIBC_LOADER) != 0)
		return fail(why, whylen,
			    "%s: ELF interpreter %s is not glibc's: simsup's shim "
			    "needs a program linked against glibc", path, loader);
	if (access(loader, F_OK) < 0)
		return fail(why, whylen, "%s: ELF interpreter %s: %s", path, loader,
			    strerror(errno));
	return 0;
}

/*
 * A static executable, static-pie included, has no PT_INTERP.  The shim
 * runs it itself (interposer/staticexec.c), keeping its own thread pointer
 * in %gs, which takes FSGSBASE in user space.
 */
static int check_static(const char *path, char *why, size_t whylen)
{
	if (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)
		return 0;
	return fail(why, whylen,
		    "%s: statically linked, and this CPU or kernel does not allow "
		    "FSGSBASE in user space (Linux 5.9+ on a CPU with it), which simsup's "
		    "shim needs to run beside a static program's own thread pointer",
		    path);
}

/* 1 if the ELF has a PT_INTERP, 0 if not, -1 (with why) if unreadable. */
static int has_interp(const char *path, int fd, const Elf64_Ehdr *eh, Elf64_Phdr *out,
		      char *why, size_t whylen)
{
	Elf64_Phdr ph;

	if (eh->e_phentsize != sizeof(ph) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELFCHECK_MAX_PHDRS)
		return fail(why, whylen, "%s: corrupt ELF program headers", path);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		off_t off = (off_t)(eh->e_phoff + (Elf64_Off)i * sizeof(ph));

		if (read_at(fd, &ph, sizeof(ph), off) != (ssize_t)sizeof(ph))
			return fail(why, whylen, "%s: truncated ELF program headers",
				    path);
		if (ph.p_type == PT_INTERP) {
			*out = ph;
			return 1;
		}
	}
	return 0;
}

static int check_phdrs(const char *path, int fd, const Elf64_Ehdr *eh,
		       char *why, size_t whylen)
{
	Elf64_Phdr ph;
	int r = has_interp(path, fd, eh, &ph, why, whylen);

	if (r < 0)
		return -1;
	return r ? check_loader(path, fd, &ph, why, whylen) : check_static(path, why, whylen);
}

bool sup_elf_static(const char *path)
{
	unsigned char head[sizeof(Elf64_Ehdr)];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool is_static = false;

	if (fd < 0)
		return false;
	if (read_at(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
	    memcmp(head, ELFMAG, SELFMAG) == 0 && head[EI_CLASS] == ELFCLASS64) {
		memcpy(&eh, head, sizeof(eh));
		is_static = has_interp(path, fd, &eh, &ph, NULL, 0) == 0;
	}
	close(fd);
	return is_static;
}

bool sup_static_script(const char *path, char *interp, size_t ilen, char *arg, size_t alen,
		       bool *has_arg)
{
	char head[SIM_SHEBANG_MAX];
	char *i, *a;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read_at(fd, head, sizeof(head), 0);
	close(fd);
	if (n <= 0 || !sim_shebang_parse(head, (size_t)n, &i, &a) || !sup_elf_static(i) ||
	    strlen(i) >= ilen || (a && strlen(a) >= alen))
		return false;
	strcpy(interp, i);
	*has_arg = a != NULL;
	if (a)
		strcpy(arg, a);
	return true;
}

/* head holds the first n bytes of path, starting with the ELF magic. */
static int check_elf(const char *path, int fd, const unsigned char *head,
		     size_t n, char *why, size_t whylen)
{
	Elf64_Ehdr eh;

	if (n < EI_NIDENT)
		return fail(why, whylen, "%s: truncated ELF header", path);
	if (head[EI_CLASS] == ELFCLASS32)
		return fail(why, whylen, "%s: 32-bit ELF: x86-64 only", path);
	if (head[EI_CLASS] != ELFCLASS64)
		return fail(why, whylen, "%s: corrupt ELF header", path);
	if (n < sizeof(eh))
		return fail(why, whylen, "%s: truncated ELF header", path);
	memcpy(&eh, head, sizeof(eh));
	if (head[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
		return fail(why, whylen, "%s: ELF for another machine (x86-64 only)",
			    path);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return fail(why, whylen,
			    "%s: ELF but not an executable (object file or core dump)",
			    path);
	return check_phdrs(path, fd, &eh, why, whylen);
}

/* Is path something execve would accept at all? */
static int check_kind(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return fail(why, whylen, "%s: %s", path,
			    errno == ENOENT ? "no such file" : strerror(errno));
	if (S_ISDIR(st.st_mode))
		return fail(why, whylen, "%s: is a directory", path);
	if (!S_ISREG(st.st_mode))
		return fail(why, whylen, "%s: not a regular file", path);
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
		return fail(why, whylen, "%s: not executable", path);
	return 0;
}

static int check_file(const char *path, int depth, char *why, size_t whylen)
{
	unsigned char head[ELFCHECK_HEAD];
	ssize_t n;
	int fd, rc;

	if (check_kind(path, why, whylen) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(why, whylen, "%s: cannot read: %s", path, strerror(errno));
	n = read_at(fd, head, sizeof(head), 0);
	if (n < 0)
		rc = fail(why, whylen, "%s: cannot read: %s", path, strerror((int)-n));
	else if (n >= 2 && head[0] == '#' && head[1] == '!')
		rc = check_script(path, (const char *)head, (size_t)n, depth, why,
				  whylen);
	else if (n >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0)
		rc = check_elf(path, fd, head, (size_t)n, why, whylen);
	else
		rc = fail(why, whylen, "%s: not an ELF executable or script", path);
	close(fd);
	return rc;
}

int sup_check_program(const char *cmd, char *path_out, size_t pathlen,
		      char *why, size_t whylen)
{
	if (pathlen > 0)
		path_out[0] = '\0';
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (resolve(cmd, path_out, pathlen, why, whylen) < 0)
		return -1;
	return check_file(path_out, 0, why, whylen);
}
