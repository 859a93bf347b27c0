#!/usr/bin/env bash
# Bundles the ordinary-programs capture of one capture.sh run (--phases ordinary) into
# traces/kernel-programs/NAME/: trace.gz, kprobe_events, functions, dmesg.gz, metadata.json (naming
# the bundled files), stats, workload.log, mounts.txt, casefold.txt, counts.json (the ground truth
# of count-locks.mjs) and a README.md whose "Figures" block is generated from counts.json (the
# block is rewritten on every bundling; text outside it is kept).
#   bash scripts/capture/bundle-programs.sh CAPTURE_DIR NAME
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SRC=${1:?usage: bundle-programs.sh CAPTURE_DIR NAME}
NAME=${2:?usage: bundle-programs.sh CAPTURE_DIR NAME}
DST="$REPO/traces/kernel-programs/$NAME"
die() { echo "bundle-programs: $*" >&2; exit 1; }
[ -s "$SRC/ordinary/trace.txt" ] || die "$SRC/ordinary/trace.txt is missing (a capture.sh --phases ordinary output folder?)"
[ -s "$SRC/ordinary/metadata.json" ] || die "$SRC/ordinary/metadata.json is missing"
[ -s "$SRC/ordinary/kprobe_events" ] || die "$SRC/ordinary/kprobe_events is missing"
mkdir -p "$DST"
rm -f "$DST"/{trace.gz,kprobe_events,functions,dmesg.gz,metadata.json,stats,workload.log,mounts.txt,casefold.txt,counts.json}
gzip -9 -n -c "$SRC/ordinary/trace.txt" > "$DST/trace.gz"
gzip -9 -n -c "$SRC/dmesg.txt" > "$DST/dmesg.gz"
for f in kprobe_events functions stats workload.log mounts.txt; do
  [ -e "$SRC/ordinary/$f" ] && cp "$SRC/ordinary/$f" "$DST/$f"
done
[ -e "$SRC/guest/casefold.txt" ] && cp "$SRC/guest/casefold.txt" "$DST/casefold.txt"
node -e '
  const fs = require("fs"); const [src, dst] = process.argv.slice(1);
  const m = JSON.parse(fs.readFileSync(src + "/ordinary/metadata.json", "utf8"));
  fs.writeFileSync(dst + "/metadata.json", JSON.stringify({ ...m, file: "trace.gz", stats: "stats", dmesg: "dmesg.gz",
    kprobeEvents: "kprobe_events", functionsFile: "functions", workloadLog: "workload.log" }, null, 2) + "\n");
' "$SRC" "$DST"
node "$HERE/count-locks.mjs" "$DST" --json > "$DST/counts.json" || die "count-locks.mjs failed on $DST"
node "$HERE/count-locks.mjs" "$DST" --readme "$DST/README.md" || die "writing the figures into $DST/README.md failed"
node "$HERE/count-locks.mjs" --summary "$(dirname "$DST")" || die "writing the summary table into $(dirname "$DST")/README.md failed"
size=$(gzip -l "$DST/trace.gz" | awk 'NR == 2 { print $1 }')
echo "==> $DST: $(du -sb "$DST" | cut -f1) bytes (trace.gz $size bytes)"
[ "$size" -lt 2000000 ] || echo "bundle-programs: WARNING: trace.gz is over 2 MB" >&2
