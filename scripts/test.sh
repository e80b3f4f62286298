#!/usr/bin/env bash
# The whole test suite (what `./quickstart.sh test` and CI run), in order:
#   1. unit, end-to-end and scenario tests (meson test, suite "fast") in the normal build,
#      then the Debian package of that build installed into the machine (dpkg -i);
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. every header compiles on its own;
#   4. the libFuzzer targets (loader, packet language, control protocol, capture reader,
#      scenario files), each for a bounded number of inputs and at most
#      VPCFW_FUZZ_SECONDS (default 25).
# Ends with one line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
fuzz_runs="${VPCFW_FUZZ_RUNS:-200000}"
fuzz_seconds="${VPCFW_FUZZ_SECONDS:-25}"
passed=0
failed=0
step() {  # step NAME COMMAND...
    local name="$1"; shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); echo "-- $name: ok"
    else failed=$((failed + 1)); echo "-- $name: FAILED"; fi
}

step "unit, end-to-end and scenario tests" meson test -C "$build" --suite fast --print-errorlogs

# The Debian package of this build installs into the machine (dpkg -i, then purged): vpcfw
# from PATH, man vpcfw, the systemd unit verified. Reuses the build: a few seconds.
step "Debian package installs and runs" tests/packaging/deb_install_test.sh "$build"

asan_build() {
    [ -f build-asan/build.ninja ] || meson setup build-asan --buildtype=debug \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || return 1
    # Only what the tests run (their executables, the vpcfw program and the man page the
    # install test installs): benchmarks and header checks are built, and checked, by the
    # normal build.
    local targets
    targets=$(meson introspect build-asan --tests | jq -r '.[].cmd[0]' | sed "s|^$PWD/build-asan/||" | grep -v '^/' | sort -u)
    ninja -C build-asan control/vpcfw docs/vpcfw.1 $targets >/dev/null || return 1
    # The differential suite runs 1/20 of its networks here (the same seeds): the full run
    # is in the normal build above.
    VPCFW_SANITIZED=1 VPCFW_DIFF_SCALE=0.05 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --no-rebuild --suite fast --print-errorlogs
}
step "tests under ASan and UBSan" asan_build

step "headers compile on their own" ./scripts/check_headers.sh

if command -v clang++ >/dev/null 2>&1 && [ -x tests/fuzz/run.sh ]; then
    step "fuzzing (6 targets, $fuzz_runs inputs or $fuzz_seconds s each)" env FUZZ_SECONDS="$fuzz_seconds" tests/fuzz/run.sh "$fuzz_runs"
else
    echo "== fuzzing skipped: clang++ not installed"
fi

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
