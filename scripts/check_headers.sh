#!/usr/bin/env bash
# Every header compiles on its own (STYLE.md practice 13): include it alone in an empty
# translation unit.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
dpdk_cflags="$(pkg-config --cflags libdpdk 2>/dev/null || true)"
for h in ruleset/*.hpp control/*.hpp dataplane/*.hpp pcap/*.hpp; do
    [ -f "$h" ] || continue
    if ! echo "#include \"$h\"" | ${CXX:-c++} -std=c++20 -fsyntax-only -I. $dpdk_cflags -x c++ - ; then
        echo "not self-contained: $h"
        status=1
    fi
done
exit $status
