/*
 * elfcheck.h — before launch, find the program the user named and tell
 * whether it can run under simsup: the program (or the interpreter of a #!
 * script) must be an x86-64 ELF, statically linked or using glibc's dynamic
 * loader.
 */
#ifndef SUP_ELFCHECK_H
#define SUP_ELFCHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Resolve cmd as execvp does (a name with a '/' as is, else the first
 * executable match on $PATH, "/usr/local/bin:/usr/bin:/bin" when unset) into
 * path_out, and check it.  Returns 0 if it can run under simsup; -1 with one
 * line in why otherwise, e.g. "./foo: not executable".  path_out holds the
 * resolved path whenever one was found, even on -1.
 */
int sup_check_program(const char *cmd, char *path_out, size_t pathlen,
		      char *why, size_t whylen);

/* Is path a statically linked x86-64 ELF (no PT_INTERP)?  Such a program
 * is run by the shim itself: libsimsup.so PATH ARGV... */
bool sup_elf_static(const char *path);

/* Is path a #! script whose interpreter is a static ELF?  Then the
 * interpreter (and its one optional argument, *has_arg) are copied out. */
bool sup_static_script(const char *path, char *interp, size_t ilen, char *arg, size_t alen,
		       bool *has_arg);

#endif
