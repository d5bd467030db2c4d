#!/usr/bin/env bash
# Makes a Docker engine reachable: reuses a running one, otherwise (root on Debian) installs
# Debian's docker.io and starts the engine: with systemctl where systemd runs, else dockerd in
# the background, detached so that it outlives this shell. Elsewhere it says what to install.
# Safe to run concurrently: a second caller waits for the first one's engine.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "converge: no Docker engine is reachable. Start one (or install Docker Engine) and run again." >&2
  exit 1
fi

exec 9>"${TMPDIR:-/tmp}/converge-ensure-docker.lock"
flock 9
if docker info >/dev/null 2>&1; then
  exit 0 # started by a concurrent caller while we waited for the lock
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "converge: installing Debian's docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

wait_for_engine() {
  for _ in $(seq 1 120); do
    if docker info >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  return 1
}

if [ -d /run/systemd/system ]; then
  echo "converge: starting docker.service" >&2
  systemctl start docker.service
  wait_for_engine && exit 0
  echo "converge: docker.service did not start; its journal follows" >&2
  journalctl -u docker.service --no-pager -n 40 >&2 || true
  exit 1
fi

echo "converge: starting dockerd" >&2
log=${CONVERGE_DOCKERD_LOG:-/var/log/converge-dockerd.log}
# setsid + nohup + closed fds: dockerd leaves this shell's session and process group (CI kills
# job groups) and holds none of our pipes (a caller reading our output would never see EOF).
setsid nohup dockerd --storage-driver="${CONVERGE_DOCKER_STORAGE_DRIVER:-overlay2}" \
  >"$log" 2>&1 </dev/null 9>&- &
wait_for_engine && exit 0
echo "converge: dockerd did not start; its log ($log) follows" >&2
tail -n 40 "$log" >&2
exit 1
