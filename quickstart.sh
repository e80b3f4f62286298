#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   ./quickstart.sh example   install what is missing, build the vpcfw program only, run the main
#                             job on the bundled example
#   ./quickstart.sh test      install what is missing, build everything, run the whole test suite
# Both are idempotent: packages already present are not reinstalled, the build is incremental.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-example}"
case "$mode" in example|test) ;; *) echo "usage: $0 example|test" >&2; exit 2 ;; esac

# Debian packages the build and the tests need.
packages=(g++ meson ninja-build pkg-config nlohmann-json3-dev libboost-program-options-dev
          libgtest-dev libpcap-dev zlib1g-dev libzstd-dev libdpdk-dev dpdk-dev jq libbenchmark-dev iproute2 ethtool
          libgraphviz-dev graphviz gnuplot-nox)
# The diagram tests check SVG with xmllint and open the replay report in headless Chromium.
[ "$mode" = test ] && packages+=(libxml2-utils chromium)
# The loader's fuzz target needs clang with libFuzzer and the sanitizer runtimes.
[ "$mode" = test ] && packages+=(clang libclang-rt-14-dev)
# The packaging tests: `man -w`, `systemd-analyze verify` of the unit, zsh completion.
[ "$mode" = test ] && packages+=(man-db systemd zsh)
# The end-to-end tests pipe captures through tcpdump and validate JSON against docs/schema/.
[ "$mode" = test ] && packages+=(tcpdump python3-jsonschema)

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
# example builds only the program it runs; test builds everything (tests, benchmarks).
# ninja's own status line shows the progress ([N/M] ...); nothing to do is one line.
if [ "$mode" = example ]; then
    echo "== building control/vpcfw"
    ninja -C "$build" control/vpcfw
    exec ./scripts/example.sh "$build/control/vpcfw"
fi
echo "== building everything (tests, benchmarks)"
ninja -C "$build"
exec ./scripts/test.sh "$build"
