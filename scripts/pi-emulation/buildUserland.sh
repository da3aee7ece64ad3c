#!/usr/bin/env bash
# Builds (or reuses) an emulated Debian 13 "trixie" userland for a Raspberry Pi OS architecture, with Node.js from
# Debian, under a cache directory outside the repository.
#
#   sudo bash scripts/pi-emulation/buildUserland.sh arm64|armhf [--cache-root /var/cache/zeronas-pi]
#
# Raspberry Pi OS's current base is trixie (Node 20.19 in its own packages). The userland runs through
# qemu-user-static + binfmt_misc: every ARM binary in it is emulated (100-360x slower than native), which is fine for
# checking that the agent installs and works, and meaningless for timing. Cost on a loaded 2-core machine: ~6-8 min
# debootstrap plus ~20-30 min of emulated package configuration, ~1.3 GB. A finished userland is marked with
# .zeronas-userland-ready and reused as is; delete the directory to rebuild.
set -euo pipefail

ARCH="${1:-}"
shift || true
CACHE_ROOT=/var/cache/zeronas-pi
while [ $# -gt 0 ]; do
  case "$1" in
    --cache-root) CACHE_ROOT="${2:-}"; shift 2 ;;
    *) echo "buildUserland: error: unknown option '$1'" >&2; exit 2 ;;
  esac
done
case "$ARCH" in
  arm64) QEMU_NAME=qemu-aarch64 ;;
  armhf) QEMU_NAME=qemu-arm ;;
  *) echo "buildUserland: error: architecture '$ARCH' is not arm64 or armhf" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "buildUserland: error: run as root (debootstrap and chroot need it)" >&2; exit 1; }

ROOTFS="$CACHE_ROOT/$ARCH"
READY="$ROOTFS/.zeronas-userland-ready"
MIRROR="${ZERONAS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# binfmt_misc must be mounted for the kernel to hand ARM binaries to qemu (containers often lack the mount).
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
for tool in debootstrap chroot; do
  command -v "$tool" >/dev/null || { echo "buildUserland: error: '$tool' missing: apt-get install qemu-user-static debootstrap" >&2; exit 1; }
done
if [ ! -e "/proc/sys/fs/binfmt_misc/$QEMU_NAME" ]; then
  update-binfmts --enable "$QEMU_NAME" 2>/dev/null || true
fi
[ -e "/proc/sys/fs/binfmt_misc/$QEMU_NAME" ] || {
  echo "buildUserland: error: no binfmt_misc handler '$QEMU_NAME': apt-get install qemu-user-static binfmt-support" >&2
  exit 1
}

# qemu 7.2 (Debian 12's own qemu-user-static) crashes (SIGSEGV) when onnxruntime-node 1.30 loads in the arm64 userland;
# qemu 10 (trixie, or bookworm-backports) runs it. Checked here so the lab fails with the fix, not with a dead agent.
QEMU_VERSION="$("$QEMU_NAME-static" --version 2>/dev/null | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -n 1)"
if [ -z "$QEMU_VERSION" ] || [ "$QEMU_VERSION" -lt 8 ]; then
  echo "buildUserland: error: $QEMU_NAME-static is version ${QEMU_VERSION:-unknown}; onnxruntime-node crashes under qemu 7 (Debian 12)." >&2
  echo "  On Debian 12 install qemu 10 from bookworm-backports:" >&2
  echo "    echo 'deb http://deb.debian.org/debian bookworm-backports main' | sudo tee /etc/apt/sources.list.d/bookworm-backports.list" >&2
  echo "    sudo apt-get update && sudo apt-get install -t bookworm-backports qemu-user-static" >&2
  exit 1
fi

if [ -f "$READY" ]; then
  echo "# userland $ARCH: reusing $ROOTFS ($(cat "$READY"))"
  exit 0
fi

start=$(date +%s)
echo "# userland $ARCH: debootstrap --variant=minbase trixie into $ROOTFS (several minutes, emulated second stage)"
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"
debootstrap --variant=minbase --arch="$ARCH" --include=ca-certificates trixie "$ROOTFS" "$MIRROR"
after_debootstrap=$(date +%s)

# The machine reaches the network through a proxy whose CA lives here; npm or apt inside the userland needs it.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
fi
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"

in_chroot() {
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
}
# Only nodejs: the agent arrives as an offline bundle with its node_modules, so the device needs no npm.
# man-db's trigger is the slowest part of emulated apt and useless here.
in_chroot sh -c 'echo "path-exclude=/usr/share/man/*" >/etc/dpkg/dpkg.cfg.d/01-zeronas-noman; echo "path-exclude=/usr/share/doc/*" >>/etc/dpkg/dpkg.cfg.d/01-zeronas-noman'
in_chroot update-ca-certificates
in_chroot apt-get update -q
in_chroot apt-get install -y -q --no-install-recommends nodejs
in_chroot apt-get clean
end=$(date +%s)

node_version="$(in_chroot node --version)"
echo "trixie $ARCH, node $node_version, debootstrap $((after_debootstrap - start)) s, apt $((end - after_debootstrap)) s, built $(date -u +%FT%TZ)" >"$READY"
echo "# userland $ARCH ready: $(cat "$READY"), $(du -sh --exclude=proc --exclude=sys "$ROOTFS" | cut -f1)"
