#!/usr/bin/env bash
# Makes a Docker engine reachable: reuses a running one, otherwise (root on Debian) installs
# Debian's docker.io and starts dockerd in the background. Elsewhere it says what to install.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "converge: no Docker engine is reachable. Start one (or install Docker Engine) and run again." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "converge: installing Debian's docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

echo "converge: starting dockerd" >&2
log=${CONVERGE_DOCKERD_LOG:-/var/log/converge-dockerd.log}
# setsid: dockerd must outlive the calling shell's process group (CI kills job groups).
setsid nohup dockerd --storage-driver="${CONVERGE_DOCKER_STORAGE_DRIVER:-overlay2}" >"$log" 2>&1 < /dev/null &
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 0.5
done
echo "converge: dockerd did not start; its log follows" >&2
tail -n 40 "$log" >&2
exit 1
