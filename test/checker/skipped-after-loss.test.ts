/**
 * Which skipped evaluations a loss of events caused (`skippedAfterLoss`): those of tasks a gap of
 * lost records made unknown, until each synchronises, and of calls open across it; not those of a
 * capture's start, of a new capture, or of records whose order across CPUs is unknown (all there).
 */
import { describe, expect, it } from 'vitest';
import type { TraceGap } from '../../src/trace/event.js';
import { TIED_ACROSS_CPUS } from '../../src/trace/event.js';
import { compileText, ev, run } from '../helpers/run.js';

const SPEC = compileText(`event acq(lock: id)
event rel(lock: id)
event leave()
state held: set[task, id]
on acq { add (pid, lock) to held }
on rel { remove (pid, lock) from held }
invariant rel_held on rel: (pid, lock) in held
invariant none_held on leave: no (t, l) in held: t == pid
sync leave
`);

const gapOf = (reason: string, pids?: number[]): TraceGap => ({ kind: 'gap', reason, pids, seq: 0 });

describe('skippedAfterLoss', () => {
  const body = [ev(1, 'acq', { lock: 'A' }), ev(1, 'rel', { lock: 'A' }), ev(1, 'leave'), ev(1, 'acq', { lock: 'B' }), ev(1, 'rel', { lock: 'B' })];

  it('counts the evaluations a lost-events gap left unjudged, up to the task\'s sync, and no others', () => {
    const r = run(SPEC, [ev(1, 'acq', { lock: 'A' }), gapOf('lost events'), ...body]);
    // After the gap: rel_held at the first rel, none_held at exit are skipped; after exit (a sync) judged.
    expect(r.unknown).toEqual({ rel_held: 1, none_held: 1 });
    expect(r.skippedAfterLoss).toBe(2);
    expect(r.evaluated).toEqual({ rel_held: 1, none_held: 0 });
  });

  it('counts nothing for the unknown start of a capture, a new capture, or records tied across CPUs', () => {
    const start = run(SPEC, body, { tasksStartUnknown: true });
    expect(start.unknown).toEqual({ rel_held: 1, none_held: 1 });
    expect(start.skippedAfterLoss).toBe(0);
    for (const reason of ['a new capture begins', 'buffer started', 'overwritten history', TIED_ACROSS_CPUS]) {
      const r = run(SPEC, [ev(1, 'acq', { lock: 'A' }), gapOf(reason), ...body]);
      expect([reason, r.unknown]).toEqual([reason, { rel_held: 1, none_held: 1 }]);
      expect([reason, r.skippedAfterLoss]).toEqual([reason, 0]);
    }
  });

  it('a task first seen after a loss of every task\'s events is unknown by the loss in a complete trace, not in a capture', () => {
    const later = [gapOf('lost events'), ev(2, 'acq', { lock: 'C' }), ev(2, 'rel', { lock: 'C' }), ev(2, 'leave')];
    expect(run(SPEC, later).skippedAfterLoss).toBe(2);
    expect(run(SPEC, later, { tasksStartUnknown: true }).skippedAfterLoss).toBe(0);
  });

  it('a loss of another task\'s events leaves this one judged', () => {
    const r = run(SPEC, [gapOf('lost events', [2]), ...body]);
    expect(r.skippedAfterLoss).toBe(0);
    expect(r.unknown).toEqual({ rel_held: 0, none_held: 0 });
  });
});
