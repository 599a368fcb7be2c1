# Sourced by start-vm.sh and snapshot-vm.sh: one definition of the QEMU machine, because a saved
# state only restores into the same machine (same devices, memory, CPUs, QEMU version).
IMG=${BPFDEV_VM_CACHE:-/var/cache/bpfdev-vm}
VM_MEM=${VM_MEM:-1024}
VM_SMP=${VM_SMP:-2}
# This machine's /dev/kvm runs only specially patched guests (stock kernels hang at boot), so
# the default is software emulation; ACCEL=kvm where KVM is the ordinary kind.
ACCEL=${ACCEL:-tcg}

vm_image_ready() {   # SUITE
  [ -f "$IMG/image-$1.ready" ] && [ -f "$IMG/vmlinux-$1" ] && [ -f "$IMG/initrd-$1.img" ]
}

# What a snapshot must match to be restorable: the image recipe, QEMU's version, the machine.
vm_snapshot_stamp() {   # SUITE
  echo "image=$(cat "$IMG/image-$1.ready") qemu=$(qemu-system-x86_64 --version | head -1 | tr ' ' _) mem=$VM_MEM smp=$VM_SMP accel=$ACCEL"
}

# vm_launch SUITE PORT DIR [extra qemu args...]: QEMU as a background child, PID in DIR/qemu.pid.
vm_launch() {
  local suite=$1 port=$2 dir=$3; shift 3
  local accel
  case $ACCEL in
    kvm) accel=(-accel kvm -cpu host) ;;
    *)   accel=(-accel tcg,thread=multi -cpu max) ;;
  esac
  # restrict=on: the guest reaches nothing outside; the one hostfwd rule carries ssh in from
  # 127.0.0.1:PORT. Nothing listens on any other address.
  qemu-system-x86_64 "${accel[@]}" -m "$VM_MEM" -smp "$VM_SMP" \
    -kernel "$IMG/vmlinux-$suite" -initrd "$IMG/initrd-$suite.img" \
    -append "console=ttyS0 panic=-1 quiet" \
    -netdev "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" \
    -device virtio-net-pci,netdev=net0 -device virtio-rng-pci \
    -display none -serial "file:$dir/console.log" -no-reboot \
    -qmp "unix:$dir/qmp.sock,server=on,wait=off" "$@" \
    > "$dir/qemu.log" 2>&1 < /dev/null &
  echo $! > "$dir/qemu.pid"
}

# vm_write_client_config PORT DIR: ssh_config (aliases bpfdev-vm, bpfdev-vm-sudo, bpfdev-vm-nosudo)
# and known_hosts holding the guest's host key from the image build: never learned by connecting.
vm_write_client_config() {
  local port=$1 dir=$2 alias user
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$IMG/host_ed25519.pub")" > "$dir/known_hosts"
  : > "$dir/ssh_config"
  for alias in bpfdev-vm:root bpfdev-vm-sudo:bpfdevsudo bpfdev-vm-nosudo:bpfdevnosudo; do
    user=${alias#*:}
    cat >> "$dir/ssh_config" <<CONF
Host ${alias%%:*}
  HostName 127.0.0.1
  Port $port
  User $user
  IdentityFile $IMG/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 20
CONF
  done
}
