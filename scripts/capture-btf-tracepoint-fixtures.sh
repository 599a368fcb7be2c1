#!/usr/bin/env bash
# Captures test/fixtures/btf-tracepoints/: this kernel's BTF, the kallsyms lines the BTF
# tracepoint reconstruction reads (in their original order, addresses zeroed as a non-root user
# sees them), and every tracefs format file, so the unit test can compare the tracepoints rebuilt
# from BTF with the ones tracefs describes on the same kernel (issue #9). Run as root.
#
#   sudo bash scripts/capture-btf-tracepoint-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/test/fixtures/btf-tracepoints"
TRACEFS="${TRACEFS:-/sys/kernel/tracing}"
[ "$(id -u)" = 0 ] || { echo "run as root: tracefs is unreadable otherwise" >&2; exit 1; }
[ -d "$TRACEFS/events" ] || { echo "no tracefs at $TRACEFS" >&2; exit 1; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "no /sys/kernel/btf/vmlinux" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT"
brotli_to() { node -e 'const z=require("zlib"),fs=require("fs");fs.writeFileSync(process.argv[1],z.brotliCompressSync(fs.readFileSync(0),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,[z.constants.BROTLI_PARAM_LGWIN]:24}}))' "$1"; }

brotli_to "$OUT/vmlinux.btf.br" < /sys/kernel/btf/vmlinux
grep -E ' (__traceiter_|__bpf_trace_|__[a-z0-9]+_sys_)' /proc/kallsyms | sed -E 's/^[0-9a-f]+/0000000000000000/' > "$OUT/kallsyms"
# The same `head` framing the catalog fetch uses (host/src/catalog/fetch.ts).
(cd "$TRACEFS/events" && head -n 100000 -- */*/format) | brotli_to "$OUT/formats.br"

cat > "$OUT/PROVENANCE.md" <<MD
# BTF tracepoint fixtures

Captured by \`scripts/capture-btf-tracepoint-fixtures.sh\` as root — do not edit by hand.

- kernel: \`$(uname -r)\` (\`$(cut -d' ' -f1-3 /proc/version)\`)
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
- \`vmlinux.btf.br\`: /sys/kernel/btf/vmlinux, brotli (sha256 of the raw blob \`$(sha256sum /sys/kernel/btf/vmlinux | cut -d' ' -f1)\`)
- \`kallsyms\`: $(wc -l < "$OUT/kallsyms") lines of /proc/kallsyms (\`__traceiter_*\`, \`__bpf_trace_*\`, \`__<arch>_sys_*\`), original order, addresses zeroed
- \`formats.br\`: \`head -n 100000 -- */*/format\` in $TRACEFS/events, brotli ($(find "$TRACEFS/events" -mindepth 3 -maxdepth 3 -name format | wc -l) format files)
MD
echo "captured into $OUT"
