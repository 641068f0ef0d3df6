/*
 * shebang.h — a #! line as the kernel reads it (fs/binfmt_script.c), for
 * the launcher (supervisor/launch.c) and the shim's execve (shim/proc.c):
 * a script whose interpreter is a static program is run by the shim like
 * the static program itself (interposer/staticexec.c), with the argv the
 * kernel would give the interpreter.
 *
 * No allocation, no libc beyond string functions: the shim calls it from
 * its SIGSYS handler.
 */
#ifndef SIMSUP_SHEBANG_H
#define SIMSUP_SHEBANG_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The kernel reads this much of a file for its #! line (BINPRM_BUF_SIZE). */
#define SIM_SHEBANG_MAX 256

/*
 * buf holds the first n bytes of a file.  If they start a #! line, cuts it
 * in place into the interpreter and its one optional argument (what follows
 * the interpreter, blanks trimmed, spaces inside kept, as the kernel does)
 * and returns true; *arg is NULL when there is none.
 */
static inline bool sim_shebang_parse(char *buf, size_t n, char **interp, char **arg)
{
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return false;
	char *end = memchr(buf, '\n', n);
	if (!end) {
		if (n >= SIM_SHEBANG_MAX)
			return false; /* too long: the kernel refuses it too */
		end = buf + n;
	}
	*end = 0;
	char *p = buf + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return false;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		char *e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (*p)
			*arg = p;
	}
	return true;
}

#endif
