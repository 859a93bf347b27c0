/**
 * A deterministic model of the VFS lookup path, as small atomic steps: directory rwsems with the
 * kernel's queueing, reader stealing and writer hand-off (rwsem.ts); the dcache's hashed names and
 * in-lookup dentries; and task programs for `stat` (lookup_slow), `open(O_CREAT)` (lookup_open,
 * parent held exclusive) and `mkdir`-like creation (lookup_one_qstr_excl: plain d_alloc, parent
 * exclusive), with the three shapes of d_add_ci and the two lock orders. The model never judges:
 * it emits Contract 2 events and the spec's monitors judge them.
 *
 * Each kernel routine is one module under routines/, one function per program point. To add a
 * routine, write its module: it names its points in `RoutineLabels` (state.ts) by declaration
 * merging, `declare module '../state.js' { interface RoutineLabels { name: 'call' | ... } }`, and
 * registers its steps with `export const name = defineRoutine('name', { call(x) { ... }, ... })`
 * (routine-table.ts), where the compiler asks for exactly one step per label. Then add the one
 * import line below that loads it. Callers enter it with `x.enter('name:label', returnPoint)` (a
 * mistyped label is a compile error) and it returns with `x.leave()`.
 */
import type { TraceEvent } from '../trace/event.js';
import type { Chooser } from './chooser.js';
import { acquired, rwsemStepNext } from './rwsem.js';
import { routineTable } from './routine-table.js';
// The routines: each module registers its steps in the routine table when it loads.
import './routines/d-add-ci.js';
import './routines/d-alloc-parallel.js';
import './routines/d-splice-alias.js';
import './routines/fs-lookup.js';
import './routines/lookup-one-qstr-excl.js';
import './routines/lookup-slow.js';
import './routines/task.js';
import type { ModelState, Pc, Routine, Scenario } from './state.js';
import { TaskStep } from './task-step.js';

export type { DAddCiShape, DirSpec, LockOrder, Mode, ModelState, Op, OpKind, Pc, Routine, RoutineLabels, Scenario, TaskSpec } from './state.js';
export { initialState, live, LOOKUP_SHARED, runnable } from './state.js';

/** Every program point of every registered routine, `routine:label`, in registration order. */
export function programPoints(): Pc[] {
  return [...routineTable()].flatMap(([r, steps]) => Object.keys(steps).map((label) => `${r}:${label}` as Pc));
}

/**
 * Runs one atomic step of task `i`, appending its events to `out`. Choices (faults, hand-off)
 * are drawn from `ch`.
 */
export function step(sc: Scenario, s: ModelState, i: number, ch: Chooser, out: TraceEvent[]): void {
  const x = new TaskStep(sc, s, i, ch, out);
  if (rwsemStepNext(s, i)) { acquired(x); return; }
  const pc = x.t.pc;
  let run = STEP_OF.get(pc);
  if (run === undefined) {
    const sep = pc.indexOf(':');
    // A Pc is `${R}:${RoutineLabels[R]}` by construction, so the two halves index the table.
    run = routineTable().get(pc.slice(0, sep) as Routine)?.[pc.slice(sep + 1)];
    if (run === undefined) throw new Error(`internal: no step ${pc}: is its routine's module imported in model.ts?`);
    STEP_OF.set(pc, run);
  }
  run(x);
}

/**
 * Each program point's step, looked up in the routine table once (a search steps a few hundred
 * thousand times, and the lookup cut the point's text in two each time). Routines register when
 * their modules load, before any step, and never again.
 */
const STEP_OF = new Map<Pc, (x: TaskStep) => void>();
