/*
 * gatemark.c — which calls the syscall gate marks as the shim's own
 * (include/simsup/escape.h).  Read by shim_syscall6 in gate.S: one byte per
 * x86-64 syscall number.  Immutable.
 */
#include <sys/syscall.h>

#include "simsup/escape.h"

#define SHIM_GATE_NR 512
#define GATE_MARK(name, rule) [SYS_##name] = 1,

const unsigned char shim_gate_marks[SHIM_GATE_NR] = { SIM_ESCAPE_CALLS(GATE_MARK) };
