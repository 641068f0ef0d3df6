#!/bin/sh
# zk-check.sh SECONDS IP...: waits until every server answers `srvr` in the
# ensemble, creates a znode through the first, waits SECONDS (the faults
# happen), waits for the ensemble again and reads the znode through the
# last server.  The workload of tests/realworld/test_zookeeper.c.
set -u
wait=$1
shift
mode() { echo srvr | nc -q 1 "$1" 2181 2>/dev/null | sed -n 's/^Mode: //p'; }
quorum() {
	for try in $(seq 1 120); do
		ok=0
		for ip in "$@"; do [ -n "$(mode "$ip")" ] && ok=$((ok + 1)); done
		[ "$ok" -eq "$#" ] && return 0
		sleep 0.5
	done
	return 1
}
quorum "$@" || { echo "no quorum"; exit 1; }
/usr/share/zookeeper/bin/zkCli.sh -server "$1:2181" create /simsup hello 2>&1 | grep "^Created"
sleep "$wait"
quorum "$@" || { echo "no quorum after the faults"; exit 1; }
for ip in "$@"; do echo "$ip: $(mode "$ip")"; done
eval last=\${$#}
/usr/share/zookeeper/bin/zkCli.sh -server "$last:2181" get /simsup 2>&1 | grep "^hello"
