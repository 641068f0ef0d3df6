/*
 * sysfs.c — the virtual /sys every node sees: RUN_DIR/sys, written once
 * per run, to which the shim sends every path under /sys
 * (shim/sysdir.c).  In the run's mount namespace (as root) it is a tmpfs
 * mounted there, which ends with the namespace and costs no disk: written
 * to the run directory's file system, its 300 entries took 2 s of wall
 * time per run on a loaded machine.
 *
 * It describes the virtual machine of docs/pseudo-files.md and nothing of
 * the host: --cpus CPUs (1 by default) of one core each in one package (as
 * /proc/cpuinfo says), their caches, one NUMA node with all the memory,
 * one virtual disk (vda), and the kernel settings servers read at start
 * (transparent huge pages, the clock source), and in a private view the
 * network devices lo and eth0 as netlink describes them.  A real directory tree, so
 * that listings, stat, readlink of its symlinks and openat relative to its
 * directories all work as on sysfs.  Anything not in it does not exist,
 * and the shim says so by name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "simsup/netif.h"
#include "sup.h"

#define MEM_KB (8ULL << 20)       /* as shim/pseudo.c: 8 GiB */
#define DISK_SECTORS ((unsigned long long)SUP_DISK_BYTES / 512) /* vda, in 512-byte sectors */

struct tree {
	int ncpu;         /* --cpus, 1 to 64 */
	char root[2048];
	char last[2048];  /* the last directory made (parents) */
	int err;
};

/* mkdir -p of the parent directories of rel (the last one made is
 * remembered: entries come directory by directory) */
static void parents(struct tree *T, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	size_t dl = slash ? (size_t)(slash - rel) : 0;
	if (dl < sizeof T->last && !strncmp(T->last, rel, dl) && T->last[dl] == 0)
		return;
	snprintf(T->last, sizeof T->last, "%.*s", (int)dl, rel);
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", T->root, rel);
	for (int i = (int)strlen(T->root) + 1; i < n; i++)
		if (path[i] == '/') {
			path[i] = 0;
			if (mkdir(path, 0755) < 0 && errno != EEXIST)
				T->err = errno;
			path[i] = '/';
		}
}

__attribute__((format(printf, 3, 4)))
static void put(struct tree *T, const char *rel, const char *fmt, ...)
{
	char path[4096];
	parents(T, rel);
	snprintf(path, sizeof path, "%s/%s", T->root, rel);
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0 || n < 0 || n >= (int)sizeof text || write(fd, text, (size_t)n) != n)
		T->err = fd < 0 ? errno : EIO;
	if (fd >= 0)
		close(fd);
}

static void link_to(struct tree *T, const char *rel, const char *target)
{
	char path[4096];
	parents(T, rel);
	snprintf(path, sizeof path, "%s/%s", T->root, rel);
	if (symlink(target, path) < 0 && errno != EEXIST)
		T->err = errno;
}

/* "0-3", or "0" for one CPU */
static const char *cpu_range(const struct tree *T, char *buf, size_t n)
{
	if (T->ncpu == 1)
		snprintf(buf, n, "0");
	else
		snprintf(buf, n, "0-%d", T->ncpu - 1);
	return buf;
}

/* a cpumask as sysfs prints it for ncpu possible CPUs: hex, in 32-bit
 * groups separated by commas, most significant first ("f", "ff,ffffffff") */
/* the mask of every CPU */
static uint64_t all_cpus(const struct tree *T)
{
	return T->ncpu == 64 ? ~0ULL : (1ULL << T->ncpu) - 1;
}

static const char *cpu_mask(const struct tree *T, uint64_t mask, char *buf, size_t n)
{
	int groups = (T->ncpu + 31) / 32;
	int top_digits = ((T->ncpu - 32 * (groups - 1)) + 3) / 4;
	if (groups == 2)
		snprintf(buf, n, "%0*x,%08x", top_digits, (unsigned)(mask >> 32), (unsigned)mask);
	else
		snprintf(buf, n, "%0*x", top_digits, (unsigned)mask);
	return buf;
}

static void cpus(struct tree *T)
{
	char all[16], rel[256], mask[24];
	cpu_range(T, all, sizeof all);
	cpu_mask(T, all_cpus(T), mask, sizeof mask);
	const char *lists[] = { "online", "possible", "present" };
	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof rel, "devices/system/cpu/%s", lists[i]);
		put(T, rel, "%s\n", all);
	}
	put(T, "devices/system/cpu/offline", "\n");
	put(T, "devices/system/cpu/isolated", "\n");
	put(T, "devices/system/cpu/kernel_max", "8191\n");
	/* L1d, L1i, L2 per core, L3 shared: cpuinfo's "cache size: 32768 KB" */
	static const struct {
		int level;
		const char *type, *size;
		int ways, shared;
	} cache[] = { { 1, "Data", "32K", 8, 0 }, { 1, "Instruction", "32K", 8, 0 },
		      { 2, "Unified", "1024K", 16, 0 }, { 3, "Unified", "32768K", 16, 1 } };
	for (int c = 0; c < T->ncpu; c++) {
		char d[64], one[24];
		cpu_mask(T, 1ULL << c, one, sizeof one);
		snprintf(d, sizeof d, "devices/system/cpu/cpu%d", c);
#define P(name, ...) (snprintf(rel, sizeof rel, "%s/%s", d, name), put(T, rel, __VA_ARGS__))
		if (c > 0)
			P("online", "1\n");
		P("topology/physical_package_id", "0\n");
		P("topology/die_id", "0\n");
		P("topology/core_id", "%d\n", c);
		P("topology/cluster_id", "%d\n", c);
		P("topology/thread_siblings_list", "%d\n", c);
		P("topology/thread_siblings", "%s\n", one);
		P("topology/core_cpus_list", "%d\n", c);
		P("topology/core_cpus", "%s\n", one);
		P("topology/cluster_cpus_list", "%d\n", c);
		P("topology/cluster_cpus", "%s\n", one);
		P("topology/core_siblings_list", "%s\n", all);
		P("topology/core_siblings", "%s\n", mask);
		P("topology/package_cpus_list", "%s\n", all);
		P("topology/package_cpus", "%s\n", mask);
		P("topology/die_cpus_list", "%s\n", all);
		P("topology/die_cpus", "%s\n", mask);
		char own[16];
		snprintf(own, sizeof own, "%d", c);
		for (int i = 0; i < 4; i++) {
			char idx[32];
			snprintf(idx, sizeof idx, "cache/index%d/", i);
			char name[96];
#define C(leaf, ...) (snprintf(name, sizeof name, "%s%s", idx, leaf), P(name, __VA_ARGS__))
			C("level", "%d\n", cache[i].level);
			C("type", "%s\n", cache[i].type);
			C("size", "%s\n", cache[i].size);
			C("coherency_line_size", "64\n");
			C("ways_of_associativity", "%d\n", cache[i].ways);
			C("physical_line_partition", "1\n");
			C("id", "%d\n", cache[i].shared ? 0 : c);
			C("shared_cpu_list", "%s\n", cache[i].shared ? all : own);
			C("shared_cpu_map", "%s\n", cache[i].shared ? mask : one);
#undef C
		}
#undef P
		snprintf(rel, sizeof rel, "%s/node0", d);
		link_to(T, rel, "../../node/node0");
		snprintf(rel, sizeof rel, "devices/system/node/node0/cpu%d", c);
		char target[64];
		snprintf(target, sizeof target, "../../cpu/cpu%d", c);
		link_to(T, rel, target);
	}
}

static void numa(struct tree *T)
{
	char all[16], mask[24];
	cpu_range(T, all, sizeof all);
	cpu_mask(T, all_cpus(T), mask, sizeof mask);
	const char *lists[] = { "online", "possible", "has_cpu", "has_memory", "has_normal_memory" };
	for (int i = 0; i < 5; i++) {
		char rel[128];
		snprintf(rel, sizeof rel, "devices/system/node/%s", lists[i]);
		put(T, rel, "0\n");
	}
	put(T, "devices/system/node/node0/cpulist", "%s\n", all);
	put(T, "devices/system/node/node0/cpumap", "%s\n", mask);
	put(T, "devices/system/node/node0/distance", "10\n");
	put(T, "devices/system/node/node0/meminfo",
	    "Node 0 MemTotal:       %llu kB\nNode 0 MemFree:        %llu kB\n"
	    "Node 0 MemUsed:        %llu kB\nNode 0 HugePages_Total:     0\n"
	    "Node 0 HugePages_Free:      0\n",
	    MEM_KB, MEM_KB * 3 / 4, MEM_KB / 4);
}

static void disk(struct tree *T)
{
	const char *d = "devices/virtual/block/vda";
	char rel[256];
#define P(name, ...) (snprintf(rel, sizeof rel, "%s/%s", d, name), put(T, rel, __VA_ARGS__))
	P("dev", "254:0\n");
	P("size", "%llu\n", DISK_SECTORS);
	P("ro", "0\n");
	P("removable", "0\n");
	P("stat", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	P("queue/rotational", "0\n");
	P("queue/logical_block_size", "512\n");
	P("queue/physical_block_size", "512\n");
	P("queue/hw_sector_size", "512\n");
	P("queue/minimum_io_size", "512\n");
	P("queue/optimal_io_size", "0\n");
	P("queue/nr_requests", "256\n");
	P("queue/read_ahead_kb", "128\n");
	P("queue/max_sectors_kb", "1280\n");
	P("queue/max_hw_sectors_kb", "2147483647\n");
	P("queue/discard_granularity", "512\n");
	P("queue/scheduler", "[none] mq-deadline\n");
	P("queue/write_cache", "write back\n");
	P("queue/dax", "0\n");
#undef P
	link_to(T, "block/vda", "../devices/virtual/block/vda");
	link_to(T, "dev/block/254:0", "../../devices/virtual/block/vda");
}

/* Is the run in a private view (root: its own mount namespace)? */
static bool private_view(const struct sup_run *R)
{
	return R->view_dir && strcmp(R->view_dir, R->run_dir);
}

/*
 * /sys/class/net: lo and eth0 with what netlink and the interface ioctls
 * say of them (shim/netif.c, include/simsup/netif.h).  The kernel's "flags"
 * file has the device's own flags, without the state bits (RUNNING,
 * LOWER_UP) that SIOCGIFFLAGS and RTM_NEWLINK add.  eth0's address is each
 * node's own: every node's mount namespace binds its own file over the one
 * here (sup_sysfs_node_mac, launch.c), so without a private view there are
 * no network devices at all rather than one node's address for all.
 */
static void net(struct tree *T)
{
	static const struct {
		const char *name, *address, *broadcast, *operstate;
		int index, type, mtu;
		unsigned flags;
	} dev[] = {
		{ "lo", "00:00:00:00:00:00", "00:00:00:00:00:00", "unknown", 1, 772,
		  SIM_NETIF_LO_MTU, 0x9 },   /* ARPHRD_LOOPBACK; UP|LOOPBACK */
		{ "eth0", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "up", 2, 1,
		  SIM_NETIF_ETH_MTU, 0x1003 }, /* ARPHRD_ETHER; UP|BROADCAST|MULTICAST */
	};
	for (size_t i = 0; i < sizeof dev / sizeof *dev; i++) {
		char d[64], rel[128], target[64];
		snprintf(d, sizeof d, "devices/virtual/net/%s", dev[i].name);
#define P(leaf, ...) (snprintf(rel, sizeof rel, "%s/%s", d, leaf), put(T, rel, __VA_ARGS__))
		P("address", "%s\n", dev[i].address);
		P("broadcast", "%s\n", dev[i].broadcast);
		P("addr_len", "6\n");
		P("ifindex", "%d\n", dev[i].index);
		P("iflink", "%d\n", dev[i].index);
		P("type", "%d\n", dev[i].type);
		P("mtu", "%d\n", dev[i].mtu);
		P("flags", "0x%x\n", dev[i].flags);
		P("operstate", "%s\n", dev[i].operstate);
		P("carrier", "1\n");
		P("dormant", "0\n");
		P("tx_queue_len", "%d\n", SIM_NETIF_TXQLEN);
		P("uevent", "INTERFACE=%s\nIFINDEX=%d\n", dev[i].name, dev[i].index);
#undef P
		snprintf(rel, sizeof rel, "class/net/%s", dev[i].name);
		snprintf(target, sizeof target, "../../devices/virtual/net/%s", dev[i].name);
		link_to(T, rel, target);
	}
}

/* The file a node's namespace binds over eth0's address: the node's MAC,
 * in its scratch dir (written at each boot: cheap, one line), under the
 * run dir (view: false) or its view (true: the run dir itself may lie
 * under the /tmp that the node's namespace replaces). */
void sup_sysfs_node_mac_path(const struct sup_run *R, int node, bool view, char *path, size_t len)
{
	char nb[16];
	snprintf(path, len, "%s/scratch/%s/eth0-address", view ? R->view_dir : R->run_dir,
		 sup_node_name(R, node, nb, sizeof nb));
}

int sup_sysfs_node_mac(const struct sup_run *R, int node, char *path, size_t len)
{
	uint8_t mac[6];
	sim_netif_mac(node >= 0 ? sup_server_ip(node) : sup_workload_ip(-1 - node), mac);
	sup_sysfs_node_mac_path(R, node, false, path, len);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0)
		return -1;
	int r = dprintf(fd, "%02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3],
			mac[4], mac[5]);
	close(fd);
	return r > 0 ? 0 : -1;
}

/* Where that file goes, as the node's programs see the tree. */
void sup_sysfs_mac_target(const struct sup_run *R, char *path, size_t len)
{
	snprintf(path, len, "%s/sys/devices/virtual/net/eth0/address", R->view_dir);
}

bool sup_sysfs_has_net(const struct sup_run *R)
{
	return private_view(R);
}

void sup_sysfs_end(struct sup_run *R)
{
	char path[4096];
	if (!private_view(R))
		return;
	snprintf(path, sizeof path, "%s/sys", R->run_dir);
	while (umount2(path, MNT_DETACH) == 0)
		;
}

int sup_sysfs_build(struct sup_run *R, char *err, size_t errlen)
{
	struct tree T = { .ncpu = R->o->cpus, .err = 0 };
	snprintf(T.root, sizeof T.root, "%s/sys", R->run_dir);
	if (mkdir(T.root, 0755) < 0 && errno != EEXIST)
		T.err = errno;
	if (private_view(R)) {
		/* in the run's namespace; on the run dir's own path, which each
		 * node's namespace binds (with its submounts) at the view */
		if (mount("simsup-sys", T.root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=0755,size=32m") < 0)
			T.err = errno;
	}
	cpus(&T);
	numa(&T);
	disk(&T);
	if (private_view(R))
		net(&T);
	/* the kernel settings servers read at start (redis, jemalloc) */
	put(&T, "kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	put(&T, "kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n");
	put(&T, "kernel/mm/transparent_hugepage/hpage_pmd_size", "2097152\n");
	put(&T, "devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	put(&T, "devices/system/clocksource/clocksource0/available_clocksource", "tsc hpet acpi_pm\n");
	if (T.err) {
		snprintf(err, errlen, "cannot write the virtual /sys in %s: %s", T.root, strerror(T.err));
		return -1;
	}
	return 0;
}
