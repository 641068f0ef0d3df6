/*
 * minimize.h — --minimize: a failing seed shrunk to the smallest command
 * made of ordinary options that fails the same way (minimize.c).
 */
#ifndef SUP_MINIMIZE_H
#define SUP_MINIMIZE_H

#include "cli.h"

struct sup_min_args {
	const struct sup_opts *o;
	const char *lib;         /* libsimsup.so */
	const char *prog;        /* the servers' program, resolved */
	int argc;                /* simsup's command line, for the printed command */
	char **argv;
};

/* Returns simsup's exit status: 1 when a minimal failing command was
 * found and checked (it fails, as the seed did) or the search could not
 * finish, 0 when the seed passed (nothing to minimize), 2 setup error. */
int sup_minimize(const struct sup_min_args *a);

#endif
