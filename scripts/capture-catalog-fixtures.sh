#!/usr/bin/env bash
# Captures the kernel-catalog fixtures the unit tests parse: tracefs format files, a kallsyms
# slice (+ available_filter_functions / kprobes blacklist when this kernel exposes them), the
# kernel's capability flags, and small ELF files with USDT notes compiled here. Run as root on
# the kernel you want to record; re-running replaces everything it wrote.
#
#   sudo bash scripts/capture-catalog-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FIXTURES="$ROOT/test/fixtures"
TRACEFS="${TRACEFS:-/sys/kernel/tracing}"
DEBUGFS="${DEBUGFS:-/sys/kernel/debug}"
KALLSYMS_SLICE_LINES="${KALLSYMS_SLICE_LINES:-2000}"
NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
KERNEL="$(uname -r)"

if [ "$(id -u)" != 0 ]; then
  echo "run as root: kallsyms hides addresses and tracefs is unreadable otherwise" >&2
  exit 1
fi
if [ ! -d "$TRACEFS/events" ]; then
  mount -t tracefs nodev "$TRACEFS" 2>/dev/null || true
fi
if [ ! -d "$TRACEFS/events" ]; then
  echo "no tracefs at $TRACEFS" >&2
  exit 1
fi

# ---------------------------------------------------------------------------------------------
# tracefs: a spread of events chosen for the shapes the parser must handle (syscall records
# whose printed types disagree with their sizes, __data_loc strings, fixed arrays, a flexible
# array, a __data_loc of a non-array type), plus the whole irq category.
TRACEFS_OUT="$FIXTURES/tracefs"
rm -rf "$TRACEFS_OUT"
mkdir -p "$TRACEFS_OUT/events"
EVENTS=(
  syscalls/sys_enter_openat syscalls/sys_exit_openat syscalls/sys_enter_execve syscalls/sys_enter_read
  syscalls/sys_enter_write syscalls/sys_enter_close syscalls/sys_enter_unlinkat syscalls/sys_enter_kill
  syscalls/sys_enter_open syscalls/sys_enter_openat2
  raw_syscalls/sys_enter raw_syscalls/sys_exit
  sched/sched_switch sched/sched_process_exec sched/sched_process_exit sched/sched_process_fork
  sched/sched_wakeup sched/sched_migrate_task
  ftrace/function ftrace/kernel_stack
  ipi/ipi_send_cpumask
  block/block_rq_issue
  skb/kfree_skb net/netif_receive_skb tcp/tcp_retransmit_skb
  signal/signal_generate task/task_newtask task/task_rename
  workqueue/workqueue_queue_work timer/timer_start kmem/kmalloc
)
for irq_event in "$TRACEFS"/events/irq/*/; do
  EVENTS+=("irq/$(basename "$irq_event")")
done
captured=0
missing=()
for event in "${EVENTS[@]}"; do
  source="$TRACEFS/events/$event/format"
  if [ -r "$source" ]; then
    mkdir -p "$TRACEFS_OUT/events/$event"
    cat "$source" >"$TRACEFS_OUT/events/$event/format"
    captured=$((captured + 1))
  else
    missing+=("$event")
  fi
done
# header_page is a format-like file with no name/ID: real input the parser must reject cleanly.
cat "$TRACEFS/events/header_page" >"$TRACEFS_OUT/header_page"
cat "$TRACEFS/available_events" >"$TRACEFS_OUT/available_events"

cat >"$TRACEFS_OUT/PROVENANCE.md" <<EOF
# tracefs fixtures

Captured by \`scripts/capture-catalog-fixtures.sh\` — do not edit by hand.

- kernel: \`$KERNEL\`
- date: $NOW
- source: \`$TRACEFS\`
- \`events/<category>/<event>/format\`: \`cat $TRACEFS/events/<category>/<event>/format\` for $captured events
- \`header_page\`: \`cat $TRACEFS/events/header_page\` (format-like, has no name/ID)
- \`available_events\`: \`cat $TRACEFS/available_events\` ($(wc -l <"$TRACEFS_OUT/available_events") events)
$( [ ${#missing[@]} -gt 0 ] && echo "- not present on this kernel: ${missing[*]}" )
EOF

# ---------------------------------------------------------------------------------------------
# kallsyms: every symbol the tests name plus an even sample of the rest, in kallsyms order.
KALLSYMS_OUT="$FIXTURES/kallsyms"
rm -rf "$KALLSYMS_OUT"
mkdir -p "$KALLSYMS_OUT"
INTERESTING=' (do_unlinkat|do_sys_openat2|vfs_read|vfs_write|vfs_open|security_file_open|security_bprm_check|bpf_lsm_[a-z_0-9]+|__x64_sys_[a-z_0-9]+|__pfx_do_unlinkat|__traceiter_sched_[a-z_]+|bpf_iter_(task|task_file|task_vma|bpf_map|bpf_map_elem|bpf_prog|bpf_link|tcp|udp|unix|cgroup|ksym|kmem_cache)|tcp_v4_connect|tcp_sendmsg|tcp_connect|kfree_skb_reason|schedule|__schedule|finish_task_switch(\.isra\.0)?)$'
full_lines=$(wc -l </proc/kallsyms)
interesting_file="$(mktemp)"
trap 'rm -f "$interesting_file"' EXIT
# Module symbols carry a tab and "[module]" suffix; keep all of them (few on a VM).
grep -nE "$INTERESTING|	\[" /proc/kallsyms >"$interesting_file" || true
interesting_count=$(wc -l <"$interesting_file")
remaining=$((KALLSYMS_SLICE_LINES - interesting_count))
[ "$remaining" -lt 100 ] && remaining=100
step=$((full_lines / remaining))
[ "$step" -lt 1 ] && step=1
{
  cat "$interesting_file"
  awk -v step="$step" 'NR % step == 0 { print NR ":" $0 }' /proc/kallsyms
} | sort -t: -k1,1n -u | cut -d: -f2- >"$KALLSYMS_OUT/kallsyms"

filter_note="not captured"
if head -c 1 "$TRACEFS/available_filter_functions" >/dev/null 2>&1; then
  # Same sampling idea: the names the tests use, then every 30th line.
  { grep -E "^(do_unlinkat|vfs_read|vfs_write|security_file_open|bpf_lsm_file_open|tcp_v4_connect|schedule)( |$)" \
      "$TRACEFS/available_filter_functions" || true
    awk 'NR % 30 == 0' "$TRACEFS/available_filter_functions"; } | sort -u >"$KALLSYMS_OUT/available_filter_functions"
  filter_note="\`$TRACEFS/available_filter_functions\`: the test names plus every 30th line"
else
  filter_note="\`$TRACEFS/available_filter_functions\` is not readable on this kernel ($(head -c 1 "$TRACEFS/available_filter_functions" 2>&1 | sed 's/.*: //' || true)); not captured"
fi

mount -t debugfs none "$DEBUGFS" 2>/dev/null || true
blacklist_note="not captured"
if [ -r "$DEBUGFS/kprobes/blacklist" ]; then
  cp "$DEBUGFS/kprobes/blacklist" "$KALLSYMS_OUT/kprobes-blacklist"
  blacklist_note="\`$DEBUGFS/kprobes/blacklist\`: copied whole"
else
  blacklist_note="\`$DEBUGFS/kprobes/blacklist\` does not exist on this kernel (no CONFIG_KPROBES); not captured"
fi

kprobes=false; [ -e "$TRACEFS/kprobe_events" ] && kprobes=true
btf=false; [ -e /sys/kernel/btf/vmlinux ] && btf=true
cat >"$KALLSYMS_OUT/capabilities.json" <<EOF
{ "kprobes": $kprobes, "btf": $btf }
EOF

cat >"$KALLSYMS_OUT/PROVENANCE.md" <<EOF
# kallsyms fixtures

Captured by \`scripts/capture-catalog-fixtures.sh\` as root — do not edit by hand.

- kernel: \`$KERNEL\`
- date: $NOW
- \`kallsyms\`: $(wc -l <"$KALLSYMS_OUT/kallsyms") of $full_lines lines of \`/proc/kallsyms\`: every line matching
  the names the tests use or carrying a \`[module]\` column, plus one line in every $step, in original order
- available_filter_functions: $filter_note
- kprobes blacklist: $blacklist_note
- \`capabilities.json\`: kprobes = \`$TRACEFS/kprobe_events\` exists; btf = \`/sys/kernel/btf/vmlinux\` exists
EOF

# ---------------------------------------------------------------------------------------------
# ELF: a tiny C program with two USDT probes, built natively (64-bit little-endian executable)
# and as objects for 32-bit little-endian, 32-bit big-endian and 64-bit big-endian targets.
# readelf's view of each file is stored beside it as the expected answer.
ELF_OUT="$FIXTURES/elf"
mkdir -p "$ELF_OUT"
rm -f "$ELF_OUT"/usdt-sample* "$ELF_OUT"/*.readelf-*
cat >"$ELF_OUT/usdt-sample.c" <<'EOF'
/* Source of the ELF fixtures; built by scripts/capture-catalog-fixtures.sh. */
#include <sys/sdt.h>

static volatile int sink;

__attribute__((noinline)) int bpfdev_fixture_work(int round, const char *label)
{
	DTRACE_PROBE2(bpfdev_fixture, tick, round, label);
	sink += round + label[0];
	return sink;
}

int main(int argc, char **argv)
{
	(void)argv;
	DTRACE_PROBE(bpfdev_fixture, start);
	for (int i = 0; i < argc; i++)
		bpfdev_fixture_work(i, "x");
	return 0;
}
EOF
if [ ! -e /usr/include/x86_64-linux-gnu/sys/sdt.h ] && [ ! -e /usr/include/sys/sdt.h ]; then
  apt-get install -y -qq systemtap-sdt-dev >/dev/null
fi
SDT_INCLUDE="$(dirname "$(dirname "$(echo '#include <sys/sdt.h>' | clang -E -H -x c - 2>&1 >/dev/null | grep 'sys/sdt.h' | head -1 | sed 's/^\.* //')")")"
clang -g -O1 -o "$ELF_OUT/usdt-sample" "$ELF_OUT/usdt-sample.c"
declare -A TARGETS=([i386]=i386-linux-gnu [ppc32be]=powerpc-linux-gnu [s390x]=s390x-linux-gnu)
for short in "${!TARGETS[@]}"; do
  clang --target="${TARGETS[$short]}" -O1 -c -I"$SDT_INCLUDE" -o "$ELF_OUT/usdt-sample-$short.o" "$ELF_OUT/usdt-sample.c"
done
for file in "$ELF_OUT"/usdt-sample "$ELF_OUT"/usdt-sample-*.o; do
  readelf -nW "$file" >"$file.readelf-notes"
  readelf -sW --dyn-syms "$file" >"$file.readelf-syms"
  readelf -SW "$file" >"$file.readelf-sections"
done

cat >"$ELF_OUT/PROVENANCE.md" <<EOF
# ELF fixtures

Built by \`scripts/capture-catalog-fixtures.sh\` — do not edit by hand.

- host kernel: \`$KERNEL\`; date: $NOW
- compiler: $(clang --version | head -1); sdt.h from \`$(dpkg -S "$SDT_INCLUDE/sys/sdt.h" 2>/dev/null | cut -d: -f1 || echo "$SDT_INCLUDE")\`
- \`usdt-sample\`: \`clang -g -O1 -o usdt-sample usdt-sample.c\` (ELF64 LSB PIE)
- \`usdt-sample-i386.o\`: \`clang --target=i386-linux-gnu -O1 -c\` (ELF32 LSB)
- \`usdt-sample-ppc32be.o\`: \`clang --target=powerpc-linux-gnu -O1 -c\` (ELF32 MSB)
- \`usdt-sample-s390x.o\`: \`clang --target=s390x-linux-gnu -O1 -c\` (ELF64 MSB)
- \`*.readelf-notes\`, \`*.readelf-syms\`, \`*.readelf-sections\`: \`readelf -nW\`, \`readelf -sW --dyn-syms\`, \`readelf -SW\`
  ($(readelf --version | head -1)), the expected answers for the reader
EOF

echo "tracefs: $captured formats; kallsyms: $(wc -l <"$KALLSYMS_OUT/kallsyms") lines; elf: $(ls "$ELF_OUT" | wc -l) files"
