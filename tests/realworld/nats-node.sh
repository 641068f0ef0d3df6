#!/bin/sh
# nats-node.sh — one unmodified nats-server 2.9 (Debian's nats-server, a Go
# program) as a member of a cluster of every server simsup made
# (SIMSUP_SERVERS), routes to all of them.
# Usage (under simsup): nats-node.sh
set -eu
routes=$(echo "$SIMSUP_SERVERS" | tr , '\n' | sed 's#.*#nats://&:6222#' | paste -sd, -)
exec nats-server -a "$SIMSUP_IP" -p 4222 --cluster "nats://$SIMSUP_IP:6222" \
	--cluster_name simsup --routes "$routes"
