#!/bin/sh
# pg-power-check.sh IP [ROWS]: the workload of test_power_postgres.c.
# Waits for the server, inserts ROWS rows one by one (each its own
# transaction, acknowledged when psql exits 0), then, once the server
# answers again after its power loss, checks that every acknowledged row
# is there.  Exits 1 if one is not.
IP=$1; N=${2:-30}
q() { psql -h "$IP" -U postgres -qAt -c "$1" 2>/dev/null; }
until q "create table if not exists t(a int)" >/dev/null; do sleep 0.5; done
i=0; acked=""
while [ $i -lt $N ]; do
  q "insert into t values ($i)" >/dev/null && acked="$acked $i"
  i=$((i+1)); sleep 0.2
done
n=0
until q "select 1" >/dev/null; do
  sleep 0.5; n=$((n+1))
  [ $n -gt 40 ] && { echo "the server never came back"; exit 1; }
done
got=$(q "select a from t order by a") || echo "table t is gone"
bad=0
for a in $acked; do
  echo "$got" | grep -qx "$a" || { echo "row $a was acknowledged but is gone"; bad=1; }
done
echo "$(echo $acked | wc -w) rows acknowledged, checked"
exit $bad
