/**
 * `kinv check --perfetto FILE`: the exact slices of a small deadlock (the seed's bug capture is in
 * capture.test.ts, with the slow tests).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChromeEvent, ChromeTrace } from '../../src/report/perfetto.js';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-perfetto-'));

async function exported(trace: string, name: string): Promise<{ code: number; trace: ChromeTrace }> {
  const out = join(tmp, name);
  const r = await kinv(['check', '--perfetto', out, trace]);
  return { code: r.code, trace: JSON.parse(readFileSync(out, 'utf8')) as ChromeTrace };
}

const brief = (e: ChromeEvent): string => `${e.ph} ${e.pid} ${e.ts ?? '-'}${e.dur !== undefined ? `+${e.dur}` : ''} ${e.name}`;

describe('perfetto export', () => {
  it('draws the ABBA deadlock fixture slice by slice, on the seq axis', async () => {
    const { code, trace } = await exported('traces/ndjson/no_deadlock-abba.ndjson', 'abba.json');
    expect(code).toBe(1);
    expect(trace.otherData.clock).toBe('event seq (1 µs per event)');
    expect(trace.traceEvents.map(brief)).toEqual([
      'M 102 - process_name', 'M 102 - thread_name', 'M 101 - process_name', 'M 101 - thread_name',
      'b 102 0 wait I1 (W)', 'e 102 1 wait I1 (W)',
      'b 102 1 hold I1 (W)', 'e 102 7 hold I1 (W)',
      'X 101 2+1 d_alloc_parallel',
      'b 101 3 in-lookup D2', 'e 101 7 in-lookup D2',
      'b 101 4 wait I1 (R)', 'e 101 7 wait I1 (R)',
      'X 102 5+2 d_alloc_parallel',
      'b 102 6 sleep on in-lookup D2', 'e 102 7 sleep on in-lookup D2',
      'i 102 5 violation[lock_order_acyclic]', 'i 102 6 violation[waiter_holds_nothing_needed]', 'i 102 6 violation[no_deadlock]',
      'i 101 3 pending[in_lookup_ended]', 'i 102 6 pending[waiters_released]', 'i 102 1 pending[no_locks_at_exit]',
    ]);
    const deadlock = trace.traceEvents.find((e) => e.name === 'violation[no_deadlock]')!;
    // (the invariant's place in the bundled spec, where its first line names it)
    const specLine = readFileSync('spec/vfs/order.kinv', 'utf8').split('\n').findIndex((l) => l.startsWith('invariant no_deadlock ')) + 1;
    expect(deadlock.args).toMatchObject({ message: 'deadlock: 102 -> 101 -> 102 (task -> task it waits for)', spec: `spec/vfs/order.kinv:${specLine}:11`,
      seq: 6, line: 7 });
    expect(trace.traceEvents.find((e) => e.name === 'hold I1 (W)' && e.ph === 'b')!.args).toMatchObject({ line: 2, open: 'still open where the trace ends' });
  });

  it('is a usage error for more than one trace (pids and clocks of two captures would mix)', async () => {
    const r = await kinv(['check', '--perfetto', join(tmp, 'two.json'), 'traces/ndjson/rel_mode.ndjson', 'traces/ndjson/no_deadlock-abba.ndjson']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--perfetto, --dot and --html draw one trace');
  });

  it('is a usage error for a file it cannot write, before any checking', async () => {
    const r = await kinv(['check', '--perfetto', join(tmp, 'no-such-dir', 'x.json'), 'traces/ndjson/rel_mode.ndjson']);
    expect(r.stderr).toContain(`cannot write --perfetto ${join(tmp, 'no-such-dir', 'x.json')}: ENOENT`);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('writes no picture of a trace it cannot read', async () => {
    const out = join(tmp, 'missing.json');
    const r = await kinv(['check', '--perfetto', out, join(tmp, 'no-such-trace.ndjson')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no picture written: the trace could not be read');
    expect(existsSync(out)).toBe(false);
  });
});
