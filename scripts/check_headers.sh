#!/usr/bin/env bash
# Every header compiles on its own (docs/style.md practice 13): include it alone in an empty
# translation unit. The dataplane's headers are compiled with tests/no_json first on the
# include path, so one that reaches <nlohmann/json.hpp>, however indirectly, fails.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
dpdk_cflags="$(pkg-config --cflags libdpdk 2>/dev/null || true)"
for h in ruleset/*.hpp control/*.hpp dataplane/*.hpp pcap/*.hpp; do
    [ -f "$h" ] || continue
    extra=()
    case "$h" in dataplane/*) extra=(-Itests/no_json) ;; esac
    if ! echo "#include \"$h\"" | ${CXX:-c++} -std=c++20 -fsyntax-only "${extra[@]}" -I. $dpdk_cflags -x c++ - ; then
        echo "not self-contained: $h"
        status=1
    fi
done
exit $status
