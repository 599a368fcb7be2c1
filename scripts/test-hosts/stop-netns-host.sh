#!/usr/bin/env bash
# Stops a host made by start-netns-host.sh: its sshd (by recorded PID), the namespace and the veth pair.
#   stop-netns-host.sh NAME [DIR]
set -uo pipefail
NAME=${1:?name}
DIR=${2:-/tmp/bpfdev-netns-$NAME}
HERE=$(cd "$(dirname "$0")" && pwd)
[ -d "$DIR" ] && "$HERE/stop-sshd-host.sh" "$DIR"
# Deleting the namespace destroys its end of the veth pair, which takes our end with it.
ip netns del "$NAME" 2>/dev/null
ip link del "$NAME-h" 2>/dev/null
exit 0
