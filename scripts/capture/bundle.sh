#!/usr/bin/env bash
# Copies one capture folder (the output of capture.sh) into traces/kernel/: the main capture
# (trace, trace_pipe, stats, dmesg, metadata.json) and the d_add_ci collision capture, gzipping
# files over 2 MB. The bundle must stay under 10 MB.
#   bash scripts/capture/bundle.sh scripts/capture/work/out/<date>-<time>
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SRC=${1:?usage: bundle.sh CAPTURE_DIR}
DST="$REPO/traces/kernel"
# Every input is checked before anything is touched, and the bundle is built beside traces/kernel
# and swapped in only when complete: a partial capture folder never costs the bundled files.
missing=()
for f in trace metadata.json stats dmesg summary.json; do [ -s "$SRC/$f" ] || missing+=("$f"); done
if [ -s "$SRC/collision/trace.txt" ]; then
  for f in collision/stats collision/metadata.json; do [ -s "$SRC/$f" ] || missing+=("$f"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bundle: $SRC lacks ${missing[*]} (a capture.sh output folder?); nothing changed in $DST" >&2
  exit 1
fi
STAGE=$(mktemp -d "$REPO/traces/.kernel-bundle.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
put() { # src dst-name
  if [ "$(stat -c %s "$1")" -gt 2000000 ]; then gzip -9 -n -c "$1" > "$STAGE/$2.gz"; echo "    $2.gz"; else cp "$1" "$STAGE/$2"; echo "    $2"; fi
}
echo "==> bundling $SRC into $DST"
put "$SRC/trace" trace
[ -s "$SRC/trace_pipe" ] && put "$SRC/trace_pipe" trace_pipe
put "$SRC/stats" stats
gzip -9 -n -c "$SRC/dmesg" > "$STAGE/dmesg.gz"; echo "    dmesg.gz"
cp "$SRC/summary.json" "$STAGE/summary.json"
if [ -s "$SRC/collision/trace.txt" ]; then
  mkdir -p "$STAGE/collision"
  put "$SRC/collision/trace.txt" collision/trace
  cp "$SRC/collision/stats" "$STAGE/collision/stats"
fi
# metadata.json files name the bundled files (which may now end in .gz).
node -e '
  const fs = require("fs"); const path = require("path"); const [src, dst] = process.argv.slice(1);
  const name = (dir, base) => (fs.existsSync(path.join(dir, base + ".gz")) ? base + ".gz" : base);
  const fix = (from, dir, extra) => {
    const m = JSON.parse(fs.readFileSync(from, "utf8"));
    fs.writeFileSync(path.join(dir, "metadata.json"), JSON.stringify({ ...m, file: name(dir, "trace"), stats: "stats", ...extra }, null, 2) + "\n");
  };
  fix(path.join(src, "metadata.json"), dst, { dmesg: name(dst, "dmesg"),
    tracePipe: fs.existsSync(path.join(dst, "trace_pipe.gz")) || fs.existsSync(path.join(dst, "trace_pipe")) ? name(dst, "trace_pipe") : undefined });
  if (fs.existsSync(path.join(dst, "collision")))
    fix(path.join(src, "collision", "metadata.json"), path.join(dst, "collision"), { dmesg: "../" + name(dst, "dmesg") });
' "$SRC" "$STAGE"
kept=0
[ -d "$DST" ] && kept=$(find "$DST" -mindepth 1 -maxdepth 1 ! -name 'trace*' ! -name stats ! -name 'dmesg*' ! -name metadata.json ! -name summary.json ! -name collision -exec du -sb {} + | awk '{ s += $1 } END { print s + 0 }')
total=$(( $(du -sb "$STAGE" | cut -f1) + kept ))
[ "$total" -lt 10000000 ] || { echo "bundle: $total bytes, over the 10 MB budget; nothing changed in $DST" >&2; exit 1; }
# The capture's files replace the old ones; the folder's own notes (README.md, expected.json, the
# graph/ and incidents/ captures) stay.
mkdir -p "$DST"
rm -rf "$DST/collision"; rm -f "$DST"/trace* "$DST"/stats "$DST"/dmesg* "$DST"/metadata.json "$DST"/summary.json
cp -R "$STAGE"/. "$DST"/
echo "==> $DST: $(du -sb "$DST" | cut -f1) bytes"
