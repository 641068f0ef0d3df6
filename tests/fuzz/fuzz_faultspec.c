/*
 * fuzz_faultspec.c — libFuzzer target: the fault specs (--reboot,
 * --partition, --clock, --chaos in supervisor/faultspec.c, --durability in
 * storage.c, --disk in disk.c).
 *
 * Byte 0 picks the parser, byte 1 the number of servers (1-8), the rest is
 * the spec.  A spec is refused with a message or accepted; an accepted
 * one names only servers that exist and ranges that do not run backwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk.h"
#include "faults.h"
#include "storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *spec)
{
	fprintf(stderr, "fuzz_faultspec: %s: \"%s\"\n", what, spec);
	abort();
}

static void check_range(int64_t lo, int64_t hi, const char *spec)
{
	if (lo < 0 || hi < lo)
		fail("an accepted range runs backwards or below 0", spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 4096)
		return 0;
	int which = data[0] % 6, procs = 1 + data[1] % 8, r;
	char *spec = strndup((const char *)data + 2, size - 2), err[512] = "";
	struct reboot rb;
	struct partition pt;
	struct clockfault cf;
	struct chaos ch;
	struct sup_durability du;
	struct sup_disk_fault dk;
	switch (which) {
	case 0:
		if ((r = fault_parse_reboot(spec, procs, &rb, err, sizeof err)) == 0 &&
		    (rb.node < 0 || rb.node >= procs || rb.at < 0 || rb.kind >= K_NKINDS))
			fail("--reboot accepted outside its servers or kinds", spec);
		break;
	case 1:
		if ((r = fault_parse_partition(spec, procs, &pt, err, sizeof err)) == 0 &&
		    (pt.at < 0 || pt.dur < 0 ||
		     ((pt.shape == S_ISOLATE || pt.shape == S_ONEWAY) && (pt.a < 0 || pt.a >= procs)) ||
		     (pt.shape == S_ONEWAY && (pt.b < 0 || pt.b >= procs))))
			fail("--partition accepted outside its servers", spec);
		break;
	case 2:
		if ((r = fault_parse_clock(spec, procs, &cf, err, sizeof err)) == 0 &&
		    (cf.node < 0 || cf.node >= procs || cf.at < 0))
			fail("--clock accepted outside its servers", spec);
		break;
	case 3:
		if ((r = fault_parse_chaos(spec, &ch, err, sizeof err)) == 0) {
			check_range(ch.every_lo, ch.every_hi, spec);
			check_range(ch.down_lo, ch.down_hi, spec);
			check_range(ch.grace_lo, ch.grace_hi, spec);
			check_range(ch.part_lo, ch.part_hi, spec);
			for (int k = 0; k < K_NKINDS; k++)
				if (ch.weight[k] < 0)
					fail("--chaos accepted a negative weight", spec);
		}
		break;
	case 4:
		if ((r = sup_durability_parse(spec, &du, err, sizeof err)) == 0 &&
		    (du.commit_ns <= 0 || du.expire_ns <= 0))
			fail("--durability accepted a period of 0 or less", spec);
		break;
	default:
		if ((r = sup_disk_parse(spec, procs, &dk, err, sizeof err)) == 0 &&
		    (dk.node < 0 || dk.node >= procs || dk.at < 0))
			fail("--disk accepted outside its servers", spec);
		break;
	}
	if (r != 0 && (r != -1 || !err[0]))
		fail("refused without a message", spec);
	free(spec);
	return 0;
}
