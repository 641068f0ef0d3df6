#!/bin/sh
# redis-check.sh — the workload of the redis scenario, with redis-cli only.
# Writes ROUNDS batches of N keys to the leader, one batch a second (after
# the first batch it waits until every follower has it), then polls each
# follower, up to TIMEOUT seconds of virtual time, until every key reads
# back from it (one MGET) with the value written.  Exits 0 only if every
# follower caught up.  A follower that is down (crashed, restarting) just
# makes the poll retry.
# Usage: redis-check.sh N ROUNDS TIMEOUT LEADER_IP FOLLOWER_IP...
set -u
n=$1 rounds=$2 timeout=$3 leader=$4
shift 4

# Waits until follower $1 returns every key written so far; 1 on timeout.
caught_up() {
	tries=0
	until [ "$(redis-cli -h "$1" mget $keys 2>/dev/null)" = "$want" ]; do
		tries=$((tries + 1))
		if [ "$tries" -gt "$((timeout * 10))" ]; then
			echo "follower $1 did not catch up within ${timeout}s: dbsize $(redis-cli -h "$1" dbsize 2>&1), want $total"
			redis-cli -h "$1" info replication 2>&1 | grep -E '^(role|master_link_status|master_repl_offset)' | tr -d '\r'
			return 1
		fi
		sleep 0.1
	done
	echo "follower $1 has all $total keys ($(redis-cli -h "$1" info replication | grep -E '^master_link_status' | tr -d '\r'))"
}

i=0
until [ "$(redis-cli -h "$leader" ping 2>/dev/null)" = PONG ]; do
	i=$((i + 1))
	[ "$i" -le "$((timeout * 10))" ] || { echo "leader $leader never answered"; exit 1; }
	sleep 0.1
done

total=0
for r in $(seq 1 "$rounds"); do
	[ "$r" -gt 1 ] && sleep 1
	seq $((total + 1)) $((total + n)) | sed 's/.*/SET key:& value-&/' | redis-cli -h "$leader" >/dev/null ||
		{ echo "round $r: writing to the leader failed"; exit 1; }
	total=$((total + n))
	# MGET of every key, one value per line: what a caught-up follower returns.
	keys=$(seq 1 "$total" | sed 's/^/key:/' | tr '\n' ' ')
	want=$(seq 1 "$total" | sed 's/^/value-/')
	echo "round $r: wrote keys 1-$total to $leader: dbsize $(redis-cli -h "$leader" dbsize)"
	if [ "$r" = 1 ]; then
		for f in "$@"; do caught_up "$f" || exit 1; done
	fi
done

status=0
for f in "$@"; do caught_up "$f" || status=1; done
exit $status
