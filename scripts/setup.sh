#!/bin/sh
# setup.sh — install what simsup needs to build (and, with "test", to run its
# whole test suite), then configure and build it in ./build.
# As root it installs missing Debian packages with apt-get; otherwise it
# prints the exact apt-get line and stops.
set -eu
cd "$(dirname "$0")/.."

BUILD_PKGS="gcc libc6-dev pkg-config meson ninja-build libseccomp-dev libunwind-dev libxxhash-dev libjson-c-dev libxml2-dev"
# Real programs the integration and realworld tests drive (skipped loudly
# when missing, so CI installs them all).
TEST_PKGS="libcriterion-dev python3 procps netcat-openbsd redis-server redis-tools redis-sentinel memcached nginx-light curl postgresql-15 haproxy sqlite3 tshark libxml2-utils busybox-static musl-tools golang-go lighttpd unbound bind9-dnsutils"
# The parsers' libFuzzer targets (tests/fuzz): clang and its libFuzzer runtime.
TEST_PKGS="$TEST_PKGS clang libclang-rt-14-dev"
# Go servers unmodified (issue 15): etcd 3.4 and its client, nats-server 2.9
# (tests/realworld/test_etcd.c, test_nats.c).
TEST_PKGS="$TEST_PKGS etcd-server etcd-client nats-server"
# A JVM server (tests/realworld/test_zookeeper.c): ZooKeeper 3.8 on OpenJDK 17.
TEST_PKGS="$TEST_PKGS zookeeper"
# Node.js (tests/integration/test_compat.c: child_process, the cluster module).
TEST_PKGS="$TEST_PKGS nodejs"
# An Erlang server (tests/realworld/test_rabbitmq.c): RabbitMQ 3.10 on OTP 25.
TEST_PKGS="$TEST_PKGS rabbitmq-server"

pkgs=$BUILD_PKGS
[ "${1:-}" = test ] && pkgs="$BUILD_PKGS $TEST_PKGS"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "setup: installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
	else
		echo "setup: missing packages; run as root:"
		echo "  apt-get install -y$missing"
		exit 2
	fi
fi

if [ ! -d build ]; then
	meson setup build --buildtype=debugoptimized >/dev/null
elif [ "${1:-}" = test ]; then
	# a build/ configured before the test packages were installed (the
	# demo first, say) has no tests: look again for what is now there
	meson setup --reconfigure build >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built build/supervisor/simsup"
