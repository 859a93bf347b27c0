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
[ -s "$SRC/trace" ] && [ -s "$SRC/metadata.json" ] || { echo "bundle: $SRC holds no trace/metadata.json (a capture.sh output folder?)" >&2; exit 1; }
put() { # src dst-name
  if [ "$(stat -c %s "$1")" -gt 2000000 ]; then gzip -9 -n -c "$1" > "$DST/$2.gz"; echo "    $2.gz"; else cp "$1" "$DST/$2"; echo "    $2"; fi
}
rm -rf "$DST/collision"; rm -f "$DST"/trace* "$DST"/stats "$DST"/dmesg* "$DST"/metadata.json "$DST"/summary.json
mkdir -p "$DST"
echo "==> bundling $SRC into $DST"
put "$SRC/trace" trace
[ -s "$SRC/trace_pipe" ] && put "$SRC/trace_pipe" trace_pipe
put "$SRC/stats" stats
gzip -9 -n -c "$SRC/dmesg" > "$DST/dmesg.gz"; echo "    dmesg.gz"
cp "$SRC/summary.json" "$DST/summary.json"
if [ -s "$SRC/collision/trace.txt" ]; then
  mkdir -p "$DST/collision"
  put "$SRC/collision/trace.txt" collision/trace
  cp "$SRC/collision/stats" "$DST/collision/stats"
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
' "$SRC" "$DST"
total=$(du -sb "$DST" | cut -f1)
echo "==> $DST: $total bytes"
[ "$total" -lt 10000000 ] || { echo "bundle: $total bytes, over the 10 MB budget" >&2; exit 1; }
