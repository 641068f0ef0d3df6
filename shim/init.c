/*
 * init.c — the shim's start in each new image (the first exec by the
 * launcher, and every exec after it).
 *
 * Runs from the library constructor, or earlier if another library's
 * constructor makes a call the shim catches (jemalloc reads the clock before
 * our constructor has run).  Finds its channel in SIMSUP_FD, says hello,
 * takes its configuration from the reply, then arms the traps: signal
 * handlers, Syscall User Dispatch, the vDSO patch, rdtsc.  Without
 * SIMSUP_FD the library stays out of the way and passes everything through.
 * Any failure here is fatal and says why: a half-armed shim would silently
 * let the program escape the simulation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"
#include "net.h"

int shim_state; /* per process: 0 new, 1 initializing, 2 done */

static int parse_fd(const char *s)
{
	if (!s || !*s)
		return -1;
	int v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void hello(void)
{
	struct sim_req rq = { .op = SIM_HELLO,
			      .a = { SIM_PROTO_VERSION, sys0(SYS_getpid), 0 } };
	struct sim_config cfg;
	if (shim_request(&rq, NULL, -1, NULL) < 0)
		shim_die("cannot reach the supervisor");
	long r;
	do
		r = sys3(SYS_recvfrom, shim_self.sock, &cfg, sizeof cfg);
	while (r == -EINTR);
	if (r != (long)sizeof cfg)
		shim_die("the supervisor sent a malformed configuration");
	cfg.lib[sizeof cfg.lib - 1] = 0;
	shim_proc.cfg = cfg;
	shim_proc.now = cfg.rep.now;
	shim_proc.rt_offset = cfg.rep.rt_offset;
	shim_proc.disk_ops = cfg.rep.disk_ops;
	shim_proc.next_event = cfg.rep.next_event;
	shim_self.vtid = cfg.vtid;
	shim_random_seed(cfg.seed);
}

void shim_init(void)
{
	if (shim_state != 0)
		return;
	shim_state = 1;
	int fd = parse_fd(getenv(SIM_ENV_FD));
	if (fd < 0) {
		shim_state = 2; /* not under simsup: pass everything through */
		return;
	}
	shim_self.sock = fd;
	shim_fd_own(fd);
	sys3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
	hello();
	/* If the supervisor dies, so do we (it is our real parent). */
	sys2(SYS_prctl, PR_SET_PDEATHSIG, 9);
	int err;
	if ((err = shim_signals_install()) < 0)
		shim_die("cannot install the SIGSYS handler");
	if ((err = shim_vdso_patch()) < 0)
		shim_die("cannot patch the vDSO time functions");
	if ((err = shim_rdtsc_enable()) < 0)
		shim_die("cannot make rdtsc trap (PR_SET_TSC)");
	shim_scan_signalfds(); /* kept across the exec that started this image */
	shim_net_exec_restore(parse_fd(getenv(SIM_ENV_VSOCKS))); /* and its virtual sockets */
	shim_proc.active = true;
	if ((err = shim_sud_arm(NULL)) < 0)
		shim_die("cannot arm syscall user dispatch (PR_SET_SYSCALL_USER_DISPATCH)");
	shim_state = 2;
}

__attribute__((constructor(101))) static void shim_constructor(void)
{
	shim_init();
}
