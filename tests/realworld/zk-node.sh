#!/bin/sh
# zk-node.sh — one unmodified ZooKeeper 3.8 server (Debian's zookeeper, a JVM)
# as server I+1 of an ensemble of every server simsup made (SIMSUP_SERVERS),
# with its data in the node's storage dir (tests/realworld/test_zookeeper.c).
set -eu
i=1
{
	echo "tickTime=200"; echo "initLimit=20"; echo "syncLimit=10"
	echo "dataDir=$PWD/zk"; echo "clientPort=2181"; echo "clientPortAddress=$SIMSUP_IP"
	echo "admin.enableServer=false"; echo "4lw.commands.whitelist=srvr,ruok"
	for ip in $(echo "$SIMSUP_SERVERS" | tr , ' '); do
		echo "server.$i=$ip:2888:3888"
		i=$((i + 1))
	done
} > zoo.cfg
mkdir -p zk
echo $((SIMSUP_INDEX + 1)) > zk/myid
exec java -Xmx128m -cp "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar" \
	-Dzookeeper.root.logger=INFO,CONSOLE -Dzookeeper.log.dir=. \
	org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg
