#!/usr/bin/env bash
# Installs the controller-side tools the tests compare against or drive: Debian's ansible-core
# (the oracle for inventory and template compatibility), the OpenSSH client and server (SSH
# transport tests), sudo, openssl (the TLS certificate of the restic test's S3 server). Only as
# root on Debian; elsewhere it says what is missing.
set -euo pipefail
need=()
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "converge: the tests need: ${need[*]} (install them, then run again)" >&2
  exit 1
fi
echo "converge: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
