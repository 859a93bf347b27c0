#!/usr/bin/env bash
# Bundles the captures that bundle.sh does not: the function_graph capture, and the collision
# captures of the kernel with the draft and the fixed d_add_ci (capture-buggy.sh).
#   bash scripts/capture/bundle-more.sh graph CAPTURE_DIR        -> traces/kernel/graph/
#   bash scripts/capture/bundle-more.sh buggy CAPTURE_BUGGY_DIR  -> traces/kernel-buggy/ (draft),
#                                                                   traces/kernel-fixed/ (fixed)
#   bash scripts/capture/bundle-more.sh draft|fixed CAPTURE_BUGGY_DIR  -> one of the two
#   bash scripts/capture/bundle-more.sh churn CAPTURE_DIR        -> traces/kernel-churn/ (capture.sh --phases churn)
# Traces are gzipped (-9 -n); metadata.json is rewritten to name the bundled files.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KIND=${1:?usage: bundle-more.sh graph|buggy DIR}
SRC=${2:?usage: bundle-more.sh graph|buggy DIR}

one() { # capture-folder dmesg-file destination
  local src=$1 dmesg=$2 dst=$3 file
  file=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).file)' "$src/metadata.json")
  [ -s "$src/$file" ] || { echo "bundle-more: $src has no $file" >&2; exit 1; }
  # the capture's own files only: README.md and expected.json beside them are kept
  mkdir -p "$dst"; rm -f "$dst/trace.gz" "$dst/stats" "$dst/dmesg.gz" "$dst/metadata.json"
  gzip -9 -n -c "$src/$file" > "$dst/trace.gz"
  [ -s "$src/stats" ] && cp "$src/stats" "$dst/stats"
  [ -n "$dmesg" ] && gzip -9 -n -c "$dmesg" > "$dst/dmesg.gz"
  node -e '
    const fs = require("fs"); const [src, dst, hasDmesg] = process.argv.slice(1);
    const m = JSON.parse(fs.readFileSync(src + "/metadata.json", "utf8"));
    fs.writeFileSync(dst + "/metadata.json", JSON.stringify({ ...m, file: "trace.gz", stats: "stats",
      dmesg: hasDmesg === "1" ? "dmesg.gz" : m.dmesg }, null, 2) + "\n");
  ' "$src" "$dst" "$([ -n "$dmesg" ] && echo 1 || echo 0)"
  echo "    $dst: $(du -sb "$dst" | cut -f1) bytes"
}

case $KIND in
  graph) one "$SRC/graph" "$SRC/dmesg.txt" "$REPO/traces/kernel/graph" ;;
  churn) one "$SRC/churn" "$SRC/dmesg.txt" "$REPO/traces/kernel-churn" ;;
  buggy|draft|fixed)
    [ "$KIND" = fixed ] || one "$SRC/draft/collision" "$SRC/draft/dmesg.txt" "$REPO/traces/kernel-buggy"
    [ "$KIND" = draft ] || one "$SRC/fixed/collision" "$SRC/fixed/dmesg.txt" "$REPO/traces/kernel-fixed" ;;
  *) echo "bundle-more: graph, buggy, draft, fixed or churn, not $KIND" >&2; exit 2 ;;
esac
echo "==> traces: $(du -sb "$REPO/traces" | cut -f1) bytes"
