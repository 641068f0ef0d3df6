/*
 * pgroups — process groups and sessions under simsup, checked against
 * what Linux does.
 *
 *   simsup --seed 1 -- ./pgroups
 *
 * (Its kill(-1) check runs only under simsup: natively, as root, kill(-1)
 * signals every process of the host.)
 *
 * A launched process leads its own session and group (as a service an init
 * system starts).  The program forks children into its group and into new
 * groups and sessions, signals them with kill(0), killpg and kill(-1),
 * waits for them by group, and checks each errno the kernel gives.  It
 * prints what it saw and exits 0 when everything matched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	fflush(stdout);
	failures += !ok;
}

static volatile sig_atomic_t got_usr1, usr1_from;

static void on_usr1(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	got_usr1++;
	usr1_from = si->si_pid;
}

/* A child that waits for SIGUSR1 (or SIGTERM) and exits with how many
 * USR1 it got; `setup` runs first: 1 its own group, 2 a new session. */
static pid_t child(int setup, int ready[2])
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	close(ready[0]);
	if (setup == 1 && setpgid(0, 0) < 0)
		_exit(90);
	if (setup == 2 && setsid() < 0)
		_exit(91);
	char c = 'r';
	if (write(ready[1], &c, 1) != 1)
		_exit(92);
	close(ready[1]);
	for (int i = 0; i < 100 && !got_usr1; i++)
		usleep(10000);
	_exit(got_usr1);
}

static void wait_ready(int ready[2], int n)
{
	char c;
	for (int i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			check(0, "child ready");
}

int main(void)
{
	pid_t me = getpid();
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigaction(SIGUSR1, &sa, NULL);

	check(getpgrp() == me && getpgid(0) == me && getpgid(me) == me, "a launched process leads its group");
	check(getsid(0) == me, "and its session");
	check(setsid() < 0 && errno == EPERM, "setsid in a group leader: EPERM");
	check(getpgid(99999) < 0 && errno == ESRCH, "getpgid of no process: ESRCH");
	check(setpgid(0, -1) < 0 && errno == EINVAL, "setpgid to a negative group: EINVAL");
	check(setpgid(1, 1) < 0 && errno == ESRCH, "setpgid of a process that is not a child: ESRCH");

	int ready[2];
	if (pipe(ready) < 0)
		return 2;
	pid_t same = child(0, ready), own = child(1, ready), sess = child(2, ready);
	wait_ready(ready, 3);
	check(getpgid(same) == me, "a child inherits the group");
	check(getpgid(own) == own, "setpgid(0, 0) makes a group of its own");
	check(getsid(sess) == sess && getpgid(sess) == sess, "setsid makes a new session and group");
	check(getsid(own) == me, "the own-group child stays in the session");
	check(setpgid(sess, me) < 0 && errno == EPERM, "setpgid of a child in another session: EPERM");
	check(setpgid(own, 424242) < 0 && errno == EPERM, "setpgid into a group that does not exist: EPERM");
	check(kill(-424242, 0) < 0 && errno == ESRCH, "kill(-pgrp) of no group: ESRCH");
	check(kill(-own, 0) == 0, "kill(-pgrp, 0) of an existing group: 0");

	/* kill(0): this process and `same`, not the others */
	got_usr1 = 0;
	check(kill(0, SIGUSR1) == 0, "kill(0, SIGUSR1)");
	check(got_usr1 == 1 && usr1_from == me, "kill(0) reached the caller, from its own pid");
	int st;
	check(waitpid(0, &st, 0) == same && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	      "waitpid(0) reaps the group's child, which got the signal");
	check(killpg(own, SIGUSR1) == 0, "killpg(own group)");
	check(waitpid(-own, &st, 0) == own && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	      "waitpid(-pgrp) reaps it, and it got the signal");
	check(waitpid(0, &st, WNOHANG) < 0 && errno == ECHILD,
	      "waitpid(0) with no child left in the group: ECHILD");

	/* kill(-1): every other process of the node, not the caller.  Only
	 * under simsup: run natively (as root) it would signal every process
	 * of the host. */
	if (getenv("SIMSUP_FD")) {
		got_usr1 = 0;
		check(kill(-1, SIGUSR1) == 0, "kill(-1, SIGUSR1)");
		check(waitpid(sess, &st, 0) == sess && WIFEXITED(st) && WEXITSTATUS(st) == 1,
		      "kill(-1) reached the child in the other session");
		check(got_usr1 == 0, "kill(-1) spares the caller");
		check(kill(-1, SIGUSR1) < 0 && errno == ESRCH, "kill(-1) with nobody else: ESRCH");
	} else {
		printf("skip kill(-1): not under simsup, it would signal every process of the host\n");
		kill(sess, SIGUSR1);
		waitpid(sess, &st, 0);
	}

	/* exec: a child that has exec'd can no longer be moved */
	pid_t ex = fork();
	if (ex == 0) {
		execl("/bin/sleep", "sleep", "1", (char *)NULL);
		_exit(127);
	}
	usleep(100000);
	check(setpgid(ex, ex) < 0 && errno == EACCES, "setpgid of a child after its exec: EACCES");
	kill(ex, SIGTERM);
	check(waitpid(ex, &st, 0) == ex && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "the exec'd child ends by SIGTERM");
	if (failures == 0)
		printf("pgroups: all ok\n");
	return failures != 0;
}
