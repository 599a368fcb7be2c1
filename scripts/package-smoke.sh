#!/usr/bin/env bash
# Package smoke test (issue #6): the .vsix users install, not the development tree, is what the
# VS Code tests prove. Packs bpfdev.vsix, checks its size and contents, installs it into the test
# VS Code (a fresh profile whose extensions directory holds nothing else) and runs the
# activation, completion and verifier suites against the installed copy.
#
#   bash scripts/package-smoke.sh             `npm run package` (builds everything first)
#   bash scripts/package-smoke.sh --no-build  pack the current build (CI: after `npm run build`)
#
# Needs what the VS Code tier needs (root, clang, bpftool, scripts/vscode-test-tools.sh).
# Ends with the run's `N passed, N failed, N skipped` line (or, with BPFDEV_VSCODE_TOTALS set,
# adds its counts there: see test/vscode/run.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done

VSIX=bpfdev.vsix
MAX_BYTES=$((10 * 1024 * 1024))
arch="$(uname -m)"

fail() {
  echo "package smoke: $*" >&2
  # Counted like a failed test, so the tier's totals show it.
  if [ -n "${BPFDEV_VSCODE_TOTALS:-}" ]; then
    echo '{"label":"package","passed":0,"failed":1,"skipped":0,"exitCode":1}' >>"$BPFDEV_VSCODE_TOTALS"
    echo "[package] 0 passed, 1 failed, 0 skipped"
  else
    echo "0 passed, 1 failed, 0 skipped"
  fi
  exit 1
}

echo "=== package"
rm -f "$VSIX"
if [ "$build" = 1 ]; then
  npm run package
else
  # What `npm run package` runs after its build.
  npx vsce package --no-dependencies --no-rewrite-relative-links -o "$VSIX"
fi
[ -f "$VSIX" ] || fail "no $VSIX after packaging"

size=$(stat -c %s "$VSIX")
echo "$VSIX: $size bytes (limit $MAX_BYTES)"
[ "$size" -lt "$MAX_BYTES" ] || fail "$VSIX is $size bytes, over the 10 MB limit"

listing="$(zipinfo "$VSIX")"
for entry in extension/package.json extension/dist/client.js extension/dist/server.js extension/dist/loader-output-worker.js \
  extension/bpf-headers/bpf/bpf_helpers.h "extension/loader/out/bpfdev-loader-$arch"; do
  grep -q " $entry\$" <<<"$listing" || fail "$VSIX lacks $entry"
done
# The loader is run on the target as is: it must keep its executable bit through the zip.
grep -qE "^-rwx.* extension/loader/out/bpfdev-loader-$arch\$" <<<"$listing" \
  || fail "the loader in $VSIX is not executable: $(grep "bpfdev-loader-$arch" <<<"$listing")"
# A development tree leaking into the package would make it pass here and fail for users.
if grep -qE ' extension/(node_modules|out|test|src|core|server|client|host)/' <<<"$listing"; then
  fail "$VSIX holds development files: $(grep -E ' extension/(node_modules|out|test|src|core|server|client|host)/' <<<"$listing" | head -5)"
fi
echo "ok: $VSIX holds the bundles, the headers and the $arch loader (executable)"

echo "=== VS Code tests against the installed $VSIX"
eval "$(bash scripts/vscode-test-tools.sh)"
node out/test/vscode/run.js --vsix "$VSIX" --tests activation,completion,verifier --label package
