#!/usr/bin/env bash
# bash scripts/capture/capture-waitqueue.sh [OPTIONS]
#
# Builds Debian's linux-source-6.1 (or -6.12) with patches-waitqueue/<version>/*.patch and
# waitqueue.config over allnoconfig (no lockdep; kprobes and ftrace kept), then boots it under QEMU and runs the
# wait-queue reproducer (guest/wqrepro.c, phase "waitqueue" of guest/init) WITHOUT any kprobe, once
# per mode and boot. The modes are chosen at boot by the patch's parameters:
#   stock      (nothing: the kernel behaves as Debian's, d_wait_lookup merely not inlined)
#   delay      kinv_wq_delay=MS           sleep between the two wakes of d_add_ci's caller queue
#   check      kinv_wq_delay=MS kinv_wq_check=1   + the report naming the dead entry
#   fix        kinv_wq_delay=MS kinv_wq_check=1 kinv_wq_fix=1   + the fix
# The build is cached by source + patches + config + recipe hash.
#
# Options:
#   --version 6.1|6.12   kernel source (default 6.1: linux-source-6.1 6.1.192-2; 6.12:
#                        linux-source-6.12 6.12.118-1~deb12u1)
#   --out DIR            output folder (default scripts/capture/work/out-waitqueue/<version>-<date>)
#   --modes LIST         comma-separated from stock,delay,check,fix (default all four)
#   --boots N            boots per mode (default 3)
#   --delay MS           kinv_wq_delay (default 50)
#   --wq-args ARGS       reproducer arguments (default "-n 6 -r 60")
#   --build-only         build (or find in the cache) and stop
#   --jobs N             make -j N (default 2), under nice -n 19
#   --accel auto|kvm|tcg passed to the boot (default tcg)
#   --timeout S          per boot (default 600)
#   --smp N              guest CPUs (default 2); under TCG, more vCPUs than host cores means the
#                        host preempts vCPUs at arbitrary points, which stretches the windows
#   --qemu-nice N        run QEMU under nice -n N (default 0)
#   --kernel-package PKG=VERSION  boot this Debian linux-image package unchanged instead of a build
#                        (downloaded with apt-get download and unpacked, never installed; its
#                        virtio and xfs modules are loaded in the guest): mode stock only, e.g.
#                        linux-image-6.1.0-56-cloud-amd64=6.1.192-2
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${KINV_CAPTURE_WORK:-$HERE/work}
BUILD_PACKAGES="build-essential flex bison bc libelf-dev libssl-dev dwarves xz-utils cpio"
NAME=capture:waitqueue
# shellcheck source=lib.sh
. "$HERE/lib.sh"
VERSION=6.1; WQ_OUT=""; MODES="stock,delay,check,fix"; BOOTS=3; DELAY=50; WQ_ARGS="-n 6 -r 60"
BUILD_ONLY=0; JOBS=2; W_ACCEL=tcg; W_TIMEOUT=600; KERNEL_PACKAGE=""; SMP=2; QNICE=0
while [ $# -gt 0 ]; do
  case $1 in
    --version|--out|--modes|--boots|--delay|--wq-args|--jobs|--accel|--timeout|--kernel-package|--smp|--qemu-nice)
      [ $# -ge 2 ] || usage_error "$1 needs a value" ;;
  esac
  case $1 in
    --version) VERSION=$2; shift 2 ;;
    --out) WQ_OUT=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --boots) BOOTS=$2; shift 2 ;;
    --delay) DELAY=$2; shift 2 ;;
    --wq-args) WQ_ARGS=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --accel) W_ACCEL=$2; shift 2 ;;
    --timeout) W_TIMEOUT=$2; shift 2 ;;
    --kernel-package) KERNEL_PACKAGE=$2; shift 2 ;;
    --smp) SMP=$2; shift 2 ;;
    --qemu-nice) QNICE=$2; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    -h|--help) show_help "$0"; exit 0 ;;
    *) usage_error "unknown option $1" ;;
  esac
done
case $VERSION in
  6.1) SRC_PKG=linux-source-6.1; SRC_VERSION=6.1.192-2 ;;
  6.12) SRC_PKG=linux-source-6.12; SRC_VERSION=6.12.118-1~deb12u1 ;;
  *) usage_error "--version must be 6.1 or 6.12" ;;
esac
for m in ${MODES//,/ }; do
  case $m in stock|delay|check|fix) ;; *) usage_error "unknown mode $m in --modes (stock, delay, check, fix)" ;; esac
done
check_attempts "$BOOTS"
case $DELAY in ''|*[!0-9]*) usage_error "--delay wants a whole number of ms" ;; esac
case $SMP in ''|*[!0-9]*|0) usage_error "--smp wants a whole number of at least 1" ;; esac
case $QNICE in ''|*[!0-9]*) usage_error "--qemu-nice wants 0..19" ;; esac
if [ -n "$KERNEL_PACKAGE" ]; then
  case $KERNEL_PACKAGE in linux-image-*=*) ;; *) usage_error "--kernel-package wants linux-image-NAME=VERSION" ;; esac
  [ "$MODES" = stock ] || usage_error "--kernel-package boots an unpatched kernel: only --modes stock"
fi
PATCHES="$HERE/patches-waitqueue/$VERSION"
ls "$PATCHES"/*.patch > /dev/null 2>&1 || fail "no patches in $PATCHES"

mkdir -p "$WORK"
step preflight "work folder $WORK"
avail_mb=$(df -Pm "$WORK" | awk 'NR == 2 { print $4 }')
[ "${avail_mb:-0}" -ge 6144 ] || fail "only ${avail_mb} MB free under $WORK; a kernel build needs about 6 GB"
missing=""
for t in gcc make flex bison bc pahole xz; do command -v "$t" > /dev/null || missing="$missing $t"; done
[ -z "$missing" ] || fail "missing:$missing (apt-get install $BUILD_PACKAGES)"

USE_MODULES=0
if [ -n "$KERNEL_PACKAGE" ]; then
  KPKG=${KERNEL_PACKAGE%%=*}; KPKG_VERSION=${KERNEL_PACKAGE#*=}; KREL=${KPKG#linux-image-}
  step kernel "$KPKG=$KPKG_VERSION (downloaded and unpacked, not installed)"
  KDIR="$WORK/kernel-$KREL"
  DEB="$WORK/${KPKG}_${KPKG_VERSION//:/%3a}_amd64.deb"
  [ -s "$DEB" ] || apt_download "$KPKG=$KPKG_VERSION" "$WORK" "$WORK/download-$KREL.log" "apt-cache policy $KPKG lists the versions on offer"
  unpack_kernel_package "$DEB" "$KDIR" "$KREL"
  KIMAGE="$KDIR/boot/vmlinuz-$KREL"
  KLABEL="debian $KPKG $KPKG_VERSION (unpatched)"
  USE_MODULES=1
  BUILD_ONLY=0
else
step source "$SRC_PKG=$SRC_VERSION"
SRCDIR="$WORK/src"
mkdir -p "$SRCDIR"
DEB=$(ls "$SRCDIR/${SRC_PKG}_${SRC_VERSION//\~/%7e}_all.deb" "$SRCDIR/${SRC_PKG}_${SRC_VERSION}_all.deb" 2>/dev/null | head -1 || true)
if [ -z "$DEB" ]; then
  apt_download "$SRC_PKG=$SRC_VERSION" "$SRCDIR" "$SRCDIR/download.log" "apt-cache policy $SRC_PKG lists the versions on offer"
  DEB=$(ls "$SRCDIR/${SRC_PKG}_"*_all.deb | head -1)
fi
info "$(du -h "$DEB" | cut -f1) $(basename "$DEB")"

RECIPE="allnoconfig+waitqueue.config olddefconfig bzImage dcache-g v2"
# A version's own fragment (waitqueue-<version>.config) is merged after the common one: 6.12 made
# ASCII-CI XFS a config option of its own (XFS_SUPPORT_ASCII_CI), which allnoconfig turns off.
VERSION_CONFIG="$HERE/waitqueue-$VERSION.config"
[ -f "$VERSION_CONFIG" ] || VERSION_CONFIG=""
KEY=$( { echo "$SRC_PKG $SRC_VERSION $(stat -c %s "$DEB")"; echo "$RECIPE"; cat "$PATCHES"/*.patch "$HERE/waitqueue.config" ${VERSION_CONFIG:+"$VERSION_CONFIG"}; } |
  sha256sum | cut -c1-16)
CACHE="$WORK/kbuild/wq-$KEY"
TREE="$WORK/kbuild/wqtree-$KEY"
info "build key $KEY"

if [ -s "$CACHE/bzImage" ] && [ -s "$CACHE/dcache-g.o" ]; then
  step build "cached: $CACHE/bzImage (built $(stat -c %y "$CACHE/bzImage" | cut -d. -f1))"
else
  step unpack "source tree in $TREE"
  if [ ! -e "$TREE/.patched" ]; then
    rm -rf "$TREE" "$WORK/kbuild/wqpkg-$KEY"
    mkdir -p "$TREE"
    dpkg -x "$DEB" "$WORK/kbuild/wqpkg-$KEY" || fail "dpkg -x $DEB failed"
    tar -xf "$WORK/kbuild/wqpkg-$KEY/usr/src/$SRC_PKG.tar.xz" -C "$TREE" --strip-components=1 || fail "untar of the kernel source failed (disk space?)"
    rm -rf "$WORK/kbuild/wqpkg-$KEY"
    for p in "$PATCHES"/*.patch; do
      info "patch $(basename "$p")"
      patch -d "$TREE" -p1 --forward --quiet < "$p" || fail "patch $(basename "$p") does not apply to $SRC_PKG $SRC_VERSION"
    done
    touch "$TREE/.patched"
  fi
  step config "allnoconfig + scripts/capture/waitqueue.config${VERSION_CONFIG:+ + $(basename "$VERSION_CONFIG")}"
  cat "$HERE/waitqueue.config" ${VERSION_CONFIG:+"$VERSION_CONFIG"} > "$TREE/kinv-allconfig"
  ( cd "$TREE" && KCONFIG_ALLCONFIG="$TREE/kinv-allconfig" make -s allnoconfig > "$TREE/merge.log" 2>&1 &&
    make -s olddefconfig >> "$TREE/merge.log" 2>&1 ) || fail "configuring the kernel failed (see $TREE/merge.log)"
  for opt in $(sed -n 's/^CONFIG_\([A-Z0-9_]*\)=y$/\1/p' "$TREE/kinv-allconfig"); do
    grep -q "^CONFIG_$opt=y" "$TREE/.config" || fail "CONFIG_$opt is not =y after olddefconfig"
  done
  step build "nice -n 19 make -j$JOBS bzImage (log: $TREE/build.log)"
  make_bzimage "$TREE" "$JOBS" 19
  step debuginfo "fs/dcache.c with -g, for the struct offsets"
  compile_dcache_debug "$TREE"
  mkdir -p "$CACHE"
  cp "$TREE/arch/x86/boot/bzImage" "$TREE/fs/dcache-g.o" "$TREE/.config" "$TREE/build.log" "$CACHE/"
  echo "$SRC_PKG $SRC_VERSION; patches: $(cd "$PATCHES" && ls *.patch | tr '\n' ' '); recipe: $RECIPE; built in ${BUILD_SECONDS}s" > "$CACHE/ABOUT"
fi
[ "$BUILD_ONLY" = 1 ] && { step done "kernel $CACHE/bzImage ($(elapsed | tr -d ' '))"; exit 0; }
KIMAGE="$CACHE/bzImage"
KLABEL="$SRC_PKG $SRC_VERSION + scripts/capture/patches-waitqueue/$VERSION (build $KEY)"
fi

# ---------------------------------------------------------------------------------------------
# The guest: busybox, the reproducer (static), /init; an ASCII-CI XFS per boot.
OUT=$WQ_OUT
[ -n "$OUT" ] || OUT="$WORK/out-waitqueue/$VERSION-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
RUN=$(mktemp -d "$WORK/wqrun.XXXXXX")
cleanup_run() { rm -rf "$RUN"; }
on_exit cleanup_run
step initramfs "busybox, wqrepro, guest/wqinit"
for t in qemu-system-x86_64 mkfs.xfs cpio gzip; do command -v "$t" > /dev/null || fail "missing $t"; done
BB=$(command -v busybox)
file -L "$BB" | grep -q 'statically linked' || fail "$BB is not static (apt-get install busybox-static)"
IR="$RUN/ir"
mkdir -p "$IR/bin" "$IR/etc" "$IR/proc" "$IR/sys" "$IR/dev" "$IR/mnt"
cp "$BB" "$IR/bin/busybox"
gcc -O2 -Wall -Wextra -Werror -static -o "$IR/wqrepro" "$HERE/guest/wqrepro.c" || fail "compiling guest/wqrepro.c failed"
cp "$HERE/guest/wqinit" "$IR/init"; chmod +x "$IR/init"
: > "$IR/etc/modules.order"
if [ "$USE_MODULES" = 1 ]; then
  mkdir -p "$IR/lib/modules"
  modprobe -a -d "$KDIR" -S "$KREL" --show-depends virtio_pci virtio_blk xfs > "$RUN/modules.deps" 2>&1 ||
    { cat "$RUN/modules.deps" >&2; fail "modprobe --show-depends could not resolve virtio_pci virtio_blk xfs"; }
  awk '$1 == "insmod" { print $2 }' "$RUN/modules.deps" | awk '!seen[$0]++' | while read -r ko; do
    case $ko in
      *.ko.xz) b=$(basename "$ko" .xz); xz -dc "$ko" > "$IR/lib/modules/$b" ;;
      *.ko.zst) b=$(basename "$ko" .zst); zstd -qdc "$ko" > "$IR/lib/modules/$b" ;;
      *) b=$(basename "$ko"); cp "$ko" "$IR/lib/modules/" ;;
    esac
    echo "$b" >> "$IR/etc/modules.order"
  done
  info "modules: $(tr '\n' ' ' < "$IR/etc/modules.order")"
fi
echo "$KLABEL" > "$OUT/kernel.txt"
echo "$WQ_ARGS" > "$IR/etc/wqrepro.args"
( cd "$IR" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$RUN/initramfs.cpio.gz" || fail "cpio failed"
cp "$HERE/guest/wqrepro.c" "$OUT/"

mode_args() {
  case $1 in
    stock) echo "" ;;
    delay) echo "kinv_wq_join=$DELAY kinv_wq_delay=$DELAY" ;;
    check) echo "kinv_wq_join=$DELAY kinv_wq_delay=$DELAY kinv_wq_check=1" ;;
    fix) echo "kinv_wq_join=$DELAY kinv_wq_delay=$DELAY kinv_wq_check=1 kinv_wq_fix=1" ;;
  esac
}
SUMMARY="$OUT/summary.tsv"
echo "qemu: -accel $W_ACCEL -smp $SMP under nice -n $QNICE; wqrepro $WQ_ARGS" > "$OUT/setup.txt"
printf 'mode\tboot\tcmdline\tfinished\trounds_done\toopses\tkinv_reports\twarnings\tseconds\n' > "$SUMMARY"
for mode in ${MODES//,/ }; do
  for (( b = 1; b <= BOOTS; b++ )); do
    args=$(mode_args "$mode")
    log="$OUT/$mode-$b.console.log"
    step boot "$mode, boot $b of $BOOTS: ${args:-no kinv parameter} (deadline ${W_TIMEOUT}s)"
    rm -f "$RUN/xfsci.img"; truncate -s 320M "$RUN/xfsci.img"
    mkfs.xfs -q -n version=ci "$RUN/xfsci.img" || fail "mkfs.xfs -n version=ci failed"
    accel=$W_ACCEL; [ "$accel" = tcg ] && accel="tcg,thread=multi"
    t0=$(date +%s)
    timeout --foreground -k 5 "$W_TIMEOUT" nice -n "$QNICE" qemu-system-x86_64 \
      -accel "$accel" -cpu max -smp "$SMP" -m 1024 -no-reboot -display none -monitor none \
      -serial stdio -kernel "$KIMAGE" -initrd "$RUN/initramfs.cpio.gz" \
      -append "console=ttyS0 loglevel=5 panic_on_oops=1 panic=-1 $args" \
      -drive "file=$RUN/xfsci.img,if=virtio,format=raw,cache=unsafe" \
      < /dev/null > "$log" 2>&1 || true
    secs=$(( $(date +%s) - t0 ))
    fin=no; if grep -a -q KINV-WQ-DONE "$log"; then fin=yes; fi
    # (no match is a boot that died before its tenth round: under pipefail a bare grep would end the script)
    rounds=$( { grep -a -o 'wqrepro: round [0-9]*' "$log" || true; } | tail -1 | awk '{print $3}')
    oops=$(grep -a -cE 'BUG: unable to handle|general protection fault|Oops:|kernel BUG at' "$log" || true)
    reports=$(grep -a -c 'kinv: wake of queue' "$log" || true)
    warns=$(grep -a -c 'WARNING:' "$log" || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$b" "$args" "$fin" "${rounds:-0}" "$oops" "$reports" "$warns" "$secs" >> "$SUMMARY"
    info "finished=$fin rounds=${rounds:-0} oops-lines=$oops kinv-reports=$reports warnings=$warns (${secs}s)"
  done
done
step done "results in $OUT (summary.tsv; $(elapsed | tr -d ' ') wall)"
