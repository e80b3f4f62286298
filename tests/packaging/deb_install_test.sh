#!/usr/bin/env bash
# CI's packaging step (scripts/test.sh): the Debian package built from the build under test
# installs into this machine (dpkg -i) and works from there: `vpcfw --version` from PATH is
# /usr/bin/vpcfw, `man -w vpcfw` finds the page, the installed unit passes `systemd-analyze
# verify`, bash completion is in place. The package is purged afterwards unless
# VPCFW_KEEP_DEB=1, and left alone when a vpcfw package was installed before. Needs root.
# Usage: deb_install_test.sh BUILD_DIR, from the project root.
set -uo pipefail
build="${1:?usage: deb_install_test.sh BUILD_DIR}"
[ "$(id -u)" -eq 0 ] || { echo "deb_install_test.sh: needs root (dpkg -i)"; exit 1; }
if dpkg-query -W -f='${Status}' vpcfw 2>/dev/null | grep -q 'install ok installed'; then
    keep=1
else
    keep="${VPCFW_KEEP_DEB:-0}"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; [ "$keep" = 1 ] || dpkg --purge vpcfw >/dev/null 2>&1' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

deb=$(packaging/build-deb.sh "$build" "$work") || { echo "FAIL: build-deb.sh"; exit 1; }
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; echo "FAIL: dpkg -i $deb"; exit 1; }
hash -r
[ "$(command -v vpcfw)" = /usr/bin/vpcfw ] || no "vpcfw on PATH is '$(command -v vpcfw)', not /usr/bin/vpcfw"
[ "$(vpcfw --version)" = "$("$build/control/vpcfw" --version)" ] || no "vpcfw --version: $(vpcfw --version 2>&1)"
[ "$(man -w vpcfw 2>&1)" = /usr/share/man/man1/vpcfw.1.gz ] || no "man -w vpcfw: $(man -w vpcfw 2>&1)"
man vpcfw 2>/dev/null | grep -q 'vpcfw run' || no "man vpcfw does not show the page"
[ -f /usr/share/bash-completion/completions/vpcfw ] || no "no bash completion installed"
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify --man=no /lib/systemd/system/vpcfw.service 2>&1) || no "systemd-analyze verify: $out"
    [ -z "$out" ] || no "systemd-analyze verify warns: $out"
else
    no "systemd-analyze is not installed (apt-get install systemd)"
fi
[ "$fail" -eq 0 ] && echo "deb install: $(basename "$deb") installed; vpcfw, man vpcfw and the unit work"
exit "$fail"
