/**
 * The simulator's routines by name: each module under routines/ declares its labels in
 * `RoutineLabels` (state.ts, by declaration merging) and registers its steps here with
 * `defineRoutine` when it loads; model.ts imports the modules and runs a task's step from this table.
 */
import type { Routine } from './state.js';
import type { RoutineSteps, TaskStep } from './task-step.js';

const table = new Map<Routine, Readonly<Record<string, (x: TaskStep) => void>>>();

/** Registers routine `name`: one step per label of `RoutineLabels[name]`, no more, no fewer. Returns the steps. */
export function defineRoutine<R extends Routine>(name: R, steps: RoutineSteps<R>): RoutineSteps<R> {
  if (table.has(name)) throw new Error(`internal: routine ${name} is defined twice`);
  table.set(name, steps);
  return steps;
}

/** Every registered routine with its steps, in registration order. */
export function routineTable(): ReadonlyMap<Routine, Readonly<Record<string, (x: TaskStep) => void>>> {
  return table;
}
