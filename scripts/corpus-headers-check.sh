#!/usr/bin/env bash
# Compiles every BPF source of a corpus (default /work/shared/corpus; see its PROVENANCE.md)
# twice, with the flags each project's own build uses plus the system include directories:
# once with bpf-headers/ and our generated vmlinux.h ahead of everything, once with libbpf-dev's
# headers instead of ours. Prints one line per source; a source that builds with libbpf's
# headers and not with ours fails because of our headers. Needs `npm run build` first.
#
#   scripts/corpus-headers-check.sh [corpus-dir]
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-/work/shared/corpus}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

node -e "
const { generateVmlinuxHeader } = require('$repo/out/host/src/btf-header.js');
require('fs').writeFileSync('$work/vmlinux.h', generateVmlinuxHeader(require('fs').readFileSync('/sys/kernel/btf/vmlinux')));
"
# The directories clang searches for <...> on this host, as libbpf-bootstrap's CLANG_BPF_SYS_INCLUDES.
mapfile -t sys < <(clang -v -E -x c - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|\1|p }')
sysflags=()
for dir in "${sys[@]}"; do sysflags+=(-idirafter "$dir"); done
arch=x86; [ "$(uname -m)" = aarch64 ] && arch=arm64

# The project's own flags for a source: cilium/ebpf's come after `--` on a //go:generate line
# that names the file; the others only need vmlinux.h and the source's own directory.
project_flags() {
  local src="$1" dir base line
  dir="$(dirname "$src")"; base="$(basename "$src")"
  line="$(grep -h "go:generate.*bpf2go.* $base -- " "$dir"/*.go 2>/dev/null | head -1)"
  [ -n "$line" ] && echo "${line#* -- }"
}

ours_fail=() total=0 ok_ours=0 ok_theirs=0
while IFS= read -r src; do
  total=$((total + 1))
  dir="$(dirname "$src")"
  read -r -a extra <<<"$(project_flags "$src")"
  base=(-target bpf -g -O2 "-D__TARGET_ARCH_$arch" -I "$work")
  if (cd "$dir" && clang "${base[@]}" -I "$repo/bpf-headers" "${extra[@]}" "${sysflags[@]}" -c "$src" -o "$work/ours.o") >"$work/ours.log" 2>&1; then mine=ok; ok_ours=$((ok_ours + 1)); else mine=FAIL; fi
  if (cd "$dir" && clang "${base[@]}" "${extra[@]}" "${sysflags[@]}" -c "$src" -o "$work/theirs.o") >"$work/theirs.log" 2>&1; then theirs=ok; ok_theirs=$((ok_theirs + 1)); else theirs=FAIL; fi
  # Warnings only ours print point at a header problem too.
  warnings="$(( $(grep -c 'warning:' "$work/ours.log") - $(grep -c 'warning:' "$work/theirs.log") ))"
  printf '%-4s %-4s %+3d warnings  %s\n' "$mine" "$theirs" "$warnings" "${src#"$corpus"/}"
  if [ "$mine" = FAIL ]; then
    grep -m3 'error:' "$work/ours.log" | sed 's/^/      /'
    [ "$theirs" = ok ] && ours_fail+=("${src#"$corpus"/}")
  fi
done < <(find "$corpus" \( -name '*.bpf.c' -o -name '*_kern.c' -o -path '*/cilium-ebpf/examples/*/*.c' \) -type f | sort)

echo "ours: $ok_ours/$total compile; libbpf-dev's headers: $ok_theirs/$total"
echo "fail with our headers only: ${#ours_fail[@]}"
for f in "${ours_fail[@]}"; do echo "  $f"; done
