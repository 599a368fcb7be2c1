#!/usr/bin/env bash
# Starts a test VM (image from build-vm-image.sh) with its sshd forwarded to 127.0.0.1:PORT.
# Restores the suite's saved state when snapshot-vm.sh made one for this image and this QEMU
# (~4 s), else boots cold (~17 s under TCG). QEMU is a background child with its PID recorded.
#   start-vm.sh SUITE PORT DIR
#   env: BPFDEV_VM_CACHE (image dir, /var/cache/bpfdev-vm)  COLD=1 (never restore)
#        ACCEL=tcg|kvm  VM_MEM=1024  VM_SMP=2  BOOT_TIMEOUT=180
# Writes in DIR: ssh_config (aliases bpfdev-vm = root, bpfdev-vm-sudo, bpfdev-vm-nosudo),
# known_hosts, qemu.pid, console.log, qemu.log, kernel-release, and prints the boot kind and time.
# Stop with stop-vm.sh DIR.
set -euo pipefail
SUITE=${1:?suite (bookworm, bullseye, trixie)}
PORT=${2:?port}
DIR=${3:?dir}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vm-common.sh"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
started=$(date +%s%N)

vm_image_ready "$SUITE" || { echo "start-vm: no $SUITE image in $IMG: run scripts/test-hosts/build-vm-image.sh $IMG $SUITE" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "start-vm: qemu-system-x86_64 missing (build-vm-image.sh installs it)" >&2; exit 1; }
mkdir -p "$DIR"
rm -f "$DIR/qemu.pid" "$DIR/qmp.sock"
vm_write_client_config "$PORT" "$DIR"
cp "$IMG/kver-$SUITE" "$DIR/kernel-release"

snapshot=$IMG/snapshot-$SUITE.zst
if [ -z "${COLD:-}" ] && [ -f "$snapshot" ] && [ "$(cat "$IMG/snapshot-$SUITE.stamp" 2>/dev/null)" = "$(vm_snapshot_stamp "$SUITE")" ]; then
  kind=restored
  vm_launch "$SUITE" "$PORT" "$DIR" -incoming "exec:zstd -dcq $snapshot"
  # Touching the forwarded port before the state is loaded hangs that connection (the
  # user-mode network's state is part of the snapshot): wait until the VM runs.
  node "$HERE/qmp.mjs" "$DIR/qmp.sock" wait-running "$BOOT_TIMEOUT" \
    || { echo "start-vm: restoring $snapshot failed:" >&2; cat "$DIR/qemu.log" >&2; "$HERE/stop-vm.sh" "$DIR" >/dev/null; exit 1; }
else
  kind=cold
  vm_launch "$SUITE" "$PORT" "$DIR"
fi

# The forwarded port accepts at once; only a completed ssh login means the guest's sshd is up.
deadline=$(( $(date +%s) + BOOT_TIMEOUT ))
until ssh -F "$DIR/ssh_config" bpfdev-vm true 2>/dev/null; do
  if ! kill -0 "$(cat "$DIR/qemu.pid")" 2>/dev/null; then
    echo "start-vm: qemu exited:" >&2; cat "$DIR/qemu.log" >&2; tail -20 "$DIR/console.log" >&2; exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "start-vm: $SUITE not reachable over ssh after ${BOOT_TIMEOUT}s; console:" >&2
    tail -30 "$DIR/console.log" >&2; "$HERE/stop-vm.sh" "$DIR" >/dev/null; exit 1
  fi
  sleep 0.2
done
# A restored guest's clock stands at the moment of the snapshot.
[ "$kind" = cold ] || ssh -F "$DIR/ssh_config" bpfdev-vm "date -s @$(date +%s) >/dev/null"
echo "$kind"
printf 'VM %s (%s) on 127.0.0.1:%s, %s in %.1f s\n' "$SUITE" "$(cat "$IMG/kver-$SUITE")" "$PORT" "$kind" \
  "$(( $(date +%s%N) - started ))e-9" >&2
