/*
 * test_leaks.c — however simsup ends, nothing of the run stays on the host
 * but its run directory: no process, no mount, no System V IPC object, no
 * POSIX shared memory, no temporary file.
 *
 * One test per way of ending: a pass, a failure (a program exits 1), SIGINT,
 * SIGTERM and SIGKILL of simsup, the watchdog, the time limit.  Each gives
 * its programs a marker of its own (a number from the test process's pid)
 * in their command lines: the sleep's duration, leak_helper's IPC key and
 * the names of its /dev/shm objects.  Afterwards:
 *
 * - no process has the marker in its command line;
 * - no mount appeared in this process's /proc/self/mountinfo that is the
 *   run's (under the run's TMPDIR, the view /tmp/.simsup-run, /dev/shm, a
 *   "simsup-shm" tmpfs, or the marker): other mounts on a shared machine
 *   are not counted;
 * - no System V object with the marker as key, no /dev/shm/simsup-leak-MARK
 *   nor /dev/shm/sem.simsup-leak-MARK;
 * - TMPDIR (the harness's test_tmp()) holds nothing after a pass and
 *   exactly the run directory after any other end (kept for its report);
 *   /tmp got no new entry of the run's, and /tmp/.simsup-run, the fixed
 *   mount point every root run shares, is empty and no mount on the host.
 *
 * The IPC objects and mounts are only the run's own as root (simsup's
 * private mount and IPC namespaces): without root those checks are
 * skipped, loudly.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#define VIEW_DIR "/tmp/.simsup-run"

extern char **environ;

struct leak {
	long mark;
	char marks[24];
	char *helper;
	bool root;
	char *mounts;     /* /proc/self/mountinfo before the run */
	char **tmp;       /* names in /tmp before the run */
	size_t ntmp;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_dir(const char *path, size_t *n)
{
	DIR *d = opendir(path);
	char **v = NULL;
	*n = 0;
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		v = realloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool in_list(char **v, size_t n, const char *s)
{
	return n && bsearch(&s, v, n, sizeof *v, cmp_str);
}

/* The marker as a whole number in s, not part of a longer one. */
static bool has_mark(const struct leak *L, const char *s)
{
	size_t k = strlen(L->marks);
	for (const char *p = s; (p = strstr(p, L->marks)); p++)
		if ((p == s || p[-1] < '0' || p[-1] > '9') && (p[k] < '0' || p[k] > '9'))
			return true;
	return false;
}

static void leak_start(struct leak *L)
{
	/* under pid_max (4194304 at most), so unique among live test processes */
	L->mark = 10000000 + (long)getpid();
	snprintf(L->marks, sizeof L->marks, "%ld", L->mark);
	const char *d = getenv("SIMSUP_COMPAT"); /* this directory's build dir */
	cr_assert(d && *d, "SIMSUP_COMPAT is not set: run the tests through meson test");
	cr_assert(asprintf(&L->helper, "%s/leak_helper", d) > 0);
	cr_assert(access(L->helper, X_OK) == 0, "%s is not built", L->helper);
	L->root = geteuid() == 0;
	if (!L->root)
		fprintf(stderr, "SKIPPED (not root): the IPC and mount checks; simsup uses private "
				"mount and IPC namespaces only as root\n");
	setenv("TMPDIR", test_tmp(), 1); /* simsup's run directory goes there */
	L->mounts = slurp("/proc/self/mountinfo");
	cr_assert(L->mounts);
	L->tmp = list_dir("/tmp", &L->ntmp);
}

/* ---- the checks ---- */

/* pids whose command line has the marker */
static int marked_procs(const struct leak *L, pid_t *pids, int max, char *what, size_t wlen)
{
	DIR *d = opendir("/proc");
	cr_assert(d);
	struct dirent *e;
	int n = 0;
	what[0] = 0;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		char path[64], buf[4096];
		snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t k = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (k <= 0)
			continue;
		for (ssize_t i = 0; i < k; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[k] = 0;
		if (!has_mark(L, buf))
			continue;
		if (n < max)
			pids[n] = pid;
		n++;
		size_t used = strlen(what);
		snprintf(what + used, wlen - used, "\n  pid %d: %.200s", pid, buf);
	}
	closedir(d);
	return n;
}

static void expect_no_process(const struct leak *L)
{
	pid_t pids[64];
	char what[8192];
	int n = 0;
	/* a killed supervisor's programs die by their parent-death signal,
	 * which takes a moment on a loaded machine: wait generously */
	for (int i = 0; i < 600 && (n = marked_procs(L, pids, 64, what, sizeof what)) > 0; i++)
		sleep_ms(100);
	cr_expect_eq(n, 0, "processes of the run outlived simsup:%s", what);
	for (int i = 0; i < n && i < 64; i++)
		kill(pids[i], SIGKILL); /* leave no spinning leftover behind */
}

/* mount point, file system type and source of a mountinfo line */
static bool mount_fields(char *line, char **mp, char **type, char **src)
{
	char *save, *tok;
	int i = 0;
	*mp = *type = *src = NULL;
	bool dash = false;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++) {
		if (i == 4)
			*mp = tok;
		else if (dash && !*type)
			*type = tok;
		else if (dash && !*src)
			*src = tok;
		if (i > 5 && !strcmp(tok, "-"))
			dash = true;
	}
	return *mp && *type && *src;
}

static bool mount_is_runs(const struct leak *L, const char *mp, const char *src)
{
	size_t t = strlen(test_tmp());
	return (!strncmp(mp, test_tmp(), t) && (mp[t] == 0 || mp[t] == '/')) ||
	       !strncmp(mp, VIEW_DIR, strlen(VIEW_DIR)) || !strncmp(mp, "/dev/shm", 8) ||
	       !strcmp(src, "simsup-shm") || has_mark(L, mp);
}

/* "mountpoint type source" of each of the run's mounts in text, one a line */
static char *runs_mounts(const struct leak *L, const char *text)
{
	char *copy = strdup(text), *save, *line;
	size_t cap = 1, len = 0;
	char *out = calloc(1, 1);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *mp, *type, *src;
		if (!mount_fields(line, &mp, &type, &src) || !mount_is_runs(L, mp, src))
			continue;
		size_t k = strlen(mp) + strlen(type) + strlen(src) + 4;
		out = realloc(out, cap += k);
		len += (size_t)sprintf(out + len, "%s %s %s\n", mp, type, src);
	}
	free(copy);
	return out;
}

static void expect_no_mount(const struct leak *L)
{
	if (!L->root)
		return;
	char *now = slurp("/proc/self/mountinfo");
	cr_assert(now);
	char *before = runs_mounts(L, L->mounts), *after = runs_mounts(L, now);
	/* the same mounts of these places as before, as many times each */
	cr_expect_str_eq(after, before, "a mount of the run is left on the host:\nbefore:\n%s\nafter:\n%s",
			 before, after);
	free(before);
	free(after);
	free(now);
}

/* Whether /proc/sysvipc/FILE lists an object with key KEY. */
static bool sysv_has(const char *file, long key)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/sysvipc/%s", file);
	char *text = slurp(path);
	if (!text)
		return false;
	bool found = false;
	char *save, *line = strtok_r(text, "\n", &save); /* the header */
	while (line && (line = strtok_r(NULL, "\n", &save)))
		if (strtol(line, NULL, 10) == key)
			found = true;
	free(text);
	return found;
}

static void expect_no_ipc(const struct leak *L)
{
	if (!L->root)
		return;
	const char *kinds[] = { "shm", "sem", "msg" };
	for (int i = 0; i < 3; i++)
		cr_expect(!sysv_has(kinds[i], L->mark),
			  "a System V %s object with the run's key %ld is on the host (ipcs -a)",
			  kinds[i], L->mark);
	/* a leak found is removed: the test leaves the host as it found it */
	key_t key = (key_t)L->mark;
	int id;
	if ((id = shmget(key, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
	if ((id = semget(key, 0, 0)) >= 0)
		semctl(id, 0, IPC_RMID);
	if ((id = msgget(key, 0)) >= 0)
		msgctl(id, IPC_RMID, NULL);
	const char *files[] = { "/dev/shm/simsup-leak-", "/dev/shm/sem.simsup-leak-" };
	for (int i = 0; i < 2; i++) {
		char path[128];
		snprintf(path, sizeof path, "%s%s", files[i], L->marks);
		cr_expect(access(path, F_OK) != 0, "%s is on the host", path);
		unlink(path);
	}
}

/* A directory of the run's: its logs name the marker (leak_helper's
 * "made ... simsup-leak-MARK"). */
static bool dir_is_runs(const struct leak *L, const char *dir)
{
	char *pat;
	bool found = false;
	glob_t g;
	cr_assert(asprintf(&pat, "%s/logs/*", dir) > 0);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && !found; i++) {
			char *t = slurp(g.gl_pathv[i]);
			found = t && has_mark(L, t);
			free(t);
		}
		globfree(&g);
	}
	free(pat);
	return found;
}

/* TMPDIR holds the run directory or nothing; /tmp gained nothing of the
 * run's; the view's mount point is empty and not mounted on the host. */
static void expect_no_temp_file(const struct leak *L, bool run_dir_kept)
{
	size_t n;
	char **v = list_dir(test_tmp(), &n);
	char names[2048] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(names + strlen(names), sizeof names - strlen(names), " %s", v[i]);
	if (run_dir_kept)
		cr_expect(n == 1 && !strncmp(v[0], "simsup-", 7),
			  "TMPDIR %s should hold only the kept run directory, holds:%s", test_tmp(), names);
	else
		cr_expect_eq(n, 0, "TMPDIR %s should be empty after a pass, holds:%s", test_tmp(), names);
	free_list(v, n);

	v = list_dir("/tmp", &n);
	for (size_t i = 0; i < n; i++) {
		if (in_list(L->tmp, L->ntmp, v[i]) || !strcmp(v[i], ".simsup-run"))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "/tmp/%s", v[i]);
		/* a shared machine makes files in /tmp too: only the run's count */
		cr_expect(!has_mark(L, v[i]) && !dir_is_runs(L, path),
			  "%s was left in /tmp by the run", path);
	}
	free_list(v, n);

	struct stat st;
	if (stat(VIEW_DIR, &st) == 0) {
		size_t k;
		char **in = list_dir(VIEW_DIR, &k);
		cr_expect(S_ISDIR(st.st_mode) && k == 0, "%s, the view's mount point, is not an empty "
			  "directory on the host (%zu entries)", VIEW_DIR, k);
		free_list(in, k);
		char *mi = slurp("/proc/self/mountinfo");
		cr_expect(!strstr(mi, " " VIEW_DIR " "), "%s is a mount point on the host", VIEW_DIR);
		free(mi);
	}
}

static void expect_nothing_left(struct leak *L, bool run_dir_kept)
{
	expect_no_process(L);
	expect_no_mount(L);
	expect_no_ipc(L);
	expect_no_temp_file(L, run_dir_kept);
	free(L->mounts);
	free_list(L->tmp, L->ntmp);
	free(L->helper);
}

/* The kept run directory's log of p0, which must show the IPC objects made. */
static char *p0_log(void)
{
	char *pat;
	glob_t g;
	cr_assert(asprintf(&pat, "%s/simsup-*/logs/p0.out", test_tmp()) > 0);
	char *t = NULL;
	if (glob(pat, 0, NULL, &g) == 0) {
		t = slurp(g.gl_pathv[0]);
		globfree(&g);
	}
	free(pat);
	return t;
}

static void expect_objects_made(const struct leak *L, const char *out)
{
	if (!L->root)
		return;
	char want[64];
	snprintf(want, sizeof want, "made shm 0 sem 0 msg 0 and /simsup-leak-%s", L->marks);
	cr_expect(out && strstr(out, want),
		  "the program did not make its IPC objects in a fresh IPC namespace (ids from 0): %s",
		  out);
}

/* ---- ends through run_sim ---- */

Test(leaks, nothing_left_after_a_pass)
{
	struct leak L;
	leak_start(&L);
	struct run r;
	run_sim(&r, "simsup --seed 1 --time-limit 200d -- sh -c '%s %s %s && sleep %s'", L.helper,
		L.marks, L.root ? "ipc" : "noipc", L.marks);
	cr_expect_eq(r.status, 0, "%s", r.err);
	expect_objects_made(&L, r.out);
	run_free(&r);
	expect_nothing_left(&L, false);
}

Test(leaks, nothing_left_after_a_program_exits_1)
{
	struct leak L;
	leak_start(&L);
	struct run r;
	run_sim(&r, "simsup --seed 1 -- sh -c '%s %s %s; exit 1'", L.helper, L.marks,
		L.root ? "ipc" : "noipc");
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "exited with status 1"), "%s", r.err);
	expect_objects_made(&L, r.out);
	run_free(&r);
	expect_nothing_left(&L, true);
}

Test(leaks, nothing_left_after_a_workload_exits_1_while_a_server_runs)
{
	struct leak L;
	leak_start(&L);
	struct run r;
	run_sim(&r, "simsup --seed 1 --workload 'sh -c \"sleep 1; exit 1\"' -- sh -c '%s %s %s; sleep %s'",
		L.helper, L.marks, L.root ? "ipc" : "noipc", L.marks);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "workload w0 (sh) exited with status 1"), "%s", r.err);
	expect_objects_made(&L, r.out);
	run_free(&r);
	expect_nothing_left(&L, true);
}

Test(leaks, nothing_left_after_the_watchdog)
{
	struct leak L;
	leak_start(&L);
	struct run r;
	run_sim(&r, "simsup --seed 1 --watchdog 2s -- sh -c '%s %s %s; sleep %s & exec %s %s noipc spin'",
		L.helper, L.marks, L.root ? "ipc" : "noipc", L.marks, L.helper, L.marks);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "watchdog"), "%s", r.err);
	expect_objects_made(&L, r.out);
	run_free(&r);
	expect_nothing_left(&L, true);
}

Test(leaks, nothing_left_after_the_time_limit)
{
	struct leak L;
	leak_start(&L);
	struct run r;
	run_sim(&r, "simsup --seed 1 --time-limit 1s -- sh -c '%s %s %s; sleep %s'", L.helper,
		L.marks, L.root ? "ipc" : "noipc", L.marks);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "time limit reached"), "%s", r.err);
	expect_objects_made(&L, r.out);
	run_free(&r);
	expect_nothing_left(&L, true);
}

/* ---- ends by a signal to simsup ---- */

/*
 * Starts simsup on a program that made its objects, forked a sleep (which
 * waits for a turn it never gets) and computes without calls (HOW: spin,
 * or drop: after switching user), waits until it computes, sends SIG to
 * simsup and waits for simsup.  Returns simsup's wait status.
 */
static int signalled(struct leak *L, const char *how, int sig, char **err,
		     void (*while_running)(const struct leak *))
{
	char *script, *outp, *errp;
	cr_assert(asprintf(&script, "%s %s %s; sleep %s & exec %s %s noipc %s", L->helper, L->marks,
			   L->root ? "ipc" : "noipc", L->marks, L->helper, L->marks, how) > 0);
	/* removed before the checks of TMPDIR */
	cr_assert(asprintf(&outp, "%s/leak-out", test_tmp()) > 0);
	cr_assert(asprintf(&errp, "%s/leak-err", test_tmp()) > 0);
	char *argv[] = { (char *)simsup_bin(), "--seed", "1", "--watchdog", "1h", "--", "/bin/sh", "-c",
			 script, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	int st = 0;
	bool ready = false;
	/* no wall-clock promise: a loaded machine may take long to get there */
	for (int i = 0; i < 3000 && !ready; i++) {
		char *log = p0_log();
		ready = log && strstr(log, "spinning");
		free(log);
		if (!ready && waitpid(pid, &st, WNOHANG) == pid) {
			pid = -1;
			break;
		}
		if (!ready)
			sleep_ms(100);
	}
	if (pid > 0) {
		if (ready && while_running)
			while_running(L);
		kill(pid, sig);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
	}
	*err = slurp(errp);
	unlink(outp);
	unlink(errp);
	free(outp);
	free(errp);
	free(script);
	cr_expect(ready, "the program never computed: %s", *err);
	return st;
}

static void nothing_left_after_signal(int sig, const char *how)
{
	struct leak L;
	leak_start(&L);
	char *err;
	int st = signalled(&L, how, sig, &err, NULL);
	if (sig == SIGKILL) {
		cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x: %s", st, err);
	} else {
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s", st, err);
		cr_expect(strstr(err, "interrupted by signal"), "%s", err);
	}
	char *log = p0_log();
	expect_objects_made(&L, log);
	free(log);
	free(err);
	expect_nothing_left(&L, true);
}

Test(leaks, nothing_left_after_sigint) { nothing_left_after_signal(SIGINT, "spin"); }
Test(leaks, nothing_left_after_sigterm) { nothing_left_after_signal(SIGTERM, "spin"); }
Test(leaks, nothing_left_after_sigkill) { nothing_left_after_signal(SIGKILL, "spin"); }

/* Switching user clears the kernel's parent-death signal, by which the
 * programs of a killed simsup die: the shim sets it again. */
Test(leaks, nothing_left_after_sigkill_of_a_program_that_switched_user)
{
	if (geteuid() != 0)
		cr_skip_test("SKIPPED: switching user needs root");
	nothing_left_after_signal(SIGKILL, "drop");
}

/* The checks above could pass because simsup removes what a run made;
 * as root, nothing of the run reaches the host while it runs either (its
 * own IPC namespace and /dev/shm, its mounts in its own namespace). */
static void nothing_on_the_host(const struct leak *L)
{
	expect_no_mount(L);
	expect_no_ipc(L);
}

Test(leaks, ipc_objects_and_mounts_never_reach_the_host)
{
	if (geteuid() != 0)
		cr_skip_test("SKIPPED (not root): this test and the IPC and mount checks of the "
			     "others; simsup uses private mount and IPC namespaces only as root");
	struct leak L;
	leak_start(&L);
	char *err;
	int st = signalled(&L, "spin", SIGTERM, &err, nothing_on_the_host);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s", st, err);
	char *log = p0_log();
	expect_objects_made(&L, log);
	free(log);
	free(err);
	expect_nothing_left(&L, true);
}
