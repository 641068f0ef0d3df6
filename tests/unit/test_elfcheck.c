/*
 * test_elfcheck.c — the pre-launch program check (supervisor/elfcheck.c).
 *
 * Each test gets a fresh temporary directory for the files it makes; ELF
 * headers for the odd cases (other machines, musl, truncation) are written
 * by hand, a static binary is built with gcc when libc.a is there.
 */
#include <criterion/criterion.h>

#include <elf.h>
#include <sys/auxv.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfcheck.h"

static char dir[] = "/tmp/test_elfcheck.XXXXXX";
static char path[PATH_MAX], why[1024];

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[PATH_MAX + 32];

	/* An absolute path: some tests change PATH. */
	snprintf(cmd, sizeof(cmd), "/bin/rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* Create dir/name with the given bytes and mode; its path goes to out. */
static void make_file(const char *name, const void *data, size_t len,
		      mode_t mode, char *out)
{
	FILE *f;

	snprintf(out, PATH_MAX, "%s/%s", dir, name);
	f = fopen(out, "w");
	cr_assert_not_null(f, "%s", out);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(out, mode), 0);
}

static void make_script(const char *name, const char *text, char *out)
{
	make_file(name, text, strlen(text), 0755, out);
}

/* An x86-64-shaped ELF header with one program header: PT_INTERP naming
 * interp, or PT_LOAD when interp is NULL.  Only the headers, nothing to run. */
static void make_elf(const char *name, unsigned char cls, Elf64_Half machine,
		     Elf64_Half type, const char *interp, char *out)
{
	unsigned char buf[512];
	Elf64_Ehdr eh = { .e_type = type, .e_machine = machine,
			  .e_version = EV_CURRENT, .e_phoff = sizeof(eh),
			  .e_ehsize = sizeof(eh), .e_phentsize = sizeof(Elf64_Phdr),
			  .e_phnum = 1 };
	Elf64_Phdr ph = { .p_type = interp ? PT_INTERP : PT_LOAD,
			  .p_offset = sizeof(eh) + sizeof(ph),
			  .p_filesz = interp ? strlen(interp) + 1 : 0 };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = cls;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	if (interp)
		memcpy(buf + ph.p_offset, interp, ph.p_filesz);
	make_file(name, buf, sizeof(eh) + sizeof(ph) + ph.p_filesz, 0755, out);
}

static int check(const char *cmd)
{
	return sup_check_program(cmd, path, sizeof(path), why, sizeof(why));
}

/* Expect cmd to be refused with exactly "<resolved path>: <problem>". */
static void expect_refused(const char *cmd, const char *problem)
{
	char want[PATH_MAX + 256];

	cr_assert_eq(check(cmd), -1, "%s accepted", cmd);
	snprintf(want, sizeof(want), "%s: %s", path, problem);
	cr_expect_str_eq(why, want);
}

static void expect_refused_with(const char *cmd, const char *part)
{
	cr_assert_eq(check(cmd), -1, "%s accepted", cmd);
	cr_expect(strstr(why, part) != NULL, "why: %s", why);
}

TestSuite(elfcheck, .init = make_dir, .fini = remove_dir, .timeout = 30);

Test(elfcheck, sh_resolves_on_path)
{
	setenv("PATH", "/nonexistent:/usr/bin:/bin", 1);
	cr_expect_eq(check("sh"), 0, "why: %s", why);
	cr_expect_str_eq(path, "/usr/bin/sh");
}

Test(elfcheck, default_path_when_unset)
{
	unsetenv("PATH");
	cr_expect_eq(check("sh"), 0, "why: %s", why);
	cr_expect(strcmp(path, "/usr/bin/sh") == 0 || strcmp(path, "/bin/sh") == 0 ||
		  strcmp(path, "/usr/local/bin/sh") == 0, "path: %s", path);
}

Test(elfcheck, dynamic_elf_ok)
{
	cr_expect_eq(check("/bin/true"), 0, "why: %s", why);
	cr_expect_str_eq(path, "/bin/true");
}

Test(elfcheck, missing_file)
{
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "%s/nope", dir);
	expect_refused(cmd, "no such file");
	cr_expect_str_eq(path, cmd);
}

Test(elfcheck, missing_on_path)
{
	cr_expect_eq(check("simsup-no-such-command"), -1);
	cr_expect_str_eq(why, "simsup-no-such-command: no such file in PATH");
}

Test(elfcheck, not_executable)
{
	char file[PATH_MAX];

	make_file("plain", "#!/bin/sh\n", 10, 0644, file);
	expect_refused(file, "not executable");
}

/* Like execvp: a match that cannot be run does not hide a later one that
 * can, and is what gets reported when nothing can. */
Test(elfcheck, path_skips_what_cannot_run)
{
	char file[PATH_MAX], newpath[2 * PATH_MAX + 2];

	cr_assert_eq(mkdir(strcat(strcpy(file, dir), "/a"), 0755), 0);
	cr_assert_eq(mkdir(strcat(strcpy(file, dir), "/b"), 0755), 0);
	make_file("a/tool", "#!/bin/sh\n", 10, 0644, file);
	snprintf(newpath, sizeof(newpath), "%s/a", dir);
	setenv("PATH", newpath, 1);
	expect_refused("tool", "not executable");
	cr_expect_str_eq(path, file);

	make_script("b/tool", "#!/bin/sh\n", file);
	snprintf(newpath, sizeof(newpath), "%s/a:%s/b", dir, dir);
	setenv("PATH", newpath, 1);
	cr_expect_eq(check("tool"), 0, "why: %s", why);
	cr_expect_str_eq(path, file);
}

Test(elfcheck, directory)
{
	expect_refused(dir, "is a directory");
}

Test(elfcheck, script_sh_ok)
{
	char file[PATH_MAX];

	make_script("ok.sh", "#!/bin/sh\necho hi\n", file);
	cr_expect_eq(check(file), 0, "why: %s", why);
	cr_expect_str_eq(path, file);
}

Test(elfcheck, script_with_argument_ok)
{
	char file[PATH_MAX];

	make_script("args.sh", "#! /bin/sh -e\necho hi\n", file);
	cr_expect_eq(check(file), 0, "why: %s", why);
}

Test(elfcheck, script_env_python3_ok)
{
	char file[PATH_MAX];

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		cr_skip_test("no python3 on PATH");
	make_script("ok.py", "#!/usr/bin/env python3\nprint('hi')\n", file);
	cr_expect_eq(check(file), 0, "why: %s", why);
}

Test(elfcheck, script_env_target_missing)
{
	char file[PATH_MAX];

	make_script("env.sh", "#!/usr/bin/env simsup-no-such-interp\n", file);
	expect_refused(file, "interpreter simsup-no-such-interp: no such file in PATH");
}

Test(elfcheck, script_interpreter_missing)
{
	char file[PATH_MAX];

	make_script("bad.sh", "#!/nonexistent/interp\n", file);
	expect_refused(file, "interpreter /nonexistent/interp: no such file");
}

Test(elfcheck, script_interpreter_loop)
{
	char a[PATH_MAX], b[PATH_MAX], text[PATH_MAX + 8];

	snprintf(text, sizeof(text), "#!%s/b\n", dir);
	make_script("a", text, a);
	snprintf(text, sizeof(text), "#!%s/a\n", dir);
	make_script("b", text, b);
	expect_refused_with(a, "too many levels of #! interpreters");
}

Test(elfcheck, script_dos_line_endings)
{
	char file[PATH_MAX];

	make_script("dos.sh", "#!/bin/sh\r\necho hi\r\n", file);
	expect_refused(file, "#! line ends in CR (DOS line endings)");
}

Test(elfcheck, script_without_interpreter)
{
	char file[PATH_MAX];

	make_script("empty.sh", "#!   \necho hi\n", file);
	expect_refused(file, "#! line names no interpreter");
}

static void build_static(const char *flag, char *out)
{
	char src[PATH_MAX], cmd[3 * PATH_MAX];

	if (access("/usr/lib/x86_64-linux-gnu/libc.a", R_OK) != 0)
		cr_skip_test("no libc.a (install libc6-dev) to build a static binary");
	make_file("static.c", "int main(void){return 0;}\n", 26, 0644, src);
	snprintf(out, PATH_MAX, "%s/static", dir);
	snprintf(cmd, sizeof(cmd), "gcc %s -o '%s' '%s' 2>/dev/null", flag, out, src);
	if (system(cmd) != 0)
		cr_skip_test("gcc %s failed", flag);
}

/* A static program runs where user space may set the GS base (FSGSBASE):
 * the shim keeps its own thread pointer there (interposer/tp.c). */
static void expect_static_verdict(const char *file)
{
	if (getauxval(AT_HWCAP2) & (1 << 1)) {
		cr_expect_eq(check(file), 0, "why: %s", why);
	} else {
		expect_refused_with(file, "statically linked, and this CPU or kernel does not "
					  "allow FSGSBASE");
	}
	cr_expect(sup_elf_static(path), "%s not seen as static", path);
}

Test(elfcheck, static_binary)
{
	char file[PATH_MAX];

	build_static("-static", file);
	expect_static_verdict(file);
}

Test(elfcheck, static_pie_counts_as_static)
{
	char file[PATH_MAX];

	build_static("-static-pie", file);
	expect_static_verdict(file);
}

Test(elfcheck, dynamic_elf_is_not_static)
{
	cr_expect_not(sup_elf_static("/bin/true"));
	cr_expect_not(sup_elf_static("/nonexistent"));
}

Test(elfcheck, text_file_without_shebang)
{
	char file[PATH_MAX];

	make_script("notes.txt", "hello\n", file);
	expect_refused(file, "not an ELF executable or script");
}

Test(elfcheck, empty_file)
{
	char file[PATH_MAX];

	make_file("empty", "", 0, 0755, file);
	expect_refused(file, "not an ELF executable or script");
}

Test(elfcheck, elf_32bit)
{
	char file[PATH_MAX];

	make_elf("elf32", ELFCLASS32, EM_386, ET_EXEC, NULL, file);
	expect_refused(file, "32-bit ELF: x86-64 only");
}

Test(elfcheck, elf_other_machine)
{
	char file[PATH_MAX];

	make_elf("arm64", ELFCLASS64, EM_AARCH64, ET_DYN,
		 "/lib/ld-linux-aarch64.so.1", file);
	expect_refused(file, "ELF for another machine (x86-64 only)");
}

Test(elfcheck, elf_truncated_header)
{
	char file[PATH_MAX];

	make_file("short", "\177ELF\002\001\001", 7, 0755, file);
	expect_refused(file, "truncated ELF header");
}

Test(elfcheck, elf_truncated_program_headers)
{
	char file[PATH_MAX];

	make_elf("cut", ELFCLASS64, EM_X86_64, ET_EXEC, NULL, file);
	cr_assert_eq(truncate(file, sizeof(Elf64_Ehdr) + 8), 0);
	expect_refused(file, "truncated ELF program headers");
}

Test(elfcheck, elf_object_file)
{
	char file[PATH_MAX];

	make_elf("obj.o", ELFCLASS64, EM_X86_64, ET_REL, NULL, file);
	expect_refused(file, "ELF but not an executable (object file or core dump)");
}

Test(elfcheck, elf_with_glibc_loader_ok)
{
	char file[PATH_MAX];

	make_elf("dyn", ELFCLASS64, EM_X86_64, ET_DYN,
		 "/lib64/ld-linux-x86-64.so.2", file);
	cr_expect_eq(check(file), 0, "why: %s", why);
}

Test(elfcheck, elf_with_musl_loader)
{
	char file[PATH_MAX];

	make_elf("musl", ELFCLASS64, EM_X86_64, ET_DYN,
		 "/lib/ld-musl-x86_64.so.1", file);
	expect_refused(file, "ELF interpreter /lib/ld-musl-x86_64.so.1 is not "
		       "glibc's: simsup's shim needs a program linked against glibc");
}

Test(elfcheck, elf_with_missing_loader)
{
	char file[PATH_MAX];

	make_elf("noldr", ELFCLASS64, EM_X86_64, ET_DYN,
		 "/nonexistent/ld-linux-x86-64.so.2", file);
	expect_refused(file, "ELF interpreter /nonexistent/ld-linux-x86-64.so.2: "
		       "No such file or directory");
}

Test(elfcheck, path_too_small)
{
	char small[4];

	cr_expect_eq(sup_check_program("/bin/true", small, sizeof(small), why,
				       sizeof(why)), -1);
	cr_expect_str_eq(why, "/bin/true: file name too long");
}
