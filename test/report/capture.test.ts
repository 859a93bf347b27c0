/**
 * The pictures of the seed's bug capture (traces/kernel-buggy, 330 K lines): minutes of a small
 * machine in all, so in the exhaustive project. Structure, not exact output: every begin has its
 * end, slices nest per task, violations carry their spec location.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChromeEvent, ChromeTrace } from '../../src/report/perfetto.js';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-capture-'));

async function exported(trace: string, name: string): Promise<{ code: number; trace: ChromeTrace }> {
  const out = join(tmp, name);
  const r = await kinv(['check', '--perfetto', out, trace]);
  return { code: r.code, trace: JSON.parse(readFileSync(out, 'utf8')) as ChromeTrace };
}

describe('pictures of the seed bug capture', () => {
  it('keeps every slice well formed on the seed bug capture, on the seq axis (its clock is a counter)', async () => {
    const { code, trace } = await exported('traces/kernel-buggy/trace.gz', 'buggy.json');
    expect(code).toBe(1);
    // trace_clock=counter orders records but is no time: the importer gives no ts, so seqs are the axis.
    expect(trace.otherData.clock).toBe('event seq (1 µs per event)');
    const evs = trace.traceEvents;
    // Every async begin has one end with the same id, not before it.
    const begins = new Map<string, ChromeEvent>();
    for (const e of evs.filter((x) => x.ph === 'b')) begins.set(e.id!, e);
    const ends = evs.filter((x) => x.ph === 'e');
    expect(ends.length).toBe(begins.size);
    for (const e of ends) expect(e.ts!).toBeGreaterThanOrEqual(begins.get(e.id!)!.ts!);
    // Complete slices nest within each task (the stack discipline a track needs).
    const byTask = new Map<number, ChromeEvent[]>();
    for (const e of evs.filter((x) => x.ph === 'X')) {
      const list = byTask.get(e.pid);
      if (list) list.push(e); else byTask.set(e.pid, [e]);
    }
    let nestingErrors = 0;
    for (const slices of byTask.values()) {
      const stack: number[] = [];
      for (const s of [...slices].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!)) {
        while (stack.length && stack[stack.length - 1]! <= s.ts!) stack.pop();
        if (stack.length && s.ts! + s.dur! > stack[stack.length - 1]!) nestingErrors++;
        stack.push(s.ts! + s.dur!);
      }
    }
    expect(nestingErrors).toBe(0);
    // Every task that has a slice is named; every violation is an instant on its task, with its spec location.
    const named = new Set(evs.filter((e) => e.name === 'thread_name').map((e) => e.pid));
    for (const e of evs.filter((x) => x.ph !== 'M')) if (e.pid !== 0) expect(named.has(e.pid)).toBe(true);
    const violations = evs.filter((e) => e.cat === 'violation');
    expect(violations.length).toBe(195);
    for (const v of violations) expect(String(v.args!.spec)).toMatch(/^spec\/vfs\/\w+\.kinv:\d+:\d+$/);
    expect(new Set(violations.map((v) => v.name))).toContain('violation[d_add_ci_parent_lock_balanced]');
    expect(evs.filter((e) => e.cat === 'hold').length).toBeGreaterThan(1000);
  });
});
