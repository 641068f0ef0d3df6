/* shim/fdtable.c: what the shim knows about each fd. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

struct shim_proc shim_proc;
SHIM_TLS struct shim_thread shim_self;

/* Test double: forgetting an fd also tells timer.c, which is tested with the
 * timers (tests/integration/test_timers.c); here it only counts. */
static int timerfd_forgotten;
void shim_timerfd_forget(int fd)
{
	timerfd_forgotten++;
}

/* and procdir.c, which drops a /proc listing's place (test_procfs.c) */
void shim_proc_listing_forget(int fd)
{
	(void)fd;
}

Test(fdtable, kinds_are_found_and_cached_until_forgotten)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	int f = open("/etc/hostname", O_RDONLY);
	cr_assert_geq(f, 0);
	cr_expect_eq(shim_fd_kind(p[0]), S_IFIFO);
	cr_expect_eq(shim_fd_kind(f), S_IFREG);
	/* the cache answers even after the fd changed under it... */
	int sv[2];
	close(f);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(dup2(sv[0], f), f);
	cr_expect_eq(shim_fd_kind(f), S_IFREG);
	/* ...which is why every call that replaces an fd forgets it */
	shim_fd_forget(f);
	cr_expect_eq(timerfd_forgotten, 1);
	cr_expect_eq(shim_fd_kind(f), S_IFSOCK);
	cr_expect_eq(shim_fd_kind(12345), -1);
}

Test(fdtable, own_and_random_marks)
{
	cr_expect(!shim_fd_is_own(950));
	shim_fd_own(950);
	cr_expect(shim_fd_is_own(950));
	shim_fd_disown(950);
	cr_expect(!shim_fd_is_own(950));
	shim_fd_set_random(5, true);
	cr_expect(shim_fd_random(5));
	shim_fd_forget(5); /* closed: no longer the random stream */
	cr_expect(!shim_fd_random(5));
	cr_expect(!shim_fd_is_own(-1) && !shim_fd_random(1 << 20));
}
