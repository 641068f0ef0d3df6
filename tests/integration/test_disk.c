/*
 * test_disk.c — disk faults (--disk, supervisor/disk.c, shim/disk.c): EIO
 * with Linux's fsync semantics, ENOSPC, stalls and corrupt reads, only on
 * the files of the node's storage dir that the fault's glob names.
 */
#include "harness.h"

#define PY "/usr/bin/python3"

Test(disk, eio_on_fsync_drops_the_data_as_linux_does, .timeout = 60)
{
	need_program(PY);
	const char *src = getenv("SIMSUP_SOURCE");
	struct run r;
	run_sim(&r, "simsup --seed 1 --disk at=1s,proc=0,fault=eio,op=fsync,count=1 "
		    "--reboot at=5s,proc=0,kind=power,down=1s -- " PY " %s/tests/integration/disk/fsyncgate.py", src);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | fsync Input/output error\np0 | fsync ok\np0 | reads new\n"), "%s", r.out);
	/* the retried fsync succeeded on nothing: the disk still holds old */
	cr_expect(strstr(r.out, "p0 | after power: old\n"), "%s", r.out);
	run_free(&r);
}

Test(disk, enospc_for_a_window, .timeout = 60)
{
	need_program(PY);
	struct run r;
	run_sim(&r, "simsup --seed 1 --disk at=0s,proc=0,fault=enospc,for=1s -- " PY " -c '"
		    "import os, time\n"
		    "fd = os.open(\"a\", os.O_WRONLY | os.O_CREAT)\n"
		    "try:\n    os.write(fd, b\"x\"); print(\"wrote\")\nexcept OSError as e: print(e.strerror)\n"
		    "time.sleep(2); os.write(fd, b\"y\"); print(\"then wrote\")'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "p0 | No space left on device\np0 | then wrote\n"), "%s", r.out);
	/* its stdout is a log, not on the simulated disk: never hit */
	run_free(&r);
}

Test(disk, corrupt_reads_only_the_files_the_glob_names, .timeout = 60)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --disk at=0s,proc=0,fault=corrupt,count=1,path=*.txt -- "
		    "sh -c 'echo hello > a.dat; echo hello > a.txt; cat a.dat; cat a.txt; cat a.txt'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	const char *p = strstr(r.out, "p0 | hello\np0 | ");
	cr_assert(p, "%s", r.out);
	cr_expect(strncmp(p + 16, "hello\n", 6), "the first read of a.txt is intact: %s", r.out);
	cr_expect(strstr(p + 16, "p0 | hello\n"), "the second read is corrupt too: %s", r.out);
	run_free(&r);
}

Test(disk, stalls_take_virtual_time, .timeout = 60)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 --disk at=0s,proc=0,fault=stall,op=fsync,delay=5s,count=1 -- "
		    "sh -c 'echo x > f; date +%%s; sync f; date +%%s'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	long a = 0, b = 0;
	const char *p = strstr(r.out, "p0 | ");
	if (p)
		a = atol(p + 5);
	p = p ? strstr(p + 5, "p0 | ") : NULL;
	if (p)
		b = atol(p + 5);
	cr_expect(b - a >= 1 && b - a <= 5, "a stall of at most 5s: %ld then %ld", a, b);
	run_free(&r);
	/* the same seed stalls the same */
	run_sim(&r, "simsup --check-determinism --seed 1 --disk at=0s,proc=0,fault=stall,delay=5s,count=3 -- "
		    "sh -c 'echo x > f; sync f; cat f'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	run_free(&r);
}

Test(disk, bad_specs_are_usage_errors)
{
	const char *bad[] = { "at=1s,proc=0,fault=bogus", "at=1s,fault=eio", "at=1s,proc=0,fault=enospc,op=read",
			      "at=1s,proc=0,fault=eio,for=1s,count=2", "at=1s,proc=5,fault=eio" };
	for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct run r;
		run_sim(&r, "simsup --disk %s -- true", bad[i]);
		cr_expect_eq(r.status, 2, "%s: %s", bad[i], r.err);
		cr_expect(strstr(r.err, "--disk \""), "%s", r.err);
		run_free(&r);
	}
}

Test(disk, a_chaos_family, .timeout = 60)
{
	need_program(PY);
	char *d = test_dir("disk"), *path;
	struct run r;
	run_sim(&r, "simsup --seed 3 --run-dir %s/run --chaos=disk=on,interval=1s-2s --chaos-duration 20s "
		    "--servers-may-exit -- " PY " -c '"
		    "import os, time\n"
		    "for i in range(200):\n"
		    "    try:\n"
		    "        fd = os.open(\"log\", os.O_WRONLY | os.O_CREAT | os.O_APPEND); os.write(fd, b\"x\")\n"
		    "        os.fsync(fd); os.close(fd)\n"
		    "    except OSError as e: print(e.strerror)\n"
		    "    time.sleep(0.1)'", d);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_assert(asprintf(&path, "%s/run/trace.jsonl", d) > 0);
	char *t = slurp(path);
	cr_assert_not_null(t);
	cr_expect(strstr(t, "families: ") && strstr(t, " disk"), "disk is not among the families");
	cr_expect(strstr(t, "\"ev\":\"disk\""), "no disk fault in 20s of chaos");
	free(t);
	free(path);
	free(d);
	run_free(&r);
	run_sim(&r, "simsup --chaos=disk=maybe -- true");
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "disk=maybe: expected on or off"), "%s", r.err);
	run_free(&r);
}

Test(disk, a_full_disk_refuses_what_does_not_fit, .timeout = 60)
{
	need_program(PY);
	struct run r;
	run_sim(&r, "simsup --seed 1 --disk-size 64K -- " PY " -c '"
		    "import os\n"
		    "fd = os.open(\"a\", os.O_WRONLY | os.O_CREAT)\n"
		    "n = 0\n"
		    "try:\n"
		    "    while True:\n"
		    "        os.write(fd, b\"x\" * 10000); n += 1\n"
		    "except OSError as e: print(n, e.strerror)\n"
		    "os.ftruncate(fd, 0); os.lseek(fd, 0, 0)\n"
		    "os.write(fd, b\"y\" * 50000); print(\"room again\")'");
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* 6 x 10000 bytes fit in 65536, the 7th does not; a truncate frees it */
	cr_expect(strstr(r.out, "p0 | 6 No space left on device\np0 | room again\n"), "%s", r.out);
	run_free(&r);
	run_sim(&r, "simsup --disk-size 12Q -- true");
	cr_expect_eq(r.status, 2, "%s", r.err);
	run_free(&r);
}

/* statvfs of the storage dir: the node's disk, which holds what the node
 * wrote, whatever the host's disk holds (shim/diskfree.c). */
#define STATVFS_PROG                                                                        \
	PY " -c '"                                                                          \
	"import os\n"                                                                       \
	"def show(w):\n"                                                                    \
	"    s = os.statvfs(\".\")\n"                                                       \
	"    print(w, s.f_frsize * s.f_blocks, s.f_blocks - s.f_bfree, s.f_bavail, s.f_files - s.f_ffree)\n" \
	"show(\"before\")\n"                                                                \
	"open(\"a\", \"wb\").write(b\"x\" * 10000)\n"                                       \
	"os.mkdir(\"d\")\n"                                                                 \
	"show(\"after\")'"

Test(disk, statfs_reports_the_node_disk_not_the_host, .timeout = 60)
{
	need_program(PY);
	struct run r;
	char *junk;
	cr_assert(asprintf(&junk, "%s/junk", test_tmp()) > 0);
	run_sim(&r, "simsup --seed 1 -- " STATVFS_PROG);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* 64 GiB, empty; then 3 blocks (10000 bytes) and 2 entries used */
	cr_expect(strstr(r.out, "p0 | before 68719476736 0 16777216 0\n"
				"p0 | after 68719476736 3 16777213 2\n"), "%s", r.out);
	char *first = strdup(r.out), hash[40];
	strcpy(hash, trace_hash(&r));
	run_free(&r);
	/* the host's disk fills meanwhile: the run does not see it */
	static char mib[1 << 20];
	FILE *f = fopen(junk, "w");
	cr_assert(f);
	for (int i = 0; i < 4; i++)
		fwrite(mib, 1, sizeof mib, f);
	fclose(f);
	run_sim(&r, "simsup --seed 1 -- " STATVFS_PROG);
	unlink(junk);
	cr_expect_str_eq(r.out, first);
	cr_expect_str_eq(trace_hash(&r), hash);
	run_free(&r);
	run_sim(&r, "simsup --seed 1 --disk-size 16M -- " STATVFS_PROG);
	cr_expect(strstr(r.out, "p0 | after 16777216 3 4093 2\n"), "%s", r.out);
	run_free(&r);
	free(first);
	free(junk);
}
