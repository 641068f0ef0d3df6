#!/bin/sh
# bootlog.sh — a tiny "server" for the reboot examples and tests: says which
# boot it is, what its storage dir holds, writes a file per boot, reports a
# SIGTERM, and ticks once a virtual second.
echo "boot $SIMSUP_BOOT at $(date -u +%T) files: $(ls | tr '\n' ' ')"
echo "$SIMSUP_BOOT" > "data-$SIMSUP_BOOT"
trap 'echo "got TERM at $(date -u +%T)"; exit 0' TERM
while :; do
	sleep 1
	echo "tick $(date -u +%T)" >&2
done
