/*
 * netif.h — the facts of the two network interfaces every node has, for
 * the shim (shim/netif.c: netlink, the interface ioctls) and the
 * supervisor (supervisor/sysfs.c and launch.c: /sys/class/net), so that
 * every way of asking gives the same answer.
 *
 * No allocation, no libc: the shim calls it from its SIGSYS handler.
 */
#ifndef SIMSUP_NETIF_H
#define SIMSUP_NETIF_H

#include <stdint.h>

#define SIM_NETIF_LO_MTU 65536
#define SIM_NETIF_ETH_MTU 1500
#define SIM_NETIF_TXQLEN 1000

/* eth0's MAC: locally administered, made of the node's IPv4 address
 * (host byte order): 02:00:a:b:c:d */
static inline void sim_netif_mac(uint32_t ip, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0;
	for (int i = 0; i < 4; i++)
		mac[2 + i] = (uint8_t)(ip >> (24 - 8 * i));
}

#endif
