/**
 * Mutations of a clean kprobe capture (reference probe set, bundled mapping) are always reported
 * where they happen: a flipped release mode and a duplicated acquisition at the mutated line, a
 * deleted release at the task's next checked line, a dropped return at the next return of that
 * task — unless a lost-events marker of that CPU covers the mutation, which must silence it.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/analysis/load.js';
import { CompiledSpec, runCheck } from '../../src/checker/check.js';
import { emptyStats } from '../../src/trace/event.js';
import { openFtraceSource } from '../../src/trace/ftrace-source.js';
import { capture, render, type Line } from '../helpers/kprobe-capture.js';

const loaded = loadSpec([], { params: { source: 'ftrace' } });
if (!loaded.ok) throw new Error('bundled spec');
const spec = loaded.value.spec;
const compiled = new CompiledSpec(spec);

async function check(lines: Line[]) {
  const stats = emptyStats();
  const diags: { code: string; line: number | undefined }[] = [];
  const onDiagnostic = (d: { code: string; at?: { line: number } }) => diags.push({ code: d.code, line: d.at?.line });
  const src = openFtraceSource(Readable.from([Buffer.from(render(lines))]), { file: 'cap.txt', spec, onDiagnostic, stats });
  if (!src.ok) throw new Error('no source');
  const r = await runCheck(compiled, src.source, stats, { all: true, tasksStartUnknown: true, onDiagnostic });
  return { verdicts: r.verdicts.map((v) => ({ kind: v.kind, inv: v.invariant, line: v.event?.line, pid: v.event?.pid })), diags };
}

const orderArb = fc.array(fc.nat(5), { minLength: 1, maxLength: 40 });
const lineOf = (i: number) => i + 1;

describe('mutations of a clean kprobe capture', () => {
  it('the clean capture has no violation and exercises the frame and lock invariants', async () => {
    const r = await check(capture([0, 1, 2], 3));
    expect(r.verdicts).toEqual([]);
    expect(r.diags.filter((d) => d.code !== 'KV303')).toEqual([]);
  });

  it('lookups in a directory whose lock the capture never shows (not in the probe filter) are not judged', async () => {
    // Task 300 and 302 use one directory, 301 another; drop every lock event of 301's directory.
    const lines = capture([0, 1, 2], 3).filter((l) => !(l.pid === 301 && ['dr', 'dr_ret', 'ur'].includes(l.probe)));
    const r = await check(lines);
    expect(r.verdicts).toEqual([]);
  });

  it('a flipped release mode is rel_mode at the mutated line', async () => {
    await fc.assert(fc.asyncProperty(orderArb, fc.nat(), async (order, pick) => {
      const lines = capture(order, 3);
      const rels = lines.map((l, i) => [l, i] as const).filter(([l]) => l.probe === 'ur');
      const [l, i] = rels[pick % rels.length]!;
      lines[i] = { ...l, probe: 'uw', text: l.text.replace('ur: (up_read', 'uw: (up_write') };
      const r = await check(lines);
      expect(r.verdicts).toContainEqual({ kind: 'violation', inv: 'rel_mode', line: lineOf(i), pid: l.pid });
    }), { numRuns: 25 });
  });

  it('a duplicated acquisition is no_recursive_acq at the duplicate', async () => {
    await fc.assert(fc.asyncProperty(orderArb, fc.nat(), async (order, pick) => {
      const lines = capture(order, 3);
      const acqs = lines.map((l, i) => [l, i] as const).filter(([l]) => l.probe === 'dr');
      const [l, i] = acqs[pick % acqs.length]!;
      const ret = lines.findIndex((x, j) => j > i && x.pid === l.pid && x.probe === 'dr_ret');
      lines.splice(ret + 1, 0, { ...l }, { ...lines[ret]! });
      const r = await check(lines);
      expect(r.verdicts).toContainEqual({ kind: 'violation', inv: 'no_recursive_acq', line: lineOf(ret + 1), pid: l.pid });
    }), { numRuns: 25 });
  });

  it('a deleted release is reported at the task\'s next checked line', async () => {
    await fc.assert(fc.asyncProperty(orderArb, fc.nat(), async (order, pick) => {
      const lines = capture(order, 3);
      const rels = lines.map((l, i) => [l, i] as const).filter(([l]) => l.probe === 'ur');
      const [l, i] = rels[pick % rels.length]!;
      lines.splice(i, 1);
      const r = await check(lines);
      const next = lines.findIndex((x, j) => j >= i && x.pid === l.pid);
      const mine = r.verdicts.filter((v) => v.pid === l.pid);
      expect(mine[0]).toMatchObject({ kind: 'violation', inv: 'no_locks_at_exit', line: lineOf(next) });
    }), { numRuns: 25 });
  });

  it('a dropped ->lookup return is a diagnostic at the next return of that task', async () => {
    await fc.assert(fc.asyncProperty(orderArb, fc.nat(), async (order, pick) => {
      const lines = capture(order, 3);
      const rets = lines.map((l, i) => [l, i] as const).filter(([l]) => l.probe === 'fs_lookup_ext4_ret');
      const [l, i] = rets[pick % rets.length]!;
      lines.splice(i, 1);
      const r = await check(lines);
      const next = lines.findIndex((x, j) => j >= i && x.pid === l.pid && x.probe === 'lkslow_ret');
      expect(r.diags).toContainEqual({ code: 'KV308', line: lineOf(next) });
    }), { numRuns: 25 });
  });

  it('a lost-events marker of the task\'s CPU just before a mutation silences it', async () => {
    await fc.assert(fc.asyncProperty(orderArb, fc.nat(), async (order, pick) => {
      const lines = capture(order, 3);
      const rels = lines.map((l, i) => [l, i] as const).filter(([l]) => l.probe === 'ur');
      const [l, i] = rels[pick % rels.length]!;
      lines[i] = { ...l, probe: 'uw', text: l.text.replace('ur: (up_read', 'uw: (up_write') };
      lines.splice(i, 0, { text: `CPU:${l.cpu} [LOST 3 EVENTS]`, pid: -1, cpu: l.cpu, probe: 'LOST' });
      const r = await check(lines);
      expect(r.verdicts.filter((v) => v.pid === l.pid && v.kind === 'violation')).toEqual([]);
    }), { numRuns: 25 });
  });
});

describe('a d_add_ci return moved before the relock', () => {
  it('turns the fixed shape into the draft: d_add_ci_parent_lock_balanced at the moved return', async () => {
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync('traces/ftrace/kprobe-fixed-d_add_ci.txt', 'latin1').trimEnd().split('\n');
    const relock = lines.findIndex((l, i) => i > lines.findIndex((x) => x.includes(' daddci: ')) && l.includes(' dr: ('));
    const ret = lines.findIndex((l) => l.includes(' daddci_ret: '));
    expect(relock).toBeGreaterThan(0);
    const reordered = [...lines.slice(0, relock), lines[ret]!, ...lines.slice(relock, ret), ...lines.slice(ret + 1)];
    // The kernel ran the return earlier: it takes the time of its new place (a line moved with its
    // old time would be older than its CPU's records before it, which is damage, not a schedule).
    const stamp = / (\d+\.\d+): /;
    const times = lines.map((l) => stamp.exec(l)?.[1]);
    const moved = reordered.map((l, i) => (times[i] !== undefined ? l.replace(stamp, ` ${times[i]}: `) : l));
    const r = await check(moved.map((text) => ({ text, pid: 315, cpu: 1, probe: 'LOST' })));
    expect(r.verdicts).toContainEqual({ kind: 'violation', inv: 'd_add_ci_parent_lock_balanced', line: relock + 1, pid: 315 });
  });
});
