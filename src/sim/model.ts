/**
 * A deterministic model of the VFS lookup path, as small atomic steps: directory rwsems with the
 * kernel's queueing, reader stealing and writer hand-off (rwsem.ts); the dcache's hashed names and
 * in-lookup dentries; and task programs for `stat` (lookup_slow), `open(O_CREAT)` (lookup_open,
 * parent held exclusive) and `mkdir`-like creation (lookup_one_qstr_excl: plain d_alloc, parent
 * exclusive), with the three shapes of d_add_ci and the two lock orders. The model never judges:
 * it emits Contract 2 events and the spec's monitors judge them.
 *
 * Each kernel routine is one module under routines/, one function per program point. To add a
 * routine: name its points in `RoutineLabels` (state.ts); the compiler then asks for its steps
 * (a `RoutineSteps<'name'>` object) and for its entry in `ROUTINES` below; callers enter it with
 * `x.enter('name:label', returnPoint)` and it returns with `x.leave()`.
 */
import type { TraceEvent } from '../trace/event.js';
import type { Chooser } from './chooser.js';
import { acquired, rwsemStepNext } from './rwsem.js';
import { dAddCi } from './routines/d-add-ci.js';
import { dAllocParallel, dWaitLookupSteps } from './routines/d-alloc-parallel.js';
import { dSpliceAlias } from './routines/d-splice-alias.js';
import { fsLookup } from './routines/fs-lookup.js';
import { lookupOneQstrExcl } from './routines/lookup-one-qstr-excl.js';
import { lookupSlow } from './routines/lookup-slow.js';
import { task } from './routines/task.js';
import type { ModelState, Pc, Routine, Scenario } from './state.js';
import { TaskStep, type RoutineSteps } from './task-step.js';

export type { DAddCiShape, DirSpec, LockOrder, Mode, ModelState, Op, OpKind, Pc, Routine, RoutineLabels, Scenario, TaskSpec } from './state.js';
export { initialState, live, LOOKUP_SHARED, runnable } from './state.js';

const ROUTINES: { [R in Routine]: RoutineSteps<R> } = {
  task,
  lookup_slow: lookupSlow,
  fs_lookup: fsLookup,
  lookup_one_qstr_excl: lookupOneQstrExcl,
  d_alloc_parallel: dAllocParallel,
  d_wait_lookup: dWaitLookupSteps,
  d_add_ci: dAddCi,
  d_splice_alias: dSpliceAlias,
};

/** Every program point of every routine, `routine:label`, in table order. */
export function programPoints(): Pc[] {
  return (Object.keys(ROUTINES) as Routine[]).flatMap((r) => Object.keys(ROUTINES[r]).map((label) => `${r}:${label}` as Pc));
}

/**
 * Runs one atomic step of task `i`, appending its events to `out`. Choices (faults, hand-off)
 * are drawn from `ch`.
 */
export function step(sc: Scenario, s: ModelState, i: number, ch: Chooser, out: TraceEvent[]): void {
  const x = new TaskStep(sc, s, i, ch, out);
  if (rwsemStepNext(s, i)) { acquired(x); return; }
  const pc = x.t.pc;
  const sep = pc.indexOf(':');
  // A Pc is `${R}:${RoutineLabels[R]}` by construction, so the two halves index the table.
  const steps = ROUTINES[pc.slice(0, sep) as Routine] as Record<string, (x: TaskStep) => void>;
  steps[pc.slice(sep + 1)]!(x);
}
