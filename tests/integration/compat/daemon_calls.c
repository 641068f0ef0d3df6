/*
 * daemon_calls.c — what daemons that drop privileges and sandbox
 * themselves (sshd, vsftpd, dovecot, rsyslog, uvicorn, GHC's runtime) ask
 * of the kernel, for test_compat.c.  `daemon_calls CASE` prints one line
 * per check, "CASE: what = result", and "CASE ok" at the end; a check that
 * fails prints "CASE: FAILED what" and exits 1.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *cname;
static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s%s\n", cname, ok ? "" : "FAILED ", what);
	if (!ok)
		failed = 1;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* ---- pids: calls that name a thread or process reach only the node's ---- */

static void *idle_thread(void *arg)
{
	(void)arg;
	return NULL;
}

static pthread_t main_thread;

static void *sched_of_main(void *arg)
{
	(void)arg;
	struct sched_param sp;
	int pol;
	return (void *)(long)pthread_getschedparam(main_thread, &pol, &sp);
}

static void pids(void)
{
	struct rlimit rl;
	errno = 0;
	check("prlimit of host pid 1 is ESRCH", prlimit(1, RLIMIT_NOFILE, NULL, &rl) < 0 && errno == ESRCH);
	errno = 0;
	check("getpriority of host pid 1 is ESRCH", getpriority(PRIO_PROCESS, 1) == -1 && errno == ESRCH);
	struct sched_param sp;
	check("sched_getparam of host pid 1 is ESRCH", sched_getparam(1, &sp) < 0 && errno == ESRCH);
	check("prlimit of its own pid works", prlimit(getpid(), RLIMIT_NOFILE, NULL, &rl) == 0);
	check("setpriority of its own pid works", setpriority(PRIO_PROCESS, (id_t)getpid(), 1) == 0);
	errno = 0;
	check("setpriority of a user is refused", setpriority(PRIO_USER, 0, 1) < 0 && errno == EPERM);
	/* glibc sets a new thread's policy by its tid (sched_setscheduler) */
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, SCHED_OTHER);
	struct sched_param zero = { 0 };
	pthread_attr_setschedparam(&a, &zero);
	pthread_t th;
	int e = pthread_create(&th, &a, idle_thread, NULL);
	check("pthread_create with an explicit policy", e == 0);
	if (e == 0)
		pthread_join(th, NULL);
	errno = 0;
	check("ptrace of host pid 1 is refused", ptrace(PTRACE_ATTACH, 1, 0, 0) < 0 && errno == EPERM);
	/* glibc passes the tid it keeps in struct pthread: the first
	 * thread's, written by the kernel before the shim ran, and a fork
	 * child's, written at the clone (rsyslog's pthread_getschedparam) */
	int pol;
	check("pthread_getschedparam of the first thread",
	      pthread_getschedparam(pthread_self(), &pol, &sp) == 0);
	main_thread = pthread_self();
	void *res = (void *)1;
	if (pthread_create(&th, NULL, sched_of_main, NULL) == 0)
		pthread_join(th, &res);
	check("pthread_getschedparam of the first thread from another", res == NULL);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0)
		_exit(pthread_getschedparam(pthread_self(), &pol, &sp) == 0 ? 0 : 3);
	int st = 0;
	waitpid(child, &st, 0);
	check("pthread_getschedparam in a fork child", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- namespaces: refused as by a kernel without them ---- */

static void namespaces(void)
{
	errno = 0;
	check("unshare(CLONE_NEWNET) is EINVAL", unshare(CLONE_NEWNET) < 0 && errno == EINVAL);
	errno = 0;
	check("unshare(CLONE_NEWNS) is EINVAL", unshare(CLONE_NEWNS) < 0 && errno == EINVAL);
	errno = 0;
	long r = syscall(SYS_clone, CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	check("clone with CLONE_NEWIPC|CLONE_NEWNET is EINVAL", r < 0 && errno == EINVAL);
	pid_t p = fork(); /* and a plain fork still works */
	if (p == 0)
		_exit(7);
	int st = 0;
	waitpid(p, &st, 0);
	check("fork after them", p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

/* ---- a seccomp filter that knows nothing of the shim ---- */

static void seccomp_filter(void)
{
	/* sshd's pre-auth sandbox in small: rt_sigreturn is not allowed */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof f / sizeof *f), f };
	check("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	errno = 0;
	check("prctl(PR_SET_SECCOMP) is EINVAL",
	      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 && errno == EINVAL);
	errno = 0;
	check("seccomp(SECCOMP_SET_MODE_FILTER) is EINVAL",
	      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 && errno == EINVAL);
	nap_ms(5); /* and the program goes on making calls */
	check("still running", getpid() > 0);
}

/* ---- credentials of a local socket's peer are virtual pids ---- */

static void creds(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		exit(2);
	int on = 1;
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
	pid_t child = fork();
	if (child == 0) {
		struct ucred u = { getpid(), getuid(), getgid() };
		char cbuf[CMSG_SPACE(sizeof u)];
		memset(cbuf, 0, sizeof cbuf);
		struct iovec iov = { "x", 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof cbuf };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof u);
		memcpy(CMSG_DATA(cm), &u, sizeof u);
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 3);
	}
	char c, cbuf[256];
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	long n = recvmsg(sv[0], &mh, 0);
	int st = 0;
	waitpid(child, &st, 0);
	check("the child's SCM_CREDENTIALS went out", n == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pid_t got = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(cm), sizeof u);
			got = u.pid;
		}
	printf("creds: SCM_CREDENTIALS pid %d, the child's %d\n", (int)got, (int)child);
	check("SCM_CREDENTIALS names the child's pid", got == child);

	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "peer.sock");
	unlink(sa.sun_path);
	if (bind(l, (void *)&sa, sizeof sa) < 0 || listen(l, 1) < 0)
		exit(2);
	child = fork();
	if (child == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(s, (void *)&sa, sizeof sa) == 0 && write(s, "y", 1) == 1 ? 0 : 3);
	}
	int a = accept(l, NULL, NULL);
	struct ucred u = { 0 };
	socklen_t ul = sizeof u;
	getsockopt(a, SOL_SOCKET, SO_PEERCRED, &u, &ul);
	waitpid(child, &st, 0);
	printf("creds: SO_PEERCRED pid %d, the child's %d\n", (int)u.pid, (int)child);
	check("SO_PEERCRED names the child's pid", u.pid == child);
	unlink(sa.sun_path);
}

/* ---- a TCP connection's IP options: none ---- */

static void ipopts(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7300) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (void *)&sa, sizeof sa) < 0 || listen(l, 1) < 0)
		exit(2);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&sa, sizeof sa) < 0)
		exit(2);
	int a = accept(l, NULL, NULL);
	unsigned char opt[40];
	socklen_t len = sizeof opt;
	int r = getsockopt(a, IPPROTO_IP, IP_OPTIONS, opt, &len);
	printf("ipopts: getsockopt = %d, length %u\n", r, (unsigned)len);
	check("no IP options (sshd refuses source-routed connections)", r == 0 && len == 0);
}

/* ---- RLIMIT_NOFILE at 0, then a blocking read (vsftpd's pre-login) ---- */

static void nofile0(void)
{
	int p[2];
	if (pipe(p) < 0)
		exit(2);
	pid_t child = fork();
	if (child == 0) {
		nap_ms(10);
		_exit(write(p[1], "z", 1) == 1 ? 0 : 3);
	}
	struct rlimit zero = { 0, 0 };
	check("setrlimit(RLIMIT_NOFILE, 0)", setrlimit(RLIMIT_NOFILE, &zero) == 0);
	char c = 0;
	check("a blocking read gets what the child writes later", read(p[0], &c, 1) == 1 && c == 'z');
	waitpid(child, NULL, 0);
}

/* ---- a port below 1024 needs CAP_NET_BIND_SERVICE ---- */

static int bind_port(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int r = bind(s, (void *)&sa, sizeof sa);
	int e = errno;
	close(s);
	errno = e;
	return r;
}

static void lowport(void)
{
	check("root binds port 80", bind_port(80) == 0);
	if (setgid(65534) < 0 || setuid(65534) < 0)
		exit(2);
	errno = 0;
	check("nobody cannot bind port 81 (EACCES)", bind_port(81) < 0 && errno == EACCES);
	check("nobody binds port 8081", bind_port(8081) == 0);
}

/* ---- select interrupted by a signal keeps its sets, counts its time ---- */

static void on_alarm(int sig)
{
	(void)sig;
}

static void select_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigaction(SIGALRM, &sa, NULL);
	int p[2];
	if (pipe(p) < 0)
		exit(2);
	pid_t child = fork();
	if (child == 0) {
		nap_ms(25);
		_exit(write(p[1], "s", 1) == 1 ? 0 : 3);
	}
	struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	struct timeval tv = { 0, 100000 };
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	int eintr = 0, kept = 1, shrank = 1;
	long last = 100000;
	int r;
	while ((r = select(p[0] + 1, &rd, NULL, NULL, &tv)) < 0 && errno == EINTR && eintr < 50) {
		eintr++;
		kept &= FD_ISSET(p[0], &rd) != 0;
		long left = tv.tv_sec * 1000000L + tv.tv_usec;
		shrank &= left < last;
		last = left;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	printf("select_eintr: %d interruptions, then select = %d, %ld us left\n", eintr, r, last);
	check("interrupted by the timer", eintr >= 1);
	check("the set is kept after EINTR", kept);
	check("the timeout left shrinks", shrank);
	check("then the pipe is ready", r == 1 && FD_ISSET(p[0], &rd));
	waitpid(child, NULL, 0);
}

/* ---- listen on a socket another process made listen (uvicorn's workers) ---- */

static void relisten(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7301) };
	if (bind(s, (void *)&sa, sizeof sa) < 0)
		exit(2);
	pid_t child = fork();
	if (child == 0)
		_exit(listen(s, 8) == 0 ? 0 : 3);
	int st = 0;
	waitpid(child, &st, 0);
	check("the child's listen", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check("the parent's listen after it", listen(s, 16) == 0);
}

/* ---- setting the clock: the node's, never the host's ---- */

static long realtime_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long)ts.tv_sec;
}

static void set_clock(void)
{
	long before = realtime_s();
	struct timespec ts = { before + 86400 * 365, 0 };
	check("clock_settime(CLOCK_REALTIME) as root", clock_settime(CLOCK_REALTIME, &ts) == 0);
	check("the clock reads what was set", realtime_s() - ts.tv_sec <= 1);
	sleep(2);
	long later = realtime_s();
	check("and goes on from there", later - ts.tv_sec >= 2 && later - ts.tv_sec <= 3);
	errno = 0;
	check("CLOCK_MONOTONIC cannot be set (EINVAL)",
	      clock_settime(CLOCK_MONOTONIC, &ts) < 0 && errno == EINVAL);
	struct timeval tv = { before, 0 };
	check("settimeofday back", settimeofday(&tv, NULL) == 0 && realtime_s() - before <= 1);
	struct timex tx = { 0 };
	int st = adjtimex(&tx);
	check("adjtimex reads an unsynchronized clock", st == TIME_ERROR && (tx.status & STA_UNSYNC) &&
							    tx.time.tv_sec - before <= 1);
	struct timex step = { .modes = ADJ_SETOFFSET };
	step.time.tv_sec = 100;
	check("ADJ_SETOFFSET steps it", adjtimex(&step) >= 0 && realtime_s() - before >= 100);
	/* slewing: the node's clock runs at the frequency set (chronyd) */
	struct timex fast = { .modes = ADJ_FREQUENCY, .freq = 100 << 16 }; /* +100 ppm */
	check("ADJ_FREQUENCY", adjtimex(&fast) >= 0 && fast.freq == 100 << 16);
	struct timespec r0, m0, r1, m1;
	clock_gettime(CLOCK_REALTIME, &r0);
	clock_gettime(CLOCK_MONOTONIC, &m0);
	sleep(10);
	clock_gettime(CLOCK_REALTIME, &r1);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	long gained = ((r1.tv_sec - r0.tv_sec) - (m1.tv_sec - m0.tv_sec)) * 1000000000L +
		      (r1.tv_nsec - r0.tv_nsec) - (m1.tv_nsec - m0.tv_nsec);
	printf("clock: +100 ppm for 10 s gained %ld ns\n", gained);
	check("and the clock runs 100 ppm fast", gained > 990000 && gained < 1010000);
	struct timex back = { .modes = ADJ_FREQUENCY, .freq = 0 };
	adjtimex(&back);
	struct timex pll = { .modes = ADJ_STATUS | ADJ_OFFSET, .status = STA_PLL, .offset = 1000 };
	errno = 0;
	check("the kernel's PLL is refused (EPERM)", adjtimex(&pll) < 0 && errno == EPERM);
	errno = 0;
	check("sethostname is refused (EPERM)", sethostname("elsewhere", 9) < 0 && errno == EPERM);
	fflush(stdout);
	pid_t child = fork(); /* a process without CAP_SYS_TIME may not */
	if (child == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		struct timespec t = { 0, 0 };
		_exit(clock_settime(CLOCK_REALTIME, &t) < 0 && errno == EPERM ? 0 : 3);
	}
	int w = 0;
	waitpid(child, &w, 0);
	check("nobody cannot set it (EPERM)", WIFEXITED(w) && WEXITSTATUS(w) == 0);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "pids", pids },       { "namespaces", namespaces },	  { "seccomp", seccomp_filter },
		{ "creds", creds },     { "ipopts", ipopts },		  { "nofile0", nofile0 },
		{ "lowport", lowport }, { "select_eintr", select_eintr }, { "relisten", relisten },
		{ "clock", set_clock },
	};
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (argc < 2 || strcmp(argv[1], cases[i].name))
			continue;
		cname = cases[i].name;
		cases[i].fn();
		if (!failed)
			printf("%s ok\n", cname);
		return failed;
	}
	fprintf(stderr, "usage: daemon_calls CASE\n");
	return 2;
}
