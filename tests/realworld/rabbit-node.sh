#!/bin/sh
# rabbit-node.sh — one unmodified RabbitMQ 3.10 (Debian's rabbitmq-server, on
# Erlang/OTP 25) with everything it keeps (mnesia, logs, the Erlang cookie in
# $HOME) in the node's storage dir.  The manual check in docs/compatibility.md.
set -eu
export HOME="$PWD" RABBITMQ_MNESIA_BASE="$PWD/mnesia" RABBITMQ_LOG_BASE="$PWD/log" \
	RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS="$SIMSUP_IP" \
	RABBITMQ_ENABLED_PLUGINS_FILE="$PWD/enabled_plugins" RABBITMQ_LOGS=-
exec /usr/lib/rabbitmq/bin/rabbitmq-server
