#!/usr/bin/env bash
# Captures test/fixtures/events/ (issue #11: record decoding and knobs) from real tools:
#
#   records.o          clang -g -O2 -target bpfel of src/records.bpf.c: the ELF the knob code
#                      patches, its .BTF, and `sample`'s bytes in .data laid out by clang (the
#                      oracle for the decoder: the expected values are the C initializer's)
#   records.be.o       the same for bpfeb: big-endian records (s390x targets) and knobs
#   records.dwarf.btf  pahole --btf_encode_detached of records.o: the types only DWARF has
#   PROVENANCE.md      date, tool versions, sha256 of every file
#
# Needs: clang (BPF target), pahole (Debian package `dwarves`), linux/bpf.h (linux-libc-dev).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/test/fixtures/events"
for tool in clang pahole sha256sum; do
  command -v "$tool" >/dev/null || { echo "capture-event-fixtures: $tool not found (pahole is in the 'dwarves' package)" >&2; exit 1; }
done

# Relative paths and a fixed compilation directory keep the object the same on every machine.
(cd "$out" && clang -g -O2 -target bpfel -I "../../../bpf-headers" -fdebug-prefix-map="$repo"=. -c src/records.bpf.c -o records.o)
(cd "$out" && clang -g -O2 -target bpfeb -I "../../../bpf-headers" -fdebug-prefix-map="$repo"=. -c src/records.bpf.c -o records.be.o)
pahole --btf_encode_detached="$out/records.dwarf.btf" "$out/records.o"

{
  echo "# Provenance of test/fixtures/events"
  echo
  echo "Captured by scripts/capture-event-fixtures.sh on $(date -u +%Y-%m-%d)."
  echo
  echo "- $(clang --version | head -1)"
  echo "- pahole $(pahole --version)"
  echo
  echo '```'
  (cd "$out" && sha256sum records.o records.be.o records.dwarf.btf src/records.bpf.c)
  echo '```'
} > "$out/PROVENANCE.md"
echo "capture-event-fixtures: wrote $out"
