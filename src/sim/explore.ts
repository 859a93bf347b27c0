/**
 * Exhaustive, breadth-first search over every scheduling and fault choice of a small scenario,
 * in product with the spec's monitors: the explored state is the model state plus the monitor's
 * fingerprint, so revisits are pruned, and because the search is breadth-first the first
 * counterexample of each invariant is a shortest one. Each counterexample carries the choice list
 * that replays it (`kinv sim --replay`).
 */
import type { IncrementalChecker, Verdict } from '../checker/incremental.js';
import type { TraceEvent } from '../trace/event.js';
import { listChooser, type Chooser } from './chooser.js';
import { initialState, live, runnable, step, type ModelState, type Scenario } from './model.js';
import { rwsemStepNext } from './rwsem.js';
import { eventsKey } from './key-code.js';
import { cloneState, LOCAL_POINTS, stateKey } from './state.js';
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
  /**
   * Partial-order reduction (default off in the library, on in `kinv explore`): where a task's next
   * step is task-local, only that step is explored. Verdicts are those of the full search.
   */
  por?: boolean;
  /**
   * States are told apart by the monitor's abstract fingerprint (default on): what the spec
   * cannot tell apart by any continuation is one state (`IncrementalChecker.abstractFingerprint`,
   * src/analysis/state-abstraction.ts). Verdicts and shortest counterexamples are those of the
   * exact search; false tells monitor states apart exactly.
   */
  abstractMonitor?: boolean;
  /** Called every 1024 states explored (a search can run for minutes). */
  onProgress?: (p: { explored: number; distinct: number; depth: number }) => void;
}

/**
 * A search node; the path to it is kept as parent links. A node's model and monitor state are
 * dropped once it is expanded, so what stays for the whole search is its step: which task, and the
 * step's own choices. A counterexample's choices and events are those steps replayed (`pathOf`).
 */
interface Node {
  state: ModelState | undefined;
  monitor: IncrementalChecker | undefined;
  /** The monitor's fingerprint as a small number (see `fpId`); successors by event-free steps share the monitor. */
  fingerprint: number;
  /** The monitor's abstract fingerprint's number (the visited set's); `fingerprint` when the search is exact. */
  merged: number;
  parent: Node | undefined;
  depth: number;
  /** The step was an ample (task-local) step chosen by partial-order reduction. */
  local: boolean;
  /** The task that took the step (-1 at the root). */
  task: number;
  /** The step's own choices (faults, stealing, hand-off), without the scheduling one. */
  picks: number[];
}

/** The picks of a step that drew no choice (most steps): one array for all. */
const NO_PICKS: number[] = [];

/** One step of a counterexample's path: which task, whether partial-order reduction chose it alone, its own choices. */
interface PathStep { task: number; local: boolean; picks: number[] }

function stepsOf(n: Node, extra?: PathStep): PathStep[] {
  const out: PathStep[] = [];
  for (let x: Node | undefined = n; x && x.task >= 0; x = x.parent) out.push({ task: x.task, local: x.local, picks: x.picks });
  out.reverse();
  if (extra) out.push(extra);
  return out;
}

/**
 * Drops from a counterexample the task-local steps that partial-order reduction ran early and that
 * nothing after them needed (no later step of the same task): they emit nothing and touch nothing
 * shared, so the events stay the same and the schedule is as short as the full search's. The
 * choices are taken again by running the steps kept.
 */
function shorten(sc: Scenario, c: Counterexample, steps: PathStep[]): void {
  const keep = steps.filter((st, i) => !st.local || steps.slice(i + 1).some((x) => x.task === st.task));
  if (keep.length === steps.length) return;
  const s = initialState(sc);
  const choices: number[] = [];
  const events: TraceEvent[] = [];
  for (const st of keep) {
    const r = runnable(s);
    const k = r.indexOf(st.task);
    if (k < 0) return;
    if (r.length > 1) choices.push(k);
    choices.push(...st.picks);
    step(sc, s, st.task, listChooser(st.picks), events);
  }
  if (events.length !== c.events.length || events.some((e, i) => e.seq !== c.events[i]!.seq || e.pid !== c.events[i]!.pid || e.ev !== c.events[i]!.ev)) return;
  c.choices = choices;
  c.depth -= steps.length - keep.length;
}

/**
 * The choices and events of the path to `n`, and of one step more (`extra`): the path's steps run
 * again from the initial state, each task drawing its own choices again (the model is deterministic
 * given them), its events named by their line in the replayed trace as the search names them.
 */
function pathOf(sc: Scenario, n: Node, extra?: PathStep): { choices: number[]; events: TraceEvent[] } {
  const s = initialState(sc);
  const choices: number[] = [];
  const events: TraceEvent[] = [];
  for (const st of stepsOf(n, extra)) {
    const r = runnable(s);
    if (r.length > 1) choices.push(r.indexOf(st.task));
    choices.push(...st.picks);
    const from = events.length;
    step(sc, s, st.task, listChooser(st.picks), events);
    for (let i = from; i < events.length; i++) { const e = events[i]!; e.file = 'replay'; e.line = e.seq + 1; }
  }
  return { choices, events };
}

/**
 * Whether task `i`'s next step is task-local (the partial-order reduction may take it alone): its
 * program point is one of LOCAL_POINTS and it is not a task woken for a lock, which takes the lock
 * as its next step whatever its program point.
 */
export function localStepNext(s: ModelState, i: number): boolean {
  return !rwsemStepNext(s, i) && LOCAL_POINTS.has(s.tasks[i]!.pc);
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

const NO_CHOICE: Chooser = {
  choose(n) {
    if (n <= 1) return 0;
    throw new Error('internal: a task-local step drew a choice');
  },
};

export function explore(sc: Scenario, opts: ExploreOptions = {}): ExploreResult {
  const started = performance.now();
  const maxDepth = opts.maxDepth ?? 200;
  const maxStates = opts.maxStates ?? 200_000;
  const por = opts.por === true;
  const seen = new Set<string>();
  const found = new Map<string, Counterexample>();
  /** Under partial-order reduction, each counterexample's steps (see `shorten`). */
  const paths = new Map<Counterexample, PathStep[]>();
  // Fingerprints are long strings: each distinct one is numbered once, and keys carry the number.
  const fingerprints = new Map<string, number>();
  const fpId = (fp: string): number => {
    let id = fingerprints.get(fp);
    if (id === undefined) { id = fingerprints.size; fingerprints.set(fp, id); }
    return id;
  };
  /** This level's monitor transitions: (fingerprint, events) → the monitor after, its fingerprint, its verdicts. */
  const transitions = new Map<string, { monitor: IncrementalChecker; fp: number; merged: number; violations: Verdict[] }>();
  /** The next level's monitors by fingerprint. */
  const monitors = new Map<number, IncrementalChecker>();
  const rootMonitor = opts.monitor?.();
  const abstract = opts.abstractMonitor !== false && rootMonitor?.abstractFingerprint !== undefined;
  // The abstract fingerprints are numbered apart from the exact ones (`fpId`'s), as strings of their own.
  const mergedIds = new Map<string, number>();
  const mergedId = (m: IncrementalChecker, fp: number): number => {
    if (!abstract) return fp;
    const key = m.abstractFingerprint!();
    let id = mergedIds.get(key);
    if (id === undefined) { id = mergedIds.size; mergedIds.set(key, id); }
    return id;
  };
  const rootFp = fpId(rootMonitor ? rootMonitor.fingerprint() : '');
  const root: Node = {
    state: initialState(sc), monitor: rootMonitor, fingerprint: rootFp, merged: rootMonitor ? mergedId(rootMonitor, rootFp) : rootFp, parent: undefined,
    depth: 0, local: false, task: -1, picks: NO_PICKS,
  };
  seen.add(stateKey(root.state!, root.merged));
  let frontier: Node[] = [root];
  let explored = 0;
  let depth = 0;
  let cut: ExploreResult['cut'];
  const done = (): boolean => opts.first === true && found.size > 0;

  /** Adds the successor unless it was seen; false when the state bound stopped it. */
  const admit = (next: Node[], child: Node): void => {
    // Two nodes with one key are one state: the first keeps its own monitor, which alone its path's events step.
    const key = stateKey(child.state!, child.merged);
    if (seen.has(key)) return;
    if (seen.size >= maxStates) { cut = 'states'; return; }
    seen.add(key);
    next.push(child);
  };

  /**
   * Partial-order reduction: a runnable task whose next step is task-local (it reads and writes
   * only the task's own program counter, variables and stack, emits no event and draws no choice)
   * commutes with every step of every other task and cannot be disabled by them, and the monitor
   * never sees it. Taking that step alone (an ample set of one) loses no reachable verdict. A task
   * runs at most two local steps in a row (LOCAL_POINTS), so no cycle is made of ample steps only.
   */
  const ample = (node: Node, r: number[], next: Node[]): boolean => {
    const s = node.state!;
    for (let k = 0; k < r.length; k++) {
      if (!localStepNext(s, r[k]!)) continue;
      const state = cloneState(s, r[k]!);
      const events: TraceEvent[] = [];
      step(sc, state, r[k]!, NO_CHOICE, events);
      // These points read only the task's own variables, so whether the step emits is theirs to decide.
      if (events.length) continue;
      admit(next, {
        state, monitor: node.monitor, fingerprint: node.fingerprint, merged: node.merged, parent: node,
        depth: node.depth + 1, local: true, task: r[k]!, picks: NO_PICKS,
      });
      return true;
    }
    return false;
  };

  while (frontier.length && !done()) {
    const next: Node[] = [];
    for (const node of frontier) {
      if (done()) break;
      explored++;
      if ((explored & 1023) === 0) opts.onProgress?.({ explored, distinct: seen.size, depth: node.depth });
      const s = node.state!;
      // Expanded once: what the node keeps from here on is its step (for the path).
      node.state = undefined;
      const nodeMonitor = node.monitor;
      node.monitor = undefined;
      // A finished run: obligations left open would be pending, which is not a counterexample.
      if (!live(s)) continue;
      const r = runnable(s);
      if (r.length === 0) {
        if (!found.has('no_deadlock')) {
          const deadlock = { cycle: deadlockCycle(s), waits: taskWaits(s) };
          const c: Counterexample = { invariant: 'no_deadlock', verdict: undefined, deadlock, ...pathOf(sc, node), depth: node.depth };
          found.set('no_deadlock', c);
          if (por) paths.set(c, stepsOf(node));
        }
        continue;
      }
      if (node.depth >= maxDepth) { cut = 'depth'; continue; }
      if (por) {
        node.state = s;
        node.monitor = nodeMonitor;
        const took = ample(node, r, next);
        node.state = undefined;
        node.monitor = undefined;
        if (took) continue;
      }
      for (let k = 0; k < r.length; k++) {
        // Enumerate every combination of the step's internal choices by re-running it from a copy.
        const pending: number[][] = [[]];
        while (pending.length) {
          const prefix = pending.pop()!;
          const state = cloneState(s, r[k]!);
          const ch = probe(prefix);
          const events: TraceEvent[] = [];
          step(sc, state, r[k]!, ch, events);
          // Name events by their line in the replayed trace (`kinv sim --replay` prints one per line).
          for (const e of events) { e.file = 'replay'; e.line = e.seq + 1; }
          for (let p = prefix.length; p < ch.log.length; p++) {
            for (let alt = 1; alt < ch.log[p]!.n; alt++) pending.push([...ch.log.slice(0, p).map((c) => c.pick), alt]);
          }
          const picks = ch.log.length === 0 ? NO_PICKS : ch.log.map((c) => c.pick);
          // Copy on write: a step that emits nothing leaves the monitor as it was, and shares it.
          let monitor = nodeMonitor;
          let fingerprint = node.fingerprint;
          let merged = node.merged;
          if (monitor && events.length) {
            // Monitors are never stepped in place, so states with equal fingerprints share one, and the same
            // monitor fed the same events (seq included: a spec may store it) is one transition, taken once.
            // Both go by the exact fingerprint: a monitor is stepped only with events of runs it is exact for.
            const sig = eventsKey(fingerprint, events);
            let t = transitions.get(sig);
            if (t === undefined) {
              const m = monitor.clone();
              const vs: Verdict[] = [];
              for (const e of events) vs.push(...m.step(e));
              const fp = fpId(m.fingerprint());
              const same = monitors.get(fp);
              if (same === undefined) monitors.set(fp, m);
              t = { monitor: same ?? m, fp, merged: mergedId(same ?? m, fp), violations: vs };
              transitions.set(sig, t);
            }
            monitor = t.monitor;
            fingerprint = t.fp;
            merged = t.merged;
            // Record the first (shortest) counterexample of each invariant and keep exploring past it:
            // a predictive finding (lock order) often precedes the deadlock it predicts. Every invariant
            // the step violates first is recorded here (one only with `first`): a later state the search
            // merges with this one would have been the only other chance to record it at this depth.
            for (const violation of t.violations) {
              if (found.has(violation.invariant)) continue;
              const c: Counterexample = {
                invariant: violation.invariant, verdict: violation, deadlock: undefined, ...pathOf(sc, node, { task: r[k]!, local: false, picks }),
                depth: node.depth + 1,
              };
              found.set(violation.invariant, c);
              if (por) paths.set(c, stepsOf(node, { task: r[k]!, local: false, picks }));
              if (opts.first === true) break;
            }
          }
          admit(next, { state, monitor, fingerprint, merged, parent: node, depth: node.depth + 1, local: false, task: r[k]!, picks });
        }
      }
    }
    if (next.length) depth++;
    frontier = next;
    // Transitions and monitors are shared within a level: the next level's start from the new frontier.
    transitions.clear();
    monitors.clear();
  }
  for (const [c, steps] of paths) shorten(sc, c, steps);
  // A shared monitor's explanations may cite another path's events: each verdict is taken again from
  // its own path, through a fresh monitor, as `kinv check` of the replayed trace gives it.
  for (const c of found.values()) {
    if (!c.verdict || !opts.monitor) continue;
    const m = opts.monitor();
    let again: Verdict | undefined;
    for (const e of c.events) {
      again = m.step(e).find((v) => v.invariant === c.invariant);
      if (again) break;
    }
    if (again) c.verdict = again;
  }
  return { explored, distinct: seen.size, depth, seconds: (performance.now() - started) / 1000, cut, counterexamples: [...found.values()] };
}
