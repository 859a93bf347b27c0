#!/usr/bin/env bash
# npm run capture [-- OPTIONS]
#
# Captures ftrace logs of the VFS slow-lookup path from a real Linux kernel booted under QEMU:
# the reference probe set (kprobe `trace` and `trace_pipe`), a function_graph capture of the
# lookup functions, and the d_add_ci collision workload on an ASCII case-insensitive XFS. Each
# capture is written with a metadata.json (kernel, struct offsets from the kernel's own BTF, probe
# definitions, per-CPU overruns, workload, wall time). See traces/kernel/README.md.
#
# Options:
#   --out DIR             output folder (default: scripts/capture/work/out/<date>-<time>)
#   --accel auto|kvm|tcg  auto (default) boots with KVM only if a short boot attempt works
#   --phases LIST         comma-separated, from kprobe-trace,kprobe-pipe,graph,collision (default: these
#                         four), churn (creates, renames, unlinks, mkdir/rmdir among lookups) and
#                         ordinary (ordinary busybox programs in the test directories, also on a
#                         casefold ext4 directory; see guest/lkwork "ordinary"), wild (the same
#                         filesystems, no comm filter, drop_caches every 0.4 s, many tasks on the
#                         same uncached names, links, directory renames, rm -rf under a lister,
#                         negative dentries, a removed cwd, case spellings racing; see guest/init
#                         run_wild), layered (the wild tasks on overlayfs, btrfs with a subvolume and a
#                         snapshot, squashfs, with copy-up races and procfs/sysfs walkers; see guest/init
#                         run_layered; its btrfs and squashfs disks follow the output and casefold
#                         disks), netfs (the wild tasks, the ordinary programs and O_CREAT/O_EXCL racers on
#                         two virtiofs mounts of host directories, served by QEMU's virtiofsd with
#                         cache=none and cache=always, while the host changes names under the guest;
#                         see guest/init run_netfs and netfs_host_changes below), ninep (the same
#                         tasks on two 9p mounts (virtio-9p, 9p2000.L) of host directories, one with
#                         cache=none and one with cache=loose, while the host changes names under the
#                         guest; the kernel needs 9p, e.g. the generic linux-image-*-amd64 flavour; see
#                         guest/init run_netfs), syscalls (guest/init run_syscalls, guest/lkwork syscalls,
#                         guest/sysx.c: renameat2 flags, O_TMPFILE, mknod, symlink loops, links,
#                         open-unlinked, O_EXCL, dots, a removed cwd, exportfs handles, setattr of
#                         renamed names on tmpfs, ext4 and XFS ASCII-CI, with lookups of the same
#                         names; gcc builds sysx) and tracedat
#                         (trace.dat files of a short workload: trace-cmd extract beside the tracefs
#                         text of the same buffer, converted to file versions 6 and 7 on the host, and
#                         trace-cmd record in versions 6, 7 and 7 with zstd; see traces/tracedat/README.md)
#                         and ownkernel (README "Check your own kernel" as written: kinv probes for the
#                         kernel's BTF, the script sourced in bash in the guest, kinv_record, then kinv
#                         check trace.dat on the host; last, as it removes the guest's probes)
#   --probeset legacy|full  legacy (default): probes.txt; full: probes-full.txt (every rwsem
#                         acquisition variant, d_alloc, __dentry_kill, evict, d_wait_lookup, lookup_open)
#   --kernel-package NAME[=VERSION]  boot this Debian linux-image package instead of the pinned
#                         6.1 one (e.g. linux-image-6.12.118+deb12-cloud-amd64; without =VERSION,
#                         the version apt-cache policy offers)
#   --ord-rounds N        rounds of the ordinary (and wild) workload per filesystem (default 3)
#   --files N             files per test directory (default 200)
#   --workers N           concurrent workers per filesystem (default 4)
#   --coll-workers N      collision workers (default 6)
#   --coll-rounds N       collision rounds per worker (default 40; 60 can overrun the 16 MB per-CPU buffer)
#   --buffer-kb N         ring buffer per CPU, KB (tracefs buffer_size_kb; default 16384). A small one
#                         (e.g. 256) makes a phase lose events as a user's capture does: the buffer
#                         overwrites its oldest events, so the `trace` file read after the phase starts
#                         at a different point on each CPU (its header's entries-in-buffer/entries-written
#                         differ; each CPU's `stats` counts the overrun)
#   --pipe-read-kb N      the kprobe-pipe and wild phases read trace_pipe while the workload runs, N KB
#                         at a time with a pause between (a reader that falls behind: once the buffer is
#                         full the kernel overwrites unread events, and trace_pipe prints
#                         `CPU:N [LOST K EVENTS]` where they were); the wild phase then writes what it
#                         streamed as its trace.txt instead of reading `trace` at the end. 0 (default):
#                         kprobe-pipe's cat reads trace_pipe as fast as it can, wild reads `trace`. The
#                         reads go on after the workload until trace_pipe is empty
#   --pipe-pause S        seconds between two reads of --pipe-read-kb (default 0.5)
#   --timeout S           deadline for the capture boot, seconds (default 1200)
#   --no-install          do not apt-get install missing tools (fail instead)
#   --kernel BZIMAGE      boot this kernel (all drivers built in) instead of the Debian package
#   --offsets-from OBJ    read struct offsets with pahole from OBJ (DWARF) instead of BTF
#   --kernel-label TEXT   name of the --kernel build, recorded in metadata
#   --extra-probes FILE   more probe lines appended to the reference set
#   --cmdline TEXT        appended to the guest kernel's command line (e.g. kinv_d_add_ci=draft)
#   --allow-partial       keep the phases a guest saved before it hung (capture:buggy uses it)
#   --long-names          the ordinary phase also looks up, creates in and lists names longer than
#                         NAME_MAX in p (lkwork longname: ->lookup fails with -ENAMETOOLONG, its dentry
#                         still in lookup); the ninep phase always does
#   --workload-params "NAME=VALUE ..."  core kernel parameters written to
#                         /sys/module/kernel/parameters/NAME just before the collision workload
#                         (after the phase's own setup lookups; e.g. the waitqueue patch's
#                         kinv_wq_join=20 kinv_wq_delay=20 kinv_wq_check=1); the guest then also saves
#                         the collision trace as soon as the kernel reports (a "kinv:" report, an
#                         Oops, a BUG), before the damage spreads, and sets the kinv_wq_join and
#                         kinv_wq_delay sleeps back to 0
#   --coll-deadline S     stop waiting for hung collision workers after S seconds (default 300)
#   --trace-clock C       ftrace clock (default counter: one atomic count shared by all CPUs, so
#                         the log's order across CPUs is exact; global/local stamp time, but CPUs
#                         tie on a stamp and the log then prints a tie lowest CPU first)
# Environment: KINV_ACCEL (same as --accel), KINV_CAPTURE_WORK (work folder), KINV_QEMU (the QEMU
# binary, default qemu-system-x86_64 on PATH).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${KINV_CAPTURE_WORK:-$HERE/work}

# The pinned kernel: Debian bookworm's cloud flavour (ftrace, kprobes, BTF; fs drivers as modules).
KPKG=linux-image-6.1.0-56-cloud-amd64
KPKG_VERSION=6.1.192-2
KREL=6.1.0-56-cloud-amd64
QEMU=${KINV_QEMU:-qemu-system-x86_64}
APT_PACKAGES="qemu-system-x86 busybox-static xfsprogs dosfstools e2fsprogs kmod cpio lz4 xz-utils zstd dwarves"

NAME=capture
# shellcheck source=lib.sh
. "$HERE/lib.sh"
capture_defaults
while [ $# -gt 0 ]; do
  case $1 in -h|--help) show_help "$0"; exit 0 ;; esac
  capture_option "$@" || usage_error "unknown option $1"
  shift "$TAKEN"
done
check_capture_options
# Files named relative to where the script was started, before anything changes directory.
if [ -n "$KERNEL_IMAGE" ]; then KERNEL_IMAGE=$(realpath "$KERNEL_IMAGE"); fi
if [ -n "$OFFSETS_FROM" ]; then OFFSETS_FROM=$(realpath "$OFFSETS_FROM"); fi
if [ -n "$EXTRA_PROBES" ]; then EXTRA_PROBES=$(realpath "$EXTRA_PROBES"); fi

mkdir -p "$WORK" || fail "cannot create the work folder $WORK"
[ -n "$OUT" ] || OUT="$WORK/out/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || fail "cannot create the output folder $OUT"
RUN=$(mktemp -d "$WORK/run.XXXXXX")
cleanup_run() { rm -rf "$RUN"; }
on_exit cleanup_run

# ---------------------------------------------------------------------------------------------
step preflight "work folder $WORK, output $OUT"
avail_mb=$(df -Pm "$WORK" | awk 'NR == 2 { print $4 }')
[ "${avail_mb:-0}" -ge 2048 ] || fail "only ${avail_mb} MB free under $WORK; at least 2048 MB are needed (kernel package, disk images, traces)"
info "${avail_mb} MB free, $(nproc) CPUs"

# ---------------------------------------------------------------------------------------------
step tools "checking host tools"
need_tools() {
  local missing=""
  for t in "$QEMU" mkfs.xfs mkfs.vfat mkfs.ext4 depmod modprobe cpio pahole lz4 xz zstd gzip node; do
    command -v "$t" > /dev/null || missing="$missing $t"
  done
  [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || {
    dpkg -s busybox-static > /dev/null 2>&1 || missing="$missing busybox-static"; }
  echo "$missing"
}
missing=$(need_tools)
if [ -n "$missing" ]; then
  info "missing:$missing"
  [ "$INSTALL" = 1 ] || fail "missing tools:$missing (run without --no-install, or apt-get install $APT_PACKAGES)"
  [ "$(id -u)" = 0 ] || fail "missing tools:$missing, and installing them needs root (apt-get install $APT_PACKAGES)"
  step apt "apt-get install $APT_PACKAGES"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq > "$RUN/apt.log" 2>&1 || { tail -5 "$RUN/apt.log" >&2; fail "apt-get update failed (network or apt sources)"; }
  apt-get install -y -qq --no-install-recommends $APT_PACKAGES >> "$RUN/apt.log" 2>&1 || {
    tail -15 "$RUN/apt.log" >&2; fail "apt-get install failed (see the lines above)"; }
  missing=$(need_tools)
  [ -z "$missing" ] || fail "still missing after apt-get install:$missing"
fi
BUSYBOX=/bin/busybox
info "qemu $("$QEMU" --version | head -1 | awk '{ print $4 }'), pahole $(pahole --version), node $(node --version)"

# ---------------------------------------------------------------------------------------------
if [ -n "$KERNEL_PACKAGE" ]; then
  KPKG=${KERNEL_PACKAGE%%=*}
  case $KPKG in linux-image-*) ;; *) fail "--kernel-package wants a linux-image-* package name, not $KPKG" ;; esac
  KREL=${KPKG#linux-image-}
  if [ "$KERNEL_PACKAGE" != "$KPKG" ]; then KPKG_VERSION=${KERNEL_PACKAGE#*=}
  else
    KPKG_VERSION=$(apt-cache policy "$KPKG" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    case $KPKG_VERSION in ''|'(none)') fail "apt-cache policy $KPKG offers no version (run apt-get update; apt-cache search linux-image lists the names)" ;; esac
  fi
fi
KDIR="$WORK/kernel-$KREL"
if [ -z "$KERNEL_IMAGE" ]; then
  step kernel "$KPKG=$KPKG_VERSION (downloaded and unpacked, not installed)"
  DEB="$WORK/${KPKG}_${KPKG_VERSION//:/%3a}_amd64.deb"
  if [ ! -s "$DEB" ]; then
    apt_download "$KPKG=$KPKG_VERSION" "$WORK" "$RUN/download.log" "apt-cache policy $KPKG lists the versions on offer"
  fi
  info "package $(du -h "$DEB" | cut -f1) $(basename "$DEB")"
  unpack_kernel_package "$DEB" "$KDIR" "$KREL"
  KERNEL_IMAGE="$KDIR/boot/vmlinuz-$KREL"
  [ -s "$KERNEL_IMAGE" ] || fail "no kernel image in the package ($KERNEL_IMAGE)"
  KERNEL_LABEL="debian $KPKG $KPKG_VERSION"
  # A placeholder System.map (6.12 packages: "The real System.map is in the ... -dbg package")
  # is of no use; functions are checked in the guest (available_filter_functions).
  grep -q ' B The real System.map' "$KDIR/boot/System.map-$KREL" 2>/dev/null && info "System.map is a placeholder: probed functions are checked in the guest"
  USE_MODULES=1
else
  step kernel "using $KERNEL_IMAGE (${KERNEL_LABEL:-custom build}; drivers built in)"
  [ -s "$KERNEL_IMAGE" ] || fail "no kernel image at $KERNEL_IMAGE"
  USE_MODULES=0
fi

# ---------------------------------------------------------------------------------------------
step offsets "struct offsets from the kernel's own type information"
# Decompress the vmlinux inside a bzImage (what scripts/extract-vmlinux does).
extract_vmlinux() { # image out
  local img=$1 out=$2 sig prog off
  for pair in '\x02\x21\x4c\x18:lz4 -dc' '\x1f\x8b\x08:gzip -dc' '\xfd\x37\x7a\x58\x5a\x00:xz -dc' \
              '\x28\xb5\x2f\xfd:zstd -dc' ; do
    sig=${pair%%:*}; prog=${pair#*:}
    for off in $( { LC_ALL=C grep -obUaP "$sig" "$img" || true; } | cut -d: -f1 | head -5); do
      tail -c +$((off + 1)) "$img" | $prog > "$out" 2>/dev/null || true
      if [ -s "$out" ] && head -c 4 "$out" | grep -q 'ELF'; then return 0; fi
    done
  done
  return 1
}
if [ -n "$OFFSETS_FROM" ]; then
  PAHOLE_SRC="$OFFSETS_FROM"; PAHOLE_FMT=dwarf; OFFSETS_SOURCE="DWARF of $(basename "$OFFSETS_FROM") (pahole)"
else
  extract_vmlinux "$KERNEL_IMAGE" "$RUN/vmlinux" || fail "could not decompress the vmlinux inside $KERNEL_IMAGE"
  PAHOLE_SRC="$RUN/vmlinux"; PAHOLE_FMT=btf; OFFSETS_SOURCE="BTF of the kernel image (pahole -F btf)"
fi
member_offset() { # struct member -> byte offset
  pahole -F "$PAHOLE_FMT" -C "$1" "$PAHOLE_SRC" 2>/dev/null |
    awk -v m="$2" '{ line = $0; sub(/\/\*.*/, "", line) }
      line ~ ("[ *]" m ";[ \t]*$") || line ~ ("[ *]" m "[[][0-9]*[]];[ \t]*$") {
        if (match($0, /\/\*[ \t]*[0-9]+/)) { s = substr($0, RSTART + 2, RLENGTH - 2); gsub(/[ \t]/, "", s); print s; exit } }' || true   # awk stops reading early: pahole's SIGPIPE is not a failure
}
declare -A OFF
for spec in inode:i_rwsem dentry:d_flags dentry:d_parent dentry:d_name dentry:d_inode qstr:len qstr:name; do
  v=$(member_offset "${spec%%:*}" "${spec#*:}")
  [ -n "$v" ] || fail "pahole found no offset for ${spec/:/.} in $PAHOLE_SRC"
  OFF[$spec]=$v
done
D_NAME_NAME=$(( OFF[dentry:d_name] + OFF[qstr:name] ))
# struct nameidata (for lookup_open in the full set): optional, as a DWARF object of fs/dcache.o
# does not describe it; without it the lines that need it are dropped and recorded.
ND_DENTRY=""; ND_LAST_NAME=""; ND_LAST_LEN=""; ND_JSON=""
if [ "$PROBESET" = full ]; then
  nd_path=$(member_offset nameidata path); nd_last=$(member_offset nameidata last); p_dentry=$(member_offset path dentry)
  if [ -n "$nd_path" ] && [ -n "$nd_last" ] && [ -n "$p_dentry" ]; then
    ND_DENTRY=$(( nd_path + p_dentry )); ND_LAST_NAME=$(( nd_last + OFF[qstr:name] )); ND_LAST_LEN=$(( nd_last + OFF[qstr:len] ))
    ND_JSON=", \"nameidata.path.dentry\": $ND_DENTRY, \"nameidata.last.name\": $ND_LAST_NAME, \"nameidata.last.len\": $ND_LAST_LEN"
    info "nameidata.path.dentry=$ND_DENTRY nameidata.last.name=$ND_LAST_NAME nameidata.last.len=$ND_LAST_LEN"
  else
    info "no struct nameidata in $PAHOLE_SRC: the lookup_open probes are left out"
  fi
fi
info "inode.i_rwsem=${OFF[inode:i_rwsem]} dentry.d_flags=${OFF[dentry:d_flags]} d_parent=${OFF[dentry:d_parent]} d_name=${OFF[dentry:d_name]} (d_name.name=$D_NAME_NAME) d_inode=${OFF[dentry:d_inode]} qstr.len=${OFF[qstr:len]} qstr.name=${OFF[qstr:name]}"
cat > "$RUN/offsets.json" <<EOF
{ "source": "$OFFSETS_SOURCE",
  "inode.i_rwsem": ${OFF[inode:i_rwsem]}, "dentry.d_flags": ${OFF[dentry:d_flags]},
  "dentry.d_parent": ${OFF[dentry:d_parent]}, "dentry.d_name": ${OFF[dentry:d_name]},
  "dentry.d_name.name": $D_NAME_NAME, "dentry.d_inode": ${OFF[dentry:d_inode]},
  "qstr.len": ${OFF[qstr:len]}, "qstr.name": ${OFF[qstr:name]}$ND_JSON }
EOF

# The probe set with these offsets.
PROBES_FILE="$HERE/probes.txt"; [ "$PROBESET" = full ] && PROBES_FILE="$HERE/probes-full.txt"
{ grep -v '^#' "$PROBES_FILE"; [ -n "$EXTRA_PROBES" ] && grep -v '^#' "$EXTRA_PROBES"; true; } | grep -v '^ *$' > "$RUN/probes.raw"
: > "$RUN/probes.nooffset"
if [ -z "$ND_DENTRY" ]; then grep '{ND_' "$RUN/probes.raw" > "$RUN/probes.nooffset" || true; fi
{ if [ -z "$ND_DENTRY" ]; then grep -v '{ND_' "$RUN/probes.raw" || true; else cat "$RUN/probes.raw"; fi; } |
  sed -e "s/{QSTR_LEN}/${OFF[qstr:len]}/g" -e "s/{QSTR_NAME}/${OFF[qstr:name]}/g" \
      -e "s/{D_FLAGS}/${OFF[dentry:d_flags]}/g" -e "s/{D_PARENT}/${OFF[dentry:d_parent]}/g" \
      -e "s/{D_NAME_NAME}/$D_NAME_NAME/g" -e "s/{D_INODE}/${OFF[dentry:d_inode]}/g" \
      -e "s/{ND_DENTRY}/$ND_DENTRY/g" -e "s/{ND_LAST_NAME}/$ND_LAST_NAME/g" -e "s/{ND_LAST_LEN}/$ND_LAST_LEN/g" > "$RUN/probes.txt"
# The functions the full set and this run's probes name (a capture's "functions" file lists those
# of them the kernel has, whichever set was installed: it tells `kinv check --functions` which lock
# variants exist, so it must not shrink to the probes of a smaller set)
{ grep -v '^#' "$HERE/probes-full.txt"; cat "$RUN/probes.raw"; } | grep -v '^ *$' |
  awk '{ sub(/^\|/, ""); print $2 }' | awk '!seen[$0]++' > "$RUN/ref-functions"
grep -q '{' "$RUN/probes.txt" && fail "a placeholder in probes.txt has no offset: $(grep -o '{[A-Z_]*}' "$RUN/probes.txt" | head -1)"
info "$(wc -l < "$RUN/probes.txt") probe definitions"

# ---------------------------------------------------------------------------------------------
step disks "filesystem images (ext4, vfat, XFS ASCII case-insensitive) and the output disk"
truncate -s 64M "$RUN/ext4.img" && mkfs.ext4 -q -F "$RUN/ext4.img" || fail "mkfs.ext4 failed"
truncate -s 64M "$RUN/vfat.img" && mkfs.vfat "$RUN/vfat.img" > /dev/null || fail "mkfs.vfat failed"
truncate -s 320M "$RUN/xfsci.img" && mkfs.xfs -q -f -n version=ci "$RUN/xfsci.img" ||
  fail "mkfs.xfs -n version=ci failed (this xfsprogs may have dropped ASCII case-insensitive support)"
truncate -s 1G "$RUN/out.img"
# The ordinary phase also uses a casefold ext4 (a fifth disk after the output disk, so the other
# phases' devices are unchanged); the guest makes a casefold directory on it with chattr +F.
CASEFOLD=0
case ",$PHASES," in *,ordinary,*|*,wild,*)
  truncate -s 64M "$RUN/cf.img"
  if mkfs.ext4 -q -F -O casefold -E encoding=utf8 "$RUN/cf.img" 2> "$RUN/mkfs-cf.log"; then CASEFOLD=1; info "ext4 -O casefold (utf8) image made"
  else info "mkfs.ext4 -O casefold failed ($(head -1 "$RUN/mkfs-cf.log")): no casefold directory in this capture"; fi ;;
esac
# The layered phase: a btrfs image and a squashfs image of the wild tasks' tree (disks after the
# output disk and the casefold one); a tool that is missing and cannot be installed leaves its
# filesystem out, which the guest logs (layered/setup.txt)
LAYERED=0; LAYERED_DRIVES=(); BTRFS_IMG=""; SQ_IMG=""
case ",$PHASES," in *,layered,*)
  LAYERED=1
  for tp in mkfs.btrfs:btrfs-progs mksquashfs:squashfs-tools; do
    command -v "${tp%%:*}" > /dev/null || { [ "$INSTALL" = 1 ] && apt-get install -y -qq --no-install-recommends "${tp#*:}" >> "$RUN/apt.log" 2>&1; } ||
      info "${tp%%:*} not found and not installed (apt-get install ${tp#*:}): the layered phase goes without it"
  done
  if command -v mkfs.btrfs > /dev/null && truncate -s 256M "$RUN/btrfs.img" && mkfs.btrfs -q -f "$RUN/btrfs.img" > "$RUN/mkfs-btrfs.log" 2>&1; then
    BTRFS_IMG="$RUN/btrfs.img"; info "btrfs image made"
  else info "no btrfs image ($(head -1 "$RUN/mkfs-btrfs.log" 2>/dev/null))"; fi
  if command -v mksquashfs > /dev/null; then
    SQ_SRC="$RUN/sq-src"; mkdir -p "$SQ_SRC/p/sub/deep" "$SQ_SRC/q"
    for f in Alpha beta.txt README Makefile notes.TXT; do echo "sq $f" > "$SQ_SRC/p/$f"; done
    for i in $(seq 0 19); do echo "$i" > "$SQ_SRC/p/data$i"; done
    for f in x1 x2 x3 x4 x5; do echo "$f" > "$SQ_SRC/p/sub/$f"; done
    echo y > "$SQ_SRC/p/sub/deep/y1"; echo y > "$SQ_SRC/p/sub/deep/Y2"; echo other > "$SQ_SRC/q/Other"
    if mksquashfs "$SQ_SRC" "$RUN/sq.img" -noappend -quiet -all-root > "$RUN/mksquashfs.log" 2>&1; then SQ_IMG="$RUN/sq.img"; info "squashfs image made"
    else info "mksquashfs failed ($(head -1 "$RUN/mksquashfs.log")): no squashfs"; fi
  fi ;;
esac
# The tree a shared host directory starts with (the netfs and ninep phases): the wild tasks' p and q,
# and the names the host changes under the guest.
share_tree() {
  local l=$1 sh=$2 f i
  mkdir -p "$sh/p/sub/deep" "$sh/q" "$sh/p/hostdir"
  for f in Alpha beta.txt README Makefile notes.TXT; do echo "$l $f" > "$sh/p/$f"; done
  for i in $(seq 0 19); do echo "$i" > "$sh/p/data$i"; done
  for f in x1 x2 x3 x4 x5; do echo "$f" > "$sh/p/sub/$f"; done
  echo y > "$sh/p/sub/deep/y1"; echo y > "$sh/p/sub/deep/Y2"; echo other > "$sh/q/Other"
  echo host > "$sh/p/hostA"; echo host > "$sh/q/Hq"; echo host > "$sh/p/hostdir/f"
}
# The netfs phase: two host directories shared over virtiofs (vhost-user-fs: QEMU's virtiofsd, one
# per cache mode; the guest's memory a shared memfd, as vhost-user needs), each with the wild
# tasks' p and q
NETFS=0; NETFS_ARGS=(); NETFS_MOUNTS=""; VIRTIOFSD=""
case ",$PHASES," in *,netfs,*)
  NETFS=1
  for v in ${KINV_VIRTIOFSD:-} /usr/lib/qemu/virtiofsd /usr/libexec/virtiofsd; do [ -x "$v" ] && { VIRTIOFSD=$v; break; }; done
  [ -n "$VIRTIOFSD" ] || fail "the netfs phase needs virtiofsd (QEMU's /usr/lib/qemu/virtiofsd, or KINV_VIRTIOFSD)"
  NETFS_ARGS=(-object memory-backend-memfd,id=kinvmem,size=1536M,share=on -numa node,memdev=kinvmem)
  n=0
  for lc in vfsnone:none vfsalways:always; do
    l=${lc%%:*}; c=${lc#*:}; sh="$RUN/share-$l"
    share_tree "$l" "$sh"
    NETFS_ARGS+=(-chardev "socket,id=kinvfs$n,path=$RUN/virtiofsd-$l.sock" -device "vhost-user-fs-pci,queue-size=1024,chardev=kinvfs$n,tag=kinv$l")
    NETFS_MOUNTS="$NETFS_MOUNTS $l:kinv$l"
    n=$((n + 1))
  done
  info "netfs: virtiofs shares $RUN/share-vfsnone (cache=none) and $RUN/share-vfsalways (cache=always), served by $VIRTIOFSD" ;;
esac
# The ninep phase: two host directories shared over virtio-9p (QEMU's own 9p server, -fsdev local,
# security_model=none), mounted by the guest with cache=none and cache=loose, each with the wild
# tasks' p and q (the same tree as the netfs shares)
NINEP=0; NINEP_ARGS=(); NINEP_MOUNTS=""
case ",$PHASES," in *,ninep,*)
  NINEP=1
  n=0
  for lc in 9pnone:none 9ploose:loose; do
    l=${lc%%:*}; c=${lc#*:}; sh="$RUN/share-$l"
    share_tree "$l" "$sh"
    mkdir -p "$sh/p/hostmv" "$sh/p/hostmvA" "$sh/p/hostdir2"; echo x > "$sh/p/hostmv/x"; echo x > "$sh/p/hostmvA/x"
    NINEP_ARGS+=(-fsdev "local,id=kinv9p$n,path=$sh,security_model=none" -device "virtio-9p-pci,fsdev=kinv9p$n,mount_tag=kinv$l")
    NINEP_MOUNTS="$NINEP_MOUNTS $l:kinv$l:$c"
    n=$((n + 1))
  done
  info "ninep: virtio-9p shares $RUN/share-9pnone (mounted cache=none) and $RUN/share-9ploose (cache=loose)" ;;
esac
info "xfs: $(xfs_db -r -c version "$RUN/xfsci.img" 2>/dev/null | grep -o 'ASCII_CI' || echo 'ASCII_CI flag not seen')"

# ---------------------------------------------------------------------------------------------
step initramfs "busybox, modules with their dependencies, /init, workload, probes"
IR="$RUN/initramfs"
mkdir -p "$IR"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,out,lib/modules,sys/kernel/tracing}
cp "$BUSYBOX" "$IR/bin/busybox"
for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -sf busybox "$IR/bin/$a"; done
install -m 0755 "$HERE/guest/init" "$IR/init"
install -m 0755 "$HERE/guest/lkwork" "$IR/bin/lkwork"
case ",$PHASES," in *,syscalls,*)
  # the syscalls busybox lacks (renameat2 flags, O_TMPFILE, linkat AT_EMPTY_PATH, mknod, handles)
  command -v gcc > /dev/null || { [ "$INSTALL" = 1 ] && apt-get install -y -qq --no-install-recommends build-essential >> "$RUN/apt.log" 2>&1; } ||
    fail "gcc not found (apt-get install build-essential): the syscalls phase needs guest/sysx.c"
  gcc -O2 -Wall -Wextra -Werror -static -o "$IR/bin/sysx" "$HERE/guest/sysx.c" || fail "compiling guest/sysx.c failed" ;;
esac
cp "$RUN/probes.txt" "$IR/etc/probes.txt"
cp "$RUN/ref-functions" "$IR/etc/ref-functions"
if [ "$CASEFOLD" = 1 ]; then
  # busybox has no chattr: e2fsprogs' chattr (for +F), its libraries and the dynamic loader
  command -v chattr > /dev/null || fail "chattr (e2fsprogs) not found: the casefold directory needs chattr +F"
  mkdir -p "$IR/usr/bin"
  cp "$(command -v chattr)" "$IR/usr/bin/chattr"; cp "$(command -v lsattr)" "$IR/usr/bin/lsattr"
  for lib in $(ldd "$(command -v chattr)" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$IR$(dirname "$lib")"; cp -L "$lib" "$IR$lib"
  done
fi
copy_program() { # path: a host program, its libraries and the loader into the initramfs
  for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$IR$(dirname "$lib")"; cp -L "$lib" "$IR$lib"
  done
}
if [ -n "$BTRFS_IMG" ] && command -v btrfs > /dev/null; then
  # busybox has no btrfs: the host's, for `btrfs subvolume create|snapshot|list`
  mkdir -p "$IR/usr/bin"; cp "$(command -v btrfs)" "$IR/usr/bin/btrfs"; copy_program "$(command -v btrfs)"
fi
case ",$PHASES," in *,tracedat,*|*,ownkernel,*)
  # Debian's trace-cmd, its libraries, the loader and libtraceevent's plugins into the initramfs
  command -v trace-cmd > /dev/null || { [ "$INSTALL" = 1 ] && apt-get install -y -qq --no-install-recommends trace-cmd >> "$RUN/apt.log" 2>&1; } ||
    fail "trace-cmd not found and not installed (apt-get install trace-cmd)"
  cp "$(command -v trace-cmd)" "$IR/bin/trace-cmd"
  for lib in $(ldd "$(command -v trace-cmd)" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$IR$(dirname "$lib")"; cp -L "$lib" "$IR$lib"
  done
  for d in /usr/lib/x86_64-linux-gnu/traceevent /usr/lib/x86_64-linux-gnu/trace-cmd; do [ -d "$d" ] && mkdir -p "$IR$d" && cp -r "$d/." "$IR$d/"; done
  # the kallsyms the files keep: the probed functions, their callers in the workload
  { cat "$RUN/ref-functions"; printf '%s\n' walk_component lookup_fast path_lookupat filename_lookup vfs_statx xfs_vn_ci_lookup; } | sort -u > "$IR/etc/kallsyms-keep"
  info "trace-cmd $(trace-cmd --version 2>&1 | grep -o 'version [0-9.]*') copied with its libraries" ;;
esac
case ",$PHASES," in *,ownkernel,*)
  # README "Check your own kernel", followed as written: the probe script comes from `kinv probes`
  # for this kernel's BTF (a .BTF section dumped from the vmlinux, as the README says for another
  # kernel's BTF), made here (the guest has no node) and pasted into bash in the guest (busybox sh
  # has no arrays: the host's bash is copied in)
  [ -s "$RUN/vmlinux" ] || extract_vmlinux "$KERNEL_IMAGE" "$RUN/vmlinux" || fail "could not decompress the vmlinux inside $KERNEL_IMAGE"
  (cd "$RUN" && objcopy --dump-section .BTF=btf vmlinux) || fail "objcopy --dump-section .BTF=btf vmlinux failed (no BTF in this kernel?)"
  OWN_ARGS="--dir /mnt/xfsci/d --dir /mnt/ext4/d --comm lkwork"
  node "$REPO/bin/kinv.js" probes --btf "$RUN/btf" $OWN_ARGS > "$RUN/kinv-probes.sh" 2> "$RUN/kinv-probes.err" ||
    { cat "$RUN/kinv-probes.err" >&2; fail "kinv probes --btf $RUN/btf failed"; }
  echo "kinv probes --btf btf $OWN_ARGS > kinv-probes.sh" > "$RUN/kinv-probes.cmdline"
  cp "$RUN/kinv-probes.sh" "$IR/etc/kinv-probes.sh"
  cp "$(command -v bash)" "$IR/bin/bash"; copy_program "$(command -v bash)"
  info "kinv probes: $(grep -c '^kinv_add ' "$RUN/kinv-probes.sh") probe lines for $KERNEL_LABEL; bash copied" ;;
esac
: > "$IR/etc/modules.order"
if [ "$USE_MODULES" = 1 ]; then
  MODS="virtio_pci virtio_blk ext4 xfs vfat nls_cp437 nls_ascii nls_utf8 nls_iso8859-1"
  [ "$LAYERED" = 1 ] && MODS="$MODS overlay btrfs squashfs"
  [ "$NETFS" = 1 ] && MODS="$MODS fuse virtiofs"
  [ "$NINEP" = 1 ] && MODS="$MODS 9p 9pnet_virtio"
  modprobe -a -d "$KDIR" -S "$KREL" --show-depends $MODS > "$RUN/modules.deps" 2>&1 ||
    { cat "$RUN/modules.deps" >&2; fail "modprobe --show-depends could not resolve $MODS"; }
  # 6.12 packages ship modules as .ko.xz: busybox insmod wants them decompressed
  awk '$1 == "insmod" { print $2 }' "$RUN/modules.deps" | awk '!seen[$0]++' | while read -r ko; do
    case $ko in
      *.ko.xz) b=$(basename "$ko" .xz); xz -dc "$ko" > "$IR/lib/modules/$b" || fail "xz -d $ko failed"; echo "$b" >> "$IR/etc/modules.order" ;;
      *.ko.zst) b=$(basename "$ko" .zst); zstd -qdc "$ko" > "$IR/lib/modules/$b" || fail "zstd -d $ko failed"; echo "$b" >> "$IR/etc/modules.order" ;;
      *) cp "$ko" "$IR/lib/modules/" && basename "$ko" >> "$IR/etc/modules.order" ;;
    esac
  done
  info "modules: $(tr '\n' ' ' < "$IR/etc/modules.order")"
fi
GRAPH_ROOTS="walk_component __lookup_slow"
GRAPH_FUNCTIONS="d_alloc_parallel d_add_ci xfs_vn_ci_lookup xfs_vn_lookup ext4_lookup simple_lookup vfat_lookup d_splice_alias __d_lookup_unhash_wake __d_lookup_unhash down_read up_read down_write up_write down_read_killable down_write_killable"
CHECK_FUNCTIONS="lookup_slow __lookup_slow walk_component d_alloc_parallel d_add_ci d_wait_lookup __d_lookup_done __d_lookup_unhash_wake __d_lookup_unhash d_splice_alias xfs_vn_ci_lookup xfs_vn_lookup ext4_lookup simple_lookup vfat_lookup down_read up_read down_write up_write down_read_killable down_write_nested down_read_nested"
# the layered phase's disks follow the output disk (vdd) and the casefold disk (vde) when present
DEV_btrfs=""; DEV_sq=""; next_dev=e; [ "$CASEFOLD" = 1 ] && next_dev=f
if [ -n "$BTRFS_IMG" ]; then DEV_btrfs=/dev/vd$next_dev; LAYERED_DRIVES+=(-drive "file=$BTRFS_IMG,if=virtio,format=raw,cache=unsafe"); next_dev=$(echo $next_dev | tr e-y f-z); fi
if [ -n "$SQ_IMG" ]; then DEV_sq=/dev/vd$next_dev; LAYERED_DRIVES+=(-drive "file=$SQ_IMG,if=virtio,format=raw,cache=unsafe,readonly=on"); fi
cat > "$IR/etc/kinv.conf" <<EOF
PHASES="${PHASES//,/ }"
FSLIST="tmpfs ext4 vfat xfsci"
DEV_ext4=/dev/vda
DEV_vfat=/dev/vdb
DEV_xfsci=/dev/vdc
FS_DEVS="/dev/vda /dev/vdb /dev/vdc"
OUT_DEV=/dev/vdd
NFILES=$NFILES
WORKERS=$WORKERS
COLL_WORKERS=$COLL_WORKERS
COLL_ROUNDS=$COLL_ROUNDS
COLL_DEADLINE=$COLL_DEADLINE
BUFFER_KB=$BUFFER_KB
PIPE_READ_KB=$PIPE_READ_KB
PIPE_PAUSE=$PIPE_PAUSE
TRACE_CLOCK=$TRACE_CLOCK
I_RWSEM=${OFF[inode:i_rwsem]}
GRAPH_ROOTS="$GRAPH_ROOTS"
GRAPH_FUNCTIONS="$GRAPH_FUNCTIONS"
CHECK_FUNCTIONS="$CHECK_FUNCTIONS"
PROBESET=$PROBESET
ORD_ROUNDS=$ORD_ROUNDS
CASEFOLD=$CASEFOLD
DEV_cf=/dev/vde
DEV_btrfs=$DEV_btrfs
DEV_sq=$DEV_sq
WORKLOAD_PARAMS="$WORKLOAD_PARAMS"
NETFS_MOUNTS="${NETFS_MOUNTS# }"
NINEP_MOUNTS="${NINEP_MOUNTS# }"
LONG_NAMES=$LONG_NAMES
EOF
( cd "$IR" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$RUN/initramfs.cpio.gz" || fail "cpio failed"
info "initramfs $(du -h "$RUN/initramfs.cpio.gz" | cut -f1)"

# ---------------------------------------------------------------------------------------------
qemu_run() { # accel cpu mode deadline log
  local accel=$1 cpu=$2 mode=$3 deadline=$4 log=$5
  timeout --foreground -k 5 "$deadline" "$QEMU" \
    -accel "$accel" -cpu "$cpu" -smp 2 -m 1536 -no-reboot -display none -monitor none \
    -serial stdio -kernel "$KERNEL_IMAGE" -initrd "$RUN/initramfs.cpio.gz" \
    -append "console=ttyS0 loglevel=4 log_buf_len=8M panic=-1 kinv.mode=$mode${EXTRA_CMDLINE:+ $EXTRA_CMDLINE}" \
    -drive "file=$RUN/ext4.img,if=virtio,format=raw,cache=unsafe" \
    -drive "file=$RUN/vfat.img,if=virtio,format=raw,cache=unsafe" \
    -drive "file=$RUN/xfsci.img,if=virtio,format=raw,cache=unsafe" \
    -drive "file=$RUN/out.img,if=virtio,format=raw,cache=unsafe" \
    ${CF_DRIVE[@]+"${CF_DRIVE[@]}"} \
    ${LAYERED_DRIVES[@]+"${LAYERED_DRIVES[@]}"} \
    ${NETFS_ARGS[@]+"${NETFS_ARGS[@]}"} \
    ${NINEP_ARGS[@]+"${NINEP_ARGS[@]}"} \
    < /dev/null > "$log" 2>&1
}
# virtiofsd: one server per share, started before each boot (it serves one connection, then exits);
# -o sandbox=chroot works in a container, where the namespace sandbox may be refused
VFSD_PIDS=""
start_virtiofsd() {
  [ "$NETFS" = 1 ] || return 0
  stop_virtiofsd
  for lc in vfsnone:none vfsalways:always; do
    l=${lc%%:*}; c=${lc#*:}
    rm -f "$RUN/virtiofsd-$l.sock"
    "$VIRTIOFSD" --socket-path="$RUN/virtiofsd-$l.sock" -o source="$RUN/share-$l" -o cache=$c -o sandbox=chroot \
      > "$RUN/virtiofsd-$l.log" 2>&1 &
    VFSD_PIDS="$VFSD_PIDS $!"
  done
  for l in vfsnone vfsalways; do
    for _ in $(seq 50); do [ -S "$RUN/virtiofsd-$l.sock" ] && break; sleep 0.1; done
    [ -S "$RUN/virtiofsd-$l.sock" ] || { cat "$RUN/virtiofsd-$l.log" >&2; fail "virtiofsd for $l did not create its socket"; }
  done
}
stop_virtiofsd() {
  for p in $VFSD_PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $VFSD_PIDS; do wait "$p" 2>/dev/null || true; done
  VFSD_PIDS=""
}
on_exit stop_virtiofsd
# The host side of the netfs phase: while the guest runs its workload (between its "netfs: host
# changes on" and "off" lines), names change under it in both shares, as another client of a
# network filesystem changes them: p/hostA renamed to p/hostB and back, q/Hq replaced by a new file
# (a new inode under the same name), p/hostN0..2 created and removed, p/hostdir/f removed and
# re-created, every 0.3 s; each change is logged with the host's time in host-changes.log.
# The ninep phase gets the same in its shares, between its "ninep: host changes on" and "off" lines.
netfs_host_changes() { # console log, changes log [phase [share labels...]]
  local con=$1 hl=$2 ph=${3:-netfs} i=0 sh labels
  shift 2; [ $# -gt 0 ] && shift
  labels=${*:-vfsnone vfsalways}
  : > "$hl"
  while ! grep -q "$ph: host changes on" "$con" 2>/dev/null; do
    kill -0 "$QPID" 2>/dev/null || return 0; sleep 0.5
  done
  echo "$(date +%s.%N) on" >> "$hl"
  while ! grep -q "$ph: host changes off" "$con" 2>/dev/null && kill -0 "$QPID" 2>/dev/null; do
    for l in $labels; do
      sh="$RUN/share-$l"
      if [ -e "$sh/p/hostA" ]; then mv "$sh/p/hostA" "$sh/p/hostB"; else mv "$sh/p/hostB" "$sh/p/hostA" 2>/dev/null || echo h > "$sh/p/hostA"; fi
      rm -f "$sh/q/Hq.new"; echo "$i" > "$sh/q/Hq.new"; mv "$sh/q/Hq.new" "$sh/q/Hq"
      if [ $((i % 2)) = 0 ]; then echo "$i" > "$sh/p/hostN$((i % 3))"; rm -f "$sh/p/hostdir/f"
      else rm -f "$sh/p/hostN$(( (i + 1) % 3 ))"; echo "$i" > "$sh/p/hostdir/f"; fi
      # ninep (lkwork hostinval): p/hostT removed (the guest touches it again), p/hostdir2 removed
      # and re-created, the directory p/hostmv moved to q/hostmv and back, p/hostmvA renamed to
      # p/hostmvB and back
      if [ "$ph" = ninep ]; then
        rm -f "$sh/p/hostT"
        if [ $((i % 2)) = 0 ]; then rm -rf "$sh/p/hostdir2"; else mkdir -p "$sh/p/hostdir2"; fi
        if [ -d "$sh/p/hostmv" ]; then mv "$sh/p/hostmv" "$sh/q/hostmv"; else mv "$sh/q/hostmv" "$sh/p/hostmv" 2>/dev/null || true; fi
        if [ -d "$sh/p/hostmvA" ]; then mv "$sh/p/hostmvA" "$sh/p/hostmvB"; else mv "$sh/p/hostmvB" "$sh/p/hostmvA" 2>/dev/null || true; fi
      fi
    done
    echo "$(date +%s.%N) $i: mv p/hostA<->p/hostB; q/Hq replaced; p/hostN* created/removed; p/hostdir/f $([ $((i % 2)) = 0 ] && echo removed || echo created)$([ "$ph" = ninep ] && echo "; rm p/hostT; p/hostdir2 $([ $((i % 2)) = 0 ] && echo removed || echo created); mv p/hostmv<->q/hostmv; mv p/hostmvA<->p/hostmvB")" >> "$hl"
    i=$((i + 1)); sleep 0.3
  done
  echo "$(date +%s.%N) off after $i rounds" >> "$hl"
}

CF_DRIVE=(); [ "$CASEFOLD" = 1 ] && CF_DRIVE=(-drive "file=$RUN/cf.img,if=virtio,format=raw,cache=unsafe")
step accel "choosing KVM or TCG (requested: $ACCEL)"
ACCEL_USED=""; CPU_USED=""; ACCEL_NOTES=""
try_kvm() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || { ACCEL_NOTES="no usable /dev/kvm"; return 1; }
  local cpu t0 t1
  for cpu in host max "host,-arch-capabilities"; do
    t0=$(date +%s.%N)
    start_virtiofsd
    ( qemu_run kvm "$cpu" probe 20 "$RUN/kvm-probe.log" ) 2> /dev/null || true
    t1=$(date +%s.%N)
    if grep -q KINV-BOOT-OK "$RUN/kvm-probe.log"; then
      ACCEL_USED=kvm; CPU_USED=$cpu
      info "KVM with -cpu $cpu reached /init in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s"
      return 0
    fi
    local why; why=$(grep -m1 -iE 'error|fail|abort|emulation' "$RUN/kvm-probe.log" | cut -c1-120 || true)
    info "KVM with -cpu $cpu did not boot within 20s${why:+: $why}"
    ACCEL_NOTES="$ACCEL_NOTES kvm -cpu $cpu: ${why:-no boot within 20s};"
  done
  return 1
}
case $ACCEL in
  kvm) try_kvm || fail "KVM was requested but no boot attempt with KVM worked:$ACCEL_NOTES" ;;
  tcg) ACCEL_USED=tcg; CPU_USED=max ;;
  auto) try_kvm || { ACCEL_USED=tcg; CPU_USED=max; info "falling back to TCG (software emulation)"; } ;;
esac
[ "$ACCEL_USED" = tcg ] && ACCEL_USED="tcg,thread=multi"
info "using -accel $ACCEL_USED -cpu $CPU_USED"

# ---------------------------------------------------------------------------------------------
step boot "capture run: phases $PHASES (deadline ${TIMEOUT}s; guest progress follows)"
T_BOOT=$(date +%s.%N)
# (the status is read with `|| rc=$?`: under set -e a failing QEMU would end the subshell before it
# wrote its status, and a boot timeout, 124, would read as an unknown exit)
start_virtiofsd
( rc=0; qemu_run "$ACCEL_USED" "$CPU_USED" capture "$TIMEOUT" "$OUT/console.log" || rc=$?; echo "$rc" > "$RUN/qemu.rc" ) &
QPID=$!
HCPID=""
if [ "$NETFS" = 1 ]; then netfs_host_changes "$OUT/console.log" "$OUT/host-changes.log" & HCPID=$!; fi
if [ "$NINEP" = 1 ]; then netfs_host_changes "$OUT/console.log" "$OUT/host-changes-ninep.log" ninep 9pnone 9ploose & HCPID="$HCPID $!"; fi
# Follow the guest's progress lines while it runs.
# (tail --pid ends the follower by itself once QEMU's subshell is gone, so nothing is left waiting.)
{ tail -n +1 -F --pid=$QPID "$OUT/console.log" 2>/dev/null | grep --line-buffered -E '^\[guest\]|KINV-DONE|KINV-CHECKPOINT|Kernel panic|BUG:|WARNING:' | sed -u 's/^/    /' || true; } &
TPID=$!
# A guest whose kernel was damaged by the workload (the draft d_add_ci) may hang after it saved its
# last phase (KINV-CHECKPOINT): stop it HANG_GRACE seconds later rather than at the deadline.
# A TCG guest on a busy host can also stall outright (RCU stall, soft lockup) and never progress:
# stop it STALL_GRACE seconds after its last progress line once its kernel reports a stall.
LAST_PHASE=${PHASES##*,}; HANG_GRACE=${KINV_HANG_GRACE:-90}; t_last=""; STOPPED_HUNG=""
STALL_GRACE=${KINV_STALL_GRACE:-240}; STOPPED_STALL=""; n_prog=0; t_prog=$(date +%s)
while kill -0 $QPID 2>/dev/null; do
  n=$(grep -c '^\[guest\]' "$OUT/console.log" 2>/dev/null || true)
  if [ "${n:-0}" != "$n_prog" ]; then n_prog=${n:-0}; t_prog=$(date +%s); fi
  # (after an oops, a stall means the machine is wedged: 60 s are enough)
  grace=$STALL_GRACE; grep -qE 'Oops: ' "$OUT/console.log" 2>/dev/null && [ "$grace" -gt 60 ] && grace=60
  if [ $(( $(date +%s) - t_prog )) -ge "$grace" ] && grep -qE 'self-detected stall|soft lockup|hung_task_timeout' "$OUT/console.log" 2>/dev/null; then
    info "the guest kernel reports a stall and has made no progress for ${grace}s: stopping QEMU"
    STOPPED_STALL=1
    pkill -TERM -P $QPID 2>/dev/null || true
    break
  fi
  if [ -z "$t_last" ] && grep -q "KINV-CHECKPOINT $LAST_PHASE" "$OUT/console.log" 2>/dev/null; then t_last=$(date +%s); fi
  if [ -n "$t_last" ] && [ $(( $(date +%s) - t_last )) -ge "$HANG_GRACE" ] && ! grep -q KINV-DONE "$OUT/console.log"; then
    info "the guest saved its last phase but did not finish ${HANG_GRACE}s later: stopping QEMU"
    STOPPED_HUNG=1
    pkill -TERM -P $QPID 2>/dev/null || true
    break
  fi
  sleep 2
done
wait $QPID || true
wait $TPID 2>/dev/null || true
for hp in $HCPID; do wait "$hp" 2>/dev/null || true; done
stop_virtiofsd
T_END_BOOT=$(date +%s.%N)
QRC=$(cat "$RUN/qemu.rc" 2>/dev/null || echo '?')
BOOT_SECONDS=$(awk -v a="$T_BOOT" -v b="$T_END_BOOT" 'BEGIN { printf "%.1f", b - a }')
GUEST_STATUS=""
if ! grep -q 'KINV-DONE' "$OUT/console.log" && grep -q 'KINV-CHECKPOINT' "$OUT/console.log"; then
  last=$(grep -o 'KINV-CHECKPOINT [a-z-]*' "$OUT/console.log" | tail -1 | cut -d' ' -f2)
  why=$([ -n "$STOPPED_HUNG" ] && echo "hung after it" || { [ -n "$STOPPED_STALL" ] && echo "stalled after it" || { [ "$QRC" = 124 ] && echo "timeout" || echo "qemu exit $QRC"; }; })
  GUEST_STATUS="partial: results up to phase $last ($why)"
  [ "$ALLOW_PARTIAL" = 1 ] || fail "the guest did not finish: $GUEST_STATUS; its saved results are on the output disk (rerun with --allow-partial to keep them; see $OUT/console.log)"
  info "WARNING: the guest did not finish: $GUEST_STATUS"
elif ! grep -q 'KINV-DONE' "$OUT/console.log"; then
  if [ -n "$STOPPED_STALL" ]; then
    oops=$(grep -B4 -m1 'Oops: ' "$OUT/console.log" | grep -m1 -oE 'BUG: [^,]*' || true)
    [ -n "$oops" ] && fail "the guest kernel oopsed ($oops) and then stalled before saving any phase (see $OUT/console.log)"
    fail "the guest kernel stalled before saving any phase ($(grep -m1 -oE 'self-detected stall|soft lockup|hung_task_timeout' "$OUT/console.log"); see $OUT/console.log): a TCG guest on a busy host; rerun when the machine is idle (a built kernel is cached)"
  fi
  [ "$QRC" = 124 ] && fail "boot timeout: the guest did not finish within ${TIMEOUT}s (see $OUT/console.log; raise --timeout)"
  tail -20 "$OUT/console.log" >&2
  fail "the guest stopped before finishing (qemu exit $QRC; see $OUT/console.log)"
fi
if [ -z "$GUEST_STATUS" ]; then
  GUEST_STATUS=$(grep -m1 -o 'KINV-DONE.*' "$OUT/console.log" | sed 's/^KINV-DONE //' | tr -d '\r')
  info "guest finished in ${BOOT_SECONDS}s: $GUEST_STATUS"
fi
[ "$GUEST_STATUS" = ok ] || [ "${GUEST_STATUS#partial}" != "$GUEST_STATUS" ] || fail "the guest reported: $GUEST_STATUS (see $OUT/console.log)"

# ---------------------------------------------------------------------------------------------
step unpack "results from the output disk"
mkdir -p "$OUT/guest"
tar -xf "$RUN/out.img" -C "$OUT/guest" || fail "the output disk holds no readable tar archive"
grep -qE '^(ok|partial)' "$OUT/guest/status" || fail "guest reported: $(cat "$OUT/guest/status" 2>/dev/null || echo 'no status')"

if [ -d "$OUT/guest/tracedat" ]; then
  # trace-cmd report of each trace.dat, beside it (the reference its reader is tested against)
  mkdir -p "$OUT/tracedat"; cp "$OUT"/guest/tracedat/* "$OUT/tracedat/"
  # extract.dat in the other file versions (the same records as extract.trace.txt)
  if [ -s "$OUT/tracedat/extract.dat" ]; then
    trace-cmd convert -i "$OUT/tracedat/extract.dat" -o "$OUT/tracedat/extract-v6.dat" --file-version 6 --compression none > /dev/null 2>&1 || info "trace-cmd convert to version 6 failed"
    trace-cmd convert -i "$OUT/tracedat/extract.dat" -o "$OUT/tracedat/extract-v7.dat" --file-version 7 --compression none > /dev/null 2>&1 || info "trace-cmd convert to version 7 failed"
  fi
  for f in "$OUT"/tracedat/*.dat; do
    trace-cmd report -i "$f" > "${f%.dat}.report.txt" 2> "${f%.dat}.report.err" || info "trace-cmd report -i $f failed (see ${f%.dat}.report.err)"
  done
  info "tracedat: $(cd "$OUT/tracedat" && ls -s *.dat | tr '\n' ' ')"
fi
if [ -d "$OUT/guest/ownkernel" ]; then
  # the README's last steps, on the host: kinv check trace.dat; and the text way (report, its symbols)
  mkdir -p "$OUT/ownkernel"; cp "$OUT"/guest/ownkernel/* "$OUT/ownkernel/"
  cp "$RUN/kinv-probes.sh" "$RUN/kinv-probes.cmdline" "$OUT/ownkernel/"
  D="$OUT/ownkernel"
  if [ -s "$D/trace.dat" ]; then
    (cd "$D" && trace-cmd report > t.txt 2> report.err && trace-cmd report -f > t.syms 2>> report.err) || info "trace-cmd report failed (see $D/report.err)"
    (cd "$D" && node "$REPO/bin/kinv.js" check trace.dat > check.txt 2>&1; echo $? > check.rc)
    (cd "$D" && node "$REPO/bin/kinv.js" check --functions t.syms t.txt > check-report.txt 2>&1; echo $? > check-report.rc)
    info "ownkernel: kinv check trace.dat exit $(cat "$D/check.rc"): $(grep -m1 -E 'violation|no verdict' "$D/check.txt" || true)"
  else
    info "ownkernel: no trace.dat (see $D/record.log)"
  fi
fi
[ -s "$OUT/host-changes.log" ] && [ -d "$OUT/guest/netfs" ] && cp "$OUT/host-changes.log" "$OUT/guest/netfs/host-changes.log"
[ -s "$OUT/host-changes-ninep.log" ] && [ -d "$OUT/guest/ninep" ] && cp "$OUT/host-changes-ninep.log" "$OUT/guest/ninep/host-changes.log"
step metadata "metadata.json per capture"
T_END=$(date +%s.%N)
node "$HERE/metadata.mjs" --out "$OUT" --offsets "$RUN/offsets.json" --probes "$RUN/probes.txt" \
  --kernel-label "$KERNEL_LABEL" --probeset "$PROBESET" --probes-file "$(basename "$PROBES_FILE")" --nooffset "$RUN/probes.nooffset" --accel "$ACCEL_USED" --cpu "$CPU_USED" --accel-notes "$ACCEL_NOTES" \
  --boot-seconds "$BOOT_SECONDS" --guest-status "$GUEST_STATUS" \
  --wall-seconds "$(awk -v a="$T_START" -v b="$T_END" 'BEGIN { printf "%.1f", b - a }')" \
  --workload "files=$NFILES workers=$WORKERS coll_workers=$COLL_WORKERS coll_rounds=$COLL_ROUNDS ord_rounds=$ORD_ROUNDS casefold=$CASEFOLD buffer_kb=$BUFFER_KB pipe_read_kb=$PIPE_READ_KB pipe_pause=$PIPE_PAUSE" \
  || fail "building metadata.json failed"

step done "captures in $OUT ($(elapsed | tr -d ' ') wall)"
