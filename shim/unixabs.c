/*
 * unixabs.c — abstract AF_UNIX names, one name space per node.
 *
 * An abstract name ("\0name") lives in the host's network namespace, which
 * every node of a run (and every host process) shares: two nodes whose
 * daemons listen on one name collided ("Address already in use": libqb's
 * "\0cmap" under three corosync nodes), and a client on one node reached
 * the daemon of another.  The shim gives each node its own: a name the
 * program passes in (bind, connect, sendto, sendmsg) goes to the kernel
 * with the node's prefix ("\0simsup.<supervisor pid>.<node>."), and one the
 * kernel passes out (getsockname, getpeername, accept, recvfrom, recvmsg)
 * comes back without it.  Names the kernel makes (autobind) stay as they
 * are.  The program never sees the prefix; /proc/net/unix, the host's,
 * shows it.
 *
 * Reachable from the SIGSYS handler: no allocation, gate only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "shim.h"

#define PATH_OFF offsetof(struct sockaddr_un, sun_path)

/* "\0simsup.<pid>.<node>." without the leading NUL; its length. */
static size_t prefix(char *buf)
{
	char *p = stpcpy(buf, "simsup.");
	long pid = sys0(SYS_getppid); /* the supervisor: every target's real parent */
	char num[24];
	int n = 0;
	do
		num[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) && n < 20);
	while (n)
		*p++ = num[--n];
	*p++ = '.';
	int node = shim_proc.cfg.node;
	*p++ = node >= 0 ? 'p' : 'w';
	unsigned k = (unsigned)(node >= 0 ? node : -1 - node);
	n = 0;
	do
		num[n++] = (char)('0' + k % 10);
	while ((k /= 10) && n < 20);
	while (n)
		*p++ = num[--n];
	*p++ = '.';
	return (size_t)(p - buf);
}

static bool is_abstract(const void *sa, unsigned len)
{
	const struct sockaddr_un *u = sa;
	return sa && len > PATH_OFF && u->sun_family == AF_UNIX && u->sun_path[0] == 0;
}

/* An address going in: the node's name for it in *out.  0: not an
 * abstract one (nothing to do); 1: translated; -ENAMETOOLONG (as EINVAL to
 * the program) when the prefix leaves no room. */
static int name_in(const void *sa, unsigned len, struct sockaddr_un *out, unsigned *outlen)
{
	if (!is_abstract(sa, len) || len > sizeof *out)
		return 0;
	char pre[64];
	size_t pl = prefix(pre);
	size_t name = len - PATH_OFF - 1; /* after the NUL */
	if (PATH_OFF + 1 + pl + name > sizeof *out) {
		/* a name padded with NULs to the whole sun_path (libqb binds
		 * with sizeof(struct sockaddr_un)): the padding that does not
		 * fit is dropped, and name_out puts it back */
		const char *nm = (const char *)sa + PATH_OFF + 1;
		size_t used = name;
		while (used && nm[used - 1] == 0)
			used--;
		if (PATH_OFF + 1 + pl + used > sizeof *out)
			return -ENAMETOOLONG;
		name = sizeof *out - PATH_OFF - 1 - pl;
	}
	memset(out, 0, sizeof *out);
	out->sun_family = AF_UNIX;
	memcpy(out->sun_path + 1, pre, pl);
	memcpy(out->sun_path + 1 + pl, (const char *)sa + PATH_OFF + 1, name);
	*outlen = (unsigned)(PATH_OFF + 1 + pl + name);
	return 1;
}

/* An address coming out (the kernel wrote *lenp bytes of it, the buffer
 * holds cap): the node's prefix taken off. */
static void name_out(void *sa, unsigned *lenp, unsigned cap)
{
	if (!sa || !lenp || !is_abstract(sa, *lenp < cap ? *lenp : cap))
		return;
	char pre[64];
	size_t pl = prefix(pre);
	unsigned len = *lenp < cap ? *lenp : cap; /* what is there */
	char *path = (char *)sa + PATH_OFF + 1;
	size_t have = len - PATH_OFF - 1;
	if (have < pl || memcmp(path, pre, pl))
		return;
	memmove(path, path + pl, have - pl);
	if (*lenp == sizeof(struct sockaddr_un)) {
		/* a whole sun_path: the program's name was padded to it (name_in) */
		memset(path + have - pl, 0, pl); /* (within what the kernel wrote) */
		return;
	}
	*lenp -= (unsigned)pl;
}

/* Before the call: its address in (c->a changed to point at the node's
 * name, put back by shim_unix_after). */
long shim_unix_before(struct sim_call *c, struct shim_unix_call *u)
{
	u->kind = 0;
	u->cap = 0;
	int ai = -1, li = -1;
	switch (c->nr) { /* what an address coming out may fill (the kernel writes its full length) */
	case SYS_getsockname: case SYS_getpeername: case SYS_accept: case SYS_accept4:
		u->cap = c->a[1] && c->a[2] ? *(const unsigned *)c->a[2] : 0;
		return 0;
	case SYS_recvfrom:
		u->cap = c->a[4] && c->a[5] ? *(const unsigned *)c->a[5] : 0;
		return 0;
	case SYS_recvmsg: {
		const struct msghdr *mh = (const struct msghdr *)c->a[1];
		u->cap = mh && mh->msg_name ? mh->msg_namelen : 0;
		return 0;
	}
	}
	switch (c->nr) {
	case SYS_bind: case SYS_connect: ai = 1; li = 2; break;
	case SYS_sendto: ai = 4; li = 5; break;
	case SYS_sendmsg: {
		struct msghdr *mh = (struct msghdr *)c->a[1];
		if (!mh)
			return 0;
		int r = name_in(mh->msg_name, mh->msg_namelen, &u->addr, &u->len);
		if (r <= 0)
			return r < 0 ? -EINVAL : 0;
		u->kind = 2;
		u->saved_ptr = (long)mh->msg_name;
		u->saved_len = mh->msg_namelen;
		mh->msg_name = &u->addr;
		mh->msg_namelen = u->len;
		return 0;
	}
	default:
		return 0;
	}
	int r = name_in((const void *)c->a[ai], (unsigned)c->a[li], &u->addr, &u->len);
	if (r <= 0)
		return r < 0 ? -EINVAL : 0;
	u->kind = 1;
	u->ai = ai;
	u->li = li;
	u->saved_ptr = c->a[ai];
	u->saved_len = (unsigned)c->a[li];
	c->a[ai] = (long)&u->addr;
	c->a[li] = u->len;
	return 0;
}

/* After the call: what went in put back, what came out translated. */
void shim_unix_after(struct sim_call *c, struct shim_unix_call *u, long r)
{
	if (u->kind == 1) {
		c->a[u->ai] = u->saved_ptr;
		c->a[u->li] = u->saved_len;
	} else if (u->kind == 2) {
		struct msghdr *mh = (struct msghdr *)c->a[1];
		mh->msg_name = (void *)u->saved_ptr;
		mh->msg_namelen = u->saved_len;
	}
	if (r < 0 || !u->cap)
		return;
	switch (c->nr) {
	case SYS_getsockname: case SYS_getpeername: case SYS_accept: case SYS_accept4:
		name_out((void *)c->a[1], (unsigned *)c->a[2], u->cap);
		break;
	case SYS_recvfrom:
		name_out((void *)c->a[4], (unsigned *)c->a[5], u->cap);
		break;
	case SYS_recvmsg: {
		struct msghdr *mh = (struct msghdr *)c->a[1];
		name_out(mh->msg_name, &mh->msg_namelen, u->cap);
		break;
	}
	}
}
