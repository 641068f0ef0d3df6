/*
 * Statically linked programs run inside the simulation: libsimsup.so maps
 * them itself (interposer/staticexec.c) and keeps their thread pointers
 * apart from its own (interposer/tp.c).  static/static_prog.c, linked at a
 * fixed address and as a static-pie, shows virtual time (libc call, raw
 * syscall, rdtsc), virtual pids and tids, threads with their own TLS, a
 * fork, a virtual TCP connection, seeded AT_RANDOM and its own name in
 * /proc/self/exe (where the kernel sees libsimsup.so).
 */
#include <sys/auxv.h>
#include <sys/stat.h>

#include "harness.h"

static char *static_prog(const char *name)
{
	const char *d = getenv("SIMSUP_COMPAT");
	cr_assert(d && *d, "SIMSUP_COMPAT is not set: run the tests through meson test");
	char *p;
	cr_assert(asprintf(&p, "%s/%s", d, name) > 0);
	return p;
}

static void need_fsgsbase(void)
{
	if (!(getauxval(AT_HWCAP2) & (1 << 1)))
		cr_skip_test("SKIPPED: this CPU or kernel has no FSGSBASE in user space: "
			     "simsup refuses static programs here (test_elfcheck checks the message)");
}

/* Every line static_prog prints under seed 1, in its order. */
static void expect_virtual_run(const char *out, const char *exe)
{
	char exe_line[256];
	snprintf(exe_line, sizeof exe_line, "p0 | exe %s\n", exe);
	const char *lines[] = {
		"p0 | start pid 100 ppid 1 realtime 1735689600 args 2 x\n",
		exe_line,
		"p0 | thread 1 tid 101 tls 8 mono 1000.",
		"p0 | thread 2 tid 102 tls 9 mono 1000.",
		"p0 | thread 3 tid 103 tls 10 mono 1000.",
		"p0 | main tls 7\n",
		"p0 | child pid 104 ppid 100\n",
		"p0 | waited 104 status 3\n",
		"p0 | tcp ping from 127.0.0.1\n",
		"p0 | after sleep realtime 1735689603 rdtsc advanced 3s\n",
	};
	const char *at = out;
	for (unsigned i = 0; i < sizeof lines / sizeof *lines; i++) {
		const char *p = strstr(at, lines[i]);
		cr_expect(p, "missing or out of order: %s\nin:\n%s", lines[i], out);
		if (p)
			at = p;
	}
}

static void runs_virtually(const char *name)
{
	need_fsgsbase();
	char *prog = static_prog(name);
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s x", prog);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	expect_virtual_run(r.out, name);
	run_free(&r);
	free(prog);
}

Test(static_programs, fixed_address_program_runs_on_virtual_time_and_pids)
{
	runs_virtually("static_prog");
}

Test(static_programs, static_pie_runs_on_virtual_time_and_pids)
{
	runs_virtually("static_pie_prog");
}

static void at_random_and_hash(uint64_t seed, char *random, char *hash)
{
	char *prog = static_prog("static_prog");
	char *dir = test_dir("st");
	struct run r;
	run_sim(&r, "simsup --seed %llu --run-dir %s -- %s x", (unsigned long long)seed, dir, prog);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	const char *p = strstr(r.out, "at_random ");
	cr_assert(p, "%s", r.out);
	sscanf(p + 10, "%8s", random);
	snprintf(hash, 40, "%s", trace_hash(&r));
	cr_expect_neq(hash[0], 0, "no trace hash: %s", r.err);
	run_free(&r);
	free(dir);
	free(prog);
}

Test(static_programs, same_seed_same_hash_and_seeded_at_random, .timeout = 120)
{
	need_fsgsbase();
	char rnd[3][9], hash[3][40];
	at_random_and_hash(7, rnd[0], hash[0]);
	at_random_and_hash(7, rnd[1], hash[1]);
	at_random_and_hash(8, rnd[2], hash[2]);
	cr_expect_str_eq(hash[1], hash[0]);
	cr_expect_str_eq(rnd[1], rnd[0]);
	cr_expect_str_neq(rnd[2], rnd[0], "AT_RANDOM does not follow the seed");
}

/* A dynamic program (the shell) execs CMD, which starts a static program:
 * the shim's execve runs it through libsimsup.so, and it keeps the
 * virtual pid of the shell's child. */
static void expect_exec_from_shell(const char *cmd, const char *start_line)
{
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c '%s; echo rc=$?'", cmd);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, start_line), "%s", r.out);
	cr_expect(strstr(r.out, "after sleep realtime 1735689603"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | rc=0\n"), "%s", r.out);
	run_free(&r);
}

Test(static_programs, exec_from_a_dynamic_program_stays_inside)
{
	need_fsgsbase();
	char *prog = static_prog("static_prog"), *cmd;
	cr_assert(asprintf(&cmd, "%s x", prog) > 0);
	expect_exec_from_shell(cmd, "p0 | start pid 101 ppid 100 realtime 1735689600 args 2 x\n");
	free(cmd);
	free(prog);
}

/* A #! script whose interpreter is static runs through the shim with the
 * argv the kernel gives an interpreter: started by simsup, and exec'd by a
 * simulated shell. */
Test(static_programs, script_with_a_static_interpreter)
{
	need_fsgsbase();
	char *prog = static_prog("static_prog");
	char *dir = test_dir("sc"), *script;
	cr_assert(asprintf(&script, "%s/script", dir) > 0);
	FILE *f = fopen(script, "w");
	cr_assert(f);
	fprintf(f, "#!%s  from the line  \nignored\n", prog);
	fclose(f);
	chmod(script, 0755);
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s more", script);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | start pid 100 ppid 1 realtime 1735689600 args 4 from the line\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "p0 | exe static_prog\n"), "%s", r.out);
	run_free(&r);
	expect_exec_from_shell(script, "p0 | start pid 101 ppid 100 realtime 1735689600 args 3 "
				       "from the line\n");
	free(script);
	free(dir);
	free(prog);
}

/* Each thread of a static program gets a thread block of the shim's glibc
 * (tp.c), whose dtv comes from the shim's malloc.  That malloc once took
 * the program's break for its own and wrote inside the program's heap
 * after a few hundred threads (stack smashing detected). */
Test(static_programs, a_thousand_threads_come_and_go, .timeout = 120)
{
	need_fsgsbase();
	char *prog = static_prog("static_thread_churn");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- %s 1000", prog);
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | churn ok"), "%s", r.out);
	run_free(&r);
	free(prog);
}

/* libsimsup.so is a program only for simsup: by hand it says so. */
Test(static_programs, the_shim_run_by_hand_explains_itself)
{
	const char *lib = getenv("SIMSUP_LIBPATH");
	cr_assert(lib && *lib);
	struct run r;
	run_sim(&r, "%s /bin/true", lib);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "simsup's shim; it runs statically linked programs inside a "
				"simulation, started by simsup"), "%s", r.err);
	run_free(&r);
}
