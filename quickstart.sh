#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   ./quickstart.sh example   install what is missing, build, run the main job on the bundled example
#   ./quickstart.sh test      install what is missing, build, run the whole test suite
# Both are idempotent: packages already present are not reinstalled, the build is incremental.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-example}"
case "$mode" in example|test) ;; *) echo "usage: $0 example|test" >&2; exit 2 ;; esac

# Debian packages the build and the tests need.
packages=(g++ meson ninja-build pkg-config nlohmann-json3-dev libboost-program-options-dev
          libgtest-dev libpcap-dev libdpdk-dev dpdk-dev jq libbenchmark-dev iproute2 ethtool)
# The loader's fuzz target needs clang with libFuzzer and the sanitizer runtimes.
[ "$mode" = test ] && packages+=(clang libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then echo "need root to install packages (run as root)" >&2; exit 2; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=build
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --buildtype=debugoptimized >/dev/null
fi
echo "== building"
ninja -C "$build" >/dev/null

if [ "$mode" = example ]; then
    exec ./scripts/example.sh "$build/control/vpcfw"
fi
exec ./scripts/test.sh "$build"
