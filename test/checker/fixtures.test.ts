/**
 * Every NDJSON fixture in traces/ndjson/ gives exactly the verdicts in its expected.json:
 * invariant, kind and event seq, and the reported line is the record's line in the file.
 */
import { readFileSync, readdirSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checker/check.js';
import { readNdjson } from '../../src/trace/ndjson.js';
import { emptyStats } from '../../src/trace/event.js';
import { compileBundled } from '../helpers/run.js';

const dir = 'traces/ndjson';
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { params?: Record<string, string>; exit: number; verdicts: [string, string, number][] }>;
const CONTRACT_3 = [
  'rel_held', 'rel_mode', 'mutual_exclusion', 'no_recursive_acq', 'failed_acq_holds_nothing', 'lookup_parent_lock_balanced',
  'd_add_ci_parent_lock_balanced', 'lookup_entry_locked', 'lookup_shared_flag', 'no_locks_at_exit', 'in_lookup_exclusive',
  'in_lookup_unique', 'dap_outcome_consistent', 'no_self_wait', 'no_final_put_in_lookup', 'in_lookup_ended', 'waiters_released',
  'no_dap_under_dir_lock', 'no_deadlock', 'lock_order_acyclic', 'waiter_holds_nothing_needed',
];

async function check(file: string, params: Record<string, string> = {}) {
  const stats = emptyStats();
  const diags: string[] = [];
  const report = await runCheck(compileBundled(params), readNdjson(createReadStream(join(dir, file)), { file, stats, onDiagnostic: (d) => diags.push(d.message) }), stats);
  return { report, diags };
}

describe('NDJSON fixtures', () => {
  it('every trace file has an expectation and every expectation a file', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort();
    expect(Object.keys(expected).filter((k) => k !== '//').sort()).toEqual(files);
  });

  for (const [file, exp] of Object.entries(expected)) {
    if (file === '//') continue;
    it(`${file} gives exactly its expected verdicts`, async () => {
      const { report, diags } = await check(file, exp.params);
      expect(diags).toEqual([]);
      const got = report.verdicts.map((v) => [v.kind, v.invariant, v.event?.seq]);
      expect(got).toEqual(exp.verdicts);
      const lines = readFileSync(join(dir, file), 'utf8').split('\n');
      for (const v of report.verdicts) {
        // The reported line holds the record with the reported seq (seq counts records).
        expect(v.event?.file).toBe(file);
        const record = JSON.parse(lines[v.event!.line! - 1]!) as { pid: number };
        expect(record.pid).toBe(v.event!.pid);
      }
    });
  }

  it('each Contract 3 invariant is violated by at least one fixture', () => {
    const violated = new Set(Object.values(expected).flatMap((e) => (typeof e === 'string' ? [] : e.verdicts.filter((v) => v[0] === 'violation').map((v) => v[1]))));
    expect(CONTRACT_3.filter((n) => !violated.has(n))).toEqual([]);
  });

  it("links the caller's bad unlock to the d_add_ci return that skipped the relock", async () => {
    const { report } = await check('draft-d_add_ci-E2.ndjson');
    const rel = report.verdicts.find((v) => v.invariant === 'rel_held')!;
    expect(rel.related.map((r) => [r.invariant, r.event.line, r.shared.line])).toEqual([
      ['d_add_ci_parent_lock_balanced', 11, 8], ['lookup_parent_lock_balanced', 12, 8]]);
    const dci = report.verdicts.find((v) => v.invariant === 'd_add_ci_parent_lock_balanced')!;
    expect(dci.call?.line).toBe(7);
    expect(dci.slice.map((s) => s.ev.line)).toEqual([3, 7, 8]);
  });

  it('the clean traces exercise the lock and frame invariants (no vacuous pass)', async () => {
    const { report } = await check('clean-two-lookups.ndjson');
    for (const name of ['rel_held', 'rel_mode', 'lookup_parent_lock_balanced', 'd_add_ci_parent_lock_balanced', 'lookup_entry_locked', 'in_lookup_exclusive', 'no_locks_at_exit', 'in_lookup_ended', 'lock_order_acyclic']) {
      expect(report.evaluated[name], name).toBeGreaterThan(0);
    }
  });
});
