#!/bin/sh
# unbound-node.sh — starts one unmodified unbound as the node simsup made,
# listening on the node's address only (interface: $SIMSUP_IP, which unbound
# checks against getifaddrs), with two threads, each with its own
# SO_REUSEPORT socket on port 53.  It answers one local zone, sim., so no
# query leaves the simulation.  The config is written into the node's
# storage dir (its working directory).
# Usage (under simsup): unbound-node.sh
set -eu
cat > unbound.conf <<CONF
server:
    interface: $SIMSUP_IP
    port: 53
    num-threads: 2
    so-reuseport: yes
    do-daemonize: no
    use-syslog: no
    logfile: ""
    username: ""
    chroot: ""
    directory: "."
    pidfile: ""
    do-ip6: no
    access-control: 10.0.0.0/8 allow
    verbosity: 1
    local-zone: "sim." static
    local-data: "a.sim. IN A 10.9.9.9"
remote-control:
    control-enable: no
CONF
exec unbound -d -c unbound.conf
