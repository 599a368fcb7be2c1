#!/usr/bin/env bash
# Stops a VM started by start-vm.sh, by its recorded PID. The guest keeps no state to save.
#   stop-vm.sh DIR
set -uo pipefail
DIR=${1:?dir}
[ -f "$DIR/qemu.pid" ] || exit 0
pid=$(cat "$DIR/qemu.pid")
kill "$pid" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null
rm -f "$DIR/qemu.pid" "$DIR/qmp.sock"
exit 0
