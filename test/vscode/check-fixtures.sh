#!/usr/bin/env bash
# Checks the facts the VS Code tests rely on, straight against this kernel and without the
# extension, so that a failing VS Code test points at the extension and not at its fixtures:
#   each fixture with a line marked EXPECT-VERIFIER-ERROR (broken_deref, missing_null_check)
#   compiles and the verifier rejects it on that line;
#   hello.bpf.c and typing.bpf.c (the completion tests type into it) compile and load.
# Needs root, clang and bpftool. Usage: bash test/vscode/check-fixtures.sh
set -euo pipefail
FIXTURES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/workspace" && pwd)"
work="$(mktemp -d)"
pin="/sys/fs/bpf/bpfdev-fixture-check-$$"
trap 'rm -rf "$work" "$pin"' EXIT

bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$work/vmlinux.h"
compile() { clang -target bpf -g -O2 -D__TARGET_ARCH_x86 -I "$work" -c "$FIXTURES/$1.bpf.c" -o "$work/$1.o"; }

for source in $(grep -l '// EXPECT-VERIFIER-ERROR$' "$FIXTURES"/*.bpf.c); do
  name="$(basename "$source" .bpf.c)"
  compile "$name"
  expected_line="$(grep -n '// EXPECT-VERIFIER-ERROR$' "$source" | cut -d: -f1)"
  if bpftool -d prog load "$work/$name.o" "$pin" >"$work/$name.log" 2>&1; then
    echo "FAIL: the verifier accepted $name.bpf.c" >&2
    exit 1
  fi
  # The verifier annotates each instruction group with its source line: the last annotation
  # before the error is where it failed.
  failed_at="$(grep -o "@ $name.bpf.c:[0-9]*" "$work/$name.log" | tail -1 | cut -d: -f2)"
  if [ "$failed_at" != "$expected_line" ]; then
    echo "FAIL: the verifier rejected $name.bpf.c at line ${failed_at:-?}, the file marks line $expected_line" >&2
    tail -20 "$work/$name.log" >&2
    exit 1
  fi
  echo "ok: $name.bpf.c rejected at line $expected_line: $(grep -m1 -E 'invalid mem access|invalid access' "$work/$name.log")"
done

compile hello
bpftool prog load "$work/hello.o" "$pin"
rm -f "$pin"
echo "ok: hello.bpf.c loads"

compile typing
bpftool prog load "$work/typing.o" "$pin"
rm -f "$pin"
echo "ok: typing.bpf.c loads"

compile events
bpftool prog load "$work/events.o" "$pin"
rm -f "$pin"
echo "ok: events.bpf.c loads"
