/**
 * Runs a scenario to the end under a Chooser: at each step the chooser picks which runnable task
 * moves, and the model draws its own fault and rwsem choices from the same chooser. A run ends
 * when every task is done, when all live tasks are blocked (a deadlock), or at a step bound.
 */
import type { TraceEvent } from '../trace/event.js';
import type { Chooser } from './chooser.js';
import { initialState, live, runnable, step, type ModelState, type Scenario } from './model.js';
import { deadlockCycle, taskWaits, type TaskWait } from './wait-for.js';

export interface Deadlock {
  /** pids around the wait-for cycle (first repeated last), when there is a cycle. */
  cycle: number[] | undefined;
  /** Each blocked task and whom it waits for (the wait-for graph of wait-for.ts). */
  waits: TaskWait[];
}

export interface SimResult {
  events: TraceEvent[];
  steps: number;
  deadlock: Deadlock | undefined;
  /** The step bound stopped the run. */
  cut: boolean;
}

/** One scheduling decision: which runnable task moves (no choice is drawn when only one can). */
export function schedule(s: ModelState, ch: Chooser): number | undefined {
  const r = runnable(s);
  if (r.length === 0) return undefined;
  return r[ch.choose(r.length, 'schedule')]!;
}

export function simulate(sc: Scenario, ch: Chooser, opts: { maxSteps?: number } = {}): SimResult {
  const s = initialState(sc);
  const events: TraceEvent[] = [];
  const max = opts.maxSteps ?? 1_000_000;
  let steps = 0;
  while (live(s)) {
    if (steps >= max) return { events, steps, deadlock: undefined, cut: true };
    const i = schedule(s, ch);
    if (i === undefined) return { events, steps, deadlock: { cycle: deadlockCycle(s), waits: taskWaits(s) }, cut: false };
    step(sc, s, i, ch, events);
    steps++;
  }
  return { events, steps, deadlock: undefined, cut: false };
}
