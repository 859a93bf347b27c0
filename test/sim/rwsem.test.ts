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

  it('a writer at the head is only woken: it takes the free lock as its own step', () => {
    const writerFirst: Scenario = { ...sc, tasks: [sc.tasks[0]!, sc.tasks[2]!, sc.tasks[1]!] };
    const s = initialState(writerFirst);
    // 100 holds I1 exclusive; 102 (W) then 101 (R) queue; 100 releases.
    run(s, [0, 0, 1, 1, 2, 2, 0, 0, 0], [], writerFirst);
    expect(s.locks.I1!).toMatchObject({ writer: null, readers: [], queue: [{ pid: 102, mode: 'W' }, { pid: 101, mode: 'R' }] });
    expect(s.tasks[1]!).toMatchObject({ status: 'run', granted: false, waitLock: 'I1' });
    expect(run(s, [1], [], writerFirst)).toMatchObject([{ pid: 102, ev: 'acq', args: { lock: 'I1', mode: 'W' } }]);
    expect(s.locks.I1!).toMatchObject({ writer: 102, readers: [], queue: [{ pid: 101, mode: 'R' }] });
  });
});

/** Steps task `i` until it has emitted `ev` or sleeps (at most 40 steps). */
function until(s: ModelState, scenario: Scenario, i: number, ev: string, ch = listChooser([])): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let n = 0; n < 40 && s.tasks[i]!.status === 'run' && !out.some((e) => e.ev === ev); n++) step(scenario, s, i, ch, out);
  return out;
}

describe('reader optimistic lock stealing (6.1 rwsem_down_read_slowpath)', () => {
  const W = (pid: number, name: string) => ({ pid, comm: 'mkdir', ops: [{ kind: 'mkdir' as const, dir: 'I1', name }] });
  const R = (pid: number, name: string) => ({ pid, comm: 'stat', ops: [{ kind: 'stat' as const, dir: 'I1', name }] });

  it('a reader arriving at a free lock with a woken writer still queued steals it; the writer sleeps again', () => {
    const s2: Scenario = { ...sc, tasks: [W(100, 'a'), W(102, 'c'), R(101, 'b')] };
    const s = initialState(s2);
    until(s, s2, 0, 'acq');
    until(s, s2, 1, 'acq_req');
    until(s, s2, 0, 'rel');
    // Free, with the writer queued: 6.1 lets an arriving reader in (no hand-off bit).
    expect(until(s, s2, 2, 'acq_req')).toMatchObject([{ ev: 'call' }, { ev: 'acq_req' }, { pid: 101, ev: 'acq', args: { mode: 'R' } }]);
    expect(s.locks.I1!).toMatchObject({ writer: null, readers: [101], queue: [{ pid: 102, mode: 'W' }] });
    // The woken writer finds the lock reader-owned and sleeps again, then gets it at the reader's release.
    expect(until(s, s2, 1, 'acq')).toEqual([]);
    expect(s.tasks[1]!.status).toBe('lock');
    until(s, s2, 2, 'rel');
    expect(until(s, s2, 1, 'acq')).toMatchObject([{ pid: 102, ev: 'acq', args: { mode: 'W' } }]);
  });

  it('a reader arriving while other readers hold the lock and a writer waits queues: there is no choice to steal', () => {
    const s2: Scenario = { ...sc, tasks: [R(101, 'b'), W(102, 'c'), R(103, 'd')] };
    const s = initialState(s2);
    until(s, s2, 0, 'acq');
    until(s, s2, 1, 'acq_req');
    // Whatever the chooser would pick, the reader queues behind the writer.
    const out = until(s, s2, 2, 'acq_req', listChooser([1, 1, 1, 1]));
    expect(out.map((e) => e.ev)).toEqual(['call', 'acq_req']);
    expect(s.locks.I1!).toMatchObject({ readers: [101], queue: [{ pid: 102, mode: 'W' }, { pid: 103, mode: 'R' }] });
  });

  it('the hand-off bit keeps an arriving reader out of a free lock; the woken writer takes it', () => {
    const s2: Scenario = { ...sc, handoff: true, tasks: [R(101, 'b'), W(102, 'c'), R(103, 'd')] };
    const s = initialState(s2);
    until(s, s2, 0, 'acq');
    until(s, s2, 1, 'acq_req', listChooser([1])); // 102 queues and sets the hand-off bit
    expect(s.locks.I1!.handoff).toBe(true);
    until(s, s2, 0, 'rel');
    expect(until(s, s2, 2, 'acq_req').map((e) => e.ev)).toEqual(['call', 'acq_req']);
    expect(s.locks.I1!).toMatchObject({ writer: null, readers: [], queue: [{ pid: 102, mode: 'W' }, { pid: 103, mode: 'R' }] });
    expect(until(s, s2, 1, 'acq')).toMatchObject([{ pid: 102, ev: 'acq', args: { mode: 'W' } }]);
    expect(s.locks.I1!).toMatchObject({ writer: 102, handoff: false, queue: [{ pid: 103, mode: 'R' }] });
  });

  it('a writer arriving at a free lock with waiters queued takes it unless the hand-off bit is set', () => {
    const s2: Scenario = { ...sc, tasks: [W(100, 'a'), W(102, 'c'), W(104, 'e')] };
    const s = initialState(s2);
    until(s, s2, 0, 'acq');
    until(s, s2, 1, 'acq_req');
    until(s, s2, 0, 'rel');
    // 102 is woken but has not run: 104 takes the lock (rwsem_try_write_lock), and 102 sleeps again.
    expect(until(s, s2, 2, 'acq_req')).toMatchObject([{ ev: 'acq_req' }, { pid: 104, ev: 'acq', args: { mode: 'W' } }]);
    expect(until(s, s2, 1, 'acq')).toEqual([]);
    expect(s.tasks[1]!.status).toBe('lock');
  });
});

describe('writer optimistic spinning (6.1 rwsem_down_write_slowpath, rwsem_optimistic_spin)', () => {
  // 100 creates "a" (I1 exclusive), 101 stats "b", 102 creates "c"; writers may spin.
  const spin: Scenario = { ...sc, spin: true, tasks: [sc.tasks[0]!, sc.tasks[1]!, sc.tasks[2]!] };
  const runWith = (s: ModelState, order: number[], picks: number[], scenario: Scenario = spin): TraceEvent[] => {
    const out: TraceEvent[] = [];
    const ch = listChooser(picks);
    for (const i of order) step(scenario, s, i, ch, out);
    return out;
  };

  it('a spinning writer takes the lock at its release ahead of the reader queued before it (rwsem.c:447-466: the waker backs off)', () => {
    const s = initialState(spin);
    // 100 holds I1 exclusive; 101 (R) queues; 102 (W) spins on the running owner instead of queueing.
    runWith(s, [0, 0, 1, 1, 2, 2], [1]);
    expect(s.locks.I1!.queue).toEqual([{ pid: 101, mode: 'R' }]);
    expect(s.tasks[2]!).toMatchObject({ status: 'run', waitLock: 'I1', granted: false });
    // 100's d_alloc, ->lookup, up_write: the spinner takes the lock before the waker grants it to 101.
    runWith(s, [0, 0, 0], [1]);
    expect(s.locks.I1!).toMatchObject({ writer: 102, readers: [], queue: [{ pid: 101, mode: 'R' }] });
    expect(runWith(s, [2], [])).toMatchObject([{ pid: 102, ev: 'acq', args: { lock: 'I1', mode: 'W' } }]);
    expect(s.tasks[1]!.status).toBe('lock');
  });

  it('a spinning writer takes a free lock ahead of the woken writer at the head of the queue (rwsem_try_write_lock_unqueued)', () => {
    const writers: Scenario = { ...spin, tasks: [sc.tasks[0]!, { ...sc.tasks[2]!, pid: 101 }, sc.tasks[2]!] };
    const s = initialState(writers);
    // 101 (W) queues, 102 (W) spins; 100 releases and wakes 101; 102 runs first.
    runWith(s, [0, 0, 1, 1, 2, 2], [0, 1], writers);
    expect(s.locks.I1!.queue).toEqual([{ pid: 101, mode: 'W' }]);
    runWith(s, [0, 0, 0], [], writers);
    expect(s.tasks[1]!.status).toBe('run');
    expect(runWith(s, [2], [], writers)).toMatchObject([{ pid: 102, ev: 'acq', args: { mode: 'W' } }]);
    expect(runWith(s, [1], [], writers)).toEqual([]);
    expect(s.tasks[1]!.status).toBe('lock');
  });

  it('a writer does not spin on a writer owner that is not running (rwsem_can_spin_on_owner: !owner_on_cpu): it queues', () => {
    const s = initialState(spin);
    runWith(s, [0, 0], []);
    // The owner sleeps (as it would on another lock or an in-lookup dentry).
    s.tasks[0]!.status = 'inlookup';
    runWith(s, [2, 2], [1]);
    expect(s.locks.I1!.queue).toEqual([{ pid: 102, mode: 'W' }]);
    expect(s.tasks[2]!.status).toBe('lock');
  });

  it('a spinner gives up and queues, or spins on, at each step while the lock is taken; without `spin` a writer queues at once', () => {
    const s = initialState(spin);
    runWith(s, [0, 0, 2, 2], [1]);
    runWith(s, [2], [1]);
    expect(s.tasks[2]!).toMatchObject({ status: 'run', waitLock: 'I1' });
    runWith(s, [2], [0]);
    expect(s.locks.I1!.queue).toEqual([{ pid: 102, mode: 'W' }]);
    const plain = initialState(sc);
    runWith(plain, [0, 0, 2, 2], [1], sc);
    expect(plain.locks.I1!.queue).toEqual([{ pid: 102, mode: 'W' }]);
  });
});
