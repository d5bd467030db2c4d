#!/usr/bin/env bash
# Installs the controller-side tools the tests compare against or drive: Debian's ansible-core
# (the oracle for inventory and template compatibility), the OpenSSH client and server (SSH
# transport tests), sudo, openssl (the TLS certificate of @converge/testing's S3 server), Chromium
# (the HTML report's browser test, driven by playwright-core), and
# promtool and amtool (the Prometheus rule tests and the Alertmanager config checks) unpacked
# from Debian's prometheus and prometheus-alertmanager packages into .cache/debian-tools, not
# installed: installing them would start the daemons on this machine. Only as root on Debian;
# elsewhere it says what is missing.
set -euo pipefail
tools="$(cd "$(dirname "$0")/.." && pwd)/.cache/debian-tools"
unpack_prometheus_tools() {
  [ -x "$tools/usr/bin/promtool" ] && [ -x "$tools/usr/bin/amtool" ] && return 0
  local dir
  dir=$(mktemp -d)
  (cd "$dir" && apt-get download -qq prometheus prometheus-alertmanager >/dev/null 2>&1) || { apt-get update -qq && (cd "$dir" && apt-get download -qq prometheus prometheus-alertmanager >/dev/null); }
  mkdir -p "$tools"
  for deb in "$dir"/*.deb; do dpkg-deb -x "$deb" "$tools"; done
  rm -rf "$dir"
  echo "converge: promtool and amtool unpacked in $tools" >&2
}
need=()
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ! -x "$tools/usr/bin/promtool" ] || [ ! -x "$tools/usr/bin/amtool" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then unpack_prometheus_tools; else need+=(prometheus prometheus-alertmanager); fi
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "converge: the tests need: ${need[*]} (install them, then run again)" >&2
  exit 1
fi
echo "converge: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
