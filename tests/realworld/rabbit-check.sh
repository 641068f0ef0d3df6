#!/bin/sh
# rabbit-check.sh IP N [PAUSE]: N times, waits until the broker answers an
# AMQP 0-9-1 protocol header with connection.start, then sleeps PAUSE
# seconds (1).  The workload of
# the manual check in docs/compatibility.md.
set -u
for k in $(seq 1 "$2"); do
	until /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 5672), timeout=2)
s.sendall(b"AMQP\0\0\x09\x01")
d = b""
while b"PLAIN" not in d:
    c = s.recv(4096)
    if not c: break
    d += c
sys.exit(0 if b"PLAIN" in d else 1)' "$1" 2>/dev/null; do sleep 0.5; done
	echo "check $k: the broker answered"
	sleep "${3:-1}"
done
