#!/bin/sh
# sentinel-node.sh — one node of the Redis Sentinel scenario: an unmodified
# redis-server (the leader, SIMSUP_TAG_ROLE=leader, as a master, the others
# as replicas of server 0) and an unmodified redis-sentinel next to it,
# monitoring the master with a quorum of 2.  Sentinel rewrites its config
# file with what it learns; the file lives in the node's storage dir, so a
# node restarted after a crash keeps it (as a real machine keeps its disk).
# Usage (under simsup): sentinel-node.sh LEADER_IP
set -eu
leader=$1
if [ ! -f sentinel.conf ]; then
	cat > sentinel.conf <<CONF
port 26379
bind $SIMSUP_IP
protected-mode no
dir .
sentinel monitor mymaster $leader 6379 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 4000
sentinel parallel-syncs mymaster 1
CONF
fi
set -- --bind "$SIMSUP_IP" --port 6379 --protected-mode no --dir . --save "" --appendonly no \
	--repl-diskless-sync-delay 0
if [ "$SIMSUP_TAG_ROLE" = leader ]; then
	redis-server "$@" &
else
	redis-server "$@" --replicaof "$leader" 6379 &
fi
exec redis-sentinel sentinel.conf
