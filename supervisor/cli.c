/*
 * cli.c — simsup's command line.
 *
 * Turns argv into a struct sup_opts (the run plan): getopt_long over the
 * options, strict parsers for numbers, durations and epochs, the --help and
 * --version texts, and the expansion of placeholders such as {ip} and
 * {tag:KEY} in the command and workload arguments.  Every malformed argument
 * becomes one line of error text naming it; nothing here prints on error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef SIMSUP_VERSION
#define SIMSUP_VERSION "0.1.0"
#endif

#define NS_PER_S INT64_C(1000000000)
#define DEFAULT_EPOCH_S INT64_C(1735689600) /* 2025-01-01T00:00:00Z */
#define MAX_PROCS 1000
#define MAX_WORKLOADS 255 /* workload 255 would be 10.0.1.0, next to server 0 */

enum {
	OPT_PROCS = 256,
	OPT_TAG,
	OPT_SEED,
	OPT_TIME_LIMIT,
	OPT_RUN_DIR,
	OPT_KEEP,
	OPT_DURABILITY,
	OPT_DISK,
	OPT_DISK_SIZE,
	OPT_EPOCH,
	OPT_CHECK_DET,
	OPT_TICK,
	OPT_PREEMPT,
	OPT_CPUS,
	OPT_WATCHDOG,
	OPT_WORKLOAD,
	OPT_REBOOT,
	OPT_PARTITION,
	OPT_CHAOS,
	OPT_CHAOS_DURATION,
	OPT_SERVERS_MAY_EXIT,
	OPT_CLOCK,
	OPT_VERSION,
	OPT_SEEDS,
	OPT_ITERATIONS,
	OPT_SHARD,
	OPT_FAIL_FAST,
	OPT_BUDGET,
	OPT_JUNIT,
	OPT_TIMELINE,
	OPT_PCAP,
	OPT_LATENCY,
	OPT_NET_FAULT,
	OPT_MINIMIZE,
	OPT_SUMMARY,
};

#define SHORT_OPTS "+:vqhj:"

static const struct option long_opts[] = {
	{ "procs", required_argument, NULL, OPT_PROCS },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "time-limit", required_argument, NULL, OPT_TIME_LIMIT },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "check-determinism", no_argument, NULL, OPT_CHECK_DET },
	{ "tick", required_argument, NULL, OPT_TICK },
	{ "preempt", required_argument, NULL, OPT_PREEMPT },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "watchdog", required_argument, NULL, OPT_WATCHDOG },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "reboot", required_argument, NULL, OPT_REBOOT },
	{ "durability", required_argument, NULL, OPT_DURABILITY },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "disk-size", required_argument, NULL, OPT_DISK_SIZE },
	{ "partition", required_argument, NULL, OPT_PARTITION },
	{ "chaos", optional_argument, NULL, OPT_CHAOS },
	{ "chaos-duration", required_argument, NULL, OPT_CHAOS_DURATION },
	{ "servers-may-exit", no_argument, NULL, OPT_SERVERS_MAY_EXIT },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "seeds", required_argument, NULL, OPT_SEEDS },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "jobs", required_argument, NULL, 'j' },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "fail-fast", no_argument, NULL, OPT_FAIL_FAST },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "net-fault", required_argument, NULL, OPT_NET_FAULT },
	{ "minimize", optional_argument, NULL, OPT_MINIMIZE },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"Usage: simsup [OPTIONS] [--] COMMAND [ARGS...]\n"
"\n"
"Runs COMMAND as --procs simulated server processes, plus any --workload\n"
"processes, on one virtual clock and network under a seeded scheduler.\n"
"The same seed and command line give the same run.\n"
"\n"
"Options:\n"
"  --procs N             number of server processes, 1 to 1000 (default 1)\n"
"  --tag KEY=V1,V2,...   give each server a value of KEY, round-robin: server i\n"
"                        gets value number i mod (number of values).  KEY is\n"
"                        [A-Za-z_][A-Za-z0-9_]*; repeatable, once per KEY\n"
"  --seed N              scheduler seed, 0 to 18446744073709551615\n"
"                        (default: a random seed, printed so the run can be\n"
"                        repeated)\n"
"  --time-limit DUR      virtual time the run may last (default 24h)\n"
"  --run-dir DIR         directory for the run's logs and traces\n"
"                        (default: a fresh directory, removed after a pass)\n"
"  --keep                keep the run directory of a passing run\n"
"  --epoch TIME          virtual wall-clock time at the start: SECONDS or\n"
"                        @SECONDS since 1970, YYYY-MM-DD or\n"
"                        YYYY-MM-DDTHH:MM:SSZ, in UTC\n"
"                        (default 2025-01-01T00:00:00Z)\n"
"  --tick DUR            virtual time charged per intercepted call (default 1us)\n"
"  --preempt P           chance, per mille (0 to 1000), of a switch to another\n"
"                        thread at each intercepted call (default 0)\n"
"  --cpus N              CPUs each simulated machine reports, 1 to 64\n"
"                        (default 1; docs/threads-and-signals.md)\n"
"  --watchdog DUR        wall-clock limit on one turn of a process (default 30s)\n"
"  --workload 'CMD ARGS' also run CMD ARGS as a workload (client) process;\n"
"                        repeatable, up to 255\n"
"  --reboot SPEC         reboot a server: at=DUR,proc=N,kind=graceful|crash|\n"
"                        wipe|pause|power[,down=DUR][,grace=DUR]\n"
"                        [,rollback=N]; repeatable (docs/faults.md)\n"
"  --durability SPEC     what a power loss keeps: ext4|posix[,commit=DUR]\n"
"                        [,expire=DUR] (default ext4,commit=5s,expire=30s)\n"
"  --disk SPEC           a disk fault: at=DUR,proc=N,fault=eio|enospc|stall|\n"
"                        corrupt[,op=read|write|fsync][,for=DUR|count=N]\n"
"                        [,path=GLOB][,delay=DUR]; repeatable\n"
"  --disk-size SIZE      each server's storage dir holds at most SIZE bytes\n"
"                        (e.g. 64M); a write past it fails with ENOSPC\n"
"  --partition SPEC      cut the network: at=DUR,for=DUR,shape=isolate:N|\n"
"                        halves|ring|bridge|oneway:A>B[,split=MASK][,via=N];\n"
"                        repeatable\n"
"  --clock SPEC          move a server's wall clock: at=DUR,proc=N,\n"
"                        jump=+-DUR and/or drift=+-PPMppm, or reset=on;\n"
"                        repeatable\n"
"  --net-fault SPEC      a network trouble: at=DUR,fault=spike|refuse|hang,\n"
"                        proc=N,for=DUR[,extra=DUR], or at=DUR,fault=reset\n"
"                        [,pick=N]; repeatable (docs/faults.md)\n"
"  --chaos[=KNOBS]       seeded faults during the chaos phase; KNOBS like\n"
"                        max-down=1,interval=2s-10s,kinds=crash:2+graceful:1\n"
"                        (docs/faults.md)\n"
"  --chaos-duration DUR  length of the chaos phase; then all heals (default 60s)\n"
"  --servers-may-exit    a server that exits by itself does not fail the run\n"
"  --latency MIN:MAX[:TAILPCT:TAILMAX]\n"
"                        network latency of each delivery: uniform in MIN-MAX,\n"
"                        except TAILPCT percent of them in MAX-TAILMAX\n"
"                        (default 100us:800us:0.1:100ms; MIN:MAX alone: no\n"
"                        tail).  Same-node traffic takes 10-30us\n"
"                        (docs/network.md)\n"
"  --check-determinism   run again with the same seed and fail if the two\n"
"                        runs differ\n"
"  --minimize[=match:TEXT]\n"
"                        shrink a failing run (--seed N) to the fewest faults\n"
"                        that fail it the same way, and print that command\n"
"                        (-j and --budget apply; docs/faults.md)\n"
"  -v, --verbose         say more (repeat for even more)\n"
"  -q, --quiet           say only what went wrong\n"
"  -h, --help            print this text\n"
"  --version             print simsup's version\n"
"\n"
"Sweeps (many seeds; exit status 1 if any seed fails):\n"
"  --seeds A-B[,C,...]   run these seeds (inclusive ranges)\n"
"  --iterations N        run N seeds from --seed (default: a random first seed)\n"
"  -j, --jobs N          run N seeds at once, each on its own CPU\n"
"                        (default 1; 0: one per CPU)\n"
"  --shard K/N           run only every N-th seed of the list, from the K-th:\n"
"                        shards 1/N to N/N together run each seed once\n"
"  --fail-fast           stop at the first failing seed\n"
"  --budget DUR          wall-clock time for the sweep; then runs still going\n"
"                        are stopped (not counted as failures)\n"
"  Each seed runs in RUN_DIR/seed-N (RUN_DIR: --run-dir, or a fresh directory).\n"
"  A failing seed's directory is kept; a passing one's is removed, unless -v.\n"
"  The summary names each failure's kind and the command that replays it.\n"
"\n"
"Outputs (docs/outputs.md; RUN_DIR/trace.jsonl is always written):\n"
"  --junit FILE          JUnit XML for CI, one test case per seed\n"
"  --timeline FILE       Chrome trace-event JSON (ui.perfetto.dev)\n"
"  --pcap FILE           the virtual network's packets (Wireshark, tshark)\n"
"  --summary FILE        a sweep's summary as JSON: counts, failures, and the\n"
"                        fault families the failures had on\n"
"  In a sweep, {seed} in FILE makes one file per seed; without it, --timeline\n"
"  and --pcap write the lowest failing seed's.\n"
"\n"
"DUR is a number, decimals allowed, with a unit: ns, us, ms, s, m, h or d\n"
"(90s, 10m, 2h, 1d, 250ms, 1.5s).  A bare number is seconds.\n"
"\n"
"Placeholders, replaced in COMMAND, its ARGS and each --workload (any other\n"
"text in braces is left as it is):\n"
"  {ip}         this process's IP address: server i is 10.0.1.(i+1),\n"
"               workload j is 10.0.0.(j+1)\n"
"  {index}      this process's number from 0 (servers and workloads are\n"
"               numbered separately)\n"
"  {boot}       boot number of this process, 1 for the first start\n"
"  {tag:KEY}    this server's value of --tag KEY (servers only)\n"
"  {peers}      every server's IP address, comma-separated\n"
"  {ip:N}       server N's IP address (N from 0 to procs-1)\n"
"\n"
"Environment of every simulated process:\n"
"  SIMSUP_IP          as {ip}\n"
"  SIMSUP_INDEX       as {index}\n"
"  SIMSUP_BOOT        as {boot}\n"
"  SIMSUP_TAG_<KEY>   as {tag:KEY}, KEY upper-cased (servers)\n"
"  SIMSUP_PEERS       as {peers}\n"
"  SIMSUP_SEED        the run's seed\n"
"  SIMSUP_SERVERS     every server's IP address, comma-separated (workloads)\n"
"\n"
"Exit status: 0 the run passed, 1 the run failed, 2 usage or setup error.\n";

/* ---- errors ---------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!err || n == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	/* keep it one printable line whatever the argument held */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void bad_arg(char *err, size_t n, const char *opt, const char *arg,
		    const char *expect)
{
	set_err(err, n, "%s \"%s\": expected %s", opt, arg, expect);
}

/* ---- numbers ---------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whole decimal digits only (no sign, no spaces), at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !is_digit(*s))
		return -1;
	for (; *s; s++) {
		if (!is_digit(*s))
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int parse_int_range(const char *s, int lo, int hi, int *out)
{
	uint64_t v;

	if (parse_u64(s, (uint64_t)hi, &v) < 0 || v < (uint64_t)lo)
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- durations -------------------------------------------------------- */

static int64_t unit_ns(const char *sfx)
{
	static const struct { const char *sfx; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", NS_PER_S }, { "", NS_PER_S }, { "m", 60 * NS_PER_S },
		{ "h", 3600 * NS_PER_S }, { "d", 86400 * NS_PER_S },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(sfx, units[i].sfx) == 0)
			return units[i].ns;
	return 0;
}

/* DIGITS[.DIGITS][UNIT]; sub-nanosecond remainders are truncated. */
int sup_parse_duration(const char *s, int64_t *ns)
{
	unsigned __int128 whole = 0, frac = 0, scale = 1, total;
	int64_t unit;

	if (!s || !is_digit(*s))
		return -1;
	for (; is_digit(*s); s++) {
		whole = whole * 10 + (unsigned)(*s - '0');
		if (whole > INT64_MAX)
			return -1;
	}
	if (*s == '.') {
		if (!is_digit(*++s))
			return -1;
		for (; is_digit(*s); s++) {
			if (scale >= (unsigned __int128)1000000000000000000ULL)
				continue; /* below a nanosecond of any unit */
			frac = frac * 10 + (unsigned)(*s - '0');
			scale *= 10;
		}
	}
	unit = unit_ns(s);
	if (unit == 0)
		return -1;
	total = whole * (uint64_t)unit + frac * (uint64_t)unit / scale;
	if (total > INT64_MAX)
		return -1;
	*ns = (int64_t)total;
	return 0;
}

/* ---- epochs ----------------------------------------------------------- */

/* Exactly n digits at s. */
static int fixed_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int secs_to_ns(int64_t secs, int64_t *ns)
{
	if (secs < 0 || secs > INT64_MAX / NS_PER_S)
		return -1;
	*ns = secs * NS_PER_S;
	return 0;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ", validated by a round trip. */
static int parse_iso(const char *s, int64_t *ns)
{
	struct tm tm = { 0 }, back;
	size_t len = strlen(s);
	time_t t;

	if (len != 10 && len != 20)
		return -1;
	if (fixed_digits(s, 4, &tm.tm_year) || s[4] != '-' ||
	    fixed_digits(s + 5, 2, &tm.tm_mon) || s[7] != '-' ||
	    fixed_digits(s + 8, 2, &tm.tm_mday))
		return -1;
	if (len == 20 &&
	    (s[10] != 'T' || fixed_digits(s + 11, 2, &tm.tm_hour) ||
	     s[13] != ':' || fixed_digits(s + 14, 2, &tm.tm_min) ||
	     s[16] != ':' || fixed_digits(s + 17, 2, &tm.tm_sec) || s[19] != 'Z'))
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	t = timegm(&back);
	if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour ||
	    back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec)
		return -1; /* 2025-02-30, 24:00:00, leap seconds... */
	return secs_to_ns((int64_t)t, ns);
}

int sup_parse_epoch(const char *s, int64_t *ns)
{
	uint64_t secs;

	if (!s)
		return -1;
	if (strchr(s, '-'))
		return parse_iso(s, ns);
	if (*s == '@')
		s++;
	if (parse_u64(s, INT64_MAX, &secs) < 0)
		return -1;
	return secs_to_ns((int64_t)secs, ns);
}

/* ---- tags ------------------------------------------------------------- */

static bool valid_key(const char *k, size_t n)
{
	if (n == 0 || is_digit(k[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!(c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

static const struct sup_tag *find_tag(const struct sup_opts *o, const char *key)
{
	for (int i = 0; i < o->ntags; i++)
		if (strcasecmp(o->tags[i].key, key) == 0)
			return &o->tags[i];
	return NULL;
}

const char *sup_tag_value(const struct sup_opts *o, const char *key, int index)
{
	const struct sup_tag *t = o && key ? find_tag(o, key) : NULL;

	if (!t || index < 0 || t->nvalues <= 0)
		return NULL;
	return t->values[index % t->nvalues];
}

static void free_tag(struct sup_tag *t)
{
	for (int i = 0; i < t->nvalues; i++)
		free(t->values[i]);
	free(t->values);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

/* Splits "V1,V2,..." (each non-empty) into t->values.  0 | -1 | -ENOMEM. */
static int split_values(const char *v, struct sup_tag *t)
{
	int n = 1;

	for (const char *p = v; *p; p++)
		n += *p == ',';
	t->values = calloc((size_t)n, sizeof(*t->values));
	if (!t->values)
		return -ENOMEM;
	for (const char *p = v;; p++) {
		const char *end = strchrnul(p, ',');
		if (end == p)
			return -1;
		t->values[t->nvalues] = strndup(p, (size_t)(end - p));
		if (!t->values[t->nvalues])
			return -ENOMEM;
		t->nvalues++;
		if (!*end)
			return 0;
		p = end;
	}
}

/* Appends t to o->tags.  0 | -ENOMEM. */
static int push_tag(struct sup_opts *o, const struct sup_tag *t)
{
	struct sup_tag *tags = realloc(o->tags, (size_t)(o->ntags + 1) * sizeof(*tags));

	if (!tags)
		return -ENOMEM;
	o->tags = tags;
	o->tags[o->ntags++] = *t;
	return 0;
}

static int opt_tag(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	const char *eq = strchr(arg, '=');
	struct sup_tag t = { 0 };
	int r;

	if (!eq || !valid_key(arg, (size_t)(eq - arg))) {
		bad_arg(err, n, "--tag", arg, "KEY=V1,V2,...");
		return -1;
	}
	t.key = strndup(arg, (size_t)(eq - arg));
	r = t.key ? split_values(eq + 1, &t) : -ENOMEM;
	if (r == -1) {
		bad_arg(err, n, "--tag", arg, "KEY=V1,V2,... with no empty value");
	} else if (r == 0 && find_tag(o, t.key)) {
		set_err(err, n, "--tag \"%s\": tag %s is given twice", arg, t.key);
		r = -1;
	} else if (r == 0) {
		r = push_tag(o, &t);
	}
	if (r == -ENOMEM)
		set_err(err, n, "--tag \"%s\": out of memory", arg);
	if (r < 0)
		free_tag(&t);
	return r < 0 ? -1 : 0;
}

/* ---- other options ---------------------------------------------------- */

static int opt_workload(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	char **w;

	if (arg[strspn(arg, " \t\n")] == '\0') {
		bad_arg(err, n, "--workload", arg, "a command such as 'client {ip:0}'");
		return -1;
	}
	if (o->nworkloads >= MAX_WORKLOADS) {
		set_err(err, n, "--workload \"%s\": at most %d workloads", arg,
			MAX_WORKLOADS);
		return -1;
	}
	w = realloc(o->workloads, (size_t)(o->nworkloads + 2) * sizeof(*w));
	if (w)
		o->workloads = w;
	if (!w || !(w[o->nworkloads] = strdup(arg))) {
		set_err(err, n, "--workload \"%s\": out of memory", arg);
		return -1;
	}
	w[++o->nworkloads] = NULL;
	return 0;
}

/* --disk-size: K, M, G suffixes (powers of 1024). */
static int opt_disk_size(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
	if (shift)
		end++;
	if (errno || end == arg || *end || v <= 0 || v > (1LL << 50) >> shift) {
		bad_arg(err, n, "--disk-size", arg, "a size in bytes such as 65536, 64K, 16M or 1G");
		return -1;
	}
	o->disk_size = (int64_t)v << shift;
	return 0;
}

static int opt_run_dir(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	char *d;

	if (!*arg) {
		bad_arg(err, n, "--run-dir", arg, "a directory");
		return -1;
	}
	d = strdup(arg);
	if (!d) {
		set_err(err, n, "--run-dir \"%s\": out of memory", arg);
		return -1;
	}
	free(o->run_dir);
	o->run_dir = d;
	return 0;
}

static int opt_duration(const char *name, const char *arg, int64_t *out,
			char *err, size_t n)
{
	int64_t v;

	if (sup_parse_duration(arg, &v) < 0 || v <= 0) {
		bad_arg(err, n, name, arg,
			"a duration such as 90s, 10m, 2h (greater than zero)");
		return -1;
	}
	*out = v;
	return 0;
}

static int opt_number(int c, struct sup_opts *o, const char *arg, char *err, size_t n)
{
	switch (c) {
	case OPT_PROCS:
		if (parse_int_range(arg, 1, MAX_PROCS, &o->procs) == 0)
			return 0;
		bad_arg(err, n, "--procs", arg, "a whole number from 1 to 1000");
		return -1;
	case OPT_PREEMPT:
		if (parse_int_range(arg, 0, 1000, &o->preempt_permille) == 0)
			return 0;
		bad_arg(err, n, "--preempt", arg, "a whole number from 0 to 1000 (per mille)");
		return -1;
	case OPT_CPUS:
		if (parse_int_range(arg, 1, 64, &o->cpus) == 0)
			return 0;
		bad_arg(err, n, "--cpus", arg, "a whole number from 1 to 64");
		return -1;
	case OPT_SEED:
		if (parse_u64(arg, UINT64_MAX, &o->seed) == 0) {
			o->seed_set = true;
			return 0;
		}
		bad_arg(err, n, "--seed", arg,
			"a whole number from 0 to 18446744073709551615");
		return -1;
	default: /* OPT_EPOCH */
		if (sup_parse_epoch(arg, &o->epoch_ns) == 0)
			return 0;
		bad_arg(err, n, "--epoch", arg,
			"seconds since 1970, @SECONDS, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		return -1;
	}
}

static const char *long_name(int val)
{
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
}

/* How many long options start with the n bytes at name. */
static int prefix_matches(const char *name, size_t n)
{
	int k = 0;

	for (const struct option *lo = long_opts; lo->name; lo++)
		k += strncmp(lo->name, name, n) == 0;
	return k;
}

/* getopt_long returned '?' or ':'; say which argument was wrong. */
static void bad_option(int c, char **argv, char *err, size_t n)
{
	const char *arg;
	int len;

	if (c == ':') { /* only long options take values */
		set_err(err, n, "option --%s needs a value", long_name(optopt));
	} else if (optopt == 'v' || optopt == 'q' || optopt == 'h' ||
		   optopt >= OPT_PROCS) {
		set_err(err, n, "option --%s takes no value", long_name(optopt));
	} else if (optopt != 0) {
		set_err(err, n, "unknown option -%c", optopt);
	} else {
		arg = optind > 0 ? argv[optind - 1] : "?";
		len = (int)strcspn(arg, "=");
		if (len > 2 && prefix_matches(arg + 2, (size_t)len - 2) > 1)
			set_err(err, n, "ambiguous option %.*s", len, arg);
		else
			set_err(err, n, "unknown option %.*s", len, arg);
	}
}

/* A repeatable option whose value is parsed later (faults.c). */
static int opt_list(char ***list, int *count, const char *name, const char *arg, char *err,
		    size_t n)
{
	if (!*arg) {
		set_err(err, n, "%s: empty value", name);
		return -1;
	}
	char **l = realloc(*list, (size_t)(*count + 2) * sizeof(*l));
	if (!l || !(l[*count] = strdup(arg))) {
		set_err(err, n, "%s: out of memory", name);
		return -1;
	}
	l[++*count] = NULL;
	*list = l;
	return 0;
}

/* A percentage with up to four decimals ("0.1", "2.5%", "100") in parts
 * per million.  0 | -1. */
static int parse_ppm(const char *s, int64_t *ppm)
{
	int64_t whole = 0, frac = 0, scale = 10000;

	if (!is_digit(*s))
		return -1;
	for (; is_digit(*s); s++)
		if ((whole = whole * 10 + (*s - '0')) > 100)
			return -1;
	if (*s == '.') {
		if (!is_digit(*++s))
			return -1;
		for (; is_digit(*s); s++) {
			scale /= 10;
			if (scale == 0)
				return -1;
			frac += (*s - '0') * scale;
		}
	}
	if (*s == '%')
		s++;
	*ppm = whole * 10000 + frac;
	return *s || *ppm > 1000000 ? -1 : 0;
}

/* --latency MIN:MAX[:TAILPCT:TAILMAX] */
static int opt_latency(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	char *copy = strdup(arg), *part[5] = { 0 }, *save = NULL;
	int k = 0, r = -1;
	int64_t mn, mx, tail = 0, tmax;

	if (!copy)
		return -1;
	for (char *p = strtok_r(copy, ":", &save); p && k < 5; p = strtok_r(NULL, ":", &save))
		part[k++] = p;
	if ((k == 2 || k == 4) && sup_parse_duration(part[0], &mn) == 0 &&
	    sup_parse_duration(part[1], &mx) == 0 && mn <= mx) {
		tmax = mx;
		if (k == 2 || (parse_ppm(part[2], &tail) == 0 &&
			       sup_parse_duration(part[3], &tmax) == 0 && tmax >= mx))
			r = 0;
	}
	free(copy);
	if (r < 0) {
		bad_arg(err, n, "--latency", arg, "MIN:MAX[:TAILPCT:TAILMAX] such as "
			"100us:800us:0.1:100ms (MIN <= MAX <= TAILMAX, TAILPCT 0 to 100)");
		return -1;
	}
	o->lat_min_ns = mn;
	o->lat_max_ns = mx;
	o->lat_tail_ppm = tail;
	o->lat_tail_max_ns = tmax;
	return 0;
}

/* sweeps and outputs: defined below */
static int opt_sweep(int c, struct sup_opts *o, const char *arg, char *err, size_t n);
static int opt_minimize(struct sup_opts *o, const char *arg, char *err, size_t n);
static int check_sweep(struct sup_opts *o, char *err, size_t n);

/* ---- parse ------------------------------------------------------------ */

static void set_defaults(struct sup_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->procs = 1;
	o->time_limit_ns = 86400 * NS_PER_S;
	o->epoch_ns = DEFAULT_EPOCH_S * NS_PER_S;
	o->tick_ns = 1000;
	o->cpus = SUP_VIRTUAL_CPUS;
	o->watchdog_ns = 30 * NS_PER_S;
	o->jobs = 1;
	o->chaos_duration_ns = 60 * NS_PER_S;
	o->lat_min_ns = 100000;
	o->lat_max_ns = 800000;
	o->lat_tail_ppm = 1000;
	o->lat_tail_max_ns = 100000000;
}

/* One option.  0 | 1 (help or version printed) | -1. */
static int apply_option(int c, struct sup_opts *o, const char *arg, int *nv,
			bool *quiet, char *err, size_t n)
{
	switch (c) {
	case 'v': (*nv)++; return 0;
	case 'q': *quiet = true; return 0;
	case OPT_CHECK_DET: o->check_determinism = true; return 0;
	case OPT_TAG: return opt_tag(o, arg, err, n);
	case OPT_RUN_DIR: return opt_run_dir(o, arg, err, n);
	case OPT_KEEP: o->keep = true; return 0;
	case OPT_WORKLOAD: return opt_workload(o, arg, err, n);
	case OPT_REBOOT: return opt_list(&o->reboots, &o->nreboots, "--reboot", arg, err, n);
	case OPT_DISK: return opt_list(&o->disks, &o->ndisks, "--disk", arg, err, n);
	case OPT_DISK_SIZE: return opt_disk_size(o, arg, err, n);
	case OPT_DURABILITY:
		free(o->durability);
		o->durability = strdup(arg);
		return 0;
	case OPT_PARTITION:
		return opt_list(&o->partitions, &o->npartitions, "--partition", arg, err, n);
	case OPT_CHAOS:
		free(o->chaos);
		o->chaos = strdup(arg ? arg : "");
		return o->chaos ? 0 : -1;
	case OPT_CHAOS_DURATION:
		return opt_duration("--chaos-duration", arg, &o->chaos_duration_ns, err, n);
	case OPT_SERVERS_MAY_EXIT: o->servers_may_exit = true; return 0;
	case OPT_CLOCK: return opt_list(&o->clocks, &o->nclocks, "--clock", arg, err, n);
	case OPT_LATENCY: return opt_latency(o, arg, err, n);
	case OPT_NET_FAULT: return opt_list(&o->netfaults, &o->nnetfaults, "--net-fault", arg, err, n);
	case OPT_MINIMIZE: return opt_minimize(o, arg, err, n);
	case OPT_TIME_LIMIT: return opt_duration("--time-limit", arg, &o->time_limit_ns, err, n);
	case OPT_TICK: return opt_duration("--tick", arg, &o->tick_ns, err, n);
	case OPT_WATCHDOG: return opt_duration("--watchdog", arg, &o->watchdog_ns, err, n);
	case OPT_PROCS: case OPT_PREEMPT: case OPT_CPUS: case OPT_SEED: case OPT_EPOCH:
		return opt_number(c, o, arg, err, n);
	case 'j': case OPT_SEEDS: case OPT_ITERATIONS: case OPT_SHARD: case OPT_FAIL_FAST:
	case OPT_BUDGET: case OPT_JUNIT: case OPT_TIMELINE: case OPT_PCAP: case OPT_SUMMARY:
		return opt_sweep(c, o, arg, err, n);
	case 'h':
		fputs(usage_text, stdout);
		fflush(stdout);
		return 1;
	case OPT_VERSION:
		printf("simsup %s\n", SIMSUP_VERSION);
		fflush(stdout);
		return 1;
	default:
		set_err(err, n, "internal error: unhandled option %d", c);
		return -1;
	}
}

/* Copies argv[from..argc) into o->argv.  0 | -1. */
static int take_command(int argc, char **argv, int from, struct sup_opts *o,
			char *err, size_t n)
{
	if (from >= argc) {
		set_err(err, n, "missing command: give it after --");
		return -1;
	}
	o->argv = calloc((size_t)(argc - from + 1), sizeof(*o->argv));
	if (!o->argv)
		goto oom;
	for (int i = from; i < argc; i++) {
		o->argv[o->argc] = strdup(argv[i]);
		if (!o->argv[o->argc])
			goto oom;
		o->argc++;
	}
	return 0;
oom:
	set_err(err, n, "out of memory");
	return -1;
}

static int parse_options(int argc, char **argv, struct sup_opts *o, char *err,
			 size_t n)
{
	int c, r, nv = 0;
	bool quiet = false;

	optind = 0; /* full re-initialisation of glibc's getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			bad_option(c, argv, err, n);
			return -1;
		}
		r = apply_option(c, o, optarg, &nv, &quiet, err, n);
		if (r != 0)
			return r;
	}
	if (check_sweep(o, err, n) < 0)
		return -1;
	if (quiet && nv > 0) {
		set_err(err, n, "--quiet and --verbose: give one or the other");
		return -1;
	}
	o->verbosity = quiet ? -1 : nv;
	return take_command(argc, argv, optind, o, err, n);
}

int sup_cli_parse(int argc, char **argv, struct sup_opts *o, char *err, size_t errlen)
{
	int r;

	if (err && errlen)
		err[0] = '\0';
	set_defaults(o);
	if (argc < 1 || !argv) {
		set_err(err, errlen, "missing command: give it after --");
		return -1;
	}
	r = parse_options(argc, argv, o, err, errlen);
	if (r != 0)
		sup_cli_free(o); /* leaves the defaults: freeing again is harmless */
	return r;
}

void sup_cli_free(struct sup_opts *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->ntags; i++)
		free_tag(&o->tags[i]);
	free(o->tags);
	for (int i = 0; i < o->nworkloads; i++)
		free(o->workloads[i]);
	free(o->workloads);
	free(o->durability);
	for (int i = 0; i < o->ndisks; i++)
		free(o->disks[i]);
	free(o->disks);
	for (int i = 0; i < o->nreboots; i++)
		free(o->reboots[i]);
	free(o->reboots);
	for (int i = 0; i < o->npartitions; i++)
		free(o->partitions[i]);
	free(o->partitions);
	free(o->chaos);
	for (int i = 0; i < o->nclocks; i++)
		free(o->clocks[i]);
	free(o->clocks);
	for (int i = 0; i < o->nnetfaults; i++)
		free(o->netfaults[i]);
	free(o->netfaults);
	free(o->minimize_match);
	for (int i = 0; i < o->argc; i++)
		free(o->argv[i]);
	free(o->argv);
	free(o->run_dir);
	free(o->seed_ranges);
	free(o->junit);
	free(o->timeline);
	free(o->pcap);
	free(o->summary);
	set_defaults(o);
}

/* ---- addresses -------------------------------------------------------- */

/* Plain 32-bit arithmetic: server 254 is 10.0.1.255, server 255 10.0.2.0. */
uint32_t sup_server_ip(int i)
{
	return UINT32_C(0x0a000101) + (uint32_t)i;
}

uint32_t sup_workload_ip(int j)
{
	return UINT32_C(0x0a000001) + (uint32_t)j;
}

void sup_ip_str(uint32_t ip, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
}

/* ---- placeholder expansion -------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_ip(struct sbuf *b, uint32_t ip)
{
	char s[16];

	sup_ip_str(ip, s, sizeof(s));
	sb_puts(b, s);
}

static void sb_int(struct sbuf *b, int v)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", v);
	sb_puts(b, s);
}

/* {ip:N} and {tag:KEY}.  0 | -1 with err set. */
static int expand_arg_ph(struct sbuf *b, const char *name,
			 const struct sup_expand_ctx *ctx, char *err, size_t n)
{
	uint64_t idx;

	if (strncmp(name, "ip:", 3) == 0 && parse_u64(name + 3, UINT64_MAX, &idx) == 0) {
		if (idx >= (uint64_t)ctx->opts->procs) {
			set_err(err, n, "{%s}: no such server", name);
			return -1;
		}
		sb_ip(b, sup_server_ip((int)idx));
		return 0;
	}
	if (strncmp(name, "tag:", 4) == 0 && valid_key(name + 4, strlen(name + 4))) {
		const char *v;
		if (ctx->workload) {
			set_err(err, n, "{%s} is not defined for workloads", name);
			return -1;
		}
		v = sup_tag_value(ctx->opts, name + 4, ctx->index);
		if (!v) {
			set_err(err, n, "{%s}: no --tag %s", name, name + 4);
			return -1;
		}
		sb_puts(b, v);
		return 0;
	}
	if (strncmp(name, "ip:", 3) == 0 || strncmp(name, "tag:", 4) == 0) {
		set_err(err, n, "malformed placeholder {%s} (expected {ip:N} or {tag:KEY})", name);
		return -1;
	}
	return 1; /* not a placeholder: the braces are the program's own */
}

/* One placeholder named `name` (text between the braces). */
static int expand_one(struct sbuf *b, const char *name,
		      const struct sup_expand_ctx *ctx, char *err, size_t n)
{
	if (strcmp(name, "ip") == 0) {
		sb_ip(b, ctx->workload ? sup_workload_ip(ctx->index)
				       : sup_server_ip(ctx->index));
	} else if (strcmp(name, "index") == 0) {
		sb_int(b, ctx->index);
	} else if (strcmp(name, "boot") == 0) {
		sb_int(b, ctx->boot);
	} else if (strcmp(name, "peers") == 0) {
		for (int i = 0; i < ctx->opts->procs; i++) {
			if (i)
				sb_put(b, ",", 1);
			sb_ip(b, sup_server_ip(i));
		}
	} else {
		return expand_arg_ph(b, name, ctx, err, n);
	}
	return 0;
}

/* Expands the placeholder at *pp (pointing at '{'), advancing *pp past it. */
static int expand_brace(struct sbuf *b, const char **pp, const char *arg,
			const struct sup_expand_ctx *ctx, char *err, size_t n)
{
	const char *open = *pp, *close = strchr(open, '}');
	char *name;
	int r;

	if (!close) { /* a brace of the program's own (awk, perl, JSON) */
		sb_put(b, open, 1);
		*pp = open + 1;
		return 0;
	}
	name = strndup(open + 1, (size_t)(close - open - 1));
	if (!name) {
		b->oom = true;
		return 0;
	}
	r = expand_one(b, name, ctx, err, n);
	free(name);
	if (r > 0) { /* literal: copy the "{" and rescan what follows */
		sb_put(b, open, 1);
		*pp = open + 1;
		return 0;
	}
	*pp = close + 1;
	return r;
}

char *sup_expand(const char *arg, const struct sup_expand_ctx *ctx, char *err, size_t errlen)
{
	struct sbuf b = { 0 };
	const char *p = arg;

	if (err && errlen)
		err[0] = '\0';
	sb_put(&b, "", 0);
	while (*p && !b.oom) {
		size_t lit = strcspn(p, "{}");
		sb_put(&b, p, lit);
		p += lit;
		if (*p == '}') {
			sb_put(&b, p++, 1); /* a lone "}" is literal */
		} else if (*p == '{' && expand_brace(&b, &p, arg, ctx, err, errlen) < 0) {
			free(b.p);
			return NULL;
		}
	}
	if (b.oom) {
		set_err(err, errlen, "\"%s\": out of memory", arg);
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* ---- sweeps and outputs ------------------------------------------------ */

/* "A-B" or "A", comma-separated, each range with A <= B. */
static int opt_seeds(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	struct sup_seed_range *r = NULL;
	int nr = 0;
	uint64_t total = 0;
	char *copy = strdup(arg), *save = NULL;

	if (!copy)
		goto bad;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(item, '-');
		uint64_t lo, hi;
		if (dash)
			*dash = '\0';
		if (parse_u64(item, UINT64_MAX, &lo) < 0 ||
		    (dash ? parse_u64(dash + 1, UINT64_MAX, &hi) : (hi = lo, 0)) < 0 || hi < lo ||
		    hi - lo == UINT64_MAX || total + (hi - lo + 1) < total)
			goto bad;
		total += hi - lo + 1;
		struct sup_seed_range *nrg = realloc(r, (size_t)(nr + 1) * sizeof(*r));
		if (!nrg)
			goto bad;
		r = nrg;
		r[nr].lo = lo;
		r[nr++].hi = hi;
	}
	if (nr == 0 || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		goto bad;
	free(copy);
	free(o->seed_ranges);
	o->seed_ranges = r;
	o->nseed_ranges = nr;
	return 0;
bad:
	free(copy);
	free(r);
	bad_arg(err, n, "--seeds", arg, "seeds such as 1-1000 or 5,17,40-49 (low-high)");
	return -1;
}

static int opt_shard(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	const char *slash = strchr(arg, '/');
	char k[24];
	uint64_t kv, nv;

	if (slash && (size_t)(slash - arg) < sizeof(k)) {
		memcpy(k, arg, (size_t)(slash - arg));
		k[slash - arg] = '\0';
		if (parse_u64(k, 1000000, &kv) == 0 && parse_u64(slash + 1, 1000000, &nv) == 0 &&
		    kv >= 1 && kv <= nv) {
			o->shard_k = (int)kv;
			o->shard_n = (int)nv;
			return 0;
		}
	}
	bad_arg(err, n, "--shard", arg, "K/N with 1 <= K <= N <= 1000000, such as 2/8");
	return -1;
}

static int opt_file(char **dst, const char *name, const char *arg, char *err, size_t n)
{
	if (!*arg) {
		bad_arg(err, n, name, arg, "a file name");
		return -1;
	}
	char *d = strdup(arg);
	if (!d) {
		set_err(err, n, "%s \"%s\": out of memory", name, arg);
		return -1;
	}
	free(*dst);
	*dst = d;
	return 0;
}

static int opt_sweep(int c, struct sup_opts *o, const char *arg, char *err, size_t n)
{
	uint64_t v;

	switch (c) {
	case 'j':
		if (parse_int_range(arg, 0, 1024, &o->jobs) == 0)
			return 0;
		bad_arg(err, n, "-j", arg, "a whole number from 0 (one per CPU) to 1024");
		return -1;
	case OPT_SEEDS:
		return opt_seeds(o, arg, err, n);
	case OPT_ITERATIONS:
		if (parse_u64(arg, UINT64_MAX, &v) == 0 && v >= 1) {
			o->iterations = v;
			return 0;
		}
		bad_arg(err, n, "--iterations", arg, "a whole number of seeds, at least 1");
		return -1;
	case OPT_SHARD:
		return opt_shard(o, arg, err, n);
	case OPT_FAIL_FAST:
		o->fail_fast = true;
		return 0;
	case OPT_BUDGET:
		return opt_duration("--budget", arg, &o->budget_ns, err, n);
	case OPT_JUNIT:
		return opt_file(&o->junit, "--junit", arg, err, n);
	case OPT_TIMELINE:
		return opt_file(&o->timeline, "--timeline", arg, err, n);
	case OPT_SUMMARY:
		return opt_file(&o->summary, "--summary", arg, err, n);
	default: /* OPT_PCAP */
		return opt_file(&o->pcap, "--pcap", arg, err, n);
	}
}

static int opt_minimize(struct sup_opts *o, const char *arg, char *err, size_t n)
{
	o->minimize = true;
	free(o->minimize_match);
	o->minimize_match = NULL;
	if (!arg)
		return 0;
	if (strncmp(arg, "match:", 6) || !arg[6]) {
		bad_arg(err, n, "--minimize", arg, "match:TEXT, a line the failing output must contain");
		return -1;
	}
	o->minimize_match = strdup(arg + 6);
	return o->minimize_match ? 0 : (set_err(err, n, "out of memory"), -1);
}

/* Options that only make sense together. */
static int check_sweep(struct sup_opts *o, char *err, size_t n)
{
	if (o->nseed_ranges && o->seed_set) {
		set_err(err, n, "--seeds and --seed: give one or the other "
			"(--seed N --iterations M runs M seeds from N)");
		return -1;
	}
	if (o->nseed_ranges && o->iterations) {
		set_err(err, n, "--seeds and --iterations: give one or the other");
		return -1;
	}
	o->sweep = o->nseed_ranges > 0 || o->iterations > 0;
	if (o->minimize && o->sweep) {
		set_err(err, n, "--minimize shrinks one failing run: give its --seed N, not a seed list");
		return -1;
	}
	if (o->minimize && !o->seed_set) {
		set_err(err, n, "--minimize needs the failing run's --seed N (the replay line a failure prints)");
		return -1;
	}
	if (o->minimize && o->check_determinism) {
		set_err(err, n, "--minimize checks its result twice already: drop --check-determinism");
		return -1;
	}
	if (o->summary && !o->sweep) {
		set_err(err, n, "--summary summarizes a sweep: give --seeds or --iterations");
		return -1;
	}
	if (o->shard_n && !o->sweep) {
		set_err(err, n, "--shard needs a seed list: --seeds A-B, or --seed N --iterations M");
		return -1;
	}
	if (o->shard_n && o->iterations && !o->seed_set) {
		set_err(err, n, "--shard with --iterations needs --seed N, so that every shard "
			"splits the same seeds");
		return -1;
	}
	if (o->iterations && o->seed_set && o->iterations - 1 > UINT64_MAX - o->seed) {
		set_err(err, n, "--seed %" PRIu64 " --iterations %" PRIu64 ": seeds past "
			"18446744073709551615", o->seed, o->iterations);
		return -1;
	}
	return 0;
}

/* ---- replay ------------------------------------------------------------ */

static void sb_shell_word(struct sbuf *b, const char *w)
{
	bool plain = w[0] != '\0';

	for (const char *s = w; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "-_=./,:@%+", *s))
			plain = false;
	sb_put(b, " ", 1);
	if (plain) {
		sb_puts(b, w);
		return;
	}
	sb_put(b, "'", 1);
	for (const char *s = w; *s; s++)
		if (*s == '\'')
			sb_puts(b, "'\\''");
		else
			sb_put(b, s, 1);
	sb_put(b, "'", 1);
}

static bool replay_drops(int c)
{
	switch (c) {
	case OPT_SEED: case OPT_SEEDS: case OPT_ITERATIONS: case 'j': case OPT_SHARD:
	case OPT_FAIL_FAST: case OPT_BUDGET: case OPT_RUN_DIR: case OPT_JUNIT:
	case OPT_TIMELINE: case OPT_PCAP: case OPT_SUMMARY:
	case 'q': /* a sweep's quiet; the replay is for looking closely */
		return true;
	default:
		return false;
	}
}

/* Walks argv as the parser did: every argument that getopt consumed for
 * options it returned forms one span; a span whose options are all kept is
 * copied as it was, one whose options are all dropped is left out, and a
 * cluster of short options that mixes both ("-vj4") keeps its kept letters. */
static bool minimize_drops(int c)
{
	switch (c) {
	case OPT_REBOOT: case OPT_PARTITION: case OPT_CLOCK: case OPT_DISK: case OPT_NET_FAULT:
	case OPT_CHAOS: case OPT_CHAOS_DURATION: case OPT_MINIMIZE: case OPT_PREEMPT: case 'v':
		return true;
	default:
		return replay_drops(c);
	}
}

static char *replay(int argc, char **argv, uint64_t seed, bool (*drops)(int), const char *more,
		    char *const *extra, int nextra)
{
	struct sbuf b = { 0 };
	char head[64];
	int codes[64], ncodes = 0, prev = 1, c;

	snprintf(head, sizeof(head), "simsup --seed %" PRIu64 "%s", seed, more);
	sb_puts(&b, head);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		if (ncodes < 64)
			codes[ncodes++] = c;
		if (optind <= prev)
			continue; /* inside a cluster of short options */
		int dropped = 0;
		for (int i = 0; i < ncodes; i++)
			dropped += drops(codes[i]);
		if (dropped == 0) {
			for (int i = prev; i < optind; i++)
				sb_shell_word(&b, argv[i]);
		} else if (dropped < ncodes) {
			for (int i = 0; i < ncodes; i++) {
				char s[3] = { '-', (char)codes[i], '\0' };
				if (!drops(codes[i]) && codes[i] < 128)
					sb_shell_word(&b, s);
			}
		}
		ncodes = 0;
		prev = optind;
	}
	for (int i = 0; i < nextra; i++)
		sb_shell_word(&b, extra[i]);
	for (int i = prev; i < argc; i++)
		sb_shell_word(&b, argv[i]);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *sup_cli_replay(int argc, char **argv, uint64_t seed)
{
	return replay(argc, argv, seed, replay_drops, "", NULL, 0);
}

char *sup_cli_replay_with(int argc, char **argv, uint64_t seed, int preempt,
			  char *const *extra, int nextra)
{
	char more[32] = "";
	if (preempt > 0)
		snprintf(more, sizeof more, " --preempt %d", preempt);
	return replay(argc, argv, seed, minimize_drops, more, extra, nextra);
}

char *sup_fmt_duration(int64_t ns, char *buf, size_t n)
{
	const char *sign = ns < 0 ? "-" : "";
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	if (u % (uint64_t)1000000000 == 0) {
		snprintf(buf, n, "%s%" PRIu64 "s", sign, u / (uint64_t)1000000000);
	} else if (u < (uint64_t)1000000000 && u % (uint64_t)1000000 == 0) {
		snprintf(buf, n, "%s%" PRIu64 "ms", sign, u / (uint64_t)1000000);
	} else {
		char frac[16];
		snprintf(frac, sizeof frac, "%09" PRIu64, u % (uint64_t)1000000000);
		for (size_t l = strlen(frac); l > 1 && frac[l - 1] == '0'; l--)
			frac[l - 1] = 0;
		snprintf(buf, n, "%s%" PRIu64 ".%ss", sign, u / (uint64_t)1000000000, frac);
	}
	return buf;
}
