/*
 * sweep.h — many seeds in one command: --seeds / --iterations, --shard,
 * -j worker processes (one simulation per CPU), progress, --fail-fast,
 * --budget, and the report, JUnit file and per-seed outputs at the end.
 */
#ifndef SUP_SWEEP_H
#define SUP_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct sup_sweep_args {
	const struct sup_opts *o;
	const char *lib;         /* libsimsup.so */
	const char *prog;        /* the servers' program, resolved */
	int argc;                /* simsup's command line, for replay commands */
	char **argv;
};

/* Runs the sweep o describes.  Returns simsup's exit status: 0 every seed
 * passed, 1 a seed failed (or the sweep was interrupted), 2 setup error. */
int sup_sweep(const struct sup_sweep_args *a);

/* An output file name with "{seed}" replaced by seed.  malloc'd. */
char *sup_output_path(const char *fmt, uint64_t seed);
/* Copies a file.  0 | -1 with err set. */
int sup_copy_file(const char *from, const char *to, char *err, size_t errlen);

#endif
