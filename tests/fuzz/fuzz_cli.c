/*
 * fuzz_cli.c — libFuzzer target: simsup's command line (supervisor/cli.c).
 *
 * The input is the arguments after "simsup", separated by NUL bytes.
 * Whatever they are, sup_cli_parse returns 0 (run), 1 (help or version
 * printed) or -1 with a one-line error, and sup_cli_free gives back all it
 * took (LeakSanitizer checks).  A command line that parses then goes where
 * main.c sends it: the fault specs (supervisor/faultspec.c, storage.c,
 * disk.c), the placeholders of every server and workload, and the replay
 * command that a failure prints.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sup.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const char *err)
{
	if (!err[0] || strchr(err, '\n')) {
		fprintf(stderr, "fuzz_cli: a refused command line must say why, on one line: \"%s\"\n",
			err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = "simsup";
	for (char *p = buf; p <= buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	struct sup_opts o;
	char err[1024];
	int r = sup_cli_parse(argc, argv, &o, err, sizeof err);
	if (r < 0)
		check_error(err);
	if (r == 0) {
		if (sup_faults_check(&o, err, sizeof err) < 0)
			check_error(err);
		if (o.procs <= 64 && sup_check_placeholders(&o, err, sizeof err) < 0)
			check_error(err);
		free(sup_cli_replay(argc, argv, o.seed));
		sup_cli_free(&o);
	}
	free(buf);
	return 0;
}
