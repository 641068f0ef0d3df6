#!/bin/sh
# redis-node.sh — starts one unmodified redis-server as the node simsup made:
# the leader (SIMSUP_TAG_ROLE=leader) as a master, every other node as a
# replica of server 0.  Persistence is on: an RDB snapshot after every
# second with a change (--save "1 1", so redis forks a child to save) and
# an append-only file fsynced every second.  The files land in the node's
# storage dir (its working directory, RUN_DIR/data/pN).
# Usage (under simsup): redis-node.sh LEADER_IP [extra redis-server args]
set -eu
leader=$1
shift
set -- --bind "$SIMSUP_IP" --port 6379 --protected-mode no --dir . \
	--save "1 1" --appendonly yes --appendfsync everysec "$@"
if [ "$SIMSUP_TAG_ROLE" = leader ]; then
	exec redis-server "$@"
fi
exec redis-server "$@" --replicaof "$leader" 6379
