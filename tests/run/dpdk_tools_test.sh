#!/usr/bin/env bash
# `vpcfw run` among DPDK's tools, on two net_null ports (no kernel devices, no traffic):
# started with its default EAL arguments it prints its file prefix, runtime directory and
# telemetry socket; `dpdk-telemetry.py -f PREFIX` attaches and reads /vpcfw/stats; a port
# named with NAME= is labelled so in `ctl stats` and the Prometheus metrics; the metrics
# endpoint answers /metrics only (404 elsewhere); the runtime directory is gone after
# SIGTERM, after SIGINT and after a --duration run ends; --log-format json writes its
# messages as JSON lines with levels. Needs root (/var/run/dpdk) and
# python3; exit 77 (skip) without them. usage: dpdk_tools_test.sh VPCFW [SOURCE_DIR]
set -uo pipefail
VPCFW=$(realpath "$1")
SRC=$(realpath "${2:-$(dirname "$0")/../..}")
NET="$SRC/examples/network.json"
SUBNET=subnet-0a1b2c3d4e5f61011
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (/var/run/dpdk)"
command -v python3 >/dev/null || skip "needs python3"
DIR=$(mktemp -d /tmp/vpcfw-dpdk-tools.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"' EXIT
fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

start() {  # start NAME [ARGS...]: vpcfw run in the background, PID set, waits for its control socket
    local name="$1"; shift
    rm -f "$DIR/ctl.sock"
    "$VPCFW" run --network "$NET" --port "web=net_null0,no-rx=1@$SUBNET" --port "net_null1,no-rx=1@internet" \
        --control "$DIR/ctl.sock" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" &
    PID=$!
    for _ in $(seq 150); do [ -S "$DIR/ctl.sock" ] && return 0; kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    echo "vpcfw run did not start:"; cat "$DIR/$name.err"; exit 1
}
runtime_dir() { sed -n 's/^vpcfw run: EAL file prefix [^,]*, runtime directory \([^ ;]*\).*/\1/p' "$DIR/$1.err"; }

METRICS_PORT=$(( 20000 + ($$ % 20000) ))
start term --metrics-port "$METRICS_PORT"
prefix=$(sed -n 's/^vpcfw run: EAL file prefix \([^,]*\),.*/\1/p' "$DIR/term.err")
rdir=$(runtime_dir term)
[ "$prefix" = "vpcfw-$PID" ] && pass "prints its EAL file prefix ($prefix)" || fail "prefix '$prefix' (pid $PID): $(cat "$DIR/term.err")"
[ -d "$rdir" ] && [ "$(basename "$rdir")" = "$prefix" ] && pass "runtime directory $rdir exists while running" || fail "runtime directory '$rdir'"
grep -q "telemetry socket $rdir/dpdk_telemetry.v2 (dpdk-telemetry.py -f $prefix)" "$DIR/term.err" && [ -S "$rdir/dpdk_telemetry.v2" ] \
    && pass "prints its telemetry socket" || fail "telemetry socket: $(grep -i telemetry "$DIR/term.err")"
if command -v dpdk-telemetry.py >/dev/null; then
    tel=$(echo /vpcfw/stats | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1)
    echo "$tel" | grep -q '"/vpcfw/stats": {.*"packets": 0' && pass "dpdk-telemetry.py -f $prefix reads /vpcfw/stats" \
        || fail "dpdk-telemetry.py: $tel"
else
    echo "(dpdk-telemetry.py not installed: attach not tried)"
fi
stats=$("$VPCFW" ctl --control "$DIR/ctl.sock" stats)
echo "$stats" | python3 -c 'import json,sys; p=[x["port"] for x in json.load(sys.stdin)["ports"]]; sys.exit(0 if p[0]=="web" and p[1]=="net_null1,no-rx=1@internet" else 1)' \
    && pass "a port named web=... is labelled web in stats" || fail "ports in stats: $stats"
http() { python3 - "$METRICS_PORT" "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=3)
    print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
EOF
}
m=$(http /metrics)
[ "$(echo "$m" | head -1)" = 200 ] && echo "$m" | grep -q '^vpcfw_port_packets_total{port="web",direction="rx"} 0$' \
    && pass "/metrics serves the metrics with the port's name" || fail "/metrics: $(echo "$m" | head -5)"
for path in / /stats /metrics/x; do
    [ "$(http "$path" | head -1)" = 404 ] && pass "GET $path is 404" || fail "GET $path: $(http "$path" | head -3)"
done
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=""
[ "$rc" -eq 0 ] && grep -q 'stopped after' "$DIR/term.out" && pass "SIGTERM stops it cleanly" || fail "SIGTERM: rc $rc"
[ ! -e "$rdir" ] && pass "runtime directory removed after SIGTERM" || fail "$rdir left after SIGTERM: $(ls -A "$rdir")"

start int
rdir=$(runtime_dir int)
[ -d "$rdir" ] || fail "no runtime directory for the second run: $(cat "$DIR/int.err")"
kill -INT "$PID"; wait "$PID"; rc=$?; PID=""
[ "$rc" -eq 0 ] && [ -n "$rdir" ] && [ ! -e "$rdir" ] && pass "runtime directory removed after SIGINT" || fail "after SIGINT: rc $rc, '$rdir' exists"

start duration --duration 0.5 --log-format json --stats-interval 0.2
wait "$PID"; rc=$?; PID=""
rdir=$(python3 - "$DIR/duration.err" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert all(set(("time", "level", "msg")) <= set(l) and l["level"] in ("info", "warning", "error") for l in lines), lines
assert any(l["msg"] == "stats" and "packets" in l["stats"] for l in lines), "no stats line"
assert any("worker(s)" in l["msg"] and l["ports"][0]["port"] == "web" for l in lines), "no start line"
print([l for l in lines if "runtime_dir" in l][0]["runtime_dir"])
EOF
) && pass "--log-format json: every message a JSON line with time, level, msg (start, stats)" \
  || fail "--log-format json: $(head -5 "$DIR/duration.err")"
[ "$rc" -eq 0 ] && [ -n "$rdir" ] && [ ! -e "$rdir" ] && pass "runtime directory removed when --duration ends" || fail "after --duration: rc $rc, '$rdir'"

"$VPCFW" run --network "$NET" --port "web=net_null0@$SUBNET" --port "web=net_null1@internet" >/dev/null 2>"$DIR/dup.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "the name 'web' is already used" "$DIR/dup.err" && pass "a port name used twice is a usage error" \
    || fail "duplicate port name: rc $rc, $(cat "$DIR/dup.err")"

[ "$fails" -eq 0 ] && echo "all checks passed" || { echo "$fails check(s) failed"; tail -n 20 "$DIR"/*.err; exit 1; }
