#!/bin/sh
# nats-check.sh ROUNDS PUB SUB: each round subscribes to a subject on server
# SUB, publishes "rN" to it on server PUB (so the message crosses the
# cluster's routes) and prints what the subscriber got, 2 s apart, while
# the faults happen.  The NATS protocol spoken with nc.
set -u
rounds=$1 pub=$2 sub=$3
listen() {
	(printf 'CONNECT {"verbose":false}\r\nSUB news 1\r\nPING\r\n'; sleep 1.5) |
		nc -q 1 "$sub" 4222 2>/dev/null | tr -d '\r' | grep '^r[0-9]' | tr '\n' ' '
}
publish() {
	sleep 0.5
	printf 'CONNECT {"verbose":false}\r\nPUB news %d\r\n%s\r\nPING\r\n' "${#1}" "$1" |
		nc -q 1 "$pub" 4222 >/dev/null 2>&1
}
sleep 2
for n in $(seq 1 "$rounds"); do
	publish "r$n" &
	got=$(listen)
	wait
	echo "round $n: got ${got:-nothing}"
	sleep 2
done
