#!/usr/bin/env node
// Validates a capture folder written by capture.sh: every capture has its trace and a
// metadata.json that agrees with it, the traces are non-trivial, and nothing was lost.
//   node scripts/capture/check.mjs OUT_DIR
// Exits 1 with one line per problem.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OUT = process.argv[2];
if (!OUT) { console.error('usage: check.mjs CAPTURE_DIR'); process.exit(2); }
const problems = [];
const ok = [];
const need = (cond, msg) => { if (!cond) problems.push(msg); return cond; };

const EXPECT = {
  'kprobe-trace': { file: 'trace.txt', minEvents: 2000, daddci: true },
  'kprobe-pipe': { file: 'trace_pipe.txt', minEvents: 2000, daddci: true },
  graph: { file: 'trace.txt', minLines: 2000 },
  collision: { file: 'trace.txt', minEvents: 2000, daddci: true, dapFromDaddci: true },
  // ordinary programs: p, p/sub, q tracked on each filesystem (12, or 15 with the casefold ext4);
  // any kernel (--kernel-package)
  ordinary: { file: 'trace.txt', minEvents: 2000, daddci: true, minLocks: 12, anyKernel: true },
};
const wanted = (process.env.KINV_CHECK_PHASES ?? Object.keys(EXPECT).join(',')).split(',');

need(existsSync(join(OUT, 'dmesg.txt')) && statSync(join(OUT, 'dmesg.txt')).size > 1000, 'dmesg.txt missing or nearly empty');
for (const name of wanted) {
  const spec = EXPECT[name];
  const dir = join(OUT, name);
  if (!need(spec && existsSync(join(dir, 'metadata.json')), `${name}: no metadata.json`)) continue;
  const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
  const path = join(dir, spec.file);
  if (!need(existsSync(path), `${name}: no ${spec.file}`)) continue;
  const text = readFileSync(path, 'latin1');
  need(text.length > 100_000, `${name}: ${spec.file} is only ${text.length} bytes`);
  if (!spec.anyKernel) need(/^6\.1\./.test(meta.kernel?.release ?? ''), `${name}: kernel release ${meta.kernel?.release} is not 6.1`);
  need(Number.isInteger(meta.offsets?.['inode.i_rwsem']) && meta.offsets['inode.i_rwsem'] > 0, `${name}: no i_rwsem offset`);
  need(Array.isArray(meta.perCpu) && meta.perCpu.length >= 1 && meta.perCpu.every((c) => Number.isInteger(c.overrun)), `${name}: per-CPU overruns not recorded`);
  need(meta.overrunTotal === 0 && meta.droppedTotal === 0, `${name}: ${meta.overrunTotal} overruns, ${meta.droppedTotal} dropped events`);
  if (spec.minLocks) need((meta.trackedLocks ?? []).length >= spec.minLocks, `${name}: ${(meta.trackedLocks ?? []).length} tracked directory locks, expected at least ${spec.minLocks}`);
  else need((meta.trackedLocks ?? []).length === 4, `${name}: ${(meta.trackedLocks ?? []).length} tracked directory locks, expected 4`);
  if (name !== 'graph') {
    need(meta.probes?.rejected?.length === 0, `${name}: probes rejected: ${meta.probes?.rejected?.join(' | ')}`);
    need(meta.counts.events >= spec.minEvents, `${name}: ${meta.counts.events} events (< ${spec.minEvents})`);
    for (const p of ['lkslow', 'lkslow_ret', 'dap', 'dap_ret', 'dr', 'ur', 'dr_ret', 'sys_exit'])
      need((meta.counts.byName[p] ?? 0) > 0, `${name}: no ${p} event`);
    if (spec.daddci) need((meta.counts.byName.daddci ?? 0) > 0, `${name}: no d_add_ci event (XFS ASCII-CI not exercised)`);
    if (spec.dapFromDaddci) need(/d_add_ci\+0x[0-9a-f]+\/0x[0-9a-f]+ <- d_alloc_parallel/.test(text), `${name}: d_add_ci never reached d_alloc_parallel`);
    ok.push(`${name}: ${meta.counts.events} events, d_add_ci ${meta.counts.byName.daddci ?? 0}, overrun ${meta.overrunTotal}`);
  } else {
    need(meta.counts.lines >= spec.minLines, `${name}: ${meta.counts.lines} lines (< ${spec.minLines})`);
    need((meta.counts.entries.__lookup_slow ?? 0) > 0, `${name}: no __lookup_slow frame`);
    need((meta.counts.entries.d_add_ci ?? 0) + (meta.counts.leaves.d_add_ci ?? 0) > 0, `${name}: no d_add_ci call`);
    ok.push(`${name}: ${meta.counts.lines} lines, __lookup_slow ${meta.counts.entries.__lookup_slow ?? 0}, overrun ${meta.overrunTotal}`);
  }
}
for (const l of ok) console.log(`    ok  ${l}`);
if (problems.length) {
  for (const p of problems) console.error(`    BAD ${p}`);
  console.error(`capture:check: ${problems.length} problem(s) in ${OUT}`);
  process.exit(1);
}
console.log(`capture:check: ${OUT} is complete`);
