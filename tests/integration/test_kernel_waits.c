/*
 * Calls that wait in the kernel for another process (shim/kwait.c): a file
 * lock held by another process, taken with flock or lockf, is waited for in
 * virtual time instead of blocking the thread that holds the turn; and the
 * watchdog names the kernel call a thread is stuck in when simsup passed
 * one through.
 */
#include "harness.h"

/* The parent holds the lock for 1 s of virtual time; the child waits for
 * it.  LOCK is the Python statement that takes the lock on fd. */
static void lock_waited_for(const char *take, const char *give)
{
	need_program("/usr/bin/python3");
	char *dir = test_dir("kwait"), *script, *path;
	cr_assert(asprintf(&path, "%s/lock.py", dir) > 0);
	cr_assert(asprintf(&script,
			   "import fcntl, os, time\n"
			   "fd = os.open('lockfile', os.O_CREAT | os.O_RDWR)\n"
			   "%s\n"
			   "pid = os.fork()\n"
			   "if pid == 0:\n"
			   "    fd = os.open('lockfile', os.O_RDWR)\n"
			   "    t = time.monotonic()\n"
			   "    %s\n"
			   "    print('child waited %%.2fs' %% (time.monotonic() - t), flush=True)\n"
			   "    os._exit(0)\n"
			   "time.sleep(1)\n"
			   "%s\n"
			   "os.waitpid(pid, 0)\n", take, take, give) > 0);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(script, f);
	fclose(f);
	struct run r;
	run_sim(&r, "simsup --seed 4 --watchdog 20s -- /usr/bin/python3 %s", path);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | child waited 1.00s"), "%s", r.out);
	run_free(&r);
	free(script);
	free(path);
}

Test(kernel_waits, flock_held_by_another_process_is_waited_for)
{
	lock_waited_for("fcntl.flock(fd, fcntl.LOCK_EX)", "fcntl.flock(fd, fcntl.LOCK_UN)");
}

Test(kernel_waits, lockf_held_by_another_process_is_waited_for)
{
	lock_waited_for("fcntl.lockf(fd, fcntl.LOCK_EX)", "fcntl.lockf(fd, fcntl.LOCK_UN)");
}

/* A read on a pseudo-terminal nobody writes to is passed to the kernel
 * (character devices are not waited for in virtual time) and blocks there:
 * the watchdog says which call, not "a busy loop". */
Test(kernel_waits, watchdog_names_the_call_a_thread_is_blocked_in)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 --watchdog 1s -- /usr/bin/python3 -c "
		"'import os, pty; m, s = pty.openpty(); os.read(m, 1)'");
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "blocked in the kernel in read(0x"), "%s", r.err);
	cr_expect(!strstr(r.err, "busy loop"), "%s", r.err);
	run_free(&r);
}
