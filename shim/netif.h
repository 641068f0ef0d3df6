/*
 * netif.h — the node's interfaces (netif.c), shared with netlink.c.
 */
#ifndef SHIM_NETIF_H
#define SHIM_NETIF_H

#include <stdbool.h>
#include <stdint.h>

#include "shim.h"

#define NETIF_LO 1
#define NETIF_ETH 2
#define NETIF_COUNT 2
#define RT_SCOPE_HOST_ 254

struct shim_netif {
	int index;
	char name[16];
	unsigned flags;      /* IFF_* */
	int type;            /* ARPHRD_* */
	int mtu;
	uint32_t ip, brd;    /* host order; brd 0: none */
	int prefix;
	int scope;           /* RT_SCOPE_* of its IPv4 address */
	int oper;            /* IF_OPER_* */
	uint8_t mac[6], brdmac[6];
};

/* 0 | -ENODEV */
int shim_netif_get(int index, struct shim_netif *out);
int shim_netif_by_name(const char *name);   /* index | -ENODEV */
/* SIOCGIF* and the other interface ioctls on any socket: true with *ret
 * set when it handled the call. */
bool shim_netif_ioctl(struct sim_call *c, long *ret);

/* netlink.c: netlink sockets.  NETLINK_ROUTE is answered from netif.c;
 * other protocols are refused by name.  shim_netlink_socket: true with
 * *ret set when the call was socket(AF_NETLINK, ...). */
struct shim_vsock;
bool shim_netlink_socket(struct sim_call *c, long *ret);
long shim_netlink_call(struct shim_vsock *v, int fd, struct sim_call *c);

#endif
