/**
 * Exhaustive, breadth-first search over every scheduling and fault choice of a small scenario,
 * in product with the spec's monitors: the explored state is the model state plus the monitor's
 * fingerprint, so revisits are pruned, and because the search is breadth-first the first
 * counterexample of each invariant is a shortest one. Each counterexample carries the choice list
 * that replays it (`kinv sim --replay`).
 */
import type { IncrementalChecker, Verdict } from '../checker/incremental.js';
import type { TraceEvent } from '../trace/event.js';
import type { Chooser } from './chooser.js';
import { initialState, live, runnable, step, type ModelState, type Scenario } from './model.js';
import type { Deadlock } from './simulate.js';
import { deadlockCycle, taskWaits } from './wait-for.js';

export interface Counterexample {
  /** The violated invariant (`no_deadlock` for a state where every live task is blocked). */
  invariant: string;
  verdict: Verdict | undefined;
  deadlock: Deadlock | undefined;
  /** Replays the run with `listChooser(choices)`. */
  choices: number[];
  events: TraceEvent[];
  depth: number;
}

export interface ExploreResult {
  explored: number;
  distinct: number;
  depth: number;
  seconds: number;
  /** Which bound stopped the search early, if any. */
  cut: 'depth' | 'states' | undefined;
  counterexamples: Counterexample[];
}

export interface ExploreOptions {
  maxDepth?: number;
  maxStates?: number;
  monitor?: () => IncrementalChecker;
  /** Stop at the first counterexample. */
  first?: boolean;
  /** Called every 1024 states explored (a search can run for minutes). */
  onProgress?: (p: { explored: number; distinct: number; depth: number }) => void;
}

/** A search node; the path to it is kept as parent links (memory linear in the number of states). */
interface Node {
  state: ModelState;
  monitor: IncrementalChecker | undefined;
  parent: Node | undefined;
  /** The choices and events of the step that led here. */
  choices: number[];
  events: TraceEvent[];
  depth: number;
}

function pathOf(n: Node, extraChoices: number[] = [], extraEvents: TraceEvent[] = []): { choices: number[]; events: TraceEvent[] } {
  const nodes: Node[] = [];
  for (let x: Node | undefined = n; x; x = x.parent) nodes.push(x);
  nodes.reverse();
  return { choices: [...nodes.flatMap((x) => x.choices), ...extraChoices], events: [...nodes.flatMap((x) => x.events), ...extraEvents] };
}

/** A chooser that follows `prefix`, then picks 0 and records every decision. */
function probe(prefix: number[]): Chooser & { log: { n: number; pick: number }[] } {
  let i = 0;
  const log: { n: number; pick: number }[] = [];
  return {
    log,
    choose(n) {
      if (n <= 1) return 0;
      const pick = i < prefix.length ? prefix[i]! : 0;
      i++;
      log.push({ n, pick });
      return pick;
    },
  };
}

function stateKey(s: ModelState, m: IncrementalChecker | undefined): string {
  const { seq: _seq, ...rest } = s;
  return JSON.stringify(rest) + '|' + (m ? m.fingerprint() : '');
}

export function explore(sc: Scenario, opts: ExploreOptions = {}): ExploreResult {
  const started = performance.now();
  const maxDepth = opts.maxDepth ?? 200;
  const maxStates = opts.maxStates ?? 200_000;
  const seen = new Set<string>();
  const found = new Map<string, Counterexample>();
  const root: Node = { state: initialState(sc), monitor: opts.monitor?.(), parent: undefined, choices: [], events: [], depth: 0 };
  seen.add(stateKey(root.state, root.monitor));
  let frontier: Node[] = [root];
  let explored = 0;
  let depth = 0;
  let cut: ExploreResult['cut'];
  const done = (): boolean => opts.first === true && found.size > 0;

  while (frontier.length && !done()) {
    const next: Node[] = [];
    for (const node of frontier) {
      if (done()) break;
      explored++;
      if ((explored & 1023) === 0) opts.onProgress?.({ explored, distinct: seen.size, depth: node.depth });
      // A finished run: obligations left open would be pending, which is not a counterexample.
      if (!live(node.state)) continue;
      const r = runnable(node.state);
      if (r.length === 0) {
        if (!found.has('no_deadlock')) {
          const deadlock = { cycle: deadlockCycle(node.state), waits: taskWaits(node.state) };
          found.set('no_deadlock', { invariant: 'no_deadlock', verdict: undefined, deadlock, ...pathOf(node), depth: node.depth });
        }
        continue;
      }
      if (node.depth >= maxDepth) { cut = 'depth'; continue; }
      for (let k = 0; k < r.length; k++) {
        // Enumerate every combination of the step's internal choices by re-running it from a copy.
        const pending: number[][] = [[]];
        while (pending.length) {
          const prefix = pending.pop()!;
          const state = structuredClone(node.state);
          const ch = probe(prefix);
          const events: TraceEvent[] = [];
          step(sc, state, r[k]!, ch, events);
          // Name events by their line in the replayed trace (`kinv sim --replay` prints one per line).
          for (const e of events) { e.file = 'replay'; e.line = e.seq + 1; }
          for (let p = prefix.length; p < ch.log.length; p++) {
            for (let alt = 1; alt < ch.log[p]!.n; alt++) pending.push([...ch.log.slice(0, p).map((c) => c.pick), alt]);
          }
          const monitor = node.monitor?.clone();
          let violation: Verdict | undefined;
          for (const e of events) {
            const vs = monitor?.step(e) ?? [];
            for (const v of vs) if (!violation && !found.has(v.invariant)) violation = v;
          }
          const choices = [...(r.length > 1 ? [k] : []), ...ch.log.map((c) => c.pick)];
          // Record the first (shortest) counterexample of each invariant and keep exploring past it:
          // a predictive finding (lock order) often precedes the deadlock it predicts.
          if (violation && !found.has(violation.invariant)) {
            found.set(violation.invariant, {
              invariant: violation.invariant, verdict: violation, deadlock: undefined, ...pathOf(node, choices, events), depth: node.depth + 1,
            });
          }
          const key = stateKey(state, monitor);
          if (seen.has(key)) continue;
          if (seen.size >= maxStates) { cut = 'states'; continue; }
          seen.add(key);
          next.push({ state, monitor, parent: node, choices, events, depth: node.depth + 1 });
        }
      }
    }
    if (next.length) depth++;
    frontier = next;
  }
  return { explored, distinct: seen.size, depth, seconds: (performance.now() - started) / 1000, cut, counterexamples: [...found.values()] };
}

