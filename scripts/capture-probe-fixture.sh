#!/usr/bin/env bash
# Captures the loader's `probe` event on this kernel (capabilities and the helper table: which
# helpers each program type may call) for the unit tests. Run as root after `npm run build`;
# re-running replaces it.
#
#   sudo bash scripts/capture-probe-fixture.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/test/fixtures/probe"
if [ "$(id -u)" != 0 ]; then
  echo "run as root: the helper table needs real loads" >&2
  exit 1
fi
mkdir -p "$OUT"
"$ROOT/loader/out/bpfdev-loader" probe --calls >"$OUT/probe.out"
cat >"$OUT/PROVENANCE.md" <<EOT
# Loader probe fixture

Written by \`scripts/capture-probe-fixture.sh\` — do not edit by hand.

- \`probe.out\`: \`bpfdev-loader probe --calls\` as root on \`$(uname -r)\` ($(uname -m)), $(date -u +%Y-%m-%dT%H:%M:%SZ)
EOT
