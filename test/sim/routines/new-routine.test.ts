/**
 * Adding a routine to the simulator takes one module: this file is one. It declares the routine's
 * labels next to its steps (declaration merging into `RoutineLabels`) and registers the steps
 * with `defineRoutine`; the model then runs tasks through it with no other change. `toy` takes
 * its directory's lock exclusive through the rwsem helpers, releases it and returns its pid.
 */
import { describe, expect, it } from 'vitest';
import { listChooser } from '../../../src/sim/chooser.js';
import { initialState, live, programPoints, step, type Pc, type Scenario } from '../../../src/sim/model.js';
import { defineRoutine } from '../../../src/sim/routine-table.js';
import { acquire, release } from '../../../src/sim/rwsem.js';
import { schedule } from '../../../src/sim/simulate.js';
import type { RoutineSteps } from '../../../src/sim/task-step.js';
import type { Scalar, TraceEvent } from '../../../src/trace/event.js';

declare module '../../../src/sim/state.js' {
  interface RoutineLabels {
    /** toy(dir): down_write, up_write, returns the caller's pid. */
    toy: 'call' | 'locked';
    /** Declared here and never registered, as when a routine's module is not imported. */
    unloaded: 'call';
  }
}

defineRoutine('toy', {
  call(x) {
    x.call('toy', { dir: x.dir });
    acquire(x, x.dir, 'W', 'toy:locked');
  },
  locked(x) {
    release(x, x.dir, 'W');
    x.ret('toy', x.t.pid);
    x.leave();
  },
});

const sc: Scenario = {
  dAddCi: 'mainline', order: 'current', handoff: false, faults: { allocFail: false, exactHashed: false },
  dirs: [{ id: 'I1', ci: false, entries: [] }],
  tasks: [101, 102].map((pid) => ({ pid, comm: `t${pid}`, ops: [{ kind: 'stat' as const, dir: 'I1', name: 'a' }] })),
};

/** Runs `sc` with both tasks starting their syscall inside toy (returning to the syscall's exit). */
function run(picks: number[]): TraceEvent[] {
  const s = initialState(sc);
  for (const t of s.tasks) {
    t.pc = 'toy:call';
    t.stack = ['task:syscall-exit'];
    t.v.dir = 'I1';
  }
  const ch = listChooser(picks);
  const out: TraceEvent[] = [];
  for (let n = 0; n < 100 && live(s); n++) step(sc, s, schedule(s, ch)!, ch, out);
  expect(live(s)).toBe(false);
  return out;
}

describe('a routine added in one module', () => {
  it('is registered: its program points are the model\'s', () => {
    expect(programPoints()).toEqual(expect.arrayContaining(['toy:call', 'toy:locked']));
  });

  it('runs: the second task blocks on the lock the first holds, and gets it when the first releases it', () => {
    const ev = (pid: number, e: string, args: Record<string, Scalar> = {}, extra: { fn?: string; ret?: Scalar } = {}) =>
      ({ pid, comm: `t${pid}`, ev: e, args, ...extra });
    const lock = { lock: 'I1', mode: 'W' };
    const expected = [
      ev(101, 'call', { dir: 'I1' }, { fn: 'toy' }),
      ev(101, 'acq_req', { ...lock, kind: 'blocking' }),
      ev(101, 'acq', lock),
      ev(102, 'call', { dir: 'I1' }, { fn: 'toy' }),
      ev(102, 'acq_req', { ...lock, kind: 'blocking' }),
      ev(101, 'rel', lock),
      ev(101, 'ret', {}, { fn: 'toy', ret: 101 }),
      ev(101, 'syscall_exit'),
      ev(102, 'acq', lock),
      ev(102, 'rel', lock),
      ev(102, 'ret', {}, { fn: 'toy', ret: 102 }),
      ev(102, 'syscall_exit'),
      ev(101, 'task_exit'),
      ev(102, 'task_exit'),
    ].map((e, seq) => ({ seq, ...e }));
    // Schedules: 101 enters and locks, 102 enters and blocks; 101 runs alone (one runnable task:
    // no pick), then 101, 102, 102, 102, and 101 by default once the picks run out.
    expect(run([0, 1, 0, 1, 1, 1])).toEqual(expected);
  });

  it('keeps the program counter typed: a mistyped label or a step for no label does not compile', () => {
    // @ts-expect-error 'toy:lock' is not a point of toy (its labels are 'call' | 'locked')
    const mistyped: Pc = 'toy:lock';
    // @ts-expect-error toy declares no label 'unlock'
    const extra: RoutineSteps<'toy'> = { call() {}, locked() {}, unlock() {} };
    expect(programPoints()).not.toContain(mistyped);
    expect(() => defineRoutine('toy', extra)).toThrow('internal: routine toy is defined twice');
  });

  it('names the missing import when a routine declares its labels but its module is not loaded', () => {
    const s = initialState(sc);
    s.tasks[0]!.pc = 'unloaded:call';
    expect(() => step(sc, s, 0, listChooser([]), [])).toThrow('internal: no step unloaded:call: is its routine\'s module imported in model.ts?');
  });
});
