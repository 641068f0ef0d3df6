#!/bin/sh
# unbound-check.sh — the workload for tests/realworld/test_unbound.c, dig
# only: asks SERVER for a.sim over UDP (retrying while unbound starts) and
# over TCP; then, if AFTER is given, sleeps AFTER seconds of virtual time
# (the server crashes and restarts meanwhile) and asks once more over UDP
# with a single try: that first query after the restart must be answered.
# Usage: unbound-check.sh SERVER [AFTER]
set -u
server=$1
after=${2:-}
ask() {
	dig @"$server" a.sim +short +tries=1 +timeout=1 "$@" 2>&1
}
i=0
while :; do
	a=$(ask)
	[ "$a" = 10.9.9.9 ] && break
	i=$((i + 1))
	[ $i -ge 20 ] && { echo "no answer over UDP: $a"; exit 1; }
	sleep 0.1
done
echo "udp answer $a"
a=$(ask +tcp)
[ "$a" = 10.9.9.9 ] || { echo "no answer over TCP: $a"; exit 1; }
echo "tcp answer $a"
[ -n "$after" ] || exit 0
sleep "$after"
a=$(ask)
[ "$a" = 10.9.9.9 ] || { echo "first UDP query after the restart not answered: $a"; exit 1; }
echo "after the restart, the first udp query: answer $a"
a=$(ask +tcp)
[ "$a" = 10.9.9.9 ] || { echo "TCP after the restart: $a"; exit 1; }
echo "after the restart, tcp answer $a"
