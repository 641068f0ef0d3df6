#!/bin/sh
# redis-power-check.sh IP [KEYS]: the workload of test_power_redis.c.
# Waits for redis, sets KEYS keys one by one (acknowledged when redis-cli
# prints OK), then, once redis answers again after its power loss, checks
# that every acknowledged key reads back.  Exits 1 if one does not.
IP=$1; N=${2:-30}
until [ "$(redis-cli -h "$IP" ping 2>/dev/null)" = PONG ]; do sleep 0.2; done
i=0; acked=""
while [ $i -lt "$N" ]; do
  [ "$(redis-cli -h "$IP" set "k$i" "v$i" 2>/dev/null)" = OK ] && acked="$acked $i"
  i=$((i+1)); sleep 0.1
done
n=0
until [ "$(redis-cli -h "$IP" ping 2>/dev/null)" = PONG ]; do
  sleep 0.2; n=$((n+1))
  [ $n -gt 100 ] && { echo "redis never came back"; exit 1; }
done
bad=0
for a in $acked; do
  [ "$(redis-cli -h "$IP" get "k$a")" = "v$a" ] || { echo "key k$a was acknowledged but is gone"; bad=1; }
done
echo "$(echo $acked | wc -w) keys acknowledged, checked"
exit $bad
