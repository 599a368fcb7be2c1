#!/usr/bin/env bash
# A throw-away sshd on 127.0.0.1:PORT for the ssh test tier: its own host key, client key,
# known_hosts and ssh_config in DIR; nothing in /etc/ssh is touched. Root only (it logs in as
# root and, with --users, creates test accounts). Prints the DIR when ready.
#   start-sshd-host.sh PORT DIR [--users]
#   --users: bpfdevsudo (passwordless sudo) and bpfdevnosudo (no sudo); removed by stop-sshd-host.sh
# Environment (used by start-netns-host.sh):
#   LISTEN=ADDR         listen there instead of 127.0.0.1
#   NETNS=NAME          run sshd inside that network namespace, with tracefs/debugfs/bpffs mounted in it
#   CLIENT_ALIVE=SECS   sshd drops a client that has not answered 3 keepalives SECS apart (default: never)
set -euo pipefail
PORT=${1:?port}
DIR=${2:?dir}
USERS=${3:-}
LISTEN=${LISTEN:-127.0.0.1}
NETNS=${NETNS:-}
CLIENT_ALIVE=${CLIENT_ALIVE:-0}
SSHD=/usr/sbin/sshd
[ -x $SSHD ] || { echo "start-sshd-host: $SSHD missing (apt-get install openssh-server)" >&2; exit 1; }

mkdir -p "$DIR/authorized_keys"
chmod 755 "$DIR" "$DIR/authorized_keys"
# Debian's sshd wants its privilege-separation directory (systemd usually makes it).
mkdir -p /run/sshd && chmod 755 /run/sshd
[ -f "$DIR/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C bpfdev-test-host -f "$DIR/host_key"
[ -f "$DIR/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C bpfdev-test-client -f "$DIR/client_key"
install -m 644 "$DIR/client_key.pub" "$DIR/authorized_keys/root"

if [ "$USERS" = "--users" ]; then
  for user in bpfdevsudo bpfdevnosudo; do
    # '*' = no password, yet not locked ('!' would make sshd refuse key logins too).
    id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash -p '*' "$user"
    install -m 644 "$DIR/client_key.pub" "$DIR/authorized_keys/$user"
  done
  echo 'bpfdevsudo ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/bpfdev-test
  chmod 440 /etc/sudoers.d/bpfdev-test
  echo "bpfdevsudo bpfdevnosudo" > "$DIR/created-users"
fi

cat > "$DIR/sshd_config" <<CONF
Port $PORT
ListenAddress $LISTEN
HostKey $DIR/host_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys/%u
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
ClientAliveInterval $CLIENT_ALIVE
ClientAliveCountMax 3
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
CONF
$SSHD -t -f "$DIR/sshd_config"

# known_hosts names port 22 as the bare address, any other port as [address]:port.
if [ "$PORT" = 22 ]; then known_name=$LISTEN; else known_name="[$LISTEN]:$PORT"; fi
echo "$known_name $(cut -d' ' -f1,2 "$DIR/host_key.pub")" > "$DIR/known_hosts"
cat > "$DIR/ssh_config" <<CONF
Host bpfdev-test
  HostName $LISTEN
  Port $PORT
  User root
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
Host bpfdev-test-sudo
  HostName $LISTEN
  Port $PORT
  User bpfdevsudo
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
Host bpfdev-test-nosudo
  HostName $LISTEN
  Port $PORT
  User bpfdevnosudo
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
CONF

# -D: stay in the foreground as our child, -e: log to stderr (captured in sshd.log).
if [ -n "$NETNS" ]; then
  # 'ip netns exec' gives the command its own mount namespace with a fresh /sys: the loader
  # needs tracefs and bpffs there. tracefs is the kernel's one buffer; this bpffs is a new instance.
  setsid ip netns exec "$NETNS" sh -c '
    mount -t tracefs nodev /sys/kernel/tracing
    mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
    mount -t bpf bpf /sys/fs/bpf
    exec "$@"' sshd-in-netns $SSHD -D -e -f "$DIR/sshd_config" >"$DIR/sshd.log" 2>&1 </dev/null &
else
  setsid $SSHD -D -e -f "$DIR/sshd_config" >"$DIR/sshd.log" 2>&1 </dev/null &
fi
echo $! > "$DIR/sshd.child.pid"
for _ in $(seq 1 100); do
  if ssh -F "$DIR/ssh_config" -o BatchMode=yes -o StrictHostKeyChecking=yes bpfdev-test true 2>/dev/null; then
    echo "$DIR"
    exit 0
  fi
  sleep 0.05
done
echo "start-sshd-host: sshd did not answer on $LISTEN:$PORT; its log:" >&2
tail -5 "$DIR/sshd.log" >&2
exit 1
