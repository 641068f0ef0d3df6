/*
 * The virtual /sys (supervisor/sysfs.c, shim/sysdir.c): the CPU count and
 * topology agree with /proc/cpuinfo and sched_getaffinity, one NUMA node,
 * one virtual disk, the network devices netlink describes; anything else
 * under /sys does not exist and simsup names it; the host's /sys is never
 * read.
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

/* /sys/class/net: lo and eth0 with the index, MTU, flags, state and
 * address that netlink gives (ip link), eth0's address each node's own. */
Test(sysfs, network_devices_agree_with_netlink_and_each_node_has_its_address)
{
	need_program("ip");
	const char *cmd =
		"simsup --seed 1 --procs 2 -- sh -c 'echo $(ls /sys/class/net); "
		"for i in lo eth0; do cd /sys/class/net/$i; "
		"echo $i $(cat ifindex mtu flags operstate address broadcast carrier type); done; "
		"ip -o link show eth0; readlink -f /sys/class/net/eth0'";
	struct run r;
	run_sim(&r, "%s", cmd);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	for (int n = 0; n < 2; n++) {
		char want[512];
		snprintf(want, sizeof want,
			 "p%d | eth0 lo\n"
			 "p%d | lo 1 65536 0x9 unknown 00:00:00:00:00:00 00:00:00:00:00:00 1 772\n"
			 "p%d | eth0 2 1500 0x1003 up 02:00:0a:00:01:0%d ff:ff:ff:ff:ff:ff 1 1\n"
			 "p%d | 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ",
			 n, n, n, n + 1, n);
		cr_expect(strstr(r.out, want), "want:\n%s\nin:\n%s", want, r.out);
		snprintf(want, sizeof want, "link/ether 02:00:0a:00:01:0%d brd ff:ff:ff:ff:ff:ff", n + 1);
		cr_expect(strstr(r.out, want), "want %s in:\n%s", want, r.out);
		snprintf(want, sizeof want, "p%d | /sys/devices/virtual/net/eth0\n", n);
		cr_expect(strstr(r.out, want), "want %s in:\n%s", want, r.out);
	}
	run_free(&r);
	expect_same_hash(2, cmd);
}

/* Not in the virtual machine: ENOENT, and simsup names the path. */
Test(sysfs, a_path_outside_the_virtual_tree_is_refused_by_name)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c 'cat /sys/class/dmi/id/product_name "
		    "|| echo absent; test -e /sys/fs/cgroup || echo no-cgroup'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | absent\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | no-cgroup\n"), "%s", r.out);
	cr_expect(strstr(r.err, "refused openat: not in simsup's virtual /sys "
				"(docs/pseudo-files.md): /sys/class/dmi/id/product_name (ENOENT)"),
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
