/*
 * The virtual /sys (supervisor/sysfs.c, shim/sysdir.c): the CPU count and
 * topology agree with /proc/cpuinfo and sched_getaffinity, one NUMA node,
 * one virtual disk; anything else under /sys does not exist and simsup
 * names it; the host's /sys is never read.
 */
#include "harness.h"

Test(sysfs, cpu_topology_matches_the_virtual_cpu_count)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --cpus 4 -- sh -c 'nproc; cat /sys/devices/system/cpu/online; "
		    "ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l; "
		    "grep -c ^processor /proc/cpuinfo; "
		    "cat /sys/devices/system/cpu/cpu3/topology/core_id "
		    "/sys/devices/system/cpu/cpu3/topology/package_cpus_list "
		    "/sys/devices/system/cpu/cpu0/cache/index3/shared_cpu_list "
		    "/sys/devices/system/cpu/cpu0/cache/index3/size'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | 4\np0 | 0-3\np0 | 4\np0 | 4\np0 | 3\np0 | 0-3\np0 | 0-3\n"
				"p0 | 32768K\n"), "%s", r.out);
	run_free(&r);
}

/* One CPU by default (docs/threads-and-signals.md); masks as sysfs prints
 * them, in 32-bit groups, when --cpus goes past 32. */
Test(sysfs, the_cpu_count_follows_cpus)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'nproc; cat /sys/devices/system/cpu/online "
		    "/sys/devices/system/node/node0/cpumap; ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | 1\np0 | 0\np0 | 1\np0 | 1\n"), "%s", r.out);
	run_free(&r);
	run_sim(&r, "simsup --seed 1 --cpus 40 -- sh -c 'nproc; cat /sys/devices/system/cpu/online "
		    "/sys/devices/system/node/node0/cpumap /sys/devices/system/cpu/cpu33/topology/core_cpus'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | 40\np0 | 0-39\np0 | ff,ffffffff\np0 | 02,00000000\n"), "%s", r.out);
	run_free(&r);
}

Test(sysfs, numa_node_and_block_device)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --cpus 4 -- sh -c 'cat /sys/devices/system/node/online "
		    "/sys/devices/system/node/node0/cpulist; ls /sys/block; "
		    "readlink -f /sys/block/vda; cat /sys/block/vda/queue/rotational "
		    "/sys/dev/block/254:0/dev; ls /sys/devices/system/cpu/cpu2/node0/ | grep -c \"^cpu[0-9]\"'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | 0\np0 | 0-3\np0 | vda\np0 | /sys/devices/virtual/block/vda\n"
				"p0 | 0\np0 | 254:0\np0 | 4\n"), "%s", r.out);
	run_free(&r);
}

/* Not in the virtual machine: ENOENT, and simsup names the path. */
Test(sysfs, a_path_outside_the_virtual_tree_is_refused_by_name)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'cat /sys/class/net/eth0/address "
		    "|| echo absent; test -e /sys/fs/cgroup || echo no-cgroup'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | absent\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | no-cgroup\n"), "%s", r.out);
	cr_expect(strstr(r.err, "refused openat: not in simsup's virtual /sys "
				"(docs/pseudo-files.md): /sys/class/net/eth0/address (ENOENT)"),
		  "%s", r.err);
	run_free(&r);
}

Test(sysfs, writes_are_refused)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'echo 1 > /sys/block/vda/queue/rotational "
		    "|| echo refused; cat /sys/block/vda/queue/rotational'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | refused\np0 | 0\n"), "%s", r.out);
	cr_expect(strstr(r.err, "writing kernel settings"), "%s", r.err);
	run_free(&r);
}
