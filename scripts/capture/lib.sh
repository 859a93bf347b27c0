# Shared by capture.sh and capture-buggy.sh (sourced): one progress line per step, a clear message
# per failure, and apt-get download with one retry after refreshing the package lists.
# The sourcing script sets NAME (shown in failures) before sourcing.
T_START=$(date +%s.%N)
STEP=start
elapsed() { awk -v s="$T_START" -v n="$(date +%s.%N)" 'BEGIN { printf "%6.1fs", n - s }'; }
step() { STEP=$1; shift; printf '==> [%s] %s: %s\n' "$(elapsed)" "$STEP" "$*"; }
info() { printf '    %s\n' "$*"; }
fail() { printf '\n%s: FAILED in step "%s": %s\n' "$NAME" "$STEP" "$*" >&2; exit 1; }

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
