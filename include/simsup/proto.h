/*
 * proto.h — the one wire protocol between libsimsup.so (shim) and simsup
 * (supervisor).  Both sides include this file and nothing of each other.
 *
 * Transport: every simulated thread owns one AF_UNIX SOCK_SEQPACKET socket to
 * the supervisor.  A thread that holds the turn sends requests (struct sim_req)
 * and, for requests that expect one, blocks in recv for the reply
 * (struct sim_rep).  A reply is also how the supervisor hands a parked thread
 * the turn: a thread runs user code only between receiving a reply and sending
 * its next parking request.  A process's death closes its sockets (EOF).
 *
 * Once a thread has given the supervisor its channel page (SIM_CHAN, struct
 * sim_chan), requests without an fd travel through the page and every reply
 * comes through it, each side waking the other with a futex: a hand-off
 * without socket calls.  Messages that carry an fd, and those that expect no
 * reply, still go on the socket, each announced in the page (nsock) so that
 * the supervisor, which then waits on the page only, reads them in order.
 *
 * The supervisor validates every request: a target is untrusted input.
 */
#ifndef SIMSUP_PROTO_H
#define SIMSUP_PROTO_H

#include <stdint.h>

#define SIM_PROTO_VERSION 9

/* The environment variable that names the fd of a new image's thread socket.
 * The exec path of the shim re-adds it when a program clears its environment. */
#define SIM_ENV_FD "SIMSUP_FD"
#define SIM_ENV_LIB "SIMSUP_LIB"
/* The fd of a memfd holding the virtual sockets an image passes to the one
 * it execs (shim/net.c): read and closed by the new image's shim. */
#define SIM_ENV_VSOCKS "SIMSUP_VSOCKS"
/* The shim's own fds live at or above this number (see shim/fdguard.c). */
#define SIM_FD_MIN 900

enum sim_op {
	SIM_HELLO = 1,     /* first message of an image. a0=version a1=real pid a2=1 if after exec */
	SIM_YIELD,         /* give up the turn, stay runnable */
	SIM_SLEEP,         /* park until a0 (virtual ns); a1=1 if interruptible by signal */
	SIM_POLL,          /* local objects not ready: park until a0 (-1: none) or, with
	                      a1=SIM_POLL_ANY, until another thread changed something (a
	                      request with SIM_REQ_DIRTY); with a1=SIM_POLL_PROBE, until the
	                      thread's probe is readable: an epoll instance of the shim's that
	                      holds exactly the fds and events the thread waits for.  Carries
	                      the probe (SCM_RIGHTS) when it is new; the supervisor keeps it
	                      for the thread */
	SIM_FUTEX_WAIT,    /* a0=uaddr a1=deadline (-1 none) a2=bitset a3=shared key (0: private).
	                      ret 0 | -ETIMEDOUT */
	SIM_FUTEX_WAKE,    /* a0=uaddr a1=max a2=bitset a3=shared key. ret: woken */
	SIM_FUTEX_REQUEUE, /* a0=uaddr a1=nwake a2=uaddr2 a3=nrequeue a4,a5=shared keys.
	                      ret: woken+requeued */
	SIM_THREAD_NEW,    /* carries the new thread's socket (SCM_RIGHTS). ret: vtid */
	SIM_THREAD_EXIT,   /* a0=clear_child_tid address (0: none). no reply */
	SIM_FORK,          /* carries the child's socket (SCM_RIGHTS). ret: child vpid */
	SIM_FORK_DONE,     /* a0=child vpid a1=real pid or -errno */
	SIM_EXEC,          /* about to execve; payload: path. reply */
	SIM_EXEC_FAILED,   /* a0=-errno */
	SIM_EXIT,          /* a0=status (exit_group). no reply */
	SIM_WAIT,          /* a0=vpid selector (as wait4: -1 any, >0 pid, 0 the caller's group, <-1 group -a0)
	                      a1=options (WNOHANG). ret: vpid|0|-errno, rep.a[0]=wait status */
	SIM_KILL,          /* a0=vpid, 0: the caller's group, -1: every other process of the node,
	                      <-1: group -a0; a1=signal.  Sent to all of them but the caller.
	                      ret 0|-errno; rep.a[0]=1: the caller is one of them (its shim
	                      queues the signal itself) */
	SIM_NOTE,          /* trace note from the shim; payload: text. no reply */
	SIM_REFUSED,       /* a call simsup cannot virtualize: a0=nr; payload: description. no reply */
	SIM_CRASH,         /* a fatal signal: a0=signal; payload: backtrace text. no reply */
	SIM_SIGWAIT,       /* park until a signal is pending for the thread or a0 */
	SIM_PID,           /* a0: SIM_PID_* below; a1 the pid or tid. -ESRCH */
	SIM_TIMER_CREATE,  /* a0=kind (SIM_TK_*) a1=clock a2=sigev_notify (-1: no sigevent: SIGALRM
	                      with the timer id as sigval) a3=signo a4=sigval
	                      a5=target tid (SIGEV_THREAD_ID).  SIM_TK_FD: carries the eventfd
	                      (SCM_RIGHTS), a4=the program's fd a5=1 if close-on-exec.
	                      ret: timer id (SIM_TK_POSIX) | 0 | -errno */
	SIM_TIMER_SET,     /* a0=kind a1=id (SIM_TK_FD: the fd) a2=first expiry (virtual ns since run
	                      start, -1: disarm) a3=interval ns a4=first expiry if the timer's clock
	                      is MONOTONIC/BOOTTIME (differs from a2 for absolute times only).
	                      ret 0|-errno, rep.a[0]=old remaining ns (0: was disarmed) a[1]=old interval */
	SIM_TIMER_GET,     /* a0=kind a1=id.  ret: overrun count|-errno, rep.a[0..1] as SET */
	SIM_TIMER_DELETE,  /* a0=kind a1=id (SIM_TK_FD: one fd of the timer closed). ret 0|-errno */
	SIM_TIMER_DUP,     /* a0=SIM_TK_FD a1=fd a2=new fd naming the same timer. ret 0|-errno */
	SIM_TGKILL,        /* a0=vpid (0: the thread a1 anywhere on the node) a1=tid (0: the
	                      process) a2=signal a3=1 if the payload is the program's siginfo
	                      (rt_[tg]sigqueueinfo).  ret 0|-errno; 1 when the target is in the
	                      caller's own process: rep.a[0]=its real pid a[1]=real tid, and the
	                      caller queues the signal itself */
	SIM_THREAD_TID,    /* a0=vtid a1=real tid of a thread just cloned. no reply */
	SIM_PROCINFO,      /* a0=vpid (0: the caller's process) on the caller's node.  a1=0: ret 0|-ESRCH;
	                      rep.a[0]=vppid a[1]=live threads a[2]=start (virtual ns) a[3]=real pid.
	                      a1=1: rep.a[0]=process group a[1]=session a[2]=uid a[3]=gid (real)
	                      a1=2: ret: the next live vpid of the node above a0, or 0 (listings)
	                      a1=3: a2=vtid: ret: the next live vtid of process a0 above a2, or 0;
	                      rep.a[0]=its kernel tid */
	/* ---- network (shim/net.c, supervisor/net.c; docs/network.md) ---- */
	SIM_NET_SOCKET,    /* a0=family a1=SOCK_STREAM|SOCK_DGRAM.  SOCK_DGRAM carries the
	                      supervisor's end of the socket's datagram pair (SCM_RIGHTS).
	                      ret: socket id|-errno; rep.a[0]=supervisor pid a[1]=run number:
	                      the socket binds "\0simsup.PID.RUN.sID" (SIM_NET_NAME) */
	SIM_NET_BIND,      /* a0=id a1=ip (host order, 0: any) a2=port (0: ephemeral) a3=SIM_NBF_*
	                      (with SIM_NBF_UPDATE: a bound socket's new flags, ret 0).
	                      ret: port|-errno; rep.a[0]=bound ip */
	SIM_NET_LISTEN,    /* a0=id a1=backlog (the socket already listens). ret 0|-errno;
	                      rep.a[0]=ip a[1]=port (bound now if it was not) */
	SIM_NET_CONNECT,   /* a0=id a1=ip a2=port a3=filler bytes written after connecting the
	                      socket to the relay listener a4=SO_SNDBUF to give it back once
	                      connected; carries the socket (SCM_RIGHTS), which the supervisor
	                      keeps until then. ret: conn id|-errno; rep.a[0]=local ip
	                      a[1]=local port */
	SIM_NET_STATUS,    /* a0=conn id a1=side (0 client, 1 server). ret: 1 connecting,
	                      0 established or closed in order, -errno (ECONNREFUSED,
	                      ECONNRESET, ETIMEDOUT, EHOSTUNREACH) */
	SIM_NET_ACCEPT,    /* a0=conn id (from the accepted socket's peer name).  ret 0|-errno;
	                      rep.a[0]=local ip a[1]=local port a[2]=peer ip a[3]=peer port */
	SIM_NET_CLOSE,     /* a0=socket id (0: none) a1=1: abort (SO_LINGER 0) a2=conn id a3=side.
	                      The program closed a descriptor of it. no reply */
	SIM_NET_RESOLVE,   /* a0=0: payload is a host name, ret: ip|-ENOENT.  a0=1: a1=ip,
	                      ret 0|-ENOENT, rep.a holds its name (NUL-terminated) */
	SIM_NET_FLUSH,     /* relay what is queued now (a datagram pair was full). ret 0 */
	SIM_INODE,         /* a0=inode number on the run directory's file system,
	                      a1=its birth time (ns; 0 unknown).
	                      ret: its virtual number (first seen, first numbered) */
	SIM_SYNC,          /* a durability point (storage tracking on, sim_config.track_storage):
	                      a0=SIM_SYNC_FD: the call made the file or directory it carries
	                      (SCM_RIGHTS) durable (fsync, fdatasync, an O_SYNC/O_DSYNC write);
	                      a0=SIM_SYNC_ALL: everything on the node (sync, syncfs, msync).
	                      ret 0 once the supervisor has recorded it */
	SIM_DISK,          /* a file operation while a disk fault is active on the node
	                      (rep.disk_ops): a0=SIM_DISK_READ|WRITE|FSYNC a1=bytes a2=offset
	                      (-1: the file's position); carries the
	                      file (SCM_RIGHTS).  ret 0: go on; -errno: fail with it;
	                      rep.a[0]=virtual ns to stall first; rep.a[1]=1+seed: corrupt what
	                      the read returns (one byte at seed % length) */
	SIM_PGRP,          /* a0=SIM_PG_*: GETPGID/GETSID a1=vpid (0: the caller); SETPGID a1=vpid
	                      a2=pgid; SETSID.  ret: pgid|sid|0|-errno, the kernel's rules */
	SIM_NET_LIST,      /* the caller's node's sockets, one per request (ss, NETLINK_SOCK_DIAG):
	                      a0=cursor (0: first) a1=SOCK_STREAM|SOCK_DGRAM.  ret: the next
	                      cursor (>0) with rep.a[0]=local ip<<16|port a[1]=peer ip<<16|port
	                      a[2]=SIM_NL_* state a[3]=family|backlog<<8; 0: no more */
	SIM_CHAN,          /* carries a memfd of SIM_CHAN_SIZE bytes sealed against shrinking
	                      (SCM_RIGHTS): the thread's channel page (struct sim_chan) from the
	                      reply on.  ret 0|-errno (the thread keeps to its socket) */
	SIM_DISK_USAGE,    /* statfs of the storage dirs' file system (shim/diskfree.c).  ret: bytes
	                      in the caller's node's storage dir (its files' sizes); rep.a[0]=its
	                      files and directories a[1]=the node's disk size */
	SIM_NET_PASS,      /* a virtual socket is about to go to another process over SCM_RIGHTS:
	                      a0=st_dev a1=st_ino of the AF_UNIX socket under it; payload: what
	                      the receiver's shim needs of it (opaque to the supervisor, at most
	                      SIM_NET_PASS_MAX bytes), kept for the receiver.  ret 0|-errno */
	SIM_NET_ADOPT,     /* a process received such a socket: a0=st_dev a1=st_ino a2=offset.
	                      ret: the length of what the sender left (-ENOENT: nothing), with
	                      rep.a[] = its 32 bytes from offset */
	SIM_CLOCK_SET,     /* the program sets its node's CLOCK_REALTIME (clock_settime,
	                      settimeofday, adjtimex's ADJ_SETOFFSET): a0=the new value, ns since
	                      the Unix epoch.  ret 0; rep.rt_offset is the node's new offset */
	SIM_CLOCK_ADJ,     /* adjtimex of the node's clock: a0=modes (ADJ_*; 0: read) a1=freq
	                      (ppm << 16) a2=tick (us) a3=single-shot offset (ns) a4=maxerror
	                      a5=esterror; payload: status, constant, tai (3 x int32).  ret: the
	                      clock state (TIME_OK, TIME_ERROR) | -errno; rep.a[0]=freq a[1]=tick
	                      a[2]=maxerror | esterror << 32 a[3]=status | constant << 16 | tai << 32 */
	SIM_OP_MAX
};
#define SIM_NET_PASS_MAX 256

#define SIM_PG_GETPGID 0
#define SIM_PG_GETSID 1
#define SIM_PG_SETPGID 2
#define SIM_PG_SETSID 3

/* States of SIM_NET_LIST, Linux's TCP states (include/net/tcp_states.h). */
#define SIM_NL_ESTABLISHED 1
#define SIM_NL_SYN_SENT 2
#define SIM_NL_CLOSE 7 /* UDP: bound, no peer (ss says UNCONN) */
#define SIM_NL_LISTEN 10

#define SIM_DISK_READ 1
#define SIM_DISK_WRITE 2
#define SIM_DISK_FSYNC 4

#define SIM_SYNC_FD 0
#define SIM_SYNC_ALL 1
#define SIM_SYNC_DA 2  /* not a durability point: ext4's auto_da_alloc (shim/storage.c) */

/* Kinds of timer (SIM_TIMER_*). */
enum sim_timer_kind {
	SIM_TK_ITIMER = 0, /* alarm/setitimer(ITIMER_REAL): one per process, id 0 */
	SIM_TK_POSIX = 1,  /* timer_create */
	SIM_TK_FD = 2,     /* timerfd_create: an eventfd the supervisor writes expirations into */
};

struct sim_req {
	uint16_t op;
	uint16_t flags;    /* SIM_REQ_* */
	uint32_t len;      /* payload bytes after the header */
	int64_t now;       /* the thread's view of virtual time (ns) when it sent this */
	int64_t a[6];
	/* With SIM_REQ_TIMERFD: a timerfd_settime the sender made since its
	 * previous request, which the supervisor applies before the request
	 * itself: fd, then a2..a4 of SIM_TIMER_SET (first expiry, interval,
	 * first expiry on a monotonic clock). */
	int64_t tfd[4];
	/* calls the sender caught since its previous request, by entry point
	 * (the profile of -v; never part of the trace) */
	uint32_t ntrap, nplt, nvdso, pad;
	/* followed by len bytes of payload (at most SIM_PAYLOAD_MAX) */
};

/* SIM_POLL a1 */
#define SIM_POLL_ANY 0
#define SIM_POLL_PROBE 1

#define SIM_PAYLOAD_MAX 4000

/* The sender changed something other threads may wait for (wrote a pipe,
 * closed an fd, created a file) since its previous request: parked pollers
 * must retry. */
#define SIM_REQ_DIRTY 1
/* The sender was woken from its previous park, looked again and found
 * nothing it waits for (a fruitless wake-up; counted for -v). */
#define SIM_REQ_FRUITLESS 2
/* tfd holds a timerfd_settime made without asking (shim/timer.c). */
#define SIM_REQ_TIMERFD 4

/* Reply, and grant of the turn. */
struct sim_rep {
	int64_t ret;
	int64_t now;        /* current virtual time */
	int64_t next_event; /* the thread must yield once now >= next_event */
	int64_t rt_offset;  /* this node's CLOCK_REALTIME offset now (clock faults) */
	int64_t disk_ops;   /* SIM_DISK_* ops with a disk fault active on this node now */
	int64_t a[4];
};

/* A thread's channel page, shared by its shim and the supervisor (each
 * maps the memfd of SIM_CHAN).  Counters only grow; the supervisor copies a
 * request out before it looks at it, and a page that breaks these rules
 * ends the target's run as a protocol error. */
/* SIM_PID's a0 */
enum {
	SIM_PID_REAL_VIRTUAL = 0, /* a real pid (a process of the run) -> its virtual pid */
	SIM_PID_VIRTUAL_REAL = 1, /* a virtual pid of the caller's node -> real */
	SIM_PID_TID_REAL = 2,     /* a virtual tid (or pid) of the caller's node -> real tid;
	                             a real tid of one of the node's threads: itself */
};

struct sim_chan {
	uint32_t bell;      /* futex: +1 by the shim after each message; the supervisor waits here */
	uint32_t nsock;     /* messages the thread sent on its socket (announced after sending) */
	uint32_t nreq;      /* requests written to rq and payload below */
	uint32_t nrep;      /* futex: replies written to rep; the thread waits here */
	uint32_t closed;    /* the supervisor answers no more: the thread's process must end */
	uint32_t sup_waits; /* the supervisor sleeps on bell: the shim must wake it (else it need not) */
	struct sim_rep rep;
	struct sim_req rq;
	char payload[SIM_PAYLOAD_MAX];
};
#define SIM_CHAN_SIZE 8192

/* Reply to SIM_HELLO: what an image needs to know about itself. */
struct sim_config {
	struct sim_rep rep;
	int32_t vpid, vppid, vtid;
	int32_t node;       /* server index, or -1 - workload index */
	uint32_t ip;        /* virtual IPv4 address, host byte order */
	int32_t boot;
	uint64_t seed;      /* this image's random stream */
	int64_t tick_ns;    /* virtual cost of one intercepted call */
	int64_t epoch_ns;   /* CLOCK_REALTIME at virtual time 0 */
	int64_t mono_base;  /* CLOCK_MONOTONIC at virtual time 0 */
	int32_t ncpu;       /* the virtual machine's CPU count */
	int32_t preempt;    /* per-mille chance of a switch at an intercepted call */
	int32_t trace_calls; /* 1: report every intercepted call to the trace (-vv) */
	char lib[512];      /* absolute path of libsimsup.so, for exec */
	uint64_t node_seed; /* the same for every image of one node and boot (boot_id) */
	uint64_t run_dev;   /* st_dev of the run directory's file system (0: unknown) */
	int32_t track_storage; /* 1: report durability points (SIM_SYNC): power loss is possible */
	char sys_dir[512];  /* the virtual /sys (RUN_DIR/sys as the programs see it) */
};

/* ---- network ---- */

/* Flags of SIM_NET_BIND: the socket options that decide port sharing. */
#define SIM_NBF_REUSEADDR 1
#define SIM_NBF_REUSEPORT 2
#define SIM_NBF_V6ONLY 4
#define SIM_NBF_UPDATE 8 /* the bound socket's flags changed (setsockopt): nothing else */

/* Abstract AF_UNIX names (after the leading NUL) of the network's sockets:
 * a program's virtual socket, the supervisor's end of a connection that it
 * made into a listener, and the supervisor's relay listener that client
 * sockets connect to. */
#define SIM_NET_NAME "simsup.%d.%u.s%u"
#define SIM_NET_CONN_NAME "simsup.%d.%u.c%u"
#define SIM_NET_RELAY_NAME "simsup.%d.%u.relay"

/* Every datagram between a program's UDP socket and the supervisor starts
 * with this header: the destination on the way out, the source on the way
 * in (and in dst the address it was sent to, for IP_PKTINFO).  Host byte
 * order. */
struct sim_dgram_hdr {
	uint32_t ip;
	uint16_t port;
	uint16_t magic;    /* SIM_DGRAM_MAGIC */
	uint32_t dst;      /* on the way in: the destination address; out: 0 */
	uint32_t pad;
	int64_t at;        /* on the way in: virtual ns when it reached the socket (SO_TIMESTAMP) */
};
#define SIM_DGRAM_MAGIC 0x5344
/* From the supervisor only, with no payload: the datagram the socket sent
 * to ip:port found no socket on a live host (ICMP port unreachable). */
#define SIM_DGRAM_UNREACH 0x5355

#endif
