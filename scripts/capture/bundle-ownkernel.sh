#!/usr/bin/env bash
# Copies the ownkernel phase of a capture (README "Check your own kernel" followed on a real kernel)
# into traces/tracedat/NAME/: the trace.dat trace-cmd recorded, the probe script kinv printed for
# that kernel's BTF and its command line, the kernel's kprobe_events while recording, the recording's
# log, `trace-cmd report` of the file (gzipped) and `trace-cmd report -f` (its symbols), the host's
# `trace-cmd report -t` of it (nanosecond stamps, as kinv reads the trace.dat), and
# expected.json: the summary `kinv check --format json trace.dat` gave (without its timing).
# Usage: bash scripts/capture/bundle-ownkernel.sh CAPTURE_OUT NAME
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SRC=${1:?capture output folder}/ownkernel
NAME=${2:?bundle name, e.g. ownkernel-6.1}
DST="$REPO/traces/tracedat/$NAME"
[ -s "$SRC/trace.dat" ] || { echo "no trace.dat in $SRC" >&2; exit 1; }
mkdir -p "$DST"
cp "$SRC/trace.dat" "$SRC/kinv-probes.sh" "$SRC/kinv-probes.cmdline" "$SRC/kprobe_events" "$SRC/kprobe_events.after" "$SRC/record.log" "$SRC/t.syms" "$DST/"
gzip -9 -n -c "$SRC/t.txt" > "$DST/report.txt.gz"
trace-cmd report -t -i "$SRC/trace.dat" 2>/dev/null | gzip -9 -n > "$DST/report-ns.txt.gz"
(cd "$DST" && node "$REPO/bin/kinv.js" check --format json trace.dat || true) | tail -n 1 |
  node -e 'const s = JSON.parse(require("fs").readFileSync(0, "utf8")); delete s.seconds; console.log(JSON.stringify(s, null, 1))' > "$DST/expected.json"
echo "bundled $(ls "$DST" | tr '\n' ' ') in $DST"
