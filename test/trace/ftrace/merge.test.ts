import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { DEFAULT_WINDOW_TICKS, ReorderWindow } from '../../../src/trace/ftrace/merge.js';
import { newRecord, type RawFtraceRecord, type RawItem } from '../../../src/trace/ftrace/raw.js';

function r(line: number, cpu: number, us: number, pid = -1): RawFtraceRecord {
  const x = newRecord('event', 'e', 'f', line);
  x.cpu = cpu;
  x.pid = pid;
  x.tsSec = Math.floor(us / 1e6);
  x.tsNsec = (us % 1e6) * 1000;
  return x;
}

/** The lines of the records the window emits, in order (its gaps: `gapsOf`). */
function run(items: RawItem[], windowNs: number): number[] {
  return emitted(items, windowNs).filter((i) => i.kind !== 'gap').map((i) => i.line);
}

function emitted(items: RawItem[], windowNs: number): RawItem[] {
  const out: RawItem[] = [];
  const w = new ReorderWindow(windowNs, (i) => out.push(i));
  for (const i of items) w.push(i);
  w.flush();
  return out;
}

/** The emitted items as record lines and gaps (`gap pid window`). */
function gapsOf(items: RawItem[], windowNs: number): (number | string)[] {
  return emitted(items, windowNs).map((i) => (i.kind === 'gap' ? `gap ${i.pid}${i.window === undefined ? '' : ` ${i.window}`}` : i.line));
}

describe('ReorderWindow', () => {
  it('orders across CPUs within the window and keeps each CPU in input order', () => {
    expect(run([r(1, 0, 100), r(2, 1, 50), r(3, 0, 40), r(4, 1, 200)], 1_000_000)).toEqual([2, 1, 3, 4]);
  });

  it('releases records older than the window as soon as a newer one arrives', () => {
    const out: number[] = [];
    const w = new ReorderWindow(1_000_000, (i) => out.push(i.line));
    w.push(r(1, 0, 0));
    w.push(r(2, 1, 500));
    expect(out).toEqual([]);
    w.push(r(3, 0, 1001));
    expect(out).toEqual([1]);
  });

  it('counts the window of a counter clock in ticks, not in nanoseconds: a capture is not held whole', () => {
    const tick = (line: number, cpu: number, count: number): RawFtraceRecord => {
      const x = r(line, cpu, 0);
      x.tsClock = 'counter';
      x.tsSec = Math.floor(count / 1e9);
      x.tsNsec = count % 1e9;
      return x;
    };
    const out: number[] = [];
    const w = new ReorderWindow(1_000_000, (i) => out.push(i.line));
    w.push(tick(1, 0, 10));
    w.push(tick(2, 1, 12));
    w.push(tick(3, 0, 9 + DEFAULT_WINDOW_TICKS));
    expect(out).toEqual([]);
    w.push(tick(4, 1, 10 + DEFAULT_WINDOW_TICKS));
    expect(out).toEqual([1]);
    // (within the window, ticks still order the CPUs)
    w.push(tick(5, 0, 12 + 2 * DEFAULT_WINDOW_TICKS));
    expect(out).toEqual([1, 2, 3, 4]);
  });

  it('treats records without a timestamp and gaps without a CPU as barriers', () => {
    const untimed = newRecord('graph_entry', 'f', 'f', 3);
    untimed.cpu = 0;
    const gap: RawItem = { kind: 'gap', reason: 'line too big', cpu: undefined, pid: undefined, lost: 1, file: 'f', line: 5 };
    expect(emitted([r(1, 0, 100), r(2, 1, 50), untimed, r(4, 1, 10), gap, r(6, 0, 5)], 1_000_000).map((i) => i.line)).toEqual([2, 1, 3, 4, 5, 6]);
  });

  it('on a timestamp tie, a task that migrated continues after its records on the CPU it left', () => {
    // Task 7 ran on CPU 1 (line 1), then migrated to CPU 0; ftrace prints the tie at t=20 lowest
    // CPU first (lines 2-3 on CPU 0 before lines 4-5 on CPU 1), but 7's CPU 1 record came first;
    // task 8's place among 7's CPU 0 records is unknown, and stays as printed (between gaps of
    // both tasks: the next test).
    const lines = run([r(1, 1, 10, 7), r(2, 0, 20, 7), r(3, 0, 20, 7), r(4, 1, 20, 7), r(5, 1, 20, 8), r(6, 0, 30, 7)], 1_000_000);
    expect(lines).toEqual([1, 4, 2, 3, 5, 6]);
  });

  it('on a tie, keeps the printed order for a task that migrated before the tie', () => {
    // Task 7 left CPU 1 at t=10; at t=20 its CPU 0 record ties with task 8's on CPU 1.
    expect(run([r(1, 1, 10, 7), r(2, 0, 20, 7), r(3, 1, 20, 8)], 1_000_000)).toEqual([1, 2, 3]);
  });

  it('on a tie between tasks that stay on their CPUs, keeps the printed order', () => {
    expect(run([r(1, 0, 5, 1), r(2, 1, 5, 2), r(3, 0, 20, 1), r(4, 1, 20, 2)], 1_000_000)).toEqual([1, 2, 3, 4]);
  });

  it('records of different tasks tied on ascending CPUs, as ftrace prints a tie of full stamps: each task gets a gap before and after them', () => {
    // (lines 2-3: tasks 1 and 2 at t=5 on CPUs 0 and 1; which ran first the log does not say)
    expect(gapsOf([r(1, 0, 1, 1), r(2, 0, 5, 1), r(3, 1, 5, 2), r(4, 0, 20, 1)], 1_000_000))
      .toEqual([1, 'gap 1 opens', 'gap 2', 2, 3, 'gap 1 closes', 'gap 2', 4]);
  });

  it('no gap where a tie shows a higher CPU first (the stamps differ below the printed precision)', () => {
    expect(gapsOf([r(1, 1, 5, 2), r(2, 0, 5, 1), r(3, 0, 20, 1)], 1_000_000)).toEqual([1, 2, 3]);
  });

  it('one task\'s records on two CPUs within a stamp: it migrated inside the tie, and gets a gap before and after them', () => {
    // (the reader paired its calls and returns in the log's order, which the merge may change)
    expect(gapsOf([r(1, 0, 5, 7), r(2, 1, 5, 7), r(3, 1, 20, 7)], 1_000_000)).toEqual(['gap 7 opens', 1, 2, 'gap 7 closes', 3]);
    expect(gapsOf([r(1, 0, 5, 7), r(2, 0, 5, 7), r(3, 1, 20, 7)], 1_000_000)).toEqual([1, 2, 3]);
  });

  it('a task\'s gap found at its next record goes right before that record among its CPU\'s, without flushing the window', () => {
    const gap: RawItem = { kind: 'gap', reason: 'return missing', cpu: undefined, pid: 7, lost: 1, file: 'f', line: 4, before: 1 };
    // (at CPU 1's last stamp, t=10: after line 1, before line 4 of CPU 1 at t=20; and line 3, CPU 0 at
    // t=30, held when the gap comes, still leaves after line 4, where a flush would have sent it first)
    expect(gapsOf([r(1, 1, 10, 7), r(2, 0, 15, 8), r(3, 0, 30, 8), gap, r(4, 1, 20, 7)], 1_000_000)).toEqual([1, 'gap 7', 2, 4, 3]);
  });

  test.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5000 })), { maxLength: 60 }), fc.integer({ min: 0, max: 3000 })])(
    'emits every item once, keeps per-CPU order, and sorts records whose times differ by more than the window', (spec, windowUs) => {
      const items = spec.map(([cpu, us], i) => r(i + 1, cpu, us));
      const out = run(items, windowUs * 1000);
      expect([...out].sort((a, b) => a - b)).toEqual(items.map((i) => i.line));
      const pos = new Map(out.map((l, i) => [l, i]));
      for (const a of items) for (const b of items) {
        if (a.cpu === b.cpu && a.line < b.line) expect(pos.get(a.line)!).toBeLessThan(pos.get(b.line)!);
      }
    });
});
