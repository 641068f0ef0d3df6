#!/bin/sh
# etcd-check.sh — the workload: etcdctl (Debian's etcd-client) writes N keys
# through any member, one every 0.4 s, retrying a write the cluster could
# not take (a member down, an election), then reads the keys back from
# each member alone.
# Usage (under simsup): etcd-check.sh N IP...
set -u
n=$1
shift
eps=""
for ip in "$@"; do
	eps="$eps${eps:+,}http://$ip:2379"
done
i=1
while [ "$i" -le "$n" ]; do
	until etcdctl --endpoints="$eps" --command-timeout=2s put "k$i" "v$i" >/dev/null; do
		sleep 0.5
	done
	i=$((i + 1))
	sleep 0.4
done
for ip in "$@"; do
	c=$(etcdctl --endpoints="http://$ip:2379" get --prefix k --keys-only | grep -c '^k')
	echo "member $ip has $c of $n keys"
done
