#!/usr/bin/env bash
# The main job on the bundled example (examples/network.json, described in
# examples/README.md): replay the bundled capture (examples/capture.pcap) through the
# network and print the summary; then explain a handful of packets hop by hop, then check
# the network.
set -euo pipefail
cd "$(dirname "$0")/.."
vpcfw="${1:-build/control/vpcfw}"
net=examples/network.json

show() { echo; echo "\$ vpcfw explain $*"; "$vpcfw" explain --network "$net" "$@"; }

echo "== vpcfw on the bundled example: $net"
echo
echo "\$ vpcfw replay --network $net --pcap examples/capture.pcap --decisions /tmp/vpcfw-decisions.jsonl --flow-logs /tmp/vpcfw-flow-logs.txt"
"$vpcfw" replay --network "$net" --pcap examples/capture.pcap \
    --decisions /tmp/vpcfw-decisions.jsonl --flow-logs /tmp/vpcfw-flow-logs.txt --no-progress
echo "(one decision per packet in /tmp/vpcfw-decisions.jsonl, AWS flow-log records in /tmp/vpcfw-flow-logs.txt)"
show 'tcp 198.51.100.7:50000 -> 203.0.113.10:443' 'tcp 10.0.0.10:443 -> 198.51.100.7:50000 flags=SA'
show 'tcp 198.51.100.7:50002 -> 203.0.113.10:22'
show 'tcp 10.0.10.20:40000 -> 198.51.100.7:443' 'tcp 198.51.100.7:443 -> 203.0.113.20:40000 flags=SA'
show 'tcp 10.0.10.20:40100 -> 52.216.10.5:443'
show 'tcp 10.0.20.30:43001 -> 198.51.100.7:443'
show 'tcp 10.0.10.20:40000 -> 172.16.5.10:443'
show 'tcp 10.50.1.10:45004 -> 198.51.100.7:443'
echo
echo "\$ vpcfw check --network $net"
"$vpcfw" check --network "$net"
