/*
 * net.h — the shim's side of the virtual network, shared by net.c (TCP,
 * the per-fd table, the dispatcher hook), net_udp.c (UDP) and net_opt.c
 * (socket options).
 *
 * A virtual socket is a real AF_UNIX socket (stream for TCP, a datagram
 * pair for UDP) whose other end the supervisor holds; the kernel carries the
 * bytes, the supervisor decides where they go and when.  What TCP/UDP would
 * say about the socket (addresses, options, state) lives in a table indexed
 * by fd, per process, in static memory: no allocation, copied by fork.
 *
 * Reachable from the SIGSYS handler: no allocation, kernel only through the
 * gate, no stdio.
 */
#ifndef SHIM_NET_H
#define SHIM_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "shim.h"

#define NET_MAX_FD 65536

enum vs_state {
	VS_NEW = 1,     /* socket() */
	VS_BOUND,       /* bind() or an automatic port */
	VS_LISTEN,
	VS_CONNECTING,  /* TCP: connect in flight */
	VS_CONNECTED,   /* TCP: established (or closed in order since); UDP: has a peer */
	VS_FAILED,      /* TCP: the connect failed or the connection was reset */
};

/* Boolean options (struct shim_vsock.opts). */
enum {
	VO_REUSEADDR = 1 << 0,
	VO_REUSEPORT = 1 << 1,
	VO_NODELAY = 1 << 2,
	VO_KEEPALIVE = 1 << 3,
	VO_V6ONLY = 1 << 4,
	VO_BROADCAST = 1 << 5,
	VO_OOBINLINE = 1 << 6,
	VO_CORK = 1 << 7,
	VO_LINGER = 1 << 8,
	VO_SHUT_RD = 1 << 9,   /* shutdown(SHUT_RD): emulated, never given to the kernel */
	VO_SHUT_WR = 1 << 10,
	VO_FINAL = 1 << 11,    /* TCP: the supervisor's final word (reset or not) is known */
};

/* Options kept as plain integers: (level, name) -> value. */
#define VS_NOPTS 8

struct shim_vsock {
	uint32_t id;         /* the supervisor's socket id; 0 for an accepted socket */
	uint32_t conn;       /* TCP connection id (0: none) */
	uint8_t on;          /* this fd is a virtual socket */
	uint8_t family;      /* AF_INET or AF_INET6 (what the program asked for) */
	uint8_t type;        /* SOCK_STREAM or SOCK_DGRAM */
	uint8_t state;       /* enum vs_state */
	uint8_t side;        /* TCP: 0 the connecting side, 1 the accepting side */
	uint8_t filler;      /* bytes written to hold a connecting socket unwritable */
	uint16_t opts;       /* VO_* */
	int32_t err;         /* pending SO_ERROR (positive errno), 0: none */
	uint32_t lip, rip;   /* local and peer address, host order */
	uint16_t lport, rport;
	int32_t sndbuf, rcvbuf;     /* as the program set them (0: default) */
	int32_t ksndbuf;            /* the kernel's SO_SNDBUF, restored after connect */
	int32_t linger_s;
	int64_t rcvtimeo, sndtimeo; /* SO_RCVTIMEO/SO_SNDTIMEO in virtual ns (0: none) */
	int32_t optkey[VS_NOPTS];   /* (level << 16) | name; 0: free */
	int32_t optval[VS_NOPTS];
};

/* net.c */
struct shim_vsock *shim_vs(int fd);              /* NULL unless fd is virtual */
struct shim_vsock *shim_vs_new(int fd);          /* clears and claims the entry */
void shim_vs_drop(int fd);
bool shim_net_fd_nonblock(int fd, int flags);
int shim_net_bind_flags(const struct shim_vsock *v); /* SIM_NBF_* of its options */    /* O_NONBLOCK or MSG_DONTWAIT */
/* The abstract name of socket id (or connection id with conn) in sun_path
 * form: a leading NUL, no terminator.  Returns the sockaddr length. */
int shim_net_name(void *sun, uint32_t id, bool conn);
int shim_net_relay_name(void *sun);
void shim_net_set_prefix(int64_t pid, int64_t run);
/* sockaddr <-> (ip, port).  Parse: 0 | -errno; ip host order. */
int shim_net_parse_addr(const struct shim_vsock *v, const void *sa, unsigned len, uint32_t *ip,
			uint16_t *port);
/* Writes (ip, port) as the socket's family into sa and *len (truncating like
 * the kernel).  len may be NULL (nothing written). */
void shim_net_put_addr(const struct shim_vsock *v, uint32_t ip, uint16_t port, void *sa,
		       unsigned *len);
long shim_net_bind_to(struct shim_vsock *v, uint32_t ip, uint16_t port);
void shim_net_sigpipe(int flags);
/* Execve: the table into a memfd for the next image (its fd, or -1 when
 * there is nothing to pass), and back from it in that image (closes it). */
int shim_net_exec_save(void);
/* fd is the AF_UNIX socket under a virtual socket of another process
 * (received over SCM_RIGHTS) */
bool shim_net_foreign_vsock(int fd);
/* SCM_RIGHTS: before a sendmsg, the virtual sockets among the fds it
 * carries go to the supervisor; after a recvmsg, fd takes its sender's
 * entry back (false: none) */
void shim_net_pass_fds(const struct msghdr *mh);
bool shim_net_adopt(int fd);
void shim_net_exec_restore(int memfd);

/* An iovec cursor: walks a program's iovec array without copying it. */
struct net_iov {
	const struct iovec *iov;
	int n, i;
	size_t off;
};
size_t shim_net_iov_total(const struct iovec *iov, int n);
int shim_net_iov_window(struct net_iov *c, struct iovec *out, int max);
void shim_net_iov_advance(struct net_iov *c, size_t k);

/* net_tcp.c */
long shim_net_register(int fd, int family, int type, int sendfd); /* SIM_NET_SOCKET + bind */
long shim_tcp_socket(int family, int flags);
long shim_tcp_call(struct shim_vsock *v, int fd, struct sim_call *c);

/* net_udp.c */
long shim_udp_socket(int family, int flags);
long shim_udp_call(struct shim_vsock *v, int fd, struct sim_call *c);
long shim_udp_ioctl(struct shim_vsock *v, int fd, unsigned long req, void *arg);

/* net_opt.c */
int shim_net_opt(const struct shim_vsock *v, int level, int name, int dflt); /* a remembered int */
long shim_net_setsockopt(struct shim_vsock *v, int fd, int level, int name, const void *val,
			 unsigned len);
long shim_net_getsockopt(struct shim_vsock *v, int fd, int level, int name, void *val,
			 unsigned *len);
/* net_tcp.c: a connecting socket's outcome, from the supervisor.  0 when
 * established (or not connecting), 1 still connecting, -errno failed. */
long shim_tcp_update(struct shim_vsock *v, int fd);

long shim_net_mmsg(struct shim_vsock *v, int fd, struct sim_call *c, bool out, bool stream,
		   long (*send1)(struct shim_vsock *, int, const struct msghdr *, int),
		   long (*recv1)(struct shim_vsock *, int, struct msghdr *, int));

#endif
