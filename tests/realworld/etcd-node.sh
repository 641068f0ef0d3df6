#!/bin/sh
# etcd-node.sh — starts one unmodified etcd 3.4 (Debian's etcd-server, a Go
# program) as member nI of a cluster of every server simsup made
# (SIMSUP_SERVERS), with its data in the node's storage dir.  A restarted
# member finds its data dir and rejoins with it.
# Usage (under simsup): etcd-node.sh
set -eu
cluster=""
i=0
for ip in $(echo "$SIMSUP_SERVERS" | tr , ' '); do
	cluster="$cluster${cluster:+,}n$i=http://$ip:2380"
	i=$((i + 1))
done
exec etcd --name "n$SIMSUP_INDEX" --data-dir data \
	--listen-client-urls "http://$SIMSUP_IP:2379" --advertise-client-urls "http://$SIMSUP_IP:2379" \
	--listen-peer-urls "http://$SIMSUP_IP:2380" --initial-advertise-peer-urls "http://$SIMSUP_IP:2380" \
	--initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token simsup
