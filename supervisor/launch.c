/*
 * launch.c — the run directory and the first start of each simulated
 * process: storage dir as working directory, output to RUN_DIR/logs, ASLR
 * off, the policy filter, libsimsup.so preloaded, its channel at a fixed fd.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"
#include "shim.h"
#include "elfcheck.h"
#include "sup.h"
#include "simsup/shebang.h"

extern char **environ;

static int mkdir_p(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes a tree without following symlinks out of it (FTW_PHYS). */
int sup_remove_tree(const char *path)
{
	if (access(path, F_OK) < 0)
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A --run-dir that holds an earlier run (it has a trace) is emptied of that
 * run; any other non-empty directory is refused rather than mixed into. */
static int reuse_run_dir(const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	bool empty = true, ours = false;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		empty = false;
		ours |= !strcmp(e->d_name, "trace.jsonl");
	}
	closedir(d);
	if (empty)
		return 0;
	if (!ours) {
		snprintf(err, errlen, "--run-dir \"%s\": exists and is not an earlier simsup run "
			 "(no trace.jsonl); give an empty or new directory", dir);
		return -1;
	}
	char path[4096];
	const char *sub[] = { "data", "logs", "trace.jsonl", "libsimsup.so", "faults.args",
			      "report.txt", "scratch", "sys" };
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, sub[i]);
		if (sup_remove_tree(path) < 0) {
			snprintf(err, errlen, "cannot clear %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A directory the programs see, born at the epoch like everything they
 * make in it (shim/filetime.c), not at the host's time. */
static void born_at_epoch(const struct sup_run *R, const char *path)
{
	struct timespec ts[2] = { { R->o->epoch_ns / 1000000000LL, 0 },
				  { R->o->epoch_ns / 1000000000LL, 0 } };
	utimensat(AT_FDCWD, path, ts, 0);
}

int sup_prepare_run_dir(struct sup_run *R, char *err, size_t errlen)
{
	char path[4096];
	if (reuse_run_dir(R->run_dir, err, errlen) < 0)
		return -1;
	/* mkdtemp makes it 0700; servers that drop privileges (postgres, nginx
	 * workers) must still reach their storage dir */
	chmod(R->run_dir, 0755);
	const char *sub[] = { "", "/data", "/logs" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s%s", R->run_dir, sub[i]);
		if (mkdir_p(path) < 0) {
			snprintf(err, errlen, "--run-dir \"%s\": cannot create %s: %s", R->run_dir, path,
				 strerror(errno));
			return -1;
		}
	}
	for (int n = 0; n < R->nnodes; n++) {
		char nb[16];
		int node = n < R->o->procs ? n : -1 - (n - R->o->procs);
		snprintf(path, sizeof path, "%s/data/%s", R->run_dir, sup_node_name(R, node, nb, sizeof nb));
		if (mkdir_p(path) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		born_at_epoch(R, path);
	}
	return 0;
}

/* Whether uid/gid may open path for reading, as the kernel's mode bits
 * decide (no ACLs, no supplementary groups): the shim must be reachable by
 * whatever user a program switches to.  uid (uid_t)-1: any other user. */
bool sup_readable_by(const char *path, uid_t uid, gid_t gid)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *s = buf;; s++) {
		if (*s && *s != '/')
			continue;
		bool last = !*s;
		char c = *s;
		*s = 0;
		struct stat st;
		if (stat(buf[0] ? buf : "/", &st) < 0)
			return false;
		mode_t need = last ? S_IROTH : S_IXOTH;
		mode_t bits = st.st_uid == uid ? st.st_mode >> 6 : st.st_gid == gid ? st.st_mode >> 3 : st.st_mode;
		if (uid != 0 && !(bits & need))
			return false;
		if (last)
			return true;
		*s = c;
	}
}

/*
 * The shim as every user can load it.  A program that switches to another
 * user (su postgres, a worker dropping root) loads libsimsup.so again as
 * that user; from a checkout under a 0700 directory (/root) it cannot, and
 * its image would run without the shim (the escape guard then stops it).
 * Only root can switch users (the policy's no_new_privs neutralizes setuid
 * programs), so only a root run needs this: the shim is linked, or else
 * copied, into the run directory (0755), and preloaded from there, under
 * the path the programs see it by.
 */
const char *sup_shim_for_all(struct sup_run *R, char *buf, size_t len)
{
	char path[4096];
	if (geteuid() != 0 || sup_readable_by(R->lib, (uid_t)-1, (gid_t)-1))
		return R->lib;
	snprintf(path, sizeof path, "%s/libsimsup.so", R->run_dir);
	unlink(path);
	if (link(R->lib, path) < 0) {
		int in = open(R->lib, O_RDONLY | O_CLOEXEC);
		int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		char b[65536];
		ssize_t n = 0;
		while (in >= 0 && out >= 0 && (n = read(in, b, sizeof b)) > 0)
			if (write(out, b, (size_t)n) != n) {
				n = -1;
				break;
			}
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		if (in < 0 || out < 0 || n < 0)
			return R->lib;
	}
	chmod(path, 0755); /* it runs static programs too (staticexec.c) */
	snprintf(buf, len, "%s/libsimsup.so", R->view_dir ? R->view_dir : R->run_dir);
	return buf;
}

static void env_add(char ***env, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void env_add(char ***env, int *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	*env = realloc(*env, (size_t)(*n + 2) * sizeof **env);
	(*env)[(*n)++] = s;
	(*env)[*n] = NULL;
}

static bool ours(const char *e)
{
	return !strncmp(e, "SIMSUP_", 7) || !strncmp(e, "LD_PRELOAD=", 11) ||
	       !strncmp(e, "PWD=", 4) || !strncmp(e, "OLDPWD=", 7);
}

/* ---- a private /tmp and /var/tmp per node ----
 *
 * Each node (server or workload) sees its own empty /tmp and /var/tmp,
 * emptied at each boot, as a machine whose /tmp is cleaned at boot: a
 * file an earlier run or the host left there (the JVM's
 * /tmp/hsperfdata_<user>/<pid>, with every JVM at virtual pid 100) cannot
 * change a run.  They are RUN_DIR/scratch/NODE/{tmp,var-tmp}, bind-mounted
 * in a mount namespace of the node's own (root only, as the fixed view).
 * What the command lines name under /tmp or /var/tmp, the program and the
 * shim stay visible at their paths, as does the run directory's view.
 *
 * /run too is the node's own, reset at each boot as a machine's tmpfs /run
 * is: an overlay of the host's /run (read only beneath) and the node's
 * RUN_DIR/scratch/NODE/run (what its programs write there).  Pid files,
 * lock files and sockets there (sshd's /run/sshd, corosync's
 * /run/corosync.pid) are per node: two nodes of one daemon no longer find
 * each other's, and none reaches the host's /run. */
static const char *const scratch_mnt[] = { "/tmp", "/var/tmp" };
static const char *const scratch_sub[] = { "tmp", "var-tmp", "run", "run-work" };
#define NSCRATCH 2
#define RUN_UPPER 2 /* scratch_sub[] of /run's overlay */
#define RUN_WORK 3
#define NSCRATCH_DIRS 4

static void scratch_path(const struct sup_run *R, int node, int k, char *buf, size_t len)
{
	char nb[16];
	snprintf(buf, len, "%s/scratch/%s/%s", R->run_dir, sup_node_name(R, node, nb, sizeof nb),
		 scratch_sub[k]);
}

/* A node boots: its scratch dirs, empty. */
static int scratch_boot(const struct sup_run *R, int node, char *err, size_t errlen)
{
	char path[4096];
	for (int k = 0; k < NSCRATCH_DIRS; k++) {
		scratch_path(R, node, k, path, sizeof path);
		if (sup_remove_tree(path) < 0 || mkdir_p(path) < 0 ||
		    chmod(path, k == RUN_UPPER || k == RUN_WORK ? 0755 : 01777) < 0) {
			snprintf(err, errlen, "cannot empty %s: %s", path, strerror(errno));
			return -1;
		}
		born_at_epoch(R, path);
	}
	return 0;
}

/* Which scratch place path lies in (-1: none). */
static int scratch_of(const char *path)
{
	for (int k = 0; k < NSCRATCH; k++) {
		size_t l = strlen(scratch_mnt[k]);
		if (!strncmp(path, scratch_mnt[k], l) && path[l] == '/' && path[l + 1])
			return k;
	}
	return -1;
}

struct named {
	char **path;
	int n;
};

/* Keeps what a word names under /tmp or /var/tmp (whole, or after the '='
 * of --opt=PATH; quotes and shell punctuation around it dropped), if it
 * exists: it stays visible in the private /tmp. */
/* Drops "." components and repeated slashes from an absolute path, in
 * place ("/tmp/x/./s.sh" -> "/tmp/x/s.sh"); ".." stays (a symlink before it
 * decides where it leads). */
void sup_path_clean(char *p)
{
	char *r = p, *w = p;
	while (*r) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || !r[2])))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	if (w == p)
		*w++ = '/';
	*w = 0;
}

static void name_word(struct named *nm, const char *w, size_t len)
{
	const char *shell = "'\"();&|<>`";
	while (len && strchr(shell, *w))
		w++, len--;
	while (len && strchr(shell, w[len - 1]))
		len--;
	const char *eq = memchr(w, '=', len);
	if (*w == '-' && eq) {
		len -= (size_t)(eq + 1 - w);
		w = eq + 1;
	}
	char p[4096];
	if (!len || len >= sizeof p)
		return;
	memcpy(p, w, len);
	p[len] = 0;
	if (p[0] == '/')
		sup_path_clean(p);
	struct stat st;
	if (scratch_of(p) < 0 || strstr(p, "/../") || lstat(p, &st) < 0)
		return;
	for (int i = 0; i < nm->n; i++)
		if (!strcmp(nm->path[i], p))
			return;
	nm->path = realloc(nm->path, (size_t)(nm->n + 1) * sizeof *nm->path);
	if (!nm->path || !(nm->path[nm->n++] = strdup(p)))
		abort();
}

static void name_words(struct named *nm, const char *s)
{
	while (*s) {
		size_t k = strcspn(s, " \t\n");
		name_word(nm, s, k);
		s += k;
		s += strspn(s, " \t\n");
	}
}

static void named_free(struct named *nm)
{
	for (int i = 0; i < nm->n; i++)
		free(nm->path[i]);
	free(nm->path);
}

/* In the child, before exec: a mount namespace of its own where /tmp and
 * /var/tmp are the node's scratch dirs, holding the named paths and the
 * view.  Everything is mounted into the scratch dirs while the host's paths
 * are still visible, then the scratch dirs over /tmp and /var/tmp. */
/* The node's /run: the host's beneath, the node's writes above.  Without
 * overlayfs (or where the run dir cannot be an upper layer) the host's
 * /run stays shared, as before, and simsup says so once per node boot. */
static void run_overlay(struct sup_run *R, int node)
{
	char upper[4096], work[4096], opts[8400];
	scratch_path(R, node, RUN_UPPER, upper, sizeof upper);
	scratch_path(R, node, RUN_WORK, work, sizeof work);
	/* volatile: no sync of the upper layer, which a tmpfs /run never
	 * needs (and which made each mount cost 50-120 ms here) */
	snprintf(opts, sizeof opts, "lowerdir=/run,upperdir=%s,workdir=%s,volatile", upper, work);
	if (mount("overlay", "/run", "overlay", 0, opts) < 0)
		dprintf(2, "simsup: /run stays the host's (no overlay: %s)\n", strerror(errno));
	else
		born_at_epoch(R, "/run");
}

static void scratch_enter(struct sup_run *R, int node, const struct named *nm)
{
	char path[4096], src[64];
	int fd[NSCRATCH];
	if (unshare(CLONE_NEWNS) < 0) {
		dprintf(2, "simsup: cannot make a private /tmp: unshare: %s\n", strerror(errno));
		_exit(127);
	}
	run_overlay(R, node); /* (while the run dir is still in sight at its path) */
	for (int k = 0; k < NSCRATCH; k++) {
		scratch_path(R, node, k, path, sizeof path);
		if ((fd[k] = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			_exit(127);
	}
	for (int i = 0; i <= nm->n; i++) {
		const char *from = i < nm->n ? nm->path[i] : R->run_dir;
		const char *at = i < nm->n ? nm->path[i] : SUP_VIEW_DIR;
		int k = scratch_of(at);
		struct stat st;
		if (k < 0 || stat(from, &st) < 0)
			continue;
		scratch_path(R, node, k, path, sizeof path);
		size_t l = strlen(path);
		snprintf(path + l, sizeof path - l, "%s", at + strlen(scratch_mnt[k]));
		char *slash = strrchr(path, '/');
		*slash = 0;
		mkdir_p(path);
		*slash = '/';
		if (S_ISDIR(st.st_mode))
			mkdir(path, 0755);
		else
			close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		if (mount(from, path, NULL, MS_BIND | MS_REC, NULL) < 0)
			dprintf(2, "simsup: %s stays hidden in the private %s: %s\n", from,
				scratch_mnt[k], strerror(errno));
	}
	for (int k = 0; k < NSCRATCH; k++) {
		snprintf(src, sizeof src, "/proc/self/fd/%d", fd[k]);
		born_at_epoch(R, src); /* again: the mount points changed it */
		if (mount(src, scratch_mnt[k], NULL, MS_BIND | MS_REC, NULL) < 0) {
			dprintf(2, "simsup: cannot make a private %s: %s\n", scratch_mnt[k],
				strerror(errno));
			_exit(127);
		}
		close(fd[k]);
	}
	if (sup_sysfs_has_net(R)) { /* the node's own eth0 address in /sys/class/net */
		char mac[4096], at[4096];
		sup_sysfs_node_mac_path(R, node, true, mac, sizeof mac);
		sup_sysfs_mac_target(R, at, sizeof at);
		if (mount(mac, at, NULL, MS_BIND, NULL) < 0) {
			dprintf(2, "simsup: cannot give the node its address in /sys/class/net: %s\n",
				strerror(errno));
			_exit(127);
		}
	}
}

/* The environment of a simulated process: simsup's own, minus anything of
 * ours, plus the facts of this process. */
static char **build_env(struct sup_run *R, struct sup_proc *p, const struct sup_expand_ctx *ctx,
			bool preload)
{
	char **env = NULL, ip[32], peers[8192] = "";
	int n = 0;
	for (char **e = environ; *e; e++)
		if (!ours(*e) && !(R->view_dir && !strncmp(*e, "TMPDIR=", 7)))
			env_add(&env, &n, "%s", *e); /* TMPDIR names a host directory */
	const struct sup_opts *o = R->o;
	sup_ip_str(p->node >= 0 ? sup_server_ip(p->node) : sup_workload_ip(-1 - p->node), ip, sizeof ip);
	for (int i = 0; i < o->procs; i++) {
		char b[32];
		sup_ip_str(sup_server_ip(i), b, sizeof b);
		if (strlen(peers) + strlen(b) + 2 < sizeof peers) {
			if (i)
				strcat(peers, ",");
			strcat(peers, b);
		}
	}
	char nb[16];
	/* as a shell started in the storage dir would have it */
	env_add(&env, &n, "PWD=%s/data/%s", R->view_dir ? R->view_dir : R->run_dir,
		sup_node_name(R, p->node, nb, sizeof nb));
	env_add(&env, &n, "SIMSUP_IP=%s", ip);
	env_add(&env, &n, "SIMSUP_INDEX=%d", ctx->index);
	env_add(&env, &n, "SIMSUP_BOOT=%d", ctx->boot);
	env_add(&env, &n, "SIMSUP_PEERS=%s", peers);
	env_add(&env, &n, "SIMSUP_SERVERS=%s", peers);
	env_add(&env, &n, "SIMSUP_SEED=%llu", (unsigned long long)R->seed);
	if (!ctx->workload)
		for (int i = 0; i < o->ntags; i++) {
			char key[128];
			snprintf(key, sizeof key, "%s", o->tags[i].key);
			for (char *k = key; *k; k++)
				if (*k >= 'a' && *k <= 'z')
					*k = (char)(*k - 'a' + 'A');
			env_add(&env, &n, "SIMSUP_TAG_%s=%s", key, sup_tag_value(o, o->tags[i].key, ctx->index));
		}
	/* SIMSUP_TAGGED_<KEY>_<VALUE>: the servers carrying each tag value,
	 * e.g. SIMSUP_TAGGED_ROLE_LEADER=10.0.1.1,10.0.1.3 */
	for (int i = 0; i < o->ntags; i++)
		for (int v = 0; v < o->tags[i].nvalues; v++) {
			char name[256], ips[8192] = "";
			snprintf(name, sizeof name, "SIMSUP_TAGGED_%s_%s", o->tags[i].key, o->tags[i].values[v]);
			for (char *k = name; *k; k++)
				*k = (*k >= 'a' && *k <= 'z') ? (char)(*k - 'a' + 'A')
				   : ((*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')) ? *k : '_';
			bool dup = false;
			for (int w = 0; w < v; w++)
				dup |= !strcmp(o->tags[i].values[w], o->tags[i].values[v]);
			if (dup)
				continue;
			for (int srv = 0; srv < o->procs; srv++) {
				char b[32];
				if (strcmp(sup_tag_value(o, o->tags[i].key, srv), o->tags[i].values[v]))
					continue;
				sup_ip_str(sup_server_ip(srv), b, sizeof b);
				if (strlen(ips) + strlen(b) + 2 < sizeof ips) {
					if (ips[0])
						strcat(ips, ",");
					strcat(ips, b);
				}
			}
			env_add(&env, &n, "%s=%s", name, ips);
		}
	if (preload)
		env_add(&env, &n, "LD_PRELOAD=%s", R->lib);
	env_add(&env, &n, "%s=%d", SIM_ENV_FD, SIM_FD_MIN);
	return env;
}

/* Every target starts with the same resource limits, whatever the host's
 * (docs/pseudo-files.md): programs size fd tables and thread stacks by
 * them, and report them.  The other limits stay the host's.  Where the
 * host refuses a hard limit (simsup not run as root), the host's hard
 * limit stays and the soft one is clamped to it. */
static void fixed_rlimits(void)
{
	static const struct {
		int res;
		rlim_t cur, max;
	} lim[] = {
		/* Room above the shim's fds (from SIM_FD_MIN, one per thread),
		 * and below the hard limit of most hosts: raising a hard limit
		 * needs CAP_SYS_RESOURCE, which containers often lack. */
		{ RLIMIT_NOFILE, 16384, 16384 },
		{ RLIMIT_STACK, 8 << 20, RLIM_INFINITY },
		{ RLIMIT_CORE, 0, RLIM_INFINITY },
		{ RLIMIT_MEMLOCK, 8 << 20, 8 << 20 },
	};
	for (unsigned i = 0; i < sizeof lim / sizeof *lim; i++) {
		struct rlimit r = { lim[i].cur, lim[i].max }, host;
		if (setrlimit(lim[i].res, &r) == 0 || getrlimit(lim[i].res, &host) < 0)
			continue;
		r.rlim_max = host.rlim_max;
		if (r.rlim_cur > host.rlim_max)
			r.rlim_cur = host.rlim_max;
		setrlimit(lim[i].res, &r);
	}
}

static _Noreturn void child(struct sup_run *R, int node, int sock, const char *path_exec,
			    char **argv, char **env, pid_t sup, const struct named *nm)
{
	char path[4096], nb[16];
	setpgid(0, 0); /* Ctrl-C reaches simsup, which ends the run */
	prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0); /* see tsc.c */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_TIMERSLACK, 0); /* the default, not the supervisor's (run.c) */
	if (getppid() != sup)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Ignored signals survive execve: without this every target would
	 * inherit simsup's own SIG_IGN for SIGPIPE (`yes | head -1` would
	 * print "Broken pipe" instead of dying), or the SIGINT/SIGHUP a
	 * shell or nohup ignored for simsup.  Every target starts with the
	 * default actions, however simsup itself was started. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	personality(ADDR_NO_RANDOMIZE);
	fixed_rlimits();
	const char *name = sup_node_name(R, node, nb, sizeof nb);
	snprintf(path, sizeof path, "%s/logs/%s.out", R->run_dir, name);
	int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	snprintf(path, sizeof path, "%s/logs/%s.err", R->run_dir, name);
	int errfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (out < 0 || errfd < 0 || in < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(errfd, 2);
	if (R->view_dir)
		scratch_enter(R, node, nm);
	snprintf(path, sizeof path, "%s/data/%s", R->view_dir ? R->view_dir : R->run_dir, name);
	if (chdir(path) < 0) {
		dprintf(2, "simsup: cannot enter %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	/* dup2 onto itself keeps close-on-exec: clear it explicitly (with a
	 * thousand processes the supervisor's own sockets reach this number) */
	if (sock == SIM_FD_MIN ? fcntl(sock, F_SETFD, 0) < 0 : dup2(sock, SIM_FD_MIN) < 0)
		_exit(127);
	int r = sup_policy_load();
	if (r == 0)
		r = sup_guard_load();
	if (r < 0) {
		dprintf(2, "simsup: cannot load the seccomp policy: %s\n", strerror(-r));
		_exit(127);
	}
	/* through the shim's gate, which marks it: the escape guard kills an
	 * unmarked execve (include/simsup/escape.h) */
	long e = shim_syscall6(SYS_execve, (long)path_exec, (long)argv, (long)env, 0, 0, 0);
	dprintf(2, "simsup: cannot execute %s: %s\n", path_exec, strerror((int)-e));
	_exit(127);
}

/*
 * The argv of a launched image, from src (the command line, or the
 * workload's sh -c).  A static program, or a script whose interpreter is
 * one, is run by the shim itself (interposer/staticexec.c): libsimsup.so
 * PROGRAM ARGV..., without LD_PRELOAD, and *via_shim says so; a script
 * gets the argv the kernel would give its interpreter.  NULL on a bad
 * placeholder (err says which).
 */
static char **launch_argv(struct sup_run *R, char **src, const struct sup_expand_ctx *ctx,
			  bool *via_shim, int *n, char *err, size_t errlen)
{
	char interp[PATH_MAX], iarg[SIM_SHEBANG_MAX];
	bool has_arg = false, script = false;
	int argc = 0, k = 0;
	while (src[argc])
		argc++;
	*via_shim = false;
	if (!ctx->workload) {
		script = sup_static_script(R->prog, interp, sizeof interp, iarg, sizeof iarg, &has_arg);
		*via_shim = script || sup_elf_static(R->prog);
	}
	char **argv = calloc((size_t)argc + 6, sizeof *argv);
	if (*via_shim) {
		argv[k++] = strdup(R->lib);
		argv[k++] = strdup(script ? interp : R->prog);
	}
	if (script) {
		argv[k++] = strdup(interp);
		if (has_arg)
			argv[k++] = strdup(iarg);
		argv[k++] = strdup(R->prog);
	}
	for (int i = script ? 1 : 0; i < argc; i++, k++) {
		/* argv[0] as the user gave it: programs such as redis-server (a
		 * symlink to redis-check-rdb) choose what to be by it */
		argv[k] = i > 0 ? sup_expand(src[i], ctx, err, errlen)
			 : strdup(ctx->workload ? "/bin/sh" : src[0]);
		if (!argv[k]) {
			while (k > 0)
				free(argv[--k]);
			free(argv);
			return NULL;
		}
	}
	*n = k;
	return argv;
}

/* A workload runs in its storage dir, but its command line means the
 * directory simsup was started in, as a shell there would: a program path
 * with a '/' (./client), and any later plain word that names an existing
 * file or directory there (client.py, conf/x.yml), become absolute.  Other
 * words (keys, output files, quoted or with shell characters) stay as
 * they are; output files land in the storage dir. */
static char *workload_from_start_dir(const char *w)
{
	char cwd[4096];
	size_t cap = strlen(w) + 1, len = 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	bool have_cwd = getcwd(cwd, sizeof cwd) != NULL;
	for (int word = 0; *w; word++) {
		size_t sp = strspn(w, " \t\n"), k;
		const char *tok = w + sp;
		k = strcspn(tok, " \t\n");
		char t[4096];
		struct stat st;
		bool plain = k && k < sizeof t && strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
							 "0123456789._+-/,@%:=") >= k &&
			     tok[0] != '/' && tok[0] != '-';
		if (plain) {
			memcpy(t, tok, k);
			t[k] = 0;
		}
		bool abs = have_cwd && plain && (word == 0 ? strchr(t, '/') != NULL : stat(t, &st) == 0);
		size_t need = len + sp + (abs ? strlen(cwd) + 1 : 0) + k + 1;
		if (need > cap && !(out = realloc(out, cap = need * 2)))
			abort();
		memcpy(out + len, w, sp);
		len += sp;
		if (abs) { /* "./s.sh" from /tmp/x: "/tmp/x/s.sh" */
			size_t at = len;
			len += (size_t)sprintf(out + len, "%s/", cwd);
			memcpy(out + len, tok, k);
			out[len + k] = 0;
			sup_path_clean(out + at);
			len = at + strlen(out + at);
		} else {
			memcpy(out + len, tok, k);
			len += k;
		}
		w = tok + k;
	}
	out[len] = 0;
	return out;
}

int sup_launch(struct sup_run *R, int node, char *err, size_t errlen)
{
	struct sup_proc *p = sup_proc_new(R, node, NULL);
	p->launched = true;
	p->awaiting_hello = true;
	bool workload = node < 0;
	struct sup_expand_ctx ctx = { .opts = R->o, .index = workload ? -1 - node : node,
				      .workload = workload, .boot = p->boot };
	char **src = R->o->argv;
	char *sh[] = { "/bin/sh", "-c", NULL, NULL };
	if (workload) {
		char *w = workload_from_start_dir(R->o->workloads[ctx.index]);
		if (asprintf(&sh[2], "exec %s", w) < 0)
			abort();
		free(w);
		src = sh;
	}
	bool via_shim;
	int argc;
	char **argv = launch_argv(R, src, &ctx, &via_shim, &argc, err, errlen);
	if (!argv)
		return -1;
	const char *base = strrchr(src[0], '/');
	snprintf(p->name, sizeof p->name, "%s", base ? base + 1 : src[0]);
	char **env = build_env(R, p, &ctx, !via_shim);
	struct named nm = { 0 };
	if (R->view_dir) {
		if (scratch_boot(R, node, err, errlen) < 0)
			return -1;
		char mac[4096];
		if (sup_sysfs_has_net(R) && sup_sysfs_node_mac(R, node, mac, sizeof mac) < 0) {
			snprintf(err, errlen, "cannot write %s: %s", mac, strerror(errno));
			return -1;
		}
		for (int i = 0; i < argc; i++)
			name_words(&nm, argv[i]);
		name_word(&nm, workload ? "/bin/sh" : R->prog, strlen(workload ? "/bin/sh" : R->prog));
		name_word(&nm, R->lib, strlen(R->lib));
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	pid_t sup = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child(R, node, sv[1], workload ? "/bin/sh" : via_shim ? R->lib : R->prog, argv,
		      env, sup, &nm);
	named_free(&nm);
	close(sv[1]);
	p->pid = pid;
	struct sup_thread *t = sup_thread_new(R, p, sv[0], p->vpid);
	sup_thread_set(R, t, T_HELLO, -1);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
	return 0;
}

/* Expands every argument of every process once, before anything starts, so
 * that a bad placeholder is a usage error rather than a failed run. */
int sup_check_placeholders(const struct sup_opts *o, char *err, size_t errlen)
{
	for (int i = 0; i < o->procs; i++)
		for (int a = 1; o->argv[a]; a++) {
			struct sup_expand_ctx ctx = { .opts = o, .index = i, .boot = 1 };
			char *s = sup_expand(o->argv[a], &ctx, err, errlen);
			if (!s)
				return -1;
			free(s);
		}
	for (int j = 0; j < o->nworkloads; j++) {
		struct sup_expand_ctx ctx = { .opts = o, .index = j, .workload = true, .boot = 1 };
		char *s = sup_expand(o->workloads[j], &ctx, err, errlen);
		if (!s)
			return -1;
		free(s);
	}
	return 0;
}
