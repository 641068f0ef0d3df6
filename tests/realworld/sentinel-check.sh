#!/bin/sh
# sentinel-check.sh — the workload of the Redis Sentinel scenario, with
# redis-cli only.  Writes a key to the master, waits until both replicas
# have it, then (the master is crashed by the run's --reboot) waits until
# the sentinels of the surviving nodes name the same new master, checks
# that it is a master, kept the key and takes a write, and finally that
# the old master, back after its restart, has become a replica of the new
# one and has the new write.  Exits 0 only if all of that happened within
# TIMEOUT seconds of virtual time.
# Usage: sentinel-check.sh TIMEOUT MASTER_IP OTHER_IP...
set -u
timeout=$1 old=$2
shift 2
deadline=$((timeout * 2))
tries=0
tick() { # polls twice a second of virtual time (each poll is a few execs)
	tries=$((tries + 1))
	[ "$tries" -le "$deadline" ] || { echo "gave up: $1"; exit 1; }
	sleep 0.5
}
field() { # field HOST NAME: a line of INFO replication
	redis-cli -h "$1" info replication 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

until [ "$(redis-cli -h "$old" set before failover 2>/dev/null)" = OK ]; do tick "the master never took a write"; done
for r in "$@"; do
	until [ "$(redis-cli -h "$r" get before 2>/dev/null)" = failover ]; do tick "replica $r never synced"; done
done
echo "master $old has 'before', so do the replicas"

# the crash comes now; wait for the surviving sentinels to agree
new=
until [ -n "$new" ]; do
	tick "the sentinels never agreed on a new master"
	a=$(redis-cli -h "$1" -p 26379 sentinel get-master-addr-by-name mymaster 2>/dev/null | head -1)
	b=$(redis-cli -h "$2" -p 26379 sentinel get-master-addr-by-name mymaster 2>/dev/null | head -1)
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$old" ] && new=$a
done
echo "the sentinels name $new as the new master"
until [ "$(field "$new" role)" = master ]; do tick "$new never became a master"; done
echo "$new is a master and has before=$(redis-cli -h "$new" get before)"
until [ "$(redis-cli -h "$new" set after failover 2>/dev/null)" = OK ]; do tick "$new never took a write"; done

# the old master restarts as a master; the sentinels turn it into a replica
until [ "$(field "$old" role)" = slave ] && [ "$(field "$old" master_host)" = "$new" ] &&
	[ "$(redis-cli -h "$old" get after 2>/dev/null)" = failover ]; do
	tick "the old master never followed $new"
done
echo "the old master $old is a replica of $new and has after=failover"
