#!/usr/bin/env bash
# A second "host" on this machine: a network namespace joined to ours by a veth pair, with its
# own sshd on 10.231.N.2:22. Same kernel as the machine (BPF programs and trace_pipe are shared),
# separate network stack, so its link can be cut without touching loopback or any real network.
#   start-netns-host.sh NAME N [DIR]      (N in 1..254; NAME at most 10 characters)
#   our side 10.231.N.1/30, namespace side 10.231.N.2/30, no default route in the namespace
#   DIR (default /tmp/bpfdev-netns-NAME) gets what start-sshd-host.sh writes: ssh_config with the
#   aliases bpfdev-test, bpfdev-test-sudo, bpfdev-test-nosudo, known_hosts, client_key, sshd.log.
#   CLIENT_ALIVE=SECS is passed to sshd (see start-sshd-host.sh).
# Stop with stop-netns-host.sh NAME [DIR]. Root only.
set -euo pipefail
NAME=${1:?name}
N=${2:?index 1..254}
DIR=${3:-/tmp/bpfdev-netns-$NAME}
HERE=$(cd "$(dirname "$0")" && pwd)
[ "${#NAME}" -le 10 ] || { echo "start-netns-host: NAME must be at most 10 characters (interface names are limited to 15)" >&2; exit 2; }
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 254 ] || { echo "start-netns-host: N must be 1..254" >&2; exit 2; }
command -v ip >/dev/null || { echo "start-netns-host: needs iproute2" >&2; exit 1; }
OUR_IF=$NAME-h
NS_IF=$NAME-n
OUR_ADDR=10.231.$N.1
NS_ADDR=10.231.$N.2

if ip netns list | grep -qw -- "$NAME"; then
  echo "start-netns-host: namespace $NAME exists (stop-netns-host.sh $NAME)" >&2; exit 1
fi
if ip -o addr show | grep -q " 10\.231\.$N\.[0-9]*/"; then
  echo "start-netns-host: 10.231.$N.0/30 is already in use on this machine: pick another N" >&2; exit 1
fi

# Undo a half-made host if anything below fails.
trap '"$HERE/stop-netns-host.sh" "$NAME" "$DIR" >/dev/null 2>&1' ERR
mkdir -p "$DIR"
echo "$NAME" > "$DIR/netns"
ip netns add "$NAME"
ip link add "$OUR_IF" type veth peer name "$NS_IF"
ip link set "$NS_IF" netns "$NAME"
ip addr add "$OUR_ADDR/30" dev "$OUR_IF"
ip link set "$OUR_IF" up
ip -n "$NAME" link set lo up
ip -n "$NAME" addr add "$NS_ADDR/30" dev "$NS_IF"
ip -n "$NAME" link set "$NS_IF" up

NETNS=$NAME LISTEN=$NS_ADDR "$HERE/start-sshd-host.sh" 22 "$DIR" >/dev/null
trap - ERR
echo "$DIR"
