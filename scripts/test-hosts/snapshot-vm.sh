#!/usr/bin/env bash
# Boots a suite's VM cold, waits until ssh works, and saves its whole state (RAM and devices)
# to BPFDEV_VM_CACHE/snapshot-SUITE.zst, so start-vm.sh restores an ssh-ready VM in seconds.
# Any number of VMs can restore from one file at once. Skips work when a valid one exists.
#   snapshot-vm.sh SUITE [PORT]     (PORT: a free loopback port for the boot; one is picked)
set -euo pipefail
SUITE=${1:?suite}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vm-common.sh"
vm_image_ready "$SUITE" || { echo "snapshot-vm: no $SUITE image in $IMG: run build-vm-image.sh first" >&2; exit 1; }
snapshot=$IMG/snapshot-$SUITE.zst
stamp=$(vm_snapshot_stamp "$SUITE")
exec 9>"$IMG/.snapshot-$SUITE.lock"
flock 9
if [ -f "$snapshot" ] && [ "$(cat "$IMG/snapshot-$SUITE.stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi
PORT=${2:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}
started=$(date +%s)
DIR=$(mktemp -d /tmp/bpfdev-vm-snapshot-XXXXXX)
trap '"$HERE/stop-vm.sh" "$DIR" >/dev/null; rm -rf "$DIR" "$snapshot.tmp"' EXIT
COLD=1 "$HERE/start-vm.sh" "$SUITE" "$PORT" "$DIR" >/dev/null
# Let first-login work (page cache, sshd's re-exec) happen before the state is frozen.
ssh -F "$DIR/ssh_config" bpfdev-vm 'sync; bpftool version >/dev/null'
rm -f "$snapshot" "$IMG/snapshot-$SUITE.stamp"
node "$HERE/qmp.mjs" "$DIR/qmp.sock" save "zstd -q -3 -T0 > $snapshot.tmp" 300
"$HERE/stop-vm.sh" "$DIR"
# zstd may still be flushing when QEMU reports completion: wait for a whole frame.
for _ in $(seq 1 100); do zstd -tq "$snapshot.tmp" 2>/dev/null && break; sleep 0.1; done
zstd -tq "$snapshot.tmp"
mv "$snapshot.tmp" "$snapshot"
echo "$stamp" > "$IMG/snapshot-$SUITE.stamp"
echo "snapshot-vm: $snapshot ($(du -h "$snapshot" | cut -f1)) in $(( $(date +%s) - started )) s" >&2
