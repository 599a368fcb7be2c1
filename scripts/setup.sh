#!/usr/bin/env bash
# Everything a fresh Debian 12 machine (as root) needs to build, run and test bpfdev:
# Debian packages, npm dependencies, and the tracefs/bpffs mounts. Idempotent and quick when
# all is already there, so `npm start` and `npm test` can call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev make gcc pkg-config dwarves
          openssh-server openssh-client sudo iproute2 procps)
# ansible-inventory reads every inventory format for `verify --inventory` (issue #10; ssh tier).
PACKAGES+=(ansible-core)
# glibc headers reached from -target bpf see no __x86_64__ and include gnu/stubs-32.h (issue #9).
if [ "$(dpkg --print-architecture)" = amd64 ]; then PACKAGES+=(libc6-dev-i386); fi
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} — run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi

# BPF needs tracefs (tracepoints, trace_pipe) and bpffs; containers and minimal VMs often lack the mounts.
if [ "$(id -u)" -eq 0 ]; then
  mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || \
    echo "setup: warning: cannot mount tracefs at /sys/kernel/tracing" >&2
  mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || \
    echo "setup: warning: cannot mount bpffs at /sys/fs/bpf" >&2
fi
