#!/usr/bin/env bash
# npm run capture:check [-- capture.sh OPTIONS]
# Runs a whole capture into a temporary folder and validates what it wrote (check.mjs).
# CI runs it only when CAPTURE=1 (it boots a kernel under QEMU: a few minutes under TCG).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${CI:-}" = true ] && [ "${CAPTURE:-}" != 1 ]; then
  echo "capture:check: skipped in CI (set CAPTURE=1 to run it)"
  exit 0
fi
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = --phases ] && export KINV_CHECK_PHASES="${args[$((i + 1))]:-}"
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/kinv-capture-check.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
echo "capture:check: capturing into $OUT"
bash "$HERE/capture.sh" --out "$OUT" "$@"
echo "==> validating $OUT"
node "$HERE/check.mjs" "$OUT"
