#!/bin/sh
# pg-node.sh IP [FSYNC [TEMPLATE]]: initdb (once; or a copy of TEMPLATE, a
# data directory initdb made) and postgres in the storage dir, as user
# postgres, listening on IP, with fsync=FSYNC (default on)
# (tests/realworld/test_postgres.c, test_power_postgres.c).
set -e
B=/usr/lib/postgresql/15/bin
chown postgres . 2>/dev/null || true
if [ ! -d pgdata ]; then
  if [ -n "${3:-}" ]; then
    cp -a "$3" pgdata
  else
    su postgres -s /bin/sh -c "$B/initdb -D pgdata -A trust -U postgres >initdb.log 2>&1"
  fi
  echo "host all all 0.0.0.0/0 trust" >> pgdata/pg_hba.conf
  sync  # a power loss must not take any of it back (--reboot kind=power)
fi
exec su postgres -s /bin/sh -c "exec $B/postgres -D pgdata -c listen_addresses=$1 -c unix_socket_directories= -c fsync=${2:-on}"
