#!/usr/bin/env bash
# The README's pictures: one of each `vpcfw diagram` view for the bundled example, written as
# SVG under docs/pictures/. With --check, regenerates them in a temporary directory and fails
# when any differs from the committed file (tests/diagram/diagram_cli_test.sh runs it).
#   scripts/diagram_pictures.sh VPCFW [--check]
set -euo pipefail

vpcfw="$(realpath "${1:?usage: $0 VPCFW [--check]}")"
cd "$(dirname "$0")/.."
mode="${2:-write}"
net=examples/network.json
out=docs/pictures
if [ "$mode" = --check ]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
"$vpcfw" diagram --network "$net" --view sg --out "$out/example-sg.svg"
"$vpcfw" diagram --network "$net" --view layers --vpc vpc-0a1b2c3d4e5f60001 --out "$out/example-layers.svg"
"$vpcfw" diagram --network "$net" --view path --from eni-0a1b2c3d4e5f60101 \
    --packet 'tcp 10.0.0.10:40000 -> 10.0.10.20:8080' --out "$out/example-path.svg"
if [ "$mode" = --check ]; then
    fail=0
    for f in example-sg.svg example-layers.svg example-path.svg; do
        cmp -s "$out/$f" "docs/pictures/$f" || { echo "docs/pictures/$f differs from what vpcfw draws now (run scripts/diagram_pictures.sh $vpcfw)"; fail=1; }
    done
    exit "$fail"
fi
