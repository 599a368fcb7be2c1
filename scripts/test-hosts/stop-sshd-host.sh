#!/usr/bin/env bash
# Stops an sshd started by start-sshd-host.sh (by its recorded PID) and removes its test users.
set -uo pipefail
DIR=${1:?dir}
if [ -f "$DIR/sshd.child.pid" ]; then
  pid=$(cat "$DIR/sshd.child.pid")
  for child in $(pgrep -P "$pid" 2>/dev/null); do kill "$child" 2>/dev/null; done
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$DIR/sshd.child.pid"
fi
if [ -f "$DIR/created-users" ]; then
  for user in $(cat "$DIR/created-users"); do
    pkill -u "$user" 2>/dev/null
    userdel -r "$user" 2>/dev/null
  done
  rm -f /etc/sudoers.d/bpfdev-test "$DIR/created-users"
fi
