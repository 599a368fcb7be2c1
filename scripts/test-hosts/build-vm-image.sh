#!/usr/bin/env bash
# Builds the test VMs' image from Debian packages only, once, into a cache outside the repo:
#   - a Debian bookworm userland (debootstrap minbase + openssh-server, bpftool, sudo) packed as
#     an uncompressed initramfs: the whole root fs lives in guest RAM, so every boot is pristine
#   - stock Debian kernels (bookworm 6.1, bullseye 5.10, trixie 6.12) with only their virtio
#     modules, each fetched through a private apt configuration (the system's apt is not touched)
#   build-vm-image.sh [OUT=${BPFDEV_VM_CACHE:-/var/cache/bpfdev-vm}] [SUITES="bookworm bullseye trixie"]
# Results in OUT, per suite: vmlinux-SUITE (uncompressed ELF), initrd-SUITE.img, kver-SUITE and
# image-SUITE.ready (written last: its presence means the rest is complete). Shared:
# client_ed25519 (key for root, bpfdevsudo, bpfdevnosudo) and host_ed25519.pub (the guest's host
# key, made once and kept, so known_hosts is written from it, never learned by connecting).
#
# Idempotent: a suite whose image-SUITE.ready names this script's current recipe is skipped;
# debootstrap and kernel downloads are cached under OUT/work and retried on network errors.
# Concurrent runs serialise on OUT/.build.lock. Root only (debootstrap, chroot).
set -euo pipefail
OUT=${1:-${BPFDEV_VM_CACHE:-/var/cache/bpfdev-vm}}
SUITES=${2:-bookworm bullseye trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
USERLAND_SUITE=bookworm
USERLAND_PACKAGES=openssh-server,bpftool,iproute2,kmod,procps,sudo
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$OUT/work
started=$(date +%s)
log() { echo "[build-vm-image +$(( $(date +%s) - started ))s] $*" >&2; }
die() { echo "build-vm-image: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"
for suite in $SUITES; do
  case $suite in bookworm|bullseye|trixie) ;; *) die "unknown suite $suite (bookworm, bullseye, trixie)";; esac
done

# What the guest looks like is decided by this script and the init it writes: a changed script
# is a new recipe, and images of an older recipe are rebuilt.
RECIPE=$(sha256sum "$HERE/build-vm-image.sh" | cut -c1-16)

mkdir -p "$OUT" "$WORK"
chmod 755 "$OUT"
exec 9>"$OUT/.build.lock"
flock 9

pending=""
for suite in $SUITES; do
  [ "$(cat "$OUT/image-$suite.ready" 2>/dev/null)" = "$RECIPE" ] || pending="$pending $suite"
done
if [ -z "$pending" ]; then log "up to date in $OUT ($SUITES)"; exit 0; fi
log "building${pending} into $OUT (recipe $RECIPE)"

missing=()
for tool in qemu-system-x86:qemu-system-x86_64 debootstrap:debootstrap kmod:depmod cpio:cpio zstd:zstd \
            xz-utils:xz openssh-client:ssh-keygen util-linux:flock; do
  command -v "${tool#*:}" >/dev/null || missing+=("${tool%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

retry() {   # retry CMD...: the mirror is reached over the network, which can fail for a moment
  local attempt
  for attempt in 1 2 3; do
    "$@" && return 0
    log "attempt $attempt of '$1' failed; retrying"
    sleep $((attempt * 5))
  done
  return 1
}

# ---- keys: made once, kept across rebuilds (a new host key would break every known_hosts) ----
[ -f "$OUT/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C bpfdev-vm-client -f "$OUT/client_ed25519"
[ -f "$OUT/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C bpfdev-vm-host -f "$OUT/host_ed25519"

# ---- userland ----
ROOTFS=$WORK/rootfs
if [ "$(cat "$WORK/rootfs.done" 2>/dev/null)" != "$USERLAND_SUITE $USERLAND_PACKAGES" ]; then
  log "debootstrap $USERLAND_SUITE minbase (+ $USERLAND_PACKAGES)"
  bootstrap() {
    rm -rf "$ROOTFS.tmp"
    debootstrap --variant=minbase --include="$USERLAND_PACKAGES" --keyring="$KEYRING" \
      "$USERLAND_SUITE" "$ROOTFS.tmp" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
      || { tail -5 "$WORK/debootstrap.log" >&2; return 1; }
  }
  retry bootstrap || die "debootstrap failed; see $WORK/debootstrap.log"
  rm -rf "$ROOTFS" && mv "$ROOTFS.tmp" "$ROOTFS"
  echo "$USERLAND_SUITE $USERLAND_PACKAGES" > "$WORK/rootfs.done"
fi

log "configuring the root fs"
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
install -m 600 "$OUT/host_ed25519" "$ROOTFS/etc/ssh/ssh_host_ed25519_key"
install -m 644 "$OUT/host_ed25519.pub" "$ROOTFS/etc/ssh/ssh_host_ed25519_key.pub"
cat > "$ROOTFS/etc/ssh/sshd_config.d/bpfdev.conf" <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
X11Forwarding no
CONF
install -d -m 700 "$ROOTFS/root/.ssh"
install -m 600 "$OUT/client_ed25519.pub" "$ROOTFS/root/.ssh/authorized_keys"
for user in bpfdevsudo bpfdevnosudo; do
  # '*' = no password, yet not locked ('!' would make sshd refuse key logins too).
  chroot "$ROOTFS" id "$user" >/dev/null 2>&1 || chroot "$ROOTFS" useradd -m -s /bin/bash -p '*' "$user"
  install -d -m 700 "$ROOTFS/home/$user/.ssh"
  install -m 600 "$OUT/client_ed25519.pub" "$ROOTFS/home/$user/.ssh/authorized_keys"
  chroot "$ROOTFS" chown -R "$user:$user" "/home/$user/.ssh"
done
echo 'bpfdevsudo ALL=(ALL) NOPASSWD:ALL' > "$ROOTFS/etc/sudoers.d/bpfdevsudo"
chmod 440 "$ROOTFS/etc/sudoers.d/bpfdevsudo"
echo bpfdev-vm > "$ROOTFS/etc/hostname"
grep -qs bpfdev-vm "$ROOTFS/etc/hosts" || printf '127.0.0.1 localhost\n127.0.1.1 bpfdev-vm\n' >> "$ROOTFS/etc/hosts"

# PID 1 is this script, not systemd: the guest reaches sshd in seconds even under TCG.
cat > "$ROOTFS/init" <<'INIT'
#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname bpfdev-vm
modprobe -a virtio_pci virtio_net virtio_rng 2>/dev/console
ip link set lo up
ip link set eth0 up
# qemu user-mode networking's fixed addresses; the host side forwards only our ssh port in.
ip addr add 10.0.2.15/24 dev eth0
mkdir -p /run/sshd && chmod 755 /run/sshd
/usr/sbin/sshd -D -e 2>/dev/console &
echo "BPFDEV_VM_READY kernel=$(uname -r) btf=$([ -e /sys/kernel/btf/vmlinux ] && echo yes || echo no)" > /dev/console
# PID 1 must never exit, and it reaps orphans while it waits.
while :; do sleep 3600; done
INIT
chmod 755 "$ROOTFS/init"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*

log "packing the root fs"
( cd "$ROOTFS" && find . -xdev -print0 | cpio --null -o -H newc --quiet ) > "$WORK/rootfs.cpio.tmp"
mv "$WORK/rootfs.cpio.tmp" "$WORK/rootfs.cpio"

# ---- kernels ----
kernel_deb() {   # SUITE -> path of its linux-image-*.deb, downloaded into WORK/dl once
  local suite=$1 apt_dir=$WORK/apt-$1 package
  mkdir -p "$WORK/dl" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$apt_dir/prefs"
  touch "$apt_dir/status"
  cat > "$apt_dir/sources.list" <<SOURCES
deb [signed-by=$KEYRING] $MIRROR $suite main
deb [signed-by=$KEYRING] $SECURITY_MIRROR $suite-security main
SOURCES
  cat > "$apt_dir/apt.conf" <<CONF
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/parts";
Dir::Etc::Preferences "$apt_dir/preferences";
Dir::Etc::PreferencesParts "$apt_dir/prefs";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir/cache";
APT::Architecture "amd64";
APT::Sandbox::User "root";
Acquire::Languages "none";
CONF
  retry env APT_CONFIG="$apt_dir/apt.conf" apt-get update -qq >&2 || return 1
  package=$(APT_CONFIG=$apt_dir/apt.conf apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$package" ] || { echo "no linux-image-amd64 dependency in $suite" >&2; return 1; }
  if ! ls "$WORK/dl/${package}"_*.deb >/dev/null 2>&1; then
    ( cd "$WORK/dl" && retry env APT_CONFIG="$apt_dir/apt.conf" apt-get download -qq "$package" >&2 ) || return 1
  fi
  ls "$WORK/dl/${package}"_*.deb | tail -1
}

# Debian's bzImage decompresses itself in the guest, which costs ~7 s per boot under TCG: boot
# the ELF inside it instead (PVH entry, CONFIG_PVH=y). 5.10/6.1 carry xz, 6.12 zstd.
extract_vmlinux() {   # BZIMAGE OUT
  local magic tool offset
  for magic in "xz:\xfd7zXZ\x00" "zstd:\x28\xb5\x2f\xfd"; do
    tool=${magic%%:*}
    for offset in $(LC_ALL=C grep -aboP "${magic#*:}" "$1" | cut -d: -f1); do
      # The stream is followed by trailing data the decompressor complains about: judge by the output.
      tail -c +$((offset + 1)) "$1" | "$tool" -dcq > "$2.tmp" 2>/dev/null || true
      if [ "$(head -c 4 "$2.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then mv "$2.tmp" "$2"; return 0; fi
    done
  done
  rm -f "$2.tmp"
  return 1
}

for suite in $pending; do
  log "kernel for $suite"
  deb=$(kernel_deb "$suite") || die "cannot download the $suite kernel"
  unpacked=$WORK/kernel-$suite
  rm -rf "$unpacked" && mkdir -p "$unpacked"
  dpkg-deb -x "$deb" "$unpacked"
  modules=$unpacked/lib/modules; [ -d "$modules" ] || modules=$unpacked/usr/lib/modules   # trixie: merged /usr
  kver=$(ls "$modules")
  extract_vmlinux "$unpacked/boot/vmlinuz-$kver" "$OUT/vmlinux-$suite.tmp" || die "no xz or zstd ELF kernel inside vmlinuz-$kver"
  # Modules go under usr/lib: an initramfs entry for the directory "lib" would replace the
  # root fs's /lib -> usr/lib symlink and break every binary.
  staged=$WORK/modules-$suite
  rm -rf "$staged" && mkdir -p "$staged/usr/lib/modules/$kver"
  ( cd "$modules/$kver" && find kernel/drivers/virtio kernel/drivers/net/virtio_net.ko* kernel/drivers/net/net_failover.ko* \
      kernel/net/core/failover.ko* kernel/drivers/char/hw_random/virtio-rng.ko* -name '*.ko*' 2>/dev/null \
      | cpio -pdm --quiet "$staged/usr/lib/modules/$kver" )
  cp "$modules/$kver"/modules.order "$modules/$kver"/modules.builtin* "$staged/usr/lib/modules/$kver/" 2>/dev/null || true
  depmod -b "$staged/usr" "$kver"
  ( cd "$staged" && find . -print0 | cpio --null -o -H newc --quiet ) > "$WORK/modules-$suite.cpio"
  # Concatenated archives are one initramfs to the kernel. Left uncompressed: decompressing
  # in the guest costs seconds per boot under TCG.
  cat "$WORK/rootfs.cpio" "$WORK/modules-$suite.cpio" > "$OUT/initrd-$suite.img.tmp"
  mv "$OUT/initrd-$suite.img.tmp" "$OUT/initrd-$suite.img"
  mv "$OUT/vmlinux-$suite.tmp" "$OUT/vmlinux-$suite"
  echo "$kver" > "$OUT/kver-$suite"
  rm -rf "$unpacked" "$staged"
  # A snapshot of the previous image would restore the old root fs: drop it.
  rm -f "$OUT/snapshot-$suite.zst" "$OUT/snapshot-$suite.stamp"
  echo "$RECIPE" > "$OUT/image-$suite.ready"
  log "$suite: kernel $kver, initrd $(du -h "$OUT/initrd-$suite.img" | cut -f1)"
done
log "done"
