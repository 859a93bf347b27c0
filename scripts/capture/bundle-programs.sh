#!/usr/bin/env bash
# Bundles the ordinary-programs capture of one capture.sh run (--phases ordinary) into
# traces/kernel-programs/NAME/: trace.gz, kprobe_events, functions, dmesg.gz, metadata.json (naming
# the bundled files), stats, workload.log, mounts.txt, casefold.txt, counts.json (the ground truth
# of count-locks.mjs) and a README.md whose "Figures" block is generated from counts.json (the
# block is rewritten on every bundling; text outside it is kept). PHASE (default ordinary) names the
# capture's phase folder: `wild` for a --phases wild capture.
#   bash scripts/capture/bundle-programs.sh CAPTURE_DIR NAME [PHASE]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SRC=${1:?usage: bundle-programs.sh CAPTURE_DIR NAME}
NAME=${2:?usage: bundle-programs.sh CAPTURE_DIR NAME [PHASE]}
PHASE=${3:-ordinary}
DST="$REPO/traces/kernel-programs/$NAME"
die() { echo "bundle-programs: $*" >&2; exit 1; }
[ -s "$SRC/$PHASE/trace.txt" ] || die "$SRC/$PHASE/trace.txt is missing (a capture.sh --phases $PHASE output folder?)"
[ -s "$SRC/$PHASE/metadata.json" ] || die "$SRC/$PHASE/metadata.json is missing"
[ -s "$SRC/$PHASE/kprobe_events" ] || die "$SRC/$PHASE/kprobe_events is missing"
mkdir -p "$DST"
rm -f "$DST"/{trace.gz,kprobe_events,functions,dmesg.gz,metadata.json,stats,workload.log,mounts.txt,setup.txt,host-changes.log,casefold.txt,counts.json}
gzip -9 -n -c "$SRC/$PHASE/trace.txt" > "$DST/trace.gz"
gzip -9 -n -c "$SRC/dmesg.txt" > "$DST/dmesg.gz"
for f in kprobe_events functions stats workload.log mounts.txt setup.txt host-changes.log; do
  [ -e "$SRC/$PHASE/$f" ] && cp "$SRC/$PHASE/$f" "$DST/$f"
done
[ -e "$SRC/guest/casefold.txt" ] && cp "$SRC/guest/casefold.txt" "$DST/casefold.txt"
node -e '
  const fs = require("fs"); const [src, dst, phase] = process.argv.slice(1);
  const m = JSON.parse(fs.readFileSync(src + "/" + phase + "/metadata.json", "utf8"));
  fs.writeFileSync(dst + "/metadata.json", JSON.stringify({ ...m, file: "trace.gz", stats: "stats", dmesg: "dmesg.gz",
    kprobeEvents: "kprobe_events", functionsFile: "functions", workloadLog: "workload.log" }, null, 2) + "\n");
'  "$SRC" "$DST" "$PHASE"
node "$HERE/count-locks.mjs" "$DST" --json > "$DST/counts.json" || die "count-locks.mjs failed on $DST"
node "$HERE/count-locks.mjs" "$DST" --readme "$DST/README.md" || die "writing the figures into $DST/README.md failed"
node "$HERE/count-locks.mjs" --summary "$(dirname "$DST")" || die "writing the summary table into $(dirname "$DST")/README.md failed"
size=$(gzip -l "$DST/trace.gz" | awk 'NR == 2 { print $1 }')
echo "==> $DST: $(du -sb "$DST" | cut -f1) bytes (trace.gz $size bytes)"
[ "$(stat -c %s "$DST/trace.gz")" -lt 2500000 ] || echo "bundle-programs: WARNING: trace.gz is over 2.5 MB" >&2
