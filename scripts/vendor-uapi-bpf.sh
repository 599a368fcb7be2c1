#!/usr/bin/env bash
# Fetches the kernel UAPI header linux/bpf.h that the helper catalog is generated from, out of
# Debian's linux-libc-dev package, into third_party/linux-uapi/, and records where it came from
# in third_party/linux-uapi/PROVENANCE. The catalog must not depend on the header of the machine
# that happens to build it (issue #9): every machine generates from these same bytes.
#
#   scripts/vendor-uapi-bpf.sh                  re-fetch the pinned version; fail unless its
#                                               header has the recorded sha256
#   scripts/vendor-uapi-bpf.sh --update [SUITE] take SUITE's newest linux-libc-dev (default sid),
#                                               rewrite PROVENANCE, regenerate the helper files
#
# apt runs against a throwaway configuration in a temporary directory, so the machine's own
# sources and package lists are left as they were. Needs apt-get, dpkg-deb and Debian's archive
# keyring (/usr/share/keyrings/debian-archive-keyring.gpg); root is not needed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=third_party/linux-uapi
PROVENANCE=$DEST/PROVENANCE
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

die() { echo "vendor-uapi-bpf: $*" >&2; exit 1; }
field() { sed -n "s/^$1: //p" "$PROVENANCE"; }

mode=verify
suite=
case "${1:-}" in
  --update) mode=update; suite=${2:-sid} ;;
  '') suite=$(field suite); version=$(field version)
      [ -n "$suite" ] && [ -n "$version" ] || die "$PROVENANCE names no suite/version; use --update" ;;
  *) die "usage: $0 [--update [SUITE]]" ;;
esac
[ -r "$KEYRING" ] || die "$KEYRING is missing (install debian-archive-keyring)"

# Security updates live in a separate archive.
case "$suite" in
  *-security) mirror=http://deb.debian.org/debian-security ;;
  *) mirror=http://deb.debian.org/debian ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc/sources.list.d" "$work/etc/preferences.d" "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=$KEYRING] $mirror $suite main" > "$work/etc/sources.list"
APT=(-o "Dir::Etc::SourceList=$work/etc/sources.list" -o "Dir::Etc::SourceParts=$work/etc/sources.list.d"
     -o "Dir::Etc::Preferences=$work/etc/preferences" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::State::status=/dev/null"
     # apt's download sandbox user cannot write into a private temporary directory.
     -o "APT::Sandbox::User=$(id -un)")

apt-get "${APT[@]}" -qq update >&2 || die "apt-get update of $mirror $suite failed"
if [ "$mode" = update ]; then
  version=$(apt-cache "${APT[@]}" show linux-libc-dev | sed -n 's/^Version: //p' | sort -V | tail -1)
  [ -n "$version" ] || die "$suite has no linux-libc-dev"
fi
(cd "$work" && apt-get "${APT[@]}" -qq download "linux-libc-dev=$version" >&2) \
  || die "linux-libc-dev $version is no longer in $suite; run with --update [SUITE] to vendor a newer one"
deb=$(ls "$work"/linux-libc-dev_*.deb)
dpkg-deb -x "$deb" "$work/root"
header=$work/root/usr/include/linux/bpf.h
[ -f "$header" ] || die "$(basename "$deb") holds no usr/include/linux/bpf.h"
sha=$(sha256sum "$header" | cut -d' ' -f1)

if [ "$mode" = verify ]; then
  [ "$sha" = "$(field sha256)" ] || die "linux-libc-dev $version from $suite now has sha256 $sha, PROVENANCE says $(field sha256)"
  cmp -s "$header" "$DEST/linux/bpf.h" || die "$DEST/linux/bpf.h differs from linux-libc-dev $version's header"
  echo "vendor-uapi-bpf: $DEST/linux/bpf.h is linux-libc-dev $version ($suite), sha256 $sha" >&2
  exit 0
fi

mkdir -p "$DEST/linux"
cp "$header" "$DEST/linux/bpf.h"
licence=$(sed -n '1s|^/\* SPDX-License-Identifier: \(.*\) \*/$|\1|p' "$header")
cat > "$PROVENANCE" <<EOF
# The kernel UAPI header the BPF helper catalog is generated from (scripts/gen-helper-defs.mjs).
# Written by scripts/vendor-uapi-bpf.sh; run it without arguments to re-fetch and compare, or
# with --update [SUITE] to move to a newer kernel. Not on any include path: programs compile
# against the target's own headers.
file: linux/bpf.h
sha256: $sha
package: linux-libc-dev
version: $version
suite: $suite
archive: $mirror
deb: $(basename "$deb")
deb-sha256: $(sha256sum "$deb" | cut -d' ' -f1)
licence: ${licence:-GPL-2.0 WITH Linux-syscall-note}
EOF
echo "vendor-uapi-bpf: vendored linux/bpf.h of linux-libc-dev $version ($suite), sha256 $sha" >&2
node scripts/gen-helper-defs.mjs
