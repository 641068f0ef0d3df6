/*
 * fuzz_duration.c — libFuzzer target: durations ("90s", "1.5ms") and
 * epochs ("@1700000000", "2025-01-01T00:00:00Z"), supervisor/cli.c.
 *
 * Either parser refuses the input or gives a time of 0 or more (whole
 * seconds for an epoch); a duration written back in nanoseconds reads
 * the same.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *s, int64_t ns)
{
	fprintf(stderr, "fuzz_duration: %s: \"%s\" -> %" PRId64 "\n", what, s, ns);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0;
	char *s = strndup((const char *)data, size), back[32];
	int64_t ns = -1, again = -1;
	if (sup_parse_duration(s, &ns) == 0) {
		if (ns < 0)
			fail("a negative duration", s, ns);
		snprintf(back, sizeof back, "%" PRId64 "ns", ns);
		if (sup_parse_duration(back, &again) != 0 || again != ns)
			fail("a duration that does not read back", s, ns);
	}
	if (sup_parse_epoch(s, &ns) == 0 && (ns < 0 || ns % 1000000000 != 0))
		fail("an epoch below 0 or between seconds", s, ns);
	free(s);
	return 0;
}
