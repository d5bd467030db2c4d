#!/usr/bin/env bash
# Builds the Debian 12 test-host image (systemd as PID 1, sshd, sudo) with debootstrap and
# `docker import`, since no image can be pulled. Prints the image name. Reuses an image whose
# tag matches this script's content. Concurrent invocations build once: the others wait on a
# lock and then print the same name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/ensure-docker.sh"

tag=$(sha256sum "$here/build-image.sh" | cut -c1-12)
image="converge/debian12:$tag"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

exec 9>"${TMPDIR:-/tmp}/converge-build-image.lock"
if ! flock -n 9; then
  echo "converge: another build of $image is running; waiting for it" >&2
  flock 9
fi
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "converge: building the test image needs root (debootstrap)." >&2
  exit 1
fi
# debian-archive-keyring: present on Debian, missing on Ubuntu (e.g. CI runners).
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if ! command -v debootstrap >/dev/null 2>&1 || [ ! -f "$keyring" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq debootstrap debian-archive-keyring >/dev/null
fi

mirror=${CONVERGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/converge-rootfs.XXXXXX)
# --one-file-system: never descend into a /proc or /sys that a failed debootstrap left mounted.
trap 'rm -rf --one-file-system "$root"' EXIT
echo "converge: debootstrap bookworm into $root (about a minute)" >&2
debootstrap --variant=minbase --keyring="$keyring" \
  --include=systemd,systemd-sysv,dbus,openssh-server,sudo,iproute2,procps,python3,ca-certificates,curl,gnupg,less \
  bookworm "$root" "$mirror" >&2

cat > "$root/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${CONVERGE_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SRC
# Host keys differ per machine: none in the image, generated at each boot.
rm -f "$root"/etc/ssh/ssh_host_*
cat > "$root/etc/systemd/system/converge-hostkeys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys for this machine
Before=ssh.service
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/converge-hostkeys.service "$root/etc/systemd/system/multi-user.target.wants/converge-hostkeys.service"
mkdir -p "$root/root/.ssh" && chmod 700 "$root/root/.ssh"
printf 'UseDNS no\nPermitRootLogin prohibit-password\nMaxSessions 64\nMaxStartups 200:30:400\n' > "$root/etc/ssh/sshd_config.d/converge-test.conf"
# Units that make no sense in a container, or wait for hardware.
for u in getty@tty1.service console-getty.service systemd-udevd.service systemd-udevd-control.socket \
         systemd-udevd-kernel.socket systemd-modules-load.service sys-kernel-config.mount \
         systemd-remount-fs.service systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
: > "$root/etc/machine-id"
rm -rf "$root"/var/cache/apt/archives/*.deb

tar -C "$root" --numeric-owner -c . | docker import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=docker' \
  - "$image" >&2
echo "$image"
