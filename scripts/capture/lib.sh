# Shared by capture.sh and capture-buggy.sh (sourced): one progress line per step, a clear message
# per failure, one EXIT trap that runs every script's clean-up, capture.sh's options (parsed and
# checked in one place, so capture-buggy.sh can check the options it passes on before a kernel
# build rather than after it), the boot attempts of capture-buggy.sh, and apt-get download with
# one retry after refreshing the package lists.
# The sourcing script sets NAME (shown in failures) before sourcing.
T_START=$(date +%s.%N)
STEP=start
elapsed() { awk -v s="$T_START" -v n="$(date +%s.%N)" 'BEGIN { printf "%6.1fs", n - s }'; }
step() { STEP=$1; shift; printf '==> [%s] %s: %s\n' "$(elapsed)" "$STEP" "$*"; }
info() { printf '    %s\n' "$*"; }
fail() { printf '\n%s: FAILED in step "%s": %s\n' "$NAME" "$STEP" "$*" >&2; exit 1; }
usage_error() { printf '%s: %s (see --help)\n' "$NAME" "$*" >&2; exit 2; }
# The comment block at the top of a script, from its second line to `set -euo`, is its --help.
show_help() { sed -n '2,/^set -euo/p' "$1" | sed '$d; s/^# \{0,1\}//'; }

# One EXIT trap for the whole run: a script adds its clean-up with on_exit rather than setting a
# trap of its own, which would replace the one set before it. A run stopped by anything other than
# success or a usage error (2) names the step it stopped in.
EXIT_HOOKS=()
on_exit() { EXIT_HOOKS+=("$1"); }
run_exit_hooks() {
  local rc=$? hook
  for hook in ${EXIT_HOOKS[@]+"${EXIT_HOOKS[@]}"}; do "$hook" || true; done
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then printf '%s: stopped in step "%s" (exit %s)\n' "$NAME" "$STEP" "$rc" >&2; fi
  exit "$rc"
}
trap run_exit_hooks EXIT

# ---- capture.sh's options (documented at the top of capture.sh) ----
capture_defaults() {
  PROBESET=legacy; ORD_ROUNDS=3; KERNEL_PACKAGE=""
  OUT=""; ACCEL=${KINV_ACCEL:-auto}; PHASES="kprobe-trace,kprobe-pipe,graph,collision"
  NFILES=200; WORKERS=4; COLL_WORKERS=6; COLL_ROUNDS=40; TIMEOUT=1200; INSTALL=1
  KERNEL_IMAGE=""; OFFSETS_FROM=""; KERNEL_LABEL=""; EXTRA_PROBES=""; EXTRA_CMDLINE=""; COLL_DEADLINE=300; ALLOW_PARTIAL=0; TRACE_CLOCK=counter
  WORKLOAD_PARAMS=""; BUFFER_KB=16384; PIPE_READ_KB=0; PIPE_PAUSE=0.5; LONG_NAMES=0
}

# capture_option ARGS...: takes the option at $1 (with its value, $2, if it has one) into its
# variable and sets TAKEN to the number of words it used; returns 1 when $1 is not an option of
# capture.sh. A value option at the end of the line is a usage error, not an unbound variable.
capture_option() {
  local var
  TAKEN=1
  case $1 in
    --no-install) INSTALL=0; return 0 ;;
    --allow-partial) ALLOW_PARTIAL=1; return 0 ;;
    --long-names) LONG_NAMES=1; return 0 ;;
    --out) var=OUT ;;
    --accel) var=ACCEL ;;
    --phases) var=PHASES ;;
    --files) var=NFILES ;;
    --workers) var=WORKERS ;;
    --coll-workers) var=COLL_WORKERS ;;
    --coll-rounds) var=COLL_ROUNDS ;;
    --timeout) var=TIMEOUT ;;
    --kernel) var=KERNEL_IMAGE ;;
    --offsets-from) var=OFFSETS_FROM ;;
    --kernel-label) var=KERNEL_LABEL ;;
    --extra-probes) var=EXTRA_PROBES ;;
    --cmdline) var=EXTRA_CMDLINE ;;
    --coll-deadline) var=COLL_DEADLINE ;;
    --trace-clock) var=TRACE_CLOCK ;;
    --probeset) var=PROBESET ;;
    --kernel-package) var=KERNEL_PACKAGE ;;
    --ord-rounds) var=ORD_ROUNDS ;;
    --workload-params) var=WORKLOAD_PARAMS ;;
    --buffer-kb) var=BUFFER_KB ;;
    --pipe-read-kb) var=PIPE_READ_KB ;;
    --pipe-pause) var=PIPE_PAUSE ;;
    *) return 1 ;;
  esac
  [ $# -ge 2 ] || usage_error "$1 needs a value"
  printf -v "$var" '%s' "$2"
  TAKEN=2
}

# The checks that need no tools: values out of their range, options that exclude each other.
check_capture_options() {
  case $ACCEL in auto|kvm|tcg) ;; *) usage_error "--accel must be auto, kvm or tcg" ;; esac
  case $PROBESET in legacy|full) ;; *) usage_error "--probeset must be legacy or full" ;; esac
  case $BUFFER_KB in ''|*[!0-9]*|0) usage_error "--buffer-kb wants a whole number of KB per CPU, not '$BUFFER_KB'" ;; esac
  case $PIPE_READ_KB in ''|*[!0-9]*) usage_error "--pipe-read-kb wants a whole number of KB (0: read trace_pipe at once), not '$PIPE_READ_KB'" ;; esac
  [[ $PIPE_PAUSE =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage_error "--pipe-pause wants seconds, not '$PIPE_PAUSE'"
  if [ -n "$KERNEL_PACKAGE" ] && [ -n "$KERNEL_IMAGE" ]; then usage_error "--kernel-package and --kernel exclude each other"; fi
  if [ -n "$WORKLOAD_PARAMS" ]; then
    case ",$PHASES," in *,collision,*) ;; *) usage_error "--workload-params applies to the collision phase, which --phases leaves out" ;; esac
    local kv
    for kv in $WORKLOAD_PARAMS; do
      [[ $kv =~ ^[a-z][a-z0-9_]*=[A-Za-z0-9]+$ ]] || usage_error "--workload-params wants NAME=VALUE words (core kernel parameters), not '$kv'"
    done
  fi
}

# ---- boot attempts (capture-buggy.sh) ----
check_attempts() { case $1 in ''|*[!0-9]*|0) usage_error "--attempts wants a whole number of at least 1, not '$1'" ;; esac; }

# capture_attempts LABEL WHAT ATTEMPTS DIR COMMAND...: runs COMMAND, a capture into DIR, until it
# succeeds, at most ATTEMPTS times, its output indented. A failed attempt's DIR is kept as
# DIR.failed-K, and the oops or stall its console.log shows is named. The status is read with
# `|| rc=$?`: under set -e and pipefail a failing pipeline would end the script before the line
# after it could read PIPESTATUS, and no second attempt would ever start.
capture_attempts() {
  local label=$1 what=$2 attempts=$3 dir=$4 attempt rc why
  shift 4
  check_attempts "$attempts"
  for (( attempt = 1; attempt <= attempts; attempt++ )); do
    step "$label" "$what (attempt $attempt of $attempts)"
    rm -rf "$dir"
    rc=0
    "$@" 2>&1 | sed -u 's/^/    /' || rc=$?
    [ "$rc" = 0 ] && return 0
    why=$(grep -m1 -oE 'BUG: (unable to handle|kernel NULL)[^,]*|self-detected stall|soft lockup' "$dir/console.log" 2>/dev/null || true)
    # A capture that failed before it made its folder leaves nothing to keep.
    if [ -e "$dir" ]; then mv "$dir" "$dir.failed-$attempt"; fi
    [ "$attempt" -lt "$attempts" ] ||
      fail "$label failed $attempts times (last: ${why:-exit $rc, see above}; boots kept in $dir.failed-*)"
    info "attempt $attempt failed (${why:-exit $rc, see above}; kept in $dir.failed-$attempt): the kernel oopses now and then under this workload, see traces/kernel-buggy/README.md; booting again"
  done
}

# apt_download PKG=VERSION DIR LOG HINT: the .deb into DIR (log in LOG), or fail with HINT.
apt_download() {
  local spec=$1 dir=$2 log=$3 hint=$4
  ( cd "$dir" && apt-get download "$spec" ) > "$log" 2>&1 && return 0
  info "apt-get download failed; updating the package lists and retrying"
  apt-get update -qq >> "$log" 2>&1 || true
  ( cd "$dir" && apt-get download "$spec" ) >> "$log" 2>&1 && return 0
  tail -5 "$log" >&2
  fail "could not download $spec ($hint)"
}

# unpack_kernel_package DEB KDIR KREL: a Debian linux-image package unpacked (never installed)
# into KDIR, its modules indexed for modprobe in the guest; done once per KDIR.
unpack_kernel_package() {
  local deb=$1 kdir=$2 krel=$3
  [ -e "$kdir/.unpacked" ] && return 0
  rm -rf "$kdir"
  dpkg -x "$deb" "$kdir" || fail "dpkg -x $deb failed"
  depmod -b "$kdir" "$krel" || fail "depmod on the unpacked modules failed"
  touch "$kdir/.unpacked"
}

# make_bzimage TREE JOBS NICE: `make bzImage` in TREE under nice -n NICE, its log in TREE/build.log;
# sets BUILD_SECONDS.
make_bzimage() {
  local tree=$1 jobs=$2 niceness=$3 t0
  t0=$(date +%s)
  ( cd "$tree" && nice -n "$niceness" make -j"$jobs" bzImage ) > "$tree/build.log" 2>&1 ||
    { grep -E 'error|Error' "$tree/build.log" | head -20 >&2; fail "kernel build error (see $tree/build.log)"; }
  BUILD_SECONDS=$(( $(date +%s) - t0 ))
  info "built in ${BUILD_SECONDS}s: $(du -h "$tree/arch/x86/boot/bzImage" | cut -f1)"
}

# compile_dcache_debug TREE: fs/dcache.c compiled again with -g, by the build's own command, into
# TREE/fs/dcache-g.o: the struct offsets the probes need (kernels built without debug info).
compile_dcache_debug() {
  local tree=$1 cmd
  cmd=$(sed -n 's/^\(saved\)\{0,1\}cmd_fs\/dcache\.o := //p' "$tree/fs/.dcache.o.cmd" | sed 's/ ; .*//')
  [ -n "$cmd" ] || fail "no compile command in fs/.dcache.o.cmd"
  ( cd "$tree" && eval "${cmd/-o fs\/dcache.o/-g -o fs/dcache-g.o}" ) || fail "compiling fs/dcache.c with -g failed"
}
