# Sourced by the live-run tests (netns_test.sh, soak_test.sh): their result lines and the
# lab's hosts. `host NAMESPACE IFACE MAC ADDR/LEN ROUTE...` makes a namespace with one
# veth end configured as an ENI; the caller removes its namespaces (trap) and counts
# `fails`.

pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }

host() {
    local ns=$1 ifc=$2 mac=$3 addr=$4; shift 4
    ip netns add "$ns" || exit 1
    ip link add "$ifc" type veth peer name eth0 netns "$ns" || exit 1
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" ip link set eth0 address "$mac"
    ip netns exec "$ns" ip addr add "$addr" dev eth0
    ip netns exec "$ns" ip link set eth0 up
    # af_packet sees frames as the kernel hands them over: no checksum or segmentation
    # offload, so what vpcfw forwards is a complete, valid frame.
    ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1
    ethtool -K "$ifc" tx off tso off gso off gro off >/dev/null 2>&1
    sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
    ip link set "$ifc" up
    while [ $# -gt 0 ]; do ip netns exec "$ns" ip route add $1 || exit 1; shift; done
}
