/*
 * policy.h — the seccomp policy filter simsup's launcher installs in each
 * child just before it execs the simulated program.
 *
 * The filter only ever allows or fails a call with an errno, so it survives
 * execve harmlessly and holds for every thread of the program, whether the
 * shim has armed it yet or not (DESIGN.md §3).
 */
#ifndef SUP_POLICY_H
#define SUP_POLICY_H

#include <seccomp.h>

/* Build the filter: default action ALLOW, ERRNO for each refused call, on the
 * x86-64, x32 and i386 syscall ABIs.  The caller owns *out and releases it
 * with seccomp_release().  Returns 0 or -errno; *out is NULL on error. */
int sup_policy_build(scmp_filter_ctx *out);

/* Build the filter and install it in the calling process (and, across
 * execve, in everything it becomes).  Sets no_new_privs: see policy.c for what
 * that costs setuid programs.  Call it single-threaded, e.g. in the launcher's
 * child between fork and execve.  Returns 0 or -errno. */
int sup_policy_load(void);

/* Static text, one line per refused call: "name: ERRNO (why; fallback)".
 * For `simsup -v` and the docs. */
const char *sup_policy_describe(void);

/* Write the filter's pseudo filter code (seccomp_export_pfc) to fd, for
 * debugging.  Returns 0 or -errno. */
int sup_policy_export(int fd);

/* The escape guard (include/simsup/escape.h): a second filter that kills a
 * process making one of the listed calls without the mark of the shim's
 * gate, i.e. a process running without the shim.  x86-64 only.  Load it
 * after sup_policy_load(), in the launcher's child.  Returns 0 or -errno. */
int sup_guard_build(scmp_filter_ctx *out);
int sup_guard_load(void);

#endif
