/*
 * Pseudo-files and host queries: what a program reads about its machine
 * comes from the simulation (1 CPU unless --cpus, 8 GiB, virtual pids and time, the
 * node's name and seed), never from the host.
 */
#include "harness.h"

/* Runs hostinfo with simsup options opts; its whole stdout (simsup shows
 * only the first 50 lines) replaces r.out. */
static struct run hostinfo_opts(unsigned seed, const char *opts)
{
	struct run r;
	char dir[] = "/tmp/simsup-pseudo-XXXXXX", path[64];
	cr_assert(mkdtemp(dir));
	char *prog = example("hostinfo");
	run_sim(&r, "simsup --seed %u %s --run-dir %s -- %s", seed, opts, dir, prog);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	snprintf(path, sizeof path, "%s/logs/p0.out", dir);
	free(r.out);
	r.out = slurp(path);
	cr_assert(r.out, "no %s", path);
	char *rm;
	cr_assert(asprintf(&rm, "rm -rf %s", dir) > 0);
	cr_expect_eq(system(rm), 0);
	free(rm);
	free(prog);
	return r;
}

static struct run hostinfo(unsigned seed)
{
	return hostinfo_opts(seed, "");
}

Test(pseudo, cpu_count_is_the_virtual_machine)
{
	struct run r = hostinfo(1);
	cr_expect(strstr(r.out, "nprocs: onln 1 conf 1 get_nprocs 1"), "%s", r.out);
	cr_expect(strstr(r.out, "/sys/devices/system/cpu/online\n0\n"), "%s", r.out);
	cr_expect(strstr(r.out, "processor\t: 0"), "%s", r.out);
	cr_expect(!strstr(r.out, "processor\t: 1"), "%s", r.out);
	run_free(&r);
	r = hostinfo_opts(1, "--cpus 4");
	cr_expect(strstr(r.out, "nprocs: onln 4 conf 4 get_nprocs 4"), "%s", r.out);
	cr_expect(strstr(r.out, "/sys/devices/system/cpu/online\n0-3\n"), "%s", r.out);
	cr_expect(strstr(r.out, "processor\t: 3"), "%s", r.out);
	cr_expect(!strstr(r.out, "processor\t: 4"), "%s", r.out);
	run_free(&r);
}

Test(pseudo, proc_self_stat_and_status_show_virtual_pids)
{
	struct run r = hostinfo(1);
	cr_expect(strstr(r.out, "\n100 (hostinfo) R 1 "), "%s", r.out);
	cr_expect(strstr(r.out, "Pid:\t100\n"), "%s", r.out);
	cr_expect(strstr(r.out, "PPid:\t1\n"), "%s", r.out);
	run_free(&r);
}

Test(pseudo, memory_uname_and_sysinfo_are_fixed)
{
	struct run r = hostinfo(1);
	cr_expect(strstr(r.out, "MemTotal:        8388608 kB"), "%s", r.out);
	cr_expect(strstr(r.out, "uname: Linux p0 6.1.0-simsup "), "%s", r.out);
	cr_expect(strstr(r.out, "sysinfo: uptime 1000 totalram 8589934592"), "%s", r.out);
	cr_expect(strstr(r.out, "getloadavg: 3 0.00 0.00 0.00"), "%s", r.out);
	run_free(&r);
}

Test(pseudo, same_seed_same_bytes_and_boot_id_follows_the_seed)
{
	struct run a = hostinfo(3), b = hostinfo(3), c = hostinfo(4);
	cr_expect_str_eq(a.out, b.out);
	const char *ka = strstr(a.out, "boot_id\n"), *kc = strstr(c.out, "boot_id\n");
	cr_assert(ka && kc, "%s", a.out);
	cr_expect(strncmp(ka, kc, 50) != 0, "boot_id did not change with the seed");
	run_free(&a), run_free(&b), run_free(&c);
}

Test(pseudo, proc_self_fd_hides_the_shims_fds)
{
	struct run r = hostinfo(1);
	const char *l = strstr(r.out, "/proc/self/fd:");
	cr_assert(l, "%s", r.out);
	int fd;
	const char *p = l + 14;
	while (sscanf(p, " %d", &fd) == 1) {
		cr_expect_lt(fd, 900, "the shim's fd %d is listed: %.80s", fd, l);
		p = strchr(p + 1, ' ');
		if (!p)
			break;
	}
	run_free(&r);
}

Test(pseudo, proc_pid_of_no_simulated_process_does_not_exist)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /bin/sh -c 'cat /proc/4242/stat || echo absent; "
		    "cut -d\" \" -f1 /proc/$$/stat'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "p0 | absent"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | 100\n"), "%s", r.out);
	run_free(&r);
}

Test(pseudo, workload_node_name)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --workload 'uname -n' -- sleep 10");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "w0 | w0"), "%s", r.out);
	run_free(&r);
}

/* The mount table and the cgroup are the virtual machine's: the host's
 * held the run directory's path (run and run.again differ) and mount ids
 * counted across runs, so a program reading it (Go's automaxprocs, the
 * JVM) read other bytes in the second run of --check-determinism. */
Test(pseudo, mount_table_and_cgroup_are_the_virtual_machines)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -vv --check-determinism -- /bin/sh -c 'cat /proc/self/mountinfo "
		    "/proc/mounts /proc/self/cgroup; wc -l < /proc/$$/mountinfo; "
		    "grep -c cgroup /etc/mtab; true'");
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "deterministic: both runs of seed 1 gave"), "%s", r.err);
	cr_expect(strstr(r.out, "p0 | 21 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | tmpfs /tmp tmpfs rw,nosuid,nodev,relatime 0 0\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | 0::/\n"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | 7\np0 | 0\n"), "%s", r.out);
	cr_expect(!strstr(r.out, "simsup-run") && !strstr(r.out, "/work") && !strstr(r.out, "overlay"),
		  "%s", r.out);
	run_free(&r);
}
