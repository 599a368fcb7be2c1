#!/usr/bin/env bash
# Captures real trace_pipe lines from this kernel for the trace-line parser's unit tests
# (test/fixtures/trace/). Needs root, clang, bpftool and a built loader (make -C loader).
#
# It records the layouts the parser must handle: a bpf_printk() line from a BPF program, a
# trace_marker line from a task whose name holds a space and dashes, a line with the
# record-tgid option on and one with irq-info off. (Not the trace clock: changing it empties
# the ring buffer under everyone else's feet.)
# Every option it flips is put back as it was.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/trace"
tracefs=/sys/kernel/tracing
[ -d "$tracefs/options" ] || tracefs=/sys/kernel/debug/tracing
loader="$root/loader/out/bpfdev-loader"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

saved_tgid=$(cat "$tracefs/options/record-tgid")
saved_irq=$(cat "$tracefs/options/irq-info")
restore() {
  echo "$saved_tgid" > "$tracefs/options/record-tgid"
  echo "$saved_irq" > "$tracefs/options/irq-info"
  rm -rf "$work"
}
trap restore EXIT

bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$work/vmlinux.h"
clang -target bpf -g -O2 -D__TARGET_ARCH_x86 -I"$work" -I"$root/bpf-headers" \
  -c "$root/examples/hello-openat.bpf.c" -o "$work/hello.o"

# The loader opens trace_pipe before attaching and streams it until its stdin closes.
mkfifo "$work/stdin"
"$loader" run "$work/hello.o" --trace < "$work/stdin" > "$work/raw" &
loader_pid=$!
exec 3> "$work/stdin"
until grep -aq '"event":"ready"' "$work/raw" 2>/dev/null; do
  kill -0 "$loader_pid" || { echo "loader exited: $(cat "$work/raw")" >&2; exit 1; }
  sleep 0.1
done
if grep -aq -e '"event":"trace-busy"' -e '"event":"trace-unavailable"' "$work/raw"; then
  echo "cannot read trace_pipe: $(grep -a -o '"reason":"[^"]*"' "$work/raw" | head -1)" >&2
  exit 1
fi

# trace_pipe applies the options when a record is read, not when it is written: wait for each
# line before putting an option back.
wait_for() {
  for _ in $(seq 200); do grep -aq "$1" "$work/raw" && return 0; sleep 0.05; done
  echo "no trace line with '$1' within 10 s" >&2
  exit 1
}
mark() {
  echo "bpfdev-capture: $1" > "$tracefs/trace_marker"
  wait_for "bpfdev-capture: $1"
}
cat /etc/hostname > /dev/null
mark "default options"
# comm is what the kernel prints as the task; a subshell renames itself before writing.
bash -c 'printf "web content-x" > /proc/$$/comm; echo "bpfdev-capture: task with a space and dashes" > '"$tracefs"'/trace_marker'
wait_for 'task with a space'
echo 1 > "$tracefs/options/record-tgid"
mark "record-tgid on"
echo "$saved_tgid" > "$tracefs/options/record-tgid"
echo 0 > "$tracefs/options/irq-info"
mark "irq-info off"
echo "$saved_irq" > "$tracefs/options/irq-info"
mark "end"
exec 3>&-
wait "$loader_pid" || true

mkdir -p "$out"
# Trace lines only (events start with 0x1e): two of our program's lines and our markers (other
# programs may be printing at the same time).
grep -av $'^\x1e' "$work/raw" | awk '/bpf_trace_printk: hello-openat:/ { if (printk++ < 2) print; next } /bpfdev-capture/ { print }' \
  > "$out/trace_pipe.txt"
cat > "$out/PROVENANCE" <<EOF
trace_pipe.txt: captured by scripts/capture-trace-lines.sh
kernel: $(uname -r) ($(uname -m))
date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
echo "captured $(wc -l < "$out/trace_pipe.txt") lines into $out/trace_pipe.txt"
