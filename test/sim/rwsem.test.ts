/**
 * The directory rwsem (src/sim/rwsem.ts) against 6.1's kernel/locking/rwsem.c: when a reader heads
 * the wait queue, rwsem_mark_wake grants every queued reader at once, "irrespective of their order
 * in the queue", and the writers keep their places (phase-fair reader wake-up). A reader queued
 * behind a writer therefore does not wait for that writer, and the wait-for graph says so.
 */
import { describe, expect, it } from 'vitest';
import { listChooser } from '../../src/sim/chooser.js';
import { initialState, step, type ModelState, type Scenario } from '../../src/sim/model.js';
import { taskWaits } from '../../src/sim/wait-for.js';
import type { TraceEvent } from '../../src/trace/event.js';

/** Task 0 creates "a" (holds I1 exclusive); 1 stats "b", 2 creates "c", 3 stats "d": they queue R, W, R. */
const sc: Scenario = {
  dAddCi: 'mainline', order: 'current', handoff: false, faults: { allocFail: false, exactHashed: false },
  dirs: [{ id: 'I1', ci: false, entries: [] }],
  tasks: [
    { pid: 100, comm: 'mkdir', ops: [{ kind: 'mkdir', dir: 'I1', name: 'a' }] },
    { pid: 101, comm: 'stat', ops: [{ kind: 'stat', dir: 'I1', name: 'b' }] },
    { pid: 102, comm: 'mkdir', ops: [{ kind: 'mkdir', dir: 'I1', name: 'c' }] },
    { pid: 103, comm: 'stat', ops: [{ kind: 'stat', dir: 'I1', name: 'd' }] },
  ],
};

function run(s: ModelState, order: number[], out: TraceEvent[] = [], scenario: Scenario = sc): TraceEvent[] {
  for (const i of order) step(scenario, s, i, listChooser([]), out);
  return out;
}

describe('rwsem wake-up', () => {
  it('a reader at the head of the queue lets in every queued reader; the writer between them keeps its place', () => {
    const s = initialState(sc);
    // 100 takes I1 exclusive; 101 (R), 102 (W) and 103 (R) queue behind it in that order.
    run(s, [0, 0, 1, 1, 2, 2, 3, 3]);
    expect(s.locks.I1!.writer).toBe(100);
    expect(s.locks.I1!.queue).toEqual([{ pid: 101, mode: 'R' }, { pid: 102, mode: 'W' }, { pid: 103, mode: 'R' }]);
    expect(taskWaits(s)).toEqual([
      { pid: 101, on: 'i_rwsem I1 (R)', for: [100] },
      { pid: 102, on: 'i_rwsem I1 (W)', for: [100, 101] },
      { pid: 103, on: 'i_rwsem I1 (R)', for: [100] },
    ]);
    // 100's d_alloc and ->lookup, then its up_write.
    const events = run(s, [0, 0, 0]);
    expect(events.at(-1)).toMatchObject({ pid: 100, ev: 'rel', args: { lock: 'I1', mode: 'W' } });
    expect(s.locks.I1!.readers).toEqual([101, 103]);
    expect(s.locks.I1!.queue).toEqual([{ pid: 102, mode: 'W' }]);
    expect(s.tasks.map((t) => [t.pid, t.status, t.granted])).toEqual([[100, 'run', false], [101, 'run', true], [102, 'lock', false], [103, 'run', true]]);
    expect(taskWaits(s)).toEqual([{ pid: 102, on: 'i_rwsem I1 (W)', for: [101, 103] }]);
    // Each granted reader emits its acq when it runs.
    expect(run(s, [3, 1])).toMatchObject([{ pid: 103, ev: 'acq', args: { lock: 'I1', mode: 'R' } }, { pid: 101, ev: 'acq', args: { lock: 'I1', mode: 'R' } }]);
  });

  it('a writer at the head gets the lock alone, once it is free', () => {
    const writerFirst: Scenario = { ...sc, tasks: [sc.tasks[0]!, sc.tasks[2]!, sc.tasks[1]!] };
    const s = initialState(writerFirst);
    // 100 holds I1 exclusive; 102 (W) then 101 (R) queue.
    run(s, [0, 0, 1, 1, 2, 2, 0, 0, 0], [], writerFirst);
    expect(s.locks.I1!.writer).toBe(102);
    expect(s.locks.I1!.readers).toEqual([]);
    expect(s.locks.I1!.queue).toEqual([{ pid: 101, mode: 'R' }]);
  });
});
