#!/usr/bin/env bash
# A throw-away sshd on 127.0.0.1:PORT for the ssh test tier: its own host key, client key,
# known_hosts and ssh_config in DIR; nothing in /etc/ssh is touched. Root only (it logs in as
# root and, with --users, creates test accounts). Prints the DIR when ready.
#   start-sshd-host.sh PORT DIR [--users]
#   --users: bpfdevsudo (passwordless sudo) and bpfdevnosudo (no sudo); removed by stop-sshd-host.sh
set -euo pipefail
PORT=${1:?port}
DIR=${2:?dir}
USERS=${3:-}
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
ListenAddress 127.0.0.1
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
ClientAliveInterval 0
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
CONF
$SSHD -t -f "$DIR/sshd_config"

echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$DIR/host_key.pub")" > "$DIR/known_hosts"
cat > "$DIR/ssh_config" <<CONF
Host bpfdev-test
  HostName 127.0.0.1
  Port $PORT
  User root
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
Host bpfdev-test-sudo
  HostName 127.0.0.1
  Port $PORT
  User bpfdevsudo
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
Host bpfdev-test-nosudo
  HostName 127.0.0.1
  Port $PORT
  User bpfdevnosudo
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
CONF

# -D: stay in the foreground as our child, -e: log to stderr (captured in sshd.log).
setsid $SSHD -D -e -f "$DIR/sshd_config" >"$DIR/sshd.log" 2>&1 </dev/null &
echo $! > "$DIR/sshd.child.pid"
for _ in $(seq 1 100); do
  if ssh -F "$DIR/ssh_config" -o BatchMode=yes -o StrictHostKeyChecking=yes bpfdev-test true 2>/dev/null; then
    echo "$DIR"
    exit 0
  fi
  sleep 0.05
done
echo "start-sshd-host: sshd did not answer on 127.0.0.1:$PORT; its log:" >&2
tail -5 "$DIR/sshd.log" >&2
exit 1
