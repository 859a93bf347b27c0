#!/usr/bin/env bash
# The capture scripts' end-to-end tests (npm run test:exhaustive: test/scripts/capture) run the real
# capture.sh under a stand-in QEMU, so they need the host tools it checks for, QEMU aside: install
# the distribution's packages when one is absent (as capture.sh itself does, without --no-install).
set -euo pipefail
missing=""
for t in mkfs.xfs mkfs.vfat mkfs.ext4 depmod modprobe cpio pahole lz4 xz zstd gzip; do
  command -v "$t" > /dev/null || missing="$missing $t"
done
dpkg -s busybox-static > /dev/null 2>&1 || [ -x /bin/busybox ] || missing="$missing busybox-static"
if [ -z "$missing" ]; then exit 0; fi
echo "installing the capture host tools (missing:$missing)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends busybox-static xfsprogs dosfstools e2fsprogs kmod cpio lz4 xz-utils zstd dwarves >/dev/null
