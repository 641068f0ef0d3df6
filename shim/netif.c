/*
 * netif.c — the node's network interfaces, as programs query them: `lo`
 * (127.0.0.1/8, ::1) and `eth0` carrying the node's virtual address
 * (10.0.x.y/8, the simulated network), and the SIOCGIF* ioctls that ask
 * about them on any socket.  netlink.c encodes the same interfaces for
 * NETLINK_ROUTE; both read them from here, so getifaddrs, if_nameindex,
 * SIOCGIFCONF and `ip addr` agree.
 *
 * Interface ioctls that change something (SIOCSIF*, routes, ARP) are
 * refused by name: a program cannot reconfigure the simulated network.
 *
 * Reachable from the SIGSYS handler: no allocation, kernel only through the
 * gate, no stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "netif.h"
#include "simsup/netif.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h>, which clashes with <net/if.h> */
#endif

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }

int shim_netif_get(int index, struct shim_netif *out)
{
	memset(out, 0, sizeof *out);
	out->index = index;
	if (index == NETIF_LO) {
		strcpy(out->name, "lo");
		out->flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP;
		out->type = ARPHRD_LOOPBACK;
		out->mtu = SIM_NETIF_LO_MTU;
		out->ip = 0x7f000001;
		out->prefix = 8;
		out->scope = RT_SCOPE_HOST_;
		out->oper = 0; /* IF_OPER_UNKNOWN, as Linux says for lo */
		return 0;
	}
	if (index == NETIF_ETH) {
		uint32_t ip = shim_proc.cfg.ip;
		strcpy(out->name, "eth0");
		out->flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP;
		out->type = ARPHRD_ETHER;
		out->mtu = SIM_NETIF_ETH_MTU;
		out->ip = ip;
		out->prefix = 8; /* the simulated network is 10.0.0.0/8 (docs/network.md) */
		out->brd = (ip & 0xff000000u) | 0x00ffffffu;
		out->scope = 0; /* RT_SCOPE_UNIVERSE */
		out->oper = 6;  /* IF_OPER_UP */
		sim_netif_mac(ip, out->mac);
		memset(out->brdmac, 0xff, 6);
		return 0;
	}
	return -ENODEV;
}

int shim_netif_by_name(const char *name)
{
	struct shim_netif f;
	for (int i = 1; i <= NETIF_COUNT; i++)
		if (shim_netif_get(i, &f) == 0 && !strncmp(f.name, name, IFNAMSIZ))
			return i;
	return -ENODEV;
}

static void put_in(struct sockaddr *sa, uint32_t ip)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = be32(ip) };
	memcpy(sa, &in, sizeof in);
}

/* SIOCGIFCONF: one ifreq per interface with an IPv4 address. */
static long ifconf(struct ifconf *ic)
{
	int need = NETIF_COUNT * (int)sizeof(struct ifreq);
	if (!ic)
		return -EFAULT;
	if (!ic->ifc_buf) {
		ic->ifc_len = need;
		return 0;
	}
	int done = 0;
	struct shim_netif f;
	for (int i = 1; i <= NETIF_COUNT; i++) {
		if (done + (int)sizeof(struct ifreq) > ic->ifc_len)
			break;
		shim_netif_get(i, &f);
		struct ifreq r;
		memset(&r, 0, sizeof r);
		strncpy(r.ifr_name, f.name, IFNAMSIZ);
		put_in(&r.ifr_addr, f.ip);
		memcpy(ic->ifc_buf + done, &r, sizeof r);
		done += (int)sizeof r;
	}
	ic->ifc_len = done;
	return 0;
}

static bool is_iface_ioctl(unsigned long req)
{
	/* SIOCADDRT (0x890b) up to the device-private range: routes,
	 * interfaces, ARP, bridges, bonding, MII */
	return req >= 0x890b && req <= 0x89ff;
}

/* SIOCETHTOOL: the simulated eth0 is a plain virtual NIC, as a veth: its
 * driver, a 10 Gb/s full-duplex link that is up, and nothing else
 * (EOPNOTSUPP, a device's own answer for what it does not implement:
 * Samba asks for the link speed and keeps its default without). lo has no
 * ethtool operations, as the kernel's. */
static long ethtool(struct ifreq *r)
{
	if (!r)
		return -EFAULT;
	int idx = shim_netif_by_name(r->ifr_name);
	struct shim_netif f;
	if (idx < 0 || shim_netif_get(idx, &f) < 0)
		return -ENODEV;
	void *data = r->ifr_data;
	if (!data)
		return -EFAULT;
	uint32_t cmd;
	memcpy(&cmd, data, sizeof cmd);
	if (f.flags & IFF_LOOPBACK)
		return -EOPNOTSUPP;
	switch (cmd) {
	case ETHTOOL_GDRVINFO: {
		struct ethtool_drvinfo d;
		memset(&d, 0, sizeof d);
		d.cmd = cmd;
		strcpy(d.driver, "simsup");
		strcpy(d.version, "1.0");
		strcpy(d.bus_info, "N/A");
		memcpy(data, &d, sizeof d);
		return 0;
	}
	case ETHTOOL_GSET: {
		struct ethtool_cmd e;
		memset(&e, 0, sizeof e);
		e.cmd = cmd;
		ethtool_cmd_speed_set(&e, SPEED_10000);
		e.duplex = DUPLEX_FULL;
		e.port = PORT_OTHER;
		e.autoneg = AUTONEG_DISABLE;
		memcpy(data, &e, sizeof e);
		return 0;
	}
	case ETHTOOL_GLINK: {
		struct ethtool_value v = { .cmd = cmd, .data = 1 };
		memcpy(data, &v, sizeof v);
		return 0;
	}
	}
	return -EOPNOTSUPP;
}

bool shim_netif_ioctl(struct sim_call *c, long *ret)
{
	unsigned long req = (unsigned long)c->a[1];
	if (c->nr != SYS_ioctl || !is_iface_ioctl(req) || shim_fd_kind((int)c->a[0]) != S_IFSOCK)
		return false;
	struct ifreq *r = (struct ifreq *)c->a[2];
	struct shim_netif f;
	if (req == SIOCGIFCONF) {
		*ret = ifconf((struct ifconf *)c->a[2]);
		return true;
	}
	if (req == SIOCETHTOOL) {
		*ret = ethtool(r);
		return true;
	}
	if (req == SIOCGARP) {
		/* the virtual network has no link layer: no neighbour is in
		 * the ARP table, as when its entry has expired (squid asks
		 * for each client's MAC address and goes on without) */
		*ret = -ENXIO;
		return true;
	}
	switch (req) {
	case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCGIFADDR: case SIOCGIFDSTADDR:
	case SIOCGIFBRDADDR: case SIOCGIFNETMASK: case SIOCGIFMETRIC: case SIOCGIFMTU:
	case SIOCGIFHWADDR: case SIOCGIFINDEX: case SIOCGIFTXQLEN:
		break;
	default: {
		/* "interface ioctl 0x89NN: ...": the request named by number */
		static const char hex[] = "0123456789abcdef";
		char what[224] = "interface ioctl 0x0000: only SIOCGIFCONF, SIOCGIFNAME, SIOCGIFINDEX "
				 "and SIOCGIF{FLAGS,ADDR,NETMASK,BRDADDR,MTU,HWADDR,...} are "
				 "simulated; interfaces and routes cannot be changed";
		for (int i = 0; i < 4; i++)
			what[21 - i] = hex[(req >> (4 * i)) & 0xf];
		shim_refuse(c->nr, what);
		*ret = -EPERM;
		return true;
	}
	}
	if (!r) {
		*ret = -EFAULT;
		return true;
	}
	int idx = req == SIOCGIFNAME ? r->ifr_ifindex : shim_netif_by_name(r->ifr_name);
	if (idx < 0 || shim_netif_get(idx, &f) < 0) {
		*ret = -ENODEV;
		return true;
	}
	*ret = 0;
	switch (req) {
	case SIOCGIFNAME: memset(r->ifr_name, 0, IFNAMSIZ); strncpy(r->ifr_name, f.name, IFNAMSIZ); break;
	case SIOCGIFINDEX: r->ifr_ifindex = f.index; break;
	case SIOCGIFFLAGS: r->ifr_flags = (short)(f.flags & 0xffff); break;
	case SIOCGIFADDR: case SIOCGIFDSTADDR: put_in(&r->ifr_addr, f.ip); break;
	case SIOCGIFBRDADDR: put_in(&r->ifr_broadaddr, f.brd); break;
	case SIOCGIFNETMASK: put_in(&r->ifr_netmask, f.prefix ? ~0u << (32 - f.prefix) : 0); break;
	case SIOCGIFMETRIC: r->ifr_metric = 0; break;
	case SIOCGIFMTU: r->ifr_mtu = f.mtu; break;
	case SIOCGIFTXQLEN: r->ifr_qlen = SIM_NETIF_TXQLEN; break;
	case SIOCGIFHWADDR:
		memset(&r->ifr_hwaddr, 0, sizeof r->ifr_hwaddr);
		r->ifr_hwaddr.sa_family = (sa_family_t)f.type;
		memcpy(r->ifr_hwaddr.sa_data, f.mac, 6);
		break;
	}
	return true;
}
