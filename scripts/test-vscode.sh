#!/usr/bin/env bash
# CI entry for the VS Code tier: the extension in a real VS Code (code-server's workbench in
# headless chromium, see test/vscode/code-test-shim.js), against this machine's kernel and the
# SSH test hosts (a loopback sshd; the Debian 6.1 VM when its image is cached, always in CI).
# Needs root (the tests load BPF programs), clang and bpftool.
#
#   bash scripts/test-vscode.sh            build, check the fixtures, run the tier
#   bash scripts/test-vscode.sh --no-build when an earlier CI step already ran `npm run build`
# (npm run test:vscode runs this script; scripts/test-all.mjs reads its `N passed, N failed` line.)
#
# Two VS Code runs: every suite against the development tree, then scripts/package-smoke.sh
# packs bpfdev.vsix and runs the smoke suites against the installed package. The last line
# totals both.
#
# Cache /opt/vscode-test-tools (VSCODE_TEST_TOOLS) between CI runs: the first install takes minutes.
# Screenshots land in test-results/screenshots/ (the package run's in .../vsix/); keep them as
# CI artifacts.
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

totals="$(mktemp)"
trap 'rm -f "$totals"' EXIT
export BPFDEV_VSCODE_TOTALS="$totals"
status=0

echo "=== VS Code tests"
node out/test/vscode/run.js --label development || status=1

echo "=== package smoke test"
bash scripts/package-smoke.sh --no-build || status=1

# One line for scripts/test-all.mjs, summing the runs' lines (a run that wrote none counts as a failure).
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const sum = (key) => lines.reduce((total, run) => total + run[key], 0);
  const missing = Math.max(0, 2 - lines.length);
  console.log(`${sum("passed")} passed, ${sum("failed") + missing} failed, ${sum("skipped")} skipped`);
' "$totals"
exit "$status"
