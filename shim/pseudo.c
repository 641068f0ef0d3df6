/*
 * pseudo.c — the files and calls through which a program would see the
 * host: /proc/self/stat and status, /proc/cpuinfo, /proc/meminfo,
 * /proc/stat, /proc/uptime, /proc/loadavg, boot_id, /proc/<vpid>/stat,
 * status and statm, the mount table and the cgroup, uname, sysinfo,
 * getrusage, times; and the shim's own fds in /proc/self/fd listings.
 * (/sys is a tree of real files: supervisor/sysfs.c, shim/sysdir.c.)
 *
 * An open of one of these paths returns a memfd (made through the gate)
 * filled with content generated here from virtual facts only: the virtual
 * pid and time, the fixed virtual machine (--cpus CPUs, 8 GiB),
 * the node's seed.  So the same seed reads the same bytes, on any host.
 * docs/pseudo-files.md lists each file and what it says.
 *
 * /proc/<pid>/... names a virtual pid: the own one becomes /proc/self, one
 * of the node's other processes the real pid's directory (stat and status
 * generated), anything else does not exist (pid 1 is passed through).
 *
 * Reachable from the SIGSYS handler: no allocation (content is written to
 * the memfd through a small stack buffer), gate syscalls only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>

#include "shim.h"

#define NSEC 1000000000LL
#define HZ 100                      /* clock ticks (sysconf(_SC_CLK_TCK)) */
#define MEM_TOTAL_KB (8ULL << 20)   /* the virtual machine: 8 GiB */
#define MEM_FREE_KB (6ULL << 20)
#define RSS_KB 8192                 /* every process: 8 MiB resident, 64 MiB virtual */
#define VSIZE_KB 65536
#define RELEASE "6.1.0-simsup"
#define VERSION "#1 SMP PREEMPT_DYNAMIC Wed Jan  1 00:00:00 UTC 2025"

/* ---- a writer into an fd, without allocation ---- */

struct out {
	int fd;
	size_t n;
	char buf[1024];
};

static void flush(struct out *o)
{
	size_t off = 0;
	while (off < o->n) {
		long r = sys3(SYS_write, o->fd, o->buf + off, o->n - off);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	o->n = 0;
}

static void putc_(struct out *o, char c)
{
	if (o->n == sizeof o->buf)
		flush(o);
	o->buf[o->n++] = c;
}

static void puts_(struct out *o, const char *s)
{
	while (*s)
		putc_(o, *s++);
}

static void putu(struct out *o, unsigned long long v)
{
	char t[24];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		putc_(o, t[--n]);
}

static void putd(struct out *o, long long v)
{
	if (v < 0) {
		putc_(o, '-');
		v = -v;
	}
	putu(o, (unsigned long long)v);
}

/* v right-aligned in width w (meminfo and status columns) */
static void putw(struct out *o, unsigned long long v, int w)
{
	unsigned long long t = v;
	int digits = 1;
	while (t /= 10)
		digits++;
	for (; digits < w; digits++)
		putc_(o, ' ');
	putu(o, v);
}

static void puthex(struct out *o, unsigned long long v, int digits)
{
	for (int s = (digits - 1) * 4; s >= 0; s -= 4)
		putc_(o, "0123456789abcdef"[(v >> s) & 15]);
}

/* seconds with two decimals, from ns */
static void putsec(struct out *o, int64_t ns)
{
	putu(o, (unsigned long long)(ns / NSEC));
	putc_(o, '.');
	int64_t c = (ns % NSEC) / (NSEC / 100);
	putc_(o, (char)('0' + c / 10));
	putc_(o, (char)('0' + c % 10));
}

static void kv(struct out *o, const char *key, unsigned long long kb, int w)
{
	puts_(o, key);
	putw(o, kb, w);
	puts_(o, " kB\n");
}

/* ---- facts ---- */

static int ncpu(void)
{
	return shim_proc.cfg.ncpu > 0 ? shim_proc.cfg.ncpu : 1;
}

/* "0-3\n", or "0\n" for one CPU (as supervisor/sysfs.c's cpu lists) */
static void gen_cpulist(struct out *o)
{
	puts_(o, "0");
	if (ncpu() > 1) {
		puts_(o, "-");
		putd(o, ncpu() - 1);
	}
	putc_(o, '\n');
}

static int64_t uptime_ns(void)
{
	return shim_proc.cfg.mono_base + shim_proc.now;
}

static void node_name(char *buf)
{
	int node = shim_proc.cfg.node;
	char *p = buf;
	*p++ = node >= 0 ? 'p' : 'w';
	unsigned v = (unsigned)(node >= 0 ? node : -1 - node);
	char t[12];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = t[--n];
	*p = 0;
}

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* a version-4 UUID from two random words */
static void put_uuid(struct out *o, uint64_t hi, uint64_t lo)
{
	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
	puthex(o, hi >> 32, 8);
	putc_(o, '-');
	puthex(o, (hi >> 16) & 0xffff, 4);
	putc_(o, '-');
	puthex(o, hi & 0xffff, 4);
	putc_(o, '-');
	puthex(o, lo >> 48, 4);
	putc_(o, '-');
	puthex(o, lo & 0xffffffffffffULL, 12);
	putc_(o, '\n');
}

/* What the supervisor knows of a process (vpid 0: this one). */
struct pinfo {
	int vpid, vppid, threads, pgrp, sid;
	int tid;              /* a thread's file (/proc/<pid>/task/<tid>/...), or 0 */
	long uid, gid;
	long real_pid;
	int64_t start_ns;
	char comm[17];
};

static long pinfo_get(int vpid, struct pinfo *pi)
{
	struct sim_req rq = { .op = SIM_PROCINFO, .a = { vpid } };
	struct sim_rep rep;
	long r = shim_request(&rq, NULL, -1, &rep);
	if (r < 0)
		return r;
	pi->vpid = vpid ? vpid : shim_proc.cfg.vpid;
	pi->tid = 0;
	pi->vppid = (int)rep.a[0];
	pi->threads = (int)rep.a[1];
	pi->start_ns = rep.a[2];
	pi->real_pid = rep.a[3];
	rq = (struct sim_req){ .op = SIM_PROCINFO, .a = { vpid, 1 } };
	if ((r = shim_request(&rq, NULL, -1, &rep)) < 0)
		return r;
	pi->pgrp = (int)rep.a[0];
	pi->sid = (int)rep.a[1];
	pi->uid = rep.a[2];
	pi->gid = rep.a[3];
	memset(pi->comm, 0, sizeof pi->comm);
	if (!vpid) {
		sys2(SYS_prctl, PR_GET_NAME, pi->comm);
		return 0;
	}
	/* another process's name: its real comm, which is its program's name */
	char path[48] = "/proc/", *p = path + 6;
	long v = pi->real_pid;
	char t[12];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = t[--n];
	strcpy(p, "/comm");
	long fd = sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		long k = sys3(SYS_read, fd, pi->comm, 16);
		sys1(SYS_close, fd);
		while (k > 0 && (pi->comm[k - 1] == '\n' || pi->comm[k - 1] == 0))
			pi->comm[--k] = 0;
	}
	return 0;
}

/* ---- the files ---- */

static void gen_stat(struct out *o, const struct pinfo *pi, bool self)
{
	long pgrp = pi->pgrp, sid = pi->sid;
	unsigned long long utime = self ? (unsigned long long)(shim_proc.now / (NSEC / HZ)) : 0;
	unsigned long long start =
		(unsigned long long)((shim_proc.cfg.mono_base + pi->start_ns) / (NSEC / HZ));
	putd(o, pi->tid ? pi->tid : pi->vpid);
	puts_(o, " (");
	puts_(o, pi->comm);
	puts_(o, self ? ") R " : ") S ");
	putd(o, pi->vppid);
	putc_(o, ' ');
	putd(o, pgrp);
	putc_(o, ' ');
	putd(o, sid);
	puts_(o, " 0 -1 4194304 0 0 0 0 "); /* tty_nr tpgid flags minflt cminflt majflt cmajflt */
	putu(o, utime);
	puts_(o, " 0 0 0 20 0 ");           /* stime cutime cstime priority nice */
	putd(o, pi->threads > 0 ? pi->threads : 1);
	puts_(o, " 0 ");                    /* itrealvalue */
	putu(o, start);
	putc_(o, ' ');
	putu(o, (unsigned long long)VSIZE_KB * 1024);
	putc_(o, ' ');
	putu(o, RSS_KB / 4);
	puts_(o, " 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
}

/* SigIgn and SigCgt as the program set them (the shim's own handlers for
 * SIGSYS and SIGSEGV are not the program's). */
static void sig_dispositions(uint64_t *ign, uint64_t *cgt)
{
	*ign = *cgt = 0;
	for (int s = 1; s <= 64; s++) {
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			uint64_t mask;
		} act;
		if (s == SIGKILL || s == SIGSTOP || s == SIGSYS || s == SIGSEGV)
			continue;
		if (sys4(SYS_rt_sigaction, s, NULL, &act, 8) < 0)
			continue;
		if (act.handler == SIG_IGN)
			*ign |= 1ULL << (s - 1);
		else if (act.handler != SIG_DFL)
			*cgt |= 1ULL << (s - 1);
	}
}

static void gen_status(struct out *o, const struct pinfo *pi, bool self)
{
	long pgrp = pi->pgrp, sid = pi->sid;
	long uid = pi->uid, gid = pi->gid;
	uint64_t pend = 0, ign = 0, cgt = 0, blk = 0;
	if (self) {
		sys2(SYS_rt_sigpending, &pend, 8);
		sig_dispositions(&ign, &cgt);
		blk = shim_prog_mask();
	}
	puts_(o, "Name:\t");
	puts_(o, pi->comm);
	puts_(o, "\nUmask:\t0022\nState:\t");
	puts_(o, self ? "R (running)" : "S (sleeping)");
	puts_(o, "\nTgid:\t");
	putd(o, pi->vpid);
	puts_(o, "\nNgid:\t0\nPid:\t");
	putd(o, pi->tid ? pi->tid : pi->vpid);
	puts_(o, "\nPPid:\t");
	putd(o, pi->vppid);
	puts_(o, "\nTracerPid:\t0\nUid:\t");
	for (int i = 0; i < 4; i++) {
		putd(o, uid);
		putc_(o, i < 3 ? '\t' : '\n');
	}
	puts_(o, "Gid:\t");
	for (int i = 0; i < 4; i++) {
		putd(o, gid);
		putc_(o, i < 3 ? '\t' : '\n');
	}
	puts_(o, "FDSize:\t64\nGroups:\t\nNStgid:\t");
	putd(o, pi->vpid);
	puts_(o, "\nNSpid:\t");
	putd(o, pi->tid ? pi->tid : pi->vpid);
	puts_(o, "\nNSpgid:\t");
	putd(o, pgrp);
	puts_(o, "\nNSsid:\t");
	putd(o, sid);
	putc_(o, '\n');
	kv(o, "VmPeak:\t", VSIZE_KB, 8);
	kv(o, "VmSize:\t", VSIZE_KB, 8);
	kv(o, "VmLck:\t", 0, 8);
	kv(o, "VmPin:\t", 0, 8);
	kv(o, "VmHWM:\t", RSS_KB, 8);
	kv(o, "VmRSS:\t", RSS_KB, 8);
	kv(o, "RssAnon:\t", RSS_KB / 2, 8);
	kv(o, "RssFile:\t", RSS_KB / 2, 8);
	kv(o, "RssShmem:\t", 0, 8);
	kv(o, "VmData:\t", VSIZE_KB / 4, 8);
	kv(o, "VmStk:\t", 132, 8);
	kv(o, "VmExe:\t", 1024, 8);
	kv(o, "VmLib:\t", 4096, 8);
	kv(o, "VmPTE:\t", 64, 8);
	kv(o, "VmSwap:\t", 0, 8);
	kv(o, "HugetlbPages:\t", 0, 8);
	puts_(o, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t");
	putd(o, pi->threads > 0 ? pi->threads : 1);
	puts_(o, "\nSigQ:\t0/63459\nSigPnd:\t");
	puthex(o, pend, 16);
	puts_(o, "\nShdPnd:\t");
	puthex(o, 0, 16);
	puts_(o, "\nSigBlk:\t");
	puthex(o, blk, 16);
	puts_(o, "\nSigIgn:\t");
	puthex(o, ign, 16);
	puts_(o, "\nSigCgt:\t");
	puthex(o, cgt, 16);
	puts_(o, "\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
		 "CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n"
		 "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
		 "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\n"
		 "SpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t");
	puthex(o, ncpu() >= 64 ? ~0ULL : (1ULL << ncpu()) - 1, (ncpu() + 3) / 4);
	puts_(o, "\nCpus_allowed_list:\t");
	gen_cpulist(o);
	puts_(o, "Mems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n"
		 "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

/* sizes in pages: the fixed virtual and resident sizes of every process */
static void gen_statm(struct out *o)
{
	putu(o, VSIZE_KB / 4);
	putc_(o, ' ');
	putu(o, RSS_KB / 4);
	putc_(o, ' ');
	putu(o, RSS_KB / 8);
	puts_(o, " 256 0 ");
	putu(o, VSIZE_KB / 16);
	puts_(o, " 0\n");
}

static void gen_cpuinfo(struct out *o)
{
	for (int i = 0; i < ncpu(); i++) {
		puts_(o, "processor\t: ");
		putd(o, i);
		puts_(o, "\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
			 "model name\t: simsup virtual CPU @ 2.00GHz\nstepping\t: 7\n"
			 "microcode\t: 0x1\ncpu MHz\t\t: 2000.000\ncache size\t: 32768 KB\n"
			 "physical id\t: 0\nsiblings\t: ");
		putd(o, ncpu());
		puts_(o, "\ncore id\t\t: ");
		putd(o, i);
		puts_(o, "\ncpu cores\t: ");
		putd(o, ncpu());
		puts_(o, "\napicid\t\t: ");
		putd(o, i);
		puts_(o, "\ninitial apicid\t: ");
		putd(o, i);
		puts_(o, "\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\n"
			 "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
			 "pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc "
			 "nopl pni pclmulqdq ssse3 cx16 sse4_1 sse4_2 popcnt hypervisor lahf_lm\n"
			 "bogomips\t: 4000.00\nclflush size\t: 64\ncache_alignment\t: 64\n"
			 "address sizes\t: 46 bits physical, 48 bits virtual\npower management:\n\n");
	}
}

static void gen_meminfo(struct out *o)
{
	kv(o, "MemTotal:       ", MEM_TOTAL_KB, 8);
	kv(o, "MemFree:        ", MEM_FREE_KB, 8);
	kv(o, "MemAvailable:   ", MEM_FREE_KB + (1ULL << 20), 8);
	kv(o, "Buffers:        ", 262144, 8);
	kv(o, "Cached:         ", 786432, 8);
	kv(o, "SwapCached:     ", 0, 8);
	kv(o, "Active:         ", 1048576, 8);
	kv(o, "Inactive:       ", 524288, 8);
	kv(o, "Shmem:          ", 65536, 8);
	kv(o, "SwapTotal:      ", 0, 8);
	kv(o, "SwapFree:       ", 0, 8);
	kv(o, "Dirty:          ", 0, 8);
	kv(o, "Writeback:      ", 0, 8);
	kv(o, "AnonPages:      ", 524288, 8);
	kv(o, "Mapped:         ", 131072, 8);
	kv(o, "Slab:           ", 131072, 8);
	kv(o, "PageTables:     ", 8192, 8);
	kv(o, "CommitLimit:    ", MEM_TOTAL_KB / 2, 8);
	kv(o, "Committed_AS:   ", 1048576, 8);
	kv(o, "VmallocTotal:   ", 34359738367ULL, 8);
	kv(o, "HugePages_Total:", 0, 5);
	puts_(o, "Hugepagesize:       2048 kB\n");
}

static void gen_stat_sys(struct out *o)
{
	unsigned long long up = (unsigned long long)(uptime_ns() / (NSEC / HZ));
	/* each CPU: 5% user, 2% system, the rest idle */
	for (int i = -1; i < ncpu(); i++) {
		unsigned long long k = i < 0 ? (unsigned long long)ncpu() : 1;
		puts_(o, "cpu");
		if (i >= 0)
			putd(o, i);
		else
			putc_(o, ' ');
		putc_(o, ' ');
		putu(o, k * up / 20);
		puts_(o, " 0 ");
		putu(o, k * up / 50);
		putc_(o, ' ');
		putu(o, k * (up - up / 20 - up / 50));
		puts_(o, " 0 0 0 0 0 0\n");
	}
	puts_(o, "intr 0\nctxt 0\nbtime ");
	putd(o, (shim_proc.cfg.epoch_ns - shim_proc.cfg.mono_base) / NSEC);
	puts_(o, "\nprocesses ");
	putd(o, shim_proc.cfg.vpid);
	puts_(o, "\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n");
}

static void gen_uptime(struct out *o)
{
	putsec(o, uptime_ns());
	putc_(o, ' ');
	putsec(o, uptime_ns() * ncpu() / 10 * 9);
	putc_(o, '\n');
}

static void gen_loadavg(struct out *o)
{
	puts_(o, "0.00 0.00 0.00 1/64 ");
	putd(o, shim_proc.cfg.vpid);
	putc_(o, '\n');
}

static void gen_version(struct out *o)
{
	puts_(o, "Linux version " RELEASE " (simsup) (gcc) " VERSION "\n");
}

/* ---- the mount table and the cgroup ---- */

/* What every node's processes see mounted (the host's table holds the
 * run directory's path and mount ids the kernel counts across runs, and
 * its cgroup mounts differ from host to host): a root on the virtual
 * disk, and the kernel's file systems.  No cgroup file system: as on a
 * machine without one, the JVM and Go find no CPU quota. */
static const struct mnt {
	const char *id, *dev, *at, *opts, *type, *src, *super;
} mounts[] = {
	{ "21 1", "254:0", "/", "rw,relatime", "ext4", "/dev/vda", "rw" },
	{ "22 21", "0:5", "/dev", "rw,nosuid,relatime", "devtmpfs", "udev", "rw,mode=755" },
	{ "23 22", "0:21", "/dev/pts", "rw,nosuid,noexec,relatime", "devpts", "devpts",
	  "rw,gid=5,mode=620,ptmxmode=000" },
	{ "24 22", "0:22", "/dev/shm", "rw,nosuid,nodev", "tmpfs", "tmpfs", "rw" },
	{ "25 21", "0:20", "/proc", "rw,nosuid,nodev,noexec,relatime", "proc", "proc", "rw" },
	{ "26 21", "0:19", "/sys", "rw,nosuid,nodev,noexec,relatime", "sysfs", "sysfs", "rw" },
	{ "27 21", "0:83", "/tmp", "rw,nosuid,nodev,relatime", "tmpfs", "tmpfs", "rw" },
};

/* words, one space between each */
static void put_words(struct out *o, const char *const *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i)
			putc_(o, ' ');
		puts_(o, w[i]);
	}
}

static void gen_mountinfo(struct out *o)
{
	for (unsigned i = 0; i < sizeof mounts / sizeof *mounts; i++) {
		const struct mnt *m = &mounts[i];
		const char *w[] = { m->id, m->dev, "/", m->at, m->opts, "-", m->type, m->src, m->super };
		put_words(o, w, sizeof w / sizeof *w);
		putc_(o, '\n');
	}
}

/* /proc/mounts: source, mount point, type, options (the mount's, then the
 * file system's beyond "rw"), 0 0 */
static void gen_mounts(struct out *o)
{
	for (unsigned i = 0; i < sizeof mounts / sizeof *mounts; i++) {
		const struct mnt *m = &mounts[i];
		const char *w[] = { m->src, m->at, m->type, m->opts };
		put_words(o, w, sizeof w / sizeof *w);
		if (strcmp(m->super, "rw")) {
			putc_(o, ',');
			puts_(o, m->super + 3);
		}
		puts_(o, " 0 0\n");
	}
}

/* ---- the simulation's hosts: /etc/hosts, /etc/resolv.conf ---- */

/* The name of a virtual IPv4 address (host order), as getaddrinfo's
 * reverse lookups answer it (interposer/resolve.c), or false. */
static bool host_name(uint32_t ip, char name[33])
{
	struct sim_req rq = { .op = SIM_NET_RESOLVE, .a = { 1, ip } };
	struct sim_rep rep;
	if (shim_request(&rq, NULL, -1, &rep) < 0)
		return false;
	memcpy(name, rep.a, 32);
	name[32] = 0;
	return true;
}

/* Programs that resolve names themselves (Go's resolver, c-ares, musl)
 * read these instead of asking getaddrinfo: the same names, and nothing
 * of the host's. */
static void gen_hosts(struct out *o)
{
	puts_(o, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	for (unsigned net = 1; net <= 1; net--) /* servers 10.0.1.x, then workloads 10.0.0.x */
		for (unsigned i = 1; i < 255; i++) {
			char name[33];
			if (!host_name(0x0a000000u | net << 8 | i, name))
				break;
			puts_(o, "10.0.");
			putu(o, net);
			putc_(o, '.');
			putu(o, i);
			putc_(o, '\t');
			puts_(o, name);
			putc_(o, '\n');
		}
}

static void gen_resolv(struct out *o)
{
	puts_(o, "# simsup: the virtual machine runs no DNS server; its names are in\n"
		 "# /etc/hosts (docs/network.md)\n"
		 "nameserver 127.0.0.1\n");
}

/* ---- open ---- */

enum pf {
	PF_NONE, PF_STAT, PF_STATUS, PF_STATM, PF_CPUINFO, PF_MEMINFO, PF_SYSSTAT, PF_UPTIME,
	PF_LOADAVG, PF_BOOTID, PF_UUID, PF_VERSION, PF_OSRELEASE, PF_HOSTNAME, PF_HOSTS, PF_RESOLV,
	PF_MOUNTINFO, PF_MOUNTS, PF_CGROUP,
};

static const struct {
	const char *path;
	enum pf kind;
} table[] = {
	{ "/proc/self/stat", PF_STAT },
	{ "/proc/thread-self/stat", PF_STAT },
	{ "/proc/self/status", PF_STATUS },
	{ "/proc/thread-self/status", PF_STATUS },
	{ "/proc/self/statm", PF_STATM },
	{ "/proc/cpuinfo", PF_CPUINFO },
	{ "/proc/meminfo", PF_MEMINFO },
	{ "/proc/stat", PF_SYSSTAT },
	{ "/proc/uptime", PF_UPTIME },
	{ "/proc/loadavg", PF_LOADAVG },
	{ "/proc/sys/kernel/random/boot_id", PF_BOOTID },
	{ "/proc/sys/kernel/random/uuid", PF_UUID },
	{ "/proc/version", PF_VERSION },
	{ "/proc/sys/kernel/osrelease", PF_OSRELEASE },
	{ "/proc/sys/kernel/hostname", PF_HOSTNAME },
	{ "/etc/hosts", PF_HOSTS },
	{ "/etc/resolv.conf", PF_RESOLV },
	{ "/proc/self/mountinfo", PF_MOUNTINFO },
	{ "/proc/thread-self/mountinfo", PF_MOUNTINFO },
	{ "/proc/self/mounts", PF_MOUNTS },
	{ "/proc/thread-self/mounts", PF_MOUNTS },
	{ "/proc/mounts", PF_MOUNTS },
	{ "/etc/mtab", PF_MOUNTS },
	{ "/proc/self/cgroup", PF_CGROUP },
	{ "/proc/thread-self/cgroup", PF_CGROUP },
};

static enum pf lookup(const char *path)
{
	for (unsigned i = 0; i < sizeof table / sizeof *table; i++)
		if (!strcmp(path, table[i].path))
			return table[i].kind;
	return PF_NONE;
}

static void generate(struct out *o, enum pf kind, const struct pinfo *pi, bool self)
{
	char name[16];
	switch (kind) {
	case PF_STAT: gen_stat(o, pi, self); break;
	case PF_STATUS: gen_status(o, pi, self); break;
	case PF_STATM: gen_statm(o); break;
	case PF_CPUINFO: gen_cpuinfo(o); break;
	case PF_MEMINFO: gen_meminfo(o); break;
	case PF_SYSSTAT: gen_stat_sys(o); break;
	case PF_UPTIME: gen_uptime(o); break;
	case PF_LOADAVG: gen_loadavg(o); break;
	case PF_BOOTID: {
		uint64_t s = mix(shim_proc.cfg.node_seed);
		put_uuid(o, s, mix(s));
		break;
	}
	case PF_UUID: put_uuid(o, shim_random_u64(), shim_random_u64()); break;
	case PF_VERSION: gen_version(o); break;
	case PF_OSRELEASE: puts_(o, RELEASE "\n"); break;
	case PF_HOSTNAME:
		node_name(name);
		puts_(o, name);
		putc_(o, '\n');
		break;
	case PF_HOSTS: gen_hosts(o); break;
	case PF_RESOLV: gen_resolv(o); break;
	case PF_MOUNTINFO: gen_mountinfo(o); break;
	case PF_MOUNTS: gen_mounts(o); break;
	case PF_CGROUP: puts_(o, "0::/\n"); break; /* the root of a cgroup v2 hierarchy */
	case PF_NONE: break;
	}
}

static long make_file(enum pf kind, int flags, const struct pinfo *pi, bool self)
{
	long fd = sys2(SYS_memfd_create, "simsup-pseudo", flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	shim_fd_forget((int)fd);
	struct out o = { .fd = (int)fd };
	generate(&o, kind, pi, self);
	flush(&o);
	sys3(SYS_lseek, fd, 0, SEEK_SET);
	return fd;
}

bool shim_pseudo_open(int dirfd, const char *path, int flags, long *fd)
{
	if (path && path[0] >= '0' && path[0] <= '9')
		goto by_pid; /* maybe "<vpid>/..." relative to /proc */
	if (!path || (strncmp(path, "/proc/", 6) && strncmp(path, "/etc/", 5)))
		return false;
	if ((flags & O_ACCMODE) != O_RDONLY)
		return false;
	struct pinfo pi;
	enum pf kind = lookup(path);
	if (kind == PF_NONE && path[1] == 'e')
		return false; /* the rest of /etc is the host's */
	if (kind == PF_STAT || kind == PF_STATUS) {
		if ((*fd = pinfo_get(0, &pi)) == 0)
			*fd = make_file(kind, flags, &pi, true);
		return true;
	}
	if (kind != PF_NONE) {
		*fd = make_file(kind, flags, NULL, false);
		return true;
	}
	/* /proc/<vpid>[/task/<vtid>]/...: generated, or the real path */
by_pid:;
	char buf[512];
	struct shim_proc_ref ref;
	int t = shim_proc_translate(dirfd, path, buf, sizeof buf, &ref);
	if (t == 0)
		return false;
	if (t < 0) {
		*fd = t; /* not a process of this node */
		return true;
	}
	kind = !strcmp(ref.rest, "/stat") ? PF_STAT : !strcmp(ref.rest, "/status") ? PF_STATUS
	       : !strcmp(ref.rest, "/statm") ? PF_STATM : PF_NONE;
	enum pf same = !strcmp(ref.rest, "/mountinfo") ? PF_MOUNTINFO
		       : !strcmp(ref.rest, "/mounts") ? PF_MOUNTS
		       : !strcmp(ref.rest, "/cgroup") ? PF_CGROUP : PF_NONE;
	if (same != PF_NONE) { /* the node's processes share them */
		*fd = make_file(same, flags, NULL, false);
		return true;
	}
	if (kind != PF_NONE) {
		bool self = ref.vpid == shim_proc.cfg.vpid;
		if ((*fd = pinfo_get(self ? 0 : (int)ref.vpid, &pi)) == 0) {
			pi.tid = (int)ref.vtid;
			*fd = make_file(kind, flags, &pi, self && (!ref.vtid || ref.vtid == shim_self.vtid));
		}
		return true;
	}
	*fd = sys4(SYS_openat, AT_FDCWD, buf, flags, 0);
	if (*fd >= 0)
		shim_fd_forget((int)*fd);
	return true;
}

/* ---- uname, sysinfo, getrusage, times ---- */

static long uname_call(struct utsname *u)
{
	memset(u, 0, sizeof *u);
	strcpy(u->sysname, "Linux");
	node_name(u->nodename);
	strcpy(u->release, RELEASE);
	strcpy(u->version, VERSION);
	strcpy(u->machine, "x86_64");
	strcpy(u->domainname, "(none)");
	return 0;
}

static long sysinfo_call(struct sysinfo *si)
{
	memset(si, 0, sizeof *si);
	si->uptime = (long)(uptime_ns() / NSEC);
	si->totalram = MEM_TOTAL_KB * 1024;
	si->freeram = MEM_FREE_KB * 1024;
	si->sharedram = 64ULL << 20;
	si->bufferram = 256ULL << 20;
	si->procs = 64;
	si->mem_unit = 1;
	return 0;
}

/* CPU time is not simulated: a process has used the virtual time it has
 * lived (as CLOCK_PROCESS_CPUTIME_ID says), all of it in user mode. */
static long getrusage_call(int who, struct rusage *ru)
{
	if (who != RUSAGE_SELF && who != RUSAGE_THREAD && who != RUSAGE_CHILDREN)
		return -EINVAL;
	memset(ru, 0, sizeof *ru);
	if (who == RUSAGE_CHILDREN)
		return 0;
	ru->ru_utime.tv_sec = shim_proc.now / NSEC;
	ru->ru_utime.tv_usec = (shim_proc.now % NSEC) / 1000;
	ru->ru_maxrss = RSS_KB;
	return 0;
}

static long times_call(struct tms *t)
{
	if (t) {
		memset(t, 0, sizeof *t);
		t->tms_utime = (clock_t)(shim_proc.now / (NSEC / HZ));
	}
	return (long)(uptime_ns() / (NSEC / HZ));
}

long shim_host_query(struct sim_call *c)
{
	switch (c->nr) {
	case SYS_uname: return uname_call((struct utsname *)c->a[0]);
	case SYS_sysinfo: return sysinfo_call((struct sysinfo *)c->a[0]);
	case SYS_getrusage: return getrusage_call((int)c->a[0], (struct rusage *)c->a[1]);
	case SYS_times: return times_call((struct tms *)c->a[0]);
	}
	return -ENOSYS;
}

/* ---- /proc/self/fd listings ---- */

/* Is dirfd a directory listing this process's fds (/proc/<pid>/fd or
 * fdinfo, or a task's)? */
static bool lists_own_fds(int dirfd)
{
	char link[64] = "/proc/self/fd/", *p = link + 14, target[256];
	char t[12];
	int n = 0;
	unsigned v = (unsigned)dirfd;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = t[--n];
	*p = 0;
	long k = sys4(SYS_readlinkat, AT_FDCWD, link, target, sizeof target - 1);
	if (k <= 6)
		return false;
	target[k] = 0;
	return !strncmp(target, "/proc/", 6) &&
	       (!strcmp(target + k - 3, "/fd") || !strcmp(target + k - 7, "/fdinfo"));
}

struct dirent64_ {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static bool hidden(const char *name)
{
	int v = 0;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9' || v > 1000000)
			return false;
		v = v * 10 + (*p - '0');
	}
	return v >= SIM_FD_MIN && shim_fd_is_own(v);
}

long shim_getdents64(struct sim_call *c)
{
	int fd = (int)c->a[0];
	char *buf = (char *)c->a[1];
	if (!lists_own_fds(fd))
		return sys3(SYS_getdents64, fd, buf, c->a[2]);
	for (;;) {
		long r = sys3(SYS_getdents64, fd, buf, c->a[2]);
		if (r <= 0)
			return r;
		long in = 0, out = 0;
		while (in < r) {
			struct dirent64_ *d = (struct dirent64_ *)(buf + in);
			unsigned short len = d->reclen;
			if (!hidden(d->name)) {
				if (out != in)
					memmove(buf + out, buf + in, len);
				out += len;
			}
			in += len;
		}
		if (out > 0)
			return out; /* (an all-hidden batch: read on rather than say "end") */
	}
}
