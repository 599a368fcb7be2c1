#!/usr/bin/env bash
# CI entry for the VS Code tier: the extension in a real VS Code (code-server's workbench in
# headless chromium, see test/vscode/code-test-shim.js), against this machine's kernel.
# Needs root (the tests load BPF programs), clang and bpftool.
#
#   bash scripts/test-vscode.sh            build, check the fixtures, run the tier
#   bash scripts/test-vscode.sh --no-build when an earlier CI step already ran `npm run build`
# (npm run test:vscode runs this script; scripts/test-all.mjs reads its `N passed, N failed` line.)
#
# Cache /opt/vscode-test-tools (VSCODE_TEST_TOOLS) between CI runs: the first install takes minutes.
# Screenshots land in test-results/screenshots/; keep them as CI artifacts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done

echo "=== VS Code test tools"
eval "$(bash scripts/vscode-test-tools.sh)"

if [ "$build" = 1 ]; then
  echo "=== build"
  npm run build
fi

# A wrong fixture would fail the VS Code tests with a misleading message: check it first.
echo "=== fixtures against this kernel"
bash test/vscode/check-fixtures.sh

echo "=== VS Code tests"
node out/test/vscode/run.js
