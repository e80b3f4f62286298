#!/usr/bin/env bash
# The Debian package and the systemd unit, without touching the machine: build-deb.sh makes a
# .deb from the build under test; its control fields are right (version = vpcfw --version,
# Depends names the DPDK and libpcap packages), it holds the program, the gzipped man page,
# completion, docs, the unit and /etc/default/vpcfw (a conffile); unpacked, the program runs
# with the libraries of this machine and `man -w` finds the page; the unit file passes
# `systemd-analyze verify` (with ExecStart pointed at the unpacked program, since vpcfw is
# not installed in /usr/bin here) and its ExecStart runs `vpcfw run` with the control socket
# and the settings file's variables. CI's scripts/test.sh also installs it (dpkg -i).
# Usage: deb_test.sh BUILD_DIR, from the project root (meson test does).
set -uo pipefail
build="${1:?usage: deb_test.sh BUILD_DIR}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

deb=$(packaging/build-deb.sh "$build" "$work" 2>"$work/err") || { cat "$work/err"; echo "FAIL: build-deb.sh"; exit 1; }
[ -f "$deb" ] || { echo "FAIL: build-deb.sh printed '$deb', not a file"; exit 1; }
version=$("$build/control/vpcfw" --version | awk '{print $2}')
[ "$(dpkg-deb -f "$deb" Package)" = vpcfw ] || no "Package: $(dpkg-deb -f "$deb" Package)"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || no "Version $(dpkg-deb -f "$deb" Version) is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
for p in 'librte-eal[0-9]+ \(>= ' 'libpcap0.8 \(>= ' 'libstdc\+\+6 \(>= '; do
    grep -qE "(^|, )$p" <<<"$depends" || no "Depends lacks $p: $depends"
done
recommends=$(dpkg-deb -f "$deb" Recommends)
for p in dpdk 'librte-net-af-packet[0-9]+' 'librte-net-null[0-9]+'; do
    grep -qE "(^|, )$p(,|$)" <<<"$recommends" || no "Recommends lacks $p: $recommends"
done
dpkg-query -W $(tr , " " <<<"$recommends") >/dev/null 2>&1 || no "Recommends names packages not installed here: $recommends"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/vpcfw ./usr/share/man/man1/vpcfw.1.gz ./usr/share/bash-completion/completions/vpcfw \
         ./usr/share/zsh/vendor-completions/_vpcfw ./usr/share/doc/vpcfw/semantics.md \
         ./lib/systemd/system/vpcfw.service ./etc/default/vpcfw; do
    grep -qx -- "$f" <<<"$contents" || no "$deb lacks $f"
done
grep -q '^./usr/local' <<<"$contents" && no "$deb installs under /usr/local"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/default/vpcfw ] || no "conffiles is not /etc/default/vpcfw"
[ "$(dpkg-deb -c "$deb" | awk '$6 == "./usr/bin/vpcfw" {print $2}')" = root/root ] || no "files are not owned by root"

dpkg-deb -x "$deb" "$work/root"
[ "$("$work/root/usr/bin/vpcfw" --version)" = "vpcfw $version" ] || no "the unpacked vpcfw does not run"
[ "$(MANPATH="$work/root/usr/share/man" man -w vpcfw)" = "$work/root/usr/share/man/man1/vpcfw.1.gz" ] || no "man -w vpcfw on the unpacked tree"

unit="$work/root/lib/systemd/system/vpcfw.service"
grep -q '^EnvironmentFile=/etc/default/vpcfw$' "$unit" || no "the unit reads no /etc/default/vpcfw"
grep -qE '^ExecStart=/usr/bin/vpcfw run --network \$\{VPCFW_NETWORK\} --control /run/vpcfw/control.sock \$VPCFW_PORTS' "$unit" ||
    no "ExecStart: $(grep ExecStart "$unit")"
for v in VPCFW_NETWORK VPCFW_PORTS VPCFW_OPTIONS; do
    grep -q "^$v=" "$work/root/etc/default/vpcfw" || no "/etc/default/vpcfw does not set $v"
done
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$work/unit"
    sed "s#/usr/bin/vpcfw#$work/root/usr/bin/vpcfw#; s#EnvironmentFile=/etc/default/vpcfw#EnvironmentFile=$work/root/etc/default/vpcfw#" \
        "$unit" >"$work/unit/vpcfw.service"
    out=$(systemd-analyze verify --man=no "$work/unit/vpcfw.service" 2>&1) || no "systemd-analyze verify: $out"
    [ -z "$out" ] || no "systemd-analyze verify warns: $out"
    # It catches a broken unit (the check can fail).
    sed 's/^ExecStart=.*/ExecStart=relative-path run/' "$work/unit/vpcfw.service" >"$work/unit/bad.service"
    systemd-analyze verify --man=no "$work/unit/bad.service" >/dev/null 2>&1 && no "systemd-analyze verify accepts a relative ExecStart"
else
    echo "systemd-analyze not installed: unit not verified here"
fi
[ "$fail" -eq 0 ] && echo "deb: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB), Depends: $depends"
exit "$fail"
