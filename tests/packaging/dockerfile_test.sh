#!/usr/bin/env bash
# The container recipe (packaging/Dockerfile) stays buildable, checked without docker (not
# available here): both stages are debian:12; its build stage installs exactly the packages
# quickstart.sh's example mode installs (the build's dependencies, kept in one list there),
# each of which apt knows on this Debian 12 machine; what it COPYs and runs exists and is
# executable. The steps themselves (meson setup, packaging/build-deb.sh, installing the
# .deb) are the ones tests/packaging/deb_test.sh and CI's deb step run on this machine.
# Run from the project root (meson test does).
set -uo pipefail
df=packaging/Dockerfile
fail=0
no() { echo "FAIL: $*"; fail=1; }
[ -f "$df" ] || { echo "FAIL: no $df"; exit 1; }

froms=$(grep -E '^FROM ' "$df" | awk '{print $2}')
[ "$(echo "$froms" | wc -l)" -eq 2 ] || no "expected two stages, found: $froms"
for f in $froms; do [ "$f" = debian:12 ] || no "stage FROM $f is not debian:12"; done

# The first apt-get install of the file (its continuation lines joined), words that are not options.
docker_pkgs=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$df" | grep -m1 'apt-get install' |
    sed 's/.*apt-get install//; s/&&.*//' | tr ' ' '\n' | grep -v '^-' | grep . | sort)
quick_pkgs=$(sed -n '/^packages=(/,/)/p' quickstart.sh | sed 's/packages=(//; s/)//' | tr ' ' '\n' | grep . | sort)
[ -n "$quick_pkgs" ] || no "no packages=( ... ) list in quickstart.sh"
[ "$docker_pkgs" = "$quick_pkgs" ] ||
    no "the Dockerfile's build packages differ from quickstart.sh's: $(diff <(echo "$docker_pkgs") <(echo "$quick_pkgs") | grep '^[<>]' | tr '\n' ' ')"
# Known to dpkg here (one call: quickstart.sh installed them); apt asked only about the rest.
for p in $(dpkg-query -W $docker_pkgs 2>&1 >/dev/null | sed -n 's/.*no packages found matching \(.*\)$/\1/p'); do
    apt-cache show "$p" >/dev/null 2>&1 || no "apt knows no package $p"
done
[ -x packaging/build-deb.sh ] || no "packaging/build-deb.sh is not executable"
grep -q '/src/packaging/build-deb.sh /build /out' "$df" || no "the build stage does not run packaging/build-deb.sh"
for c in $(awk '$1 == "COPY" && $2 !~ /^--from/ {print $2}' "$df"); do
    [ -e "$c" ] || no "COPY $c: no such path"
done
grep -qE '^ENTRYPOINT \["vpcfw"\]' "$df" || no "ENTRYPOINT is not vpcfw"
[ "$fail" -eq 0 ] && echo "Dockerfile: two debian:12 stages, $(echo $docker_pkgs | wc -w) build packages as in quickstart.sh"
exit "$fail"
