#!/usr/bin/env bash
# npm run capture:buggy [-- OPTIONS]
#
# Builds a 6.1 kernel (Debian's linux-source-6.1) whose d_add_ci() takes the draft or the fixed
# shape of "drop parent lock across d_alloc_parallel()" at boot (patches/*.patch, selected with
# kinv_d_add_ci=draft|fixed), with lockdep, kprobes and ftrace, and captures the d_add_ci collision
# workload on each shape with capture.sh. The build is cached by source + patches + config hash:
# a rerun with the same inputs boots the cached kernel.
#
# Options:
#   --out DIR          output folder (default: scripts/capture/work/out-buggy/<date>-<time>);
#                      one capture folder per shape: DIR/draft, DIR/fixed
#   --shapes LIST      comma-separated, from draft,fixed,mainline (default draft,fixed)
#   --build-only       build (or find in the cache) and stop
#   --jobs N           make -j N (default 2)
#   --attempts N       boots per shape before giving up (default 3): 6.1 itself oopses now and
#                      then under this workload (traces/kernel-buggy/README.md), and a TCG guest
#                      can stall; a failed boot is kept as DIR/<shape>.failed-<k>
#   --no-install       do not apt-get install missing tools
#   any other option is passed to capture.sh (e.g. --accel tcg, --coll-rounds 100, --timeout 1800);
#   a --phases given here replaces the collision phase, e.g. the ordinary programs on the lockdep
#   build with the mainline shape: --shapes mainline --phases ordinary --probeset full
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${KINV_CAPTURE_WORK:-$HERE/work}
SRC_PKG=linux-source-6.1
SRC_VERSION=6.1.192-2
BUILD_PACKAGES="build-essential flex bison bc libelf-dev libssl-dev dwarves xz-utils cpio"

NAME=capture:buggy
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# capture.sh's options are checked here, before a build that can take an hour, and passed on.
capture_defaults
BUGGY_OUT=""; SHAPES="draft,fixed"; BUILD_ONLY=0; JOBS=2; PASS=(); ATTEMPTS=3; CAPTURE_PHASES=collision
while [ $# -gt 0 ]; do
  case $1 in
    --out|--shapes|--jobs|--attempts) [ $# -ge 2 ] || usage_error "$1 needs a value" ;;
  esac
  case $1 in
    --out) BUGGY_OUT=$2; shift 2 ;;
    --shapes) SHAPES=$2; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --jobs) JOBS=$2; shift 2 ;;
    --attempts) ATTEMPTS=$2; shift 2 ;;
    -h|--help) show_help "$0"; exit 0 ;;
    *)
      capture_option "$@" || usage_error "unknown option $1 (neither capture-buggy.sh's nor capture.sh's)"
      if [ "$1" = --phases ]; then CAPTURE_PHASES=$2; fi
      PASS+=("${@:1:$TAKEN}")
      shift "$TAKEN" ;;
  esac
done
check_capture_options
for shape in ${SHAPES//,/ }; do
  case $shape in draft|fixed|mainline) ;; *) usage_error "unknown shape $shape in --shapes (draft, fixed, mainline)" ;; esac
done
check_attempts "$ATTEMPTS"

mkdir -p "$WORK"
# ---------------------------------------------------------------------------------------------
step preflight "work folder $WORK"
avail_mb=$(df -Pm "$WORK" | awk 'NR == 2 { print $4 }')
[ "${avail_mb:-0}" -ge 6144 ] || fail "only ${avail_mb} MB free under $WORK; a kernel build needs about 6 GB (source 1.5 GB, objects, images)"
info "${avail_mb} MB free, $(nproc) CPUs, make -j$JOBS under nice -n 10"

# ---------------------------------------------------------------------------------------------
step source "$SRC_PKG=$SRC_VERSION"
SRCDIR="$WORK/src"
mkdir -p "$SRCDIR"
DEB="$SRCDIR/${SRC_PKG}_${SRC_VERSION}_all.deb"
if [ ! -s "$DEB" ]; then
  apt_download "$SRC_PKG=$SRC_VERSION" "$SRCDIR" "$SRCDIR/download.log" "apt-cache policy $SRC_PKG lists the versions on offer; the patch may apply to a newer 6.1.y"
fi
info "$(du -h "$DEB" | cut -f1) $(basename "$DEB")"

# The cache key: source package, patches, config fragment, and the build recipe below.
RECIPE="defconfig+kvm_guest+kernel.config olddefconfig bzImage dcache-g v1"
KEY=$( { echo "$SRC_PKG $SRC_VERSION $(stat -c %s "$DEB")"; echo "$RECIPE"; cat "$HERE"/patches/*.patch "$HERE/kernel.config"; } | sha256sum | cut -c1-16)
CACHE="$WORK/kbuild/$KEY"
TREE="$WORK/kbuild/tree-$KEY"
info "build key $KEY"

# ---------------------------------------------------------------------------------------------
if [ -s "$CACHE/bzImage" ] && [ -s "$CACHE/dcache-g.o" ]; then
  step build "cached: $CACHE/bzImage (built $(stat -c %y "$CACHE/bzImage" | cut -d. -f1))"
else
  # The build tools are needed only to build: a cached kernel boots without them.
  step tools "compiler and kernel build dependencies"
  missing=""
  for t in gcc make flex bison bc pahole xz; do command -v "$t" > /dev/null || missing="$missing $t"; done
  for h in /usr/include/libelf.h /usr/include/openssl/ssl.h; do [ -e "$h" ] || missing="$missing $h"; done
  if [ -n "$missing" ]; then
    [ "$INSTALL" = 1 ] && [ "$(id -u)" = 0 ] || fail "missing:$missing (apt-get install $BUILD_PACKAGES)"
    info "installing $BUILD_PACKAGES (missing:$missing)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends $BUILD_PACKAGES; } > "$WORK/apt-build.log" 2>&1 ||
      { tail -15 "$WORK/apt-build.log" >&2; fail "apt-get install of the build dependencies failed"; }
  fi

  step unpack "source tree in $TREE"
  if [ ! -e "$TREE/.patched" ]; then
    rm -rf "$TREE" "$WORK/kbuild/pkg-$KEY"
    mkdir -p "$TREE"
    dpkg -x "$DEB" "$WORK/kbuild/pkg-$KEY" || fail "dpkg -x $DEB failed"
    tar -xf "$WORK/kbuild/pkg-$KEY/usr/src/$SRC_PKG.tar.xz" -C "$TREE" --strip-components=1 || fail "untar of the kernel source failed (disk space?)"
    rm -rf "$WORK/kbuild/pkg-$KEY"
    for p in "$HERE"/patches/*.patch; do
      info "patch $(basename "$p")"
      patch -d "$TREE" -p1 --forward --quiet < "$p" || fail "patch $(basename "$p") does not apply to $SRC_PKG $SRC_VERSION"
    done
    touch "$TREE/.patched"
  fi

  step config "x86_64_defconfig + kvm_guest.config + scripts/capture/kernel.config"
  ( cd "$TREE" && make -s x86_64_defconfig > /dev/null &&
    scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config "$HERE/kernel.config" > "$TREE/merge.log" 2>&1 &&
    make -s olddefconfig > /dev/null ) || fail "configuring the kernel failed (see $TREE/merge.log)"
  for opt in MODULES KPROBES KPROBE_EVENTS FUNCTION_GRAPH_TRACER FTRACE_SYSCALLS PROVE_LOCKING DEBUG_RWSEMS \
             DETECT_HUNG_TASK XFS_FS EXT4_FS VFAT_FS TMPFS VIRTIO_BLK VIRTIO_PCI SERIAL_8250_CONSOLE DEVTMPFS BLK_DEV_INITRD; do
    grep -q "^CONFIG_$opt=y" "$TREE/.config" || fail "CONFIG_$opt is not =y after olddefconfig (a dependency is missing from kernel.config)"
  done
  info "$(grep -c '=y' "$TREE/.config") options =y"

  step build "nice -n 10 make -j$JOBS bzImage (about 12 minutes on 2 cores; log: $TREE/build.log)"
  make_bzimage "$TREE" "$JOBS" 10

  step debuginfo "fs/dcache.c with -g, for the struct offsets (no BTF without debug info)"
  compile_dcache_debug "$TREE"
  pahole -C dentry "$TREE/fs/dcache-g.o" > /dev/null 2>&1 || fail "pahole cannot read fs/dcache-g.o"

  mkdir -p "$CACHE"
  cp "$TREE/arch/x86/boot/bzImage" "$TREE/fs/dcache-g.o" "$TREE/.config" "$CACHE/"
  cp "$TREE/build.log" "$CACHE/build.log"
  echo "$SRC_PKG $SRC_VERSION; patches: $(cd "$HERE/patches" && ls *.patch | tr '\n' ' '); recipe: $RECIPE" > "$CACHE/ABOUT"
fi
[ "$BUILD_ONLY" = 1 ] && { step done "kernel $CACHE/bzImage ($(elapsed | tr -d ' '))"; exit 0; }

# ---------------------------------------------------------------------------------------------
OUT=$BUGGY_OUT
[ -n "$OUT" ] || OUT="$WORK/out-buggy/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
for shape in ${SHAPES//,/ }; do
  capture_attempts "capture-$shape" "booting with kinv_d_add_ci=$shape, $CAPTURE_PHASES phase" "$ATTEMPTS" "$OUT/$shape" \
    bash "$HERE/capture.sh" --out "$OUT/$shape" --phases collision \
      --kernel "$CACHE/bzImage" --offsets-from "$CACHE/dcache-g.o" \
      --kernel-label "$SRC_PKG $SRC_VERSION + scripts/capture/patches (build $KEY), kinv_d_add_ci=$shape" \
      --cmdline "kinv_d_add_ci=$shape" --allow-partial ${PASS[@]+"${PASS[@]}"}
  grep -m1 -o 'kinv: d_add_ci shape [a-z]*' "$OUT/$shape/dmesg.txt" > /dev/null ||
    fail "the $shape kernel did not report its d_add_ci shape in dmesg (wrong kernel booted?)"
  info "lockdep/rwsem/hung-task reports: $(grep -cE 'bad unlock balance|DEBUG_RWSEMS_WARN_ON|circular locking|recursive locking|blocked for more than' "$OUT/$shape/dmesg.txt" || true)"
done
step done "captures in $OUT ($(elapsed | tr -d ' ') wall)"
