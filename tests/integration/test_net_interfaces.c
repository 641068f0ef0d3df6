/*
 * The node's interfaces (docs/network.md, "Interfaces and routes"): lo and
 * eth0 with the node's address, through NETLINK_ROUTE (getifaddrs,
 * if_nameindex, ip), the SIOCGIF* ioctls, NETLINK_SOCK_DIAG (ss) and
 * /proc/net; what is not simulated is refused by name.
 */
#include "net_harness.h"

static const char ifaces_py[] =
	"import fcntl, socket, struct, subprocess, sys\n"
	"print('nameindex', socket.if_nameindex())\n"
	"print('eth0 index', socket.if_nametoindex('eth0'), 'name of 1', socket.if_indextoname(1))\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	"r = fcntl.ioctl(s.fileno(), 0x8915, struct.pack('256s', b'eth0'))\n" /* SIOCGIFADDR */
	"print('SIOCGIFADDR eth0', socket.inet_ntoa(r[20:24]))\n"
	"r = fcntl.ioctl(s.fileno(), 0x891b, struct.pack('256s', b'eth0'))\n" /* SIOCGIFNETMASK */
	"print('SIOCGIFNETMASK eth0', socket.inet_ntoa(r[20:24]))\n"
	"try: fcntl.ioctl(s.fileno(), 0x8916, struct.pack('256s', b'eth0'))\n" /* SIOCSIFADDR */
	"except OSError as e: print('SIOCSIFADDR', e.strerror)\n"
	"arp = struct.pack('HH4s8x', socket.AF_INET, 0, socket.inet_aton('10.0.0.1')) + bytes(20) + "
	"bytes(16) + struct.pack('16s', b'eth0')\n"
	"try: fcntl.ioctl(s.fileno(), 0x8954, arp)\n" /* SIOCGARP */
	"except OSError as e: print('SIOCGARP', e.strerror)\n"
	"try: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))\n"
	"except OSError as e: print('AF_PACKET', e.strerror)\n"
	"l = socket.socket(); l.bind(('0.0.0.0', 8080)); l.listen(5)\n"
	"u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('10.0.1.1', 5353))\n"
	"sys.stdout.flush()\n"
	"for cmd in sys.argv[1:]:\n"
	"    subprocess.run(cmd, shell=True)\n";

static void run_ifaces(struct run *r, const char *dir, const char *opts, const char *cmds)
{
	char py[4200];
	snprintf(py, sizeof py, "%s/py", dir);
	cr_assert_eq(mkdir(py, 0755), 0);
	char path[4300];
	snprintf(path, sizeof path, "%s/ifaces.py", py);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(ifaces_py, f);
	fclose(f);
	run_sim(r, "simsup %s --run-dir %s/run -- /usr/bin/python3 %s %s", opts, dir, path, cmds);
}

Test(net_interfaces, lo_and_eth0_through_netlink_ioctls_and_ip)
{
	need_program("/usr/bin/python3");
	need_program("ip");
	char *dir = scratch_dir();
	struct run r;
	run_ifaces(&r, dir, "--seed 1", "'ip addr' 'ip route' 'ip route get 8.8.8.8'");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | nameindex [(1, 'lo'), (2, 'eth0')]"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | eth0 index 2 name of 1 lo"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | SIOCGIFADDR eth0 10.0.1.1"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | SIOCGIFNETMASK eth0 255.0.0.0"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | SIOCSIFADDR Operation not permitted"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 |     inet 10.0.1.1/8 brd 10.255.255.255 scope global eth0"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "p0 |     inet 127.0.0.1/8 scope host lo"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | 10.0.0.0/8 dev eth0 proto kernel scope link src 10.0.1.1"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "Network is unreachable"), "%s", r.out);
	cr_expect(strstr(r.err, "refused ioctl: interface ioctl 0x8916"), "%s", r.err);
	/* no link layer: an empty ARP table, as natively for an unknown host */
	cr_expect(strstr(r.out, "p0 | SIOCGARP No such device or address"), "%s", r.out);
	cr_expect(!strstr(r.err, "0x8954"), "%s", r.err);
	/* a refused socket is named as the program asked for it */
	cr_expect(strstr(r.out, "p0 | AF_PACKET Address family not supported by protocol"), "%s", r.out);
	cr_expect(strstr(r.err, "refused socket: socket(AF_PACKET (17), SOCK_RAW (3), protocol 1544): "
				"sockets of this address family are not simulated"), "%s", r.err);
	cr_expect(count_of(r.out, "inet ") == 2, "only lo's and eth0's IPv4 addresses: %s", r.out);
	run_free(&r);
}

Test(net_interfaces, ss_and_proc_net_list_the_nodes_sockets)
{
	need_program("/usr/bin/python3");
	need_program("ss");
	char *dir = scratch_dir();
	struct run r;
	run_ifaces(&r, dir, "--seed 2", "'ss -tln' 'ss -uan' 'cat /proc/net/udp' 'ss -x'");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | LISTEN 0      5            0.0.0.0:8080      0.0.0.0:*"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "p0 | UNCONN 0      0           10.0.1.1:5353      0.0.0.0:*"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "   0: 0101000A:14E9 00000000:0000 07 "), "%s", r.out);
	cr_expect(strstr(r.err, "refused sendmsg: sock_diag of address family 0x1"), "ss -x: %s", r.err);
	cr_expect(strstr(r.err, "refused openat: open of /proc/net/unix"), "ss -x: %s", r.err);
	run_free(&r);
}

Test(net_interfaces, other_netlink_protocols_are_refused_by_name)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c '"
		"import socket  # 15: NETLINK_KOBJECT_UEVENT\n"
		"try: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)\n"
		"except OSError as e: print(e.strerror)\n"
		"'");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | Protocol not supported"), "%s", r.out);
	cr_expect(strstr(r.err, "refused socket: netlink protocol NETLINK_KOBJECT_UEVENT"), "%s", r.err);
	run_free(&r);
}

Test(net_interfaces, same_seed_same_trace_hash)
{
	need_program("/usr/bin/python3");
	need_program("ip");
	need_program("ss");
	char first[40] = "";
	for (int i = 0; i < 2; i++) {
		char *dir = scratch_dir();
		struct run r;
		run_ifaces(&r, dir, "--seed 5", "'ip addr' 'ss -tuln'");
		cr_assert_eq(r.status, 0, "run %d: %s", i, r.err);
		if (i == 0)
			snprintf(first, sizeof first, "%s", trace_hash(&r));
		else
			cr_expect_str_eq(trace_hash(&r), first);
		run_free(&r);
	}
	cr_expect_neq(first[0], 0, "no trace hash printed");
}

/* SIOCETHTOOL on eth0: a plain virtual NIC, 10 Gb/s, full duplex, link up,
 * driver "simsup"; what it does not implement is EOPNOTSUPP, lo has none
 * (Samba asked for the link speed and printed a refusal each time). */
Test(net_interfaces, ethtool_describes_a_virtual_nic)
{
	need_program("/usr/bin/python3");
	struct run r;
	run_sim(&r, "simsup --seed 1 -- /usr/bin/python3 -c '"
		"import socket, fcntl, struct, array\n"
		"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"def et(ifn, cmd, size):\n"
		"  buf = array.array(\"B\", struct.pack(\"I\", cmd) + bytes(size - 4))\n"
		"  ifr = struct.pack(\"16sP\", ifn, buf.buffer_info()[0]) + bytes(16)\n"
		"  try: fcntl.ioctl(s.fileno(), 0x8946, ifr)\n"
		"  except OSError as e: return e.errno\n"
		"  return bytes(buf)\n"
		"g = et(b\"eth0\", 1, 44)\n"
		"print(\"speed\", struct.unpack_from(\"H\", g, 12)[0], \"duplex\", g[14])\n"
		"print(\"link\", struct.unpack_from(\"I\", et(b\"eth0\", 10, 8), 4)[0])\n"
		"print(\"driver\", et(b\"eth0\", 3, 196)[4:36].rstrip(bytes(1)).decode())\n"
		"print(\"eeprom\", et(b\"eth0\", 0xb, 16), \"lo\", et(b\"lo\", 1, 44))'");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "p0 | speed 10000 duplex 1"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | link 1"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | driver simsup"), "%s", r.out);
	cr_expect(strstr(r.out, "p0 | eeprom 95 lo 95"), "%s", r.out);
	cr_expect(!strstr(r.err, "refused"), "%s", r.err);
	run_free(&r);
}
