#!/usr/bin/env bash
# Captures the BTF fixtures of test/fixtures/btf/ from real tools on this machine, with the
# answers bpftool gives for each blob (the oracle the unit tests compare our reader against).
#
#   all-kinds.btf       .BTF of src/all-kinds.bpf.c (clang -target bpfel): every kind clang emits
#   all-kinds.be.btf    the same source for bpfeb, to exercise the big-endian path
#   kernel-subset.btf   `bpftool gen min_core_btf` of this kernel's vmlinux for src/kernel-subset.bpf.c:
#                       real kernel types, ENUM64 included
#   split-module.btf    pahole's split BTF for src/split-module.c on top of all-kinds.btf (module-style)
#   module-<name>.btf   a copy of the smallest /sys/kernel/btf/<module> under 200 KB, when the kernel has one
#   *.bpftool-raw       `bpftool btf dump file X` (with -B base for split blobs)
#   PROVENANCE.md       kernel, date, tool versions, sha256 of every file
#
# Needs: clang (BPF targets), llvm-objcopy, bpftool, pahole (Debian package `dwarves`), libbpf-dev
# headers, and /sys/kernel/btf/vmlinux. The vmlinux blob itself is not copied (5+ MB): kernel-tier
# tests read it at run time.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/test/fixtures/btf"
src="$out/src"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for tool in clang llvm-objcopy bpftool pahole sha256sum; do
  command -v "$tool" >/dev/null || { echo "capture-btf-fixtures: $tool not found (pahole is in the 'dwarves' package)" >&2; exit 1; }
done
vmlinux=/sys/kernel/btf/vmlinux
[ -r "$vmlinux" ] || { echo "capture-btf-fixtures: $vmlinux not readable" >&2; exit 1; }

extract_btf() { # object output
  llvm-objcopy --dump-section .BTF="$2" "$1"
}

# 1. Every kind clang emits, little- and big-endian.
clang -g -O2 -target bpfel -c "$src/all-kinds.bpf.c" -o "$work/all-kinds.o"
extract_btf "$work/all-kinds.o" "$out/all-kinds.btf"
clang -g -O2 -target bpfeb -c "$src/all-kinds.bpf.c" -o "$work/all-kinds.be.o"
extract_btf "$work/all-kinds.be.o" "$out/all-kinds.be.btf"
bpftool btf dump file "$out/all-kinds.btf" > "$out/all-kinds.btf.bpftool-raw"
bpftool btf dump file "$out/all-kinds.be.btf" > "$out/all-kinds.be.btf.bpftool-raw"

# 2. A real slice of this kernel's BTF, chosen by the CO-RE relocations of a small program.
mkdir -p "$work/include"
bpftool btf dump file "$vmlinux" format c > "$work/include/vmlinux.h"
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$work/include" -c "$src/kernel-subset.bpf.c" -o "$work/kernel-subset.o"
bpftool gen min_core_btf "$vmlinux" "$out/kernel-subset.btf" "$work/kernel-subset.o"
bpftool btf dump file "$out/kernel-subset.btf" > "$out/kernel-subset.btf.bpftool-raw"

# 3. Split BTF the way modules have it: pahole encodes an object's DWARF against a base blob.
clang -g -O1 -c "$src/split-module.c" -o "$work/split-module.o"
pahole -J --btf_base "$out/all-kinds.btf" "$work/split-module.o"
extract_btf "$work/split-module.o" "$out/split-module.btf"
bpftool btf dump -B "$out/all-kinds.btf" file "$out/split-module.btf" > "$out/split-module.btf.bpftool-raw"

# 4. A real module's BTF, if this kernel has a small one.
rm -f "$out"/module-*.btf "$out"/module-*.btf.bpftool-raw
module_note="this kernel (/sys/kernel/btf) has no module BTF under 200 KB: none captured"
smallest="$(find /sys/kernel/btf -mindepth 1 -maxdepth 1 ! -name vmlinux -size -200k -printf '%s %f\n' 2>/dev/null | sort -n | head -1 | cut -d' ' -f2 || true)"
if [ -n "$smallest" ]; then
  cp "/sys/kernel/btf/$smallest" "$out/module-$smallest.btf"
  bpftool btf dump -B "$vmlinux" file "$out/module-$smallest.btf" > "$out/module-$smallest.btf.bpftool-raw"
  module_note="module-$smallest.btf: copy of /sys/kernel/btf/$smallest; its base is this kernel's vmlinux (sha256 $(sha256sum "$vmlinux" | cut -d' ' -f1))"
fi

{
  echo "# BTF fixtures"
  echo
  echo "Built by \`scripts/capture-btf-fixtures.sh\` — do not edit by hand."
  echo
  echo "- host kernel: \`$(uname -r)\`; date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- $(clang --version | head -1); $(bpftool version | head -1); pahole $(pahole --version)"
  echo "- vmlinux BTF used for kernel-subset.btf: sha256 \`$(sha256sum "$vmlinux" | cut -d' ' -f1)\`, $(stat -c %s "$vmlinux") bytes"
  echo "- all-kinds.btf / all-kinds.be.btf: \`clang -g -O2 -target bpfel|bpfeb -c src/all-kinds.bpf.c\`, .BTF section"
  echo "- kernel-subset.btf: \`bpftool gen min_core_btf /sys/kernel/btf/vmlinux\` for src/kernel-subset.bpf.c"
  echo "- split-module.btf: \`pahole -J --btf_base all-kinds.btf\` on \`clang -g -O1 -c src/split-module.c\`; base: all-kinds.btf"
  echo "- $module_note"
  echo "- *.bpftool-raw: \`bpftool btf dump file X\` (\`-B base\` for split blobs), the expected answers for the reader"
  echo
  echo "sha256:"
  echo '```'
  (cd "$out" && sha256sum -- *.btf *.bpftool-raw src/*)
  echo '```'
} > "$out/PROVENANCE.md"

echo "captured BTF fixtures into $out"
