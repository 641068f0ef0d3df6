#!/bin/sh
# haproxy-node.sh: p0 runs haproxy (tests/realworld/haproxy.cfg); the other
# servers run python's http.server, each answering with its own address.
if [ "$SIMSUP_INDEX" = 0 ]; then
	exec haproxy -f "$(dirname "$0")/haproxy.cfg" -db
fi
echo "backend $SIMSUP_IP" > index.html
exec /usr/bin/python3 -m http.server --bind "$SIMSUP_IP" 8080
