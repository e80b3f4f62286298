#!/usr/bin/env bash
# The Debian package of vpcfw, from an existing meson build of the tree:
#   packaging/build-deb.sh [BUILD_DIR [OUT_DIR]]    (defaults: build, BUILD_DIR)
# builds only what is installed (the program and its generated man page), runs
# `meson install --destdir` into a staging tree under /usr, adds the systemd unit and its
# settings file (/etc/default/vpcfw, a conffile), strips the program, derives Depends from
# the shared libraries it links (the packages that own them, at their installed versions),
# recommends DPDK's vdev drivers, and runs `dpkg-deb --build`. Prints the path of the .deb. A script rather than debian/ +
# dpkg-buildpackage: it reuses the build CI already has (no second full build of tests and
# benchmarks) and needs no debhelper. Run from anywhere; exit 2 on bad usage, 1 on failure.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$src/build}")"
out="$(realpath -m "${2:-$build}")"
[ -f "$build/build.ninja" ] || { echo "build-deb.sh: $build is not a meson build directory (meson setup it first)" >&2; exit 2; }

ninja -C "$build" control/vpcfw docs/vpcfw.1 >/dev/null
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
meson install -C "$build" --no-rebuild --quiet --destdir "$root" >/dev/null
# Whatever prefix the build was set up with, the package installs under /usr: nothing in the
# program depends on its prefix.
prefix=$(meson introspect "$build" --buildoptions | jq -r '.[] | select(.name == "prefix") | .value')
if [ "$prefix" != /usr ]; then
    mkdir -p "$root/usr"
    cp -a "$root$prefix/." "$root/usr/"
    rm -rf "${root:?}${prefix:?}"
    rmdir -p "$(dirname "$root$prefix")" 2>/dev/null || true
fi
strip --strip-unneeded "$root/usr/bin/vpcfw"
gzip -9n "$root/usr/share/man/man1/vpcfw.1"
install -D -m 0644 "$src/packaging/vpcfw.service" "$root/lib/systemd/system/vpcfw.service"
install -D -m 0644 "$src/packaging/vpcfw.default" "$root/etc/default/vpcfw"

version=$("$root/usr/bin/vpcfw" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
# Depends: the package owning each shared library the program links directly (NEEDED), at
# least at the version installed here (what it was built and tested against). One dpkg -S
# over every spelling of each path (/lib and /usr/lib are the same directory on Debian 12).
needed=$(objdump -p "$root/usr/bin/vpcfw" | awk '$1 == "NEEDED" {print $2}')
paths=$(ldd "$root/usr/bin/vpcfw" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
        grep -qxF "$name" <<<"$needed" || continue
        real=$(realpath "$path")
        printf '%s\n' "$path" "$real" "${path/#\/lib\//\/usr\/lib\/}" "${real/#\/usr\/lib\//\/lib\/}"
    done | sort -u)
packages=$({ dpkg -S $paths 2>/dev/null || true; } | cut -d: -f1 | tr ',' '\n' | tr -d ' ' | sort -u)
depends=$(for pkg in $packages; do echo "$pkg (>= $(dpkg-query -W -f='${Version}' "$pkg"))"; done | paste -sd, | sed 's/,/, /g')
# Recommends: the DPDK drivers of the vdevs docs/run.md documents (the EAL loads them as
# plugins, so they are not linked) and the dpdk package (dpdk-devbind.py, hugepages);
# Suggests: dpdk-dev, which has dpdk-telemetry.py on Debian 12. NIC drivers are the host's
# choice (librte-net-i40e23, -ice23, -mlx5-23, ...).
abi=$(sed -n 's/^librte-eal\([0-9]*\) .*/\1/p' <<<"${depends//, /$'\n'}")
recommends="dpdk, $(for d in af-packet null pcap ring tap memif; do printf 'librte-net-%s%s, ' "$d" "$abi"; done | sed 's/, $//')"
[ -n "$depends" ] || { echo "build-deb.sh: found no packages for the libraries vpcfw links" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
echo /etc/default/vpcfw >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/control" <<EOF
Package: vpcfw
Version: $version
Architecture: $arch
Maintainer: vpcfw developers <vpcfw@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: $recommends
Suggests: dpdk-dev
Section: net
Priority: optional
Homepage: file:///usr/share/doc/vpcfw/README.md
Description: what AWS VPC networking would do with each packet
 vpcfw evaluates packets against an AWS network exported as "aws ec2 describe-*"
 JSON (security groups, NACLs, routes, gateways, peering, Transit Gateways,
 endpoints): explain a packet, replay a capture, check a network, or run the
 network live between DPDK ports (systemd unit vpcfw.service, settings in
 /etc/default/vpcfw).
EOF
mkdir -p "$out"
deb="$out/vpcfw_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "$deb"
