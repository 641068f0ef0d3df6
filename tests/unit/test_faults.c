/* supervisor/faults.c: fault specs are checked before anything starts. */
#include <criterion/criterion.h>
#include <string.h>

#include "sup.h"

static int check(const char *opt, const char *spec, char *err)
{
	struct sup_opts o = { .procs = 3 };
	char *list[] = { (char *)spec, NULL };
	if (!strcmp(opt, "reboot"))
		o.reboots = list, o.nreboots = 1;
	else if (!strcmp(opt, "partition"))
		o.partitions = list, o.npartitions = 1;
	else if (!strcmp(opt, "clock"))
		o.clocks = list, o.nclocks = 1;
	else if (!strcmp(opt, "net-fault"))
		o.netfaults = list, o.nnetfaults = 1;
	else if (!strcmp(opt, "disk"))
		o.disks = list, o.ndisks = 1;
	else
		o.chaos = (char *)spec;
	return sup_faults_check(&o, err, 512);
}

Test(faults_spec, good_specs)
{
	char err[512];
	const char *ok[][2] = {
		{ "reboot", "at=5s,proc=1,kind=crash,down=2s" },
		{ "reboot", "kind=graceful,proc=0,at=1m,grace=3s" },
		{ "reboot", "at=0,proc=2,kind=wipe" },
		{ "reboot", "at=10s,proc=2,kind=pause,down=500ms" },
		{ "partition", "at=10s,for=3s,shape=isolate:0" },
		{ "partition", "at=1s,for=1s,shape=oneway:0>2" },
		{ "partition", "at=1s,for=1s,shape=halves" },
		{ "partition", "at=1s,for=1s,shape=ring" },
		{ "partition", "at=1s,for=1s,shape=bridge" },
		{ "clock", "at=1s,proc=0,jump=-2s" },
		{ "clock", "at=1s,proc=1,drift=+300ppm" },
		{ "clock", "at=20s,proc=2,reset=on" },
		{ "reboot", "at=2s,proc=0,kind=power,down=1s,rollback=0xb476e558956126be" },
		{ "partition", "at=1s,for=1s,shape=halves,split=0x6e2239f639db0e95" },
		{ "partition", "at=1s,for=1s,shape=bridge,split=5,via=2" },
		{ "net-fault", "at=7.153324442s,fault=spike,proc=1,for=0.719668082s,extra=0.107477419s" },
		{ "net-fault", "at=1s,fault=refuse,proc=0,for=2s" },
		{ "net-fault", "at=1s,fault=hang,proc=2,for=2s" },
		{ "net-fault", "at=1s,fault=reset,pick=0xa66c9767db2bfe4a" },
		{ "net-fault", "at=1s,fault=reset" },
		{ "disk", "at=1s,proc=0,fault=stall,op=fsync+write,for=2s,delay=1s" },
		{ "chaos", "" },
		{ "chaos", "max-down=2,interval=1s-3s,kinds=crash:1+pause:3,partitions=off,clocks=on" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		cr_expect_eq(check(ok[i][0], ok[i][1], err), 0, "--%s %s: %s", ok[i][0], ok[i][1], err);
}

Test(faults_spec, bad_specs_name_what_is_wrong)
{
	char err[512];
	const char *bad[][3] = {
		{ "reboot", "at=5s,proc=1", "needs" },
		{ "reboot", "at=5s,proc=3,kind=crash", "proc=3" },
		{ "reboot", "at=5s,proc=0,kind=melt", "kind=melt" },
		{ "reboot", "at=soon,proc=0,kind=crash", "at=soon" },
		{ "reboot", "at=1s,proc=0,kind=crash,color=red", "color" },
		{ "reboot", "at=1s proc=0", "expected a duration" },
		{ "reboot", "at=1s,proc", "KEY=VALUE" },
		{ "partition", "at=1s,for=1s,shape=isolate:7", "shape=isolate:7" },
		{ "partition", "at=1s,for=1s,shape=oneway:1>1", "oneway:1>1" },
		{ "partition", "at=1s,shape=ring", "needs" },
		{ "clock", "at=1s,proc=0", "needs" },
		{ "clock", "at=1s,proc=0,drift=fast", "drift=fast" },
		{ "clock", "at=1s,proc=0,reset=on,jump=1s", "reset=on" },
		{ "clock", "at=1s,proc=0,reset=yes", "reset=yes" },
		{ "reboot", "at=1s,proc=0,kind=power,rollback=-1", "rollback=-1" },
		{ "partition", "at=1s,for=1s,shape=ring,split=3", "split=MASK goes with" },
		{ "partition", "at=1s,for=1s,shape=halves,via=1", "via=N goes with" },
		{ "partition", "at=1s,for=1s,shape=bridge,via=9", "via=9" },
		{ "net-fault", "at=1s,fault=melt", "fault=melt" },
		{ "net-fault", "at=1s,fault=spike,proc=0,for=1s", "extra=DUR" },
		{ "net-fault", "at=1s,fault=refuse,proc=0", "for=DUR" },
		{ "net-fault", "at=1s,fault=reset,proc=0", "only at= and pick=" },
		{ "net-fault", "at=1s,fault=hang,proc=0,for=1s,pick=3", "pick= only" },
		{ "net-fault", "fault=reset", "needs at=DUR" },
		{ "disk", "at=1s,proc=0,fault=eio,op=fsync+melt", "op:" },
		{ "chaos", "max-down=x", "max-down=x" },
		{ "chaos", "interval=5s-1s", "interval" },
		{ "chaos", "kinds=crash:1+melt:2", "kinds" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_expect_eq(check(bad[i][0], bad[i][1], err), -1, "--%s %s accepted", bad[i][0], bad[i][1]);
		cr_expect(strstr(err, bad[i][2]), "--%s %s: \"%s\" lacks \"%s\"", bad[i][0], bad[i][1], err,
			  bad[i][2]);
		cr_expect(!strchr(err, '\n'), "two lines: %s", err);
	}
}

/* The error is printed as one line: a newline in the argument does not
 * break it (found by tests/fuzz/fuzz_cli). */
Test(faults_spec, error_is_one_line)
{
	char err[512];
	cr_assert_eq(check("clock", "at=1s\nx,proc=0,jump=1s", err), -1);
	cr_expect(!strchr(err, '\n'), "%s", err);
	cr_expect(strstr(err, "at=1s?x"), "%s", err);
}
