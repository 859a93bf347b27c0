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
import { nowMs } from '../values/clock.js';
import { initialState, live, runnable, step, type ModelState, type Scenario } from './model.js';
import { rwsemStepNext } from './rwsem.js';
import { KeyReader, KeyWriter, writeEventsKey } from './key-code.js';
import { KeySet } from './key-set.js';
import { NO_PICKS, SearchTree, type PathStep } from './search-tree.js';
import { cloneState, LOCAL_POINTS, readStateKey, TaskUnits, writeStateKey } from './state.js';
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
 * A node of the frontier: its model state (as the place of its key in the visited set) and its
 * monitor, which it holds until it is expanded; what stays for the whole search is its step, in
 * the search tree (`SearchTree`). A counterexample's choices and events are its path's steps
 * replayed (`pathOf`).
 */
interface Node {
  /** Where the state's key begins in the visited set (`KeySet.lastAdded`): the state is read back from it when the node is expanded. */
  at: number;
  /**
   * The state's event counter, which its key leaves out: the number of the next event. Where
   * transitions ignore `seq` (`seqFree`), the counter of the path its monitor was stepped along,
   * which may be another path to a state of the same abstract fingerprint: the spec compares
   * numbers only in order, and every number its monitor stored must be smaller than the next.
   */
  seq: number;
  monitor: IncrementalChecker | undefined;
  /** The monitor's fingerprint as a small number (see `fpId`); successors by event-free steps share the monitor. */
  fingerprint: number;
  /** The monitor's abstract fingerprint's number (the visited set's); `fingerprint` when the search is exact. */
  merged: number;
  /** The node's number in the search tree. */
  id: number;
  depth: number;
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
 * The choices and events of a path (`SearchTree.steps`): its steps run again from the initial
 * state, each task drawing its own choices again (the model is deterministic given them), its
 * events named by their line in the replayed trace as the search names them.
 */
function pathOf(sc: Scenario, steps: PathStep[]): { choices: number[]; events: TraceEvent[] } {
  const s = initialState(sc);
  const choices: number[] = [];
  const events: TraceEvent[] = [];
  for (const st of steps) {
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

/**
 * A chooser that follows a prefix, then picks 0, and records every decision: how many options it
 * had and which was taken. One serves a whole search (`reset` before each step): a new chooser
 * and a record per decision were garbage at every successor tried.
 */
class Probe implements Chooser {
  private prefix: readonly number[] = NO_PICKS;
  private next = 0;
  /** Per decision, its number of options and the option taken. */
  readonly options: number[] = [];
  readonly picks: number[] = [];
  reset(prefix: readonly number[]): this {
    this.prefix = prefix;
    this.next = 0;
    this.options.length = 0;
    this.picks.length = 0;
    return this;
  }
  choose(n: number): number {
    if (n <= 1) return 0;
    const pick = this.next < this.prefix.length ? this.prefix[this.next]! : 0;
    this.next++;
    this.options.push(n);
    this.picks.push(pick);
    return pick;
  }
}

/** `monitor`'s copy after `events` (its verdicts were taken when the transition was first stepped). */
function stepAgain(monitor: IncrementalChecker, events: TraceEvent[]): IncrementalChecker {
  const m = monitor.clone();
  for (const e of events) m.step(e);
  return m;
}

/** The verdicts of a transition that has none (most): one list for all, never changed. */
const NO_VIOLATIONS: Verdict[] = [];

const NO_CHOICE: Chooser = {
  choose(n) {
    if (n <= 1) return 0;
    throw new Error('internal: a task-local step drew a choice');
  },
};

export function explore(sc: Scenario, opts: ExploreOptions = {}): ExploreResult {
  const started = nowMs();
  const maxDepth = opts.maxDepth ?? 200;
  const maxStates = opts.maxStates ?? 200_000;
  const por = opts.por === true;
  const seen = new KeySet();
  const tree = new SearchTree();
  const key = new KeyWriter();
  const found = new Map<string, Counterexample>();
  /** Under partial-order reduction, each counterexample's steps (see `shorten`). */
  const paths = new Map<Counterexample, PathStep[]>();
  // Fingerprints are long: each distinct one is numbered once, and keys carry the number. A monitor
  // that writes its fingerprint's numbers (`writeFingerprint`) is numbered by them, without the string.
  const fingerprints = new Map<string, number>();
  const fingerprintUnits = new KeySet();
  const units = new KeyWriter();
  const fpId = (m: IncrementalChecker | undefined): number => {
    if (m?.writeFingerprint !== undefined) {
      m.writeFingerprint(units.start());
      return fingerprintUnits.id(units);
    }
    const fp = m ? m.fingerprint() : '';
    let id = fingerprints.get(fp);
    if (id === undefined) { id = fingerprints.size; fingerprints.set(fp, id); }
    return id;
  };
  /**
   * The monitor transitions (this level's, or the whole search's with `seqFree`), each numbered by its
   * key (the fingerprint before, the events): the fingerprint after (`transitionFp`), its merged number
   * (`transitionMerged`), its verdicts (`transitionViolations`). The monitor after is kept (in
   * `monitors`) only once a new state needs it: most transitions lead to states seen already, and
   * monitors kept for each of them were most of what the garbage collector copied.
   */
  const transitions = new KeySet();
  const transitionFp: number[] = [];
  const transitionMerged: number[] = [];
  const transitionViolations: Verdict[][] = [];
  /**
   * The monitors of the nodes by fingerprint, and the event counter of the path each was stepped
   * along: the next level's (by the exact fingerprint), or every one met (`seqFree`, by the abstract
   * one, whatever the depth it was first reached at).
   */
  const monitors = new Map<number, IncrementalChecker>();
  const monitorSeqs = new Map<number, number>();
  // Without explanations: each counterexample's verdict is taken again from its own path at the end.
  const fresh = opts.monitor?.();
  const rootMonitor = fresh?.bare?.() ?? fresh;
  const abstract = opts.abstractMonitor !== false && rootMonitor?.abstractFingerprint !== undefined;
  /**
   * Where a step's outcome up to the abstract fingerprint does not depend on its events' `seq`
   * (`IncrementalChecker.stepsIgnoreSeq`), a node's monitor stands for its abstract fingerprint
   * (`Node.fingerprint` is the merged number), and transitions are numbered by it and their
   * events without `seq`, for the whole search: the same lock taken at another depth, or after
   * another number of events, is one transition, stepped once. Otherwise by the exact
   * fingerprint and the events as they are, level by level.
   */
  const seqFree = abstract && rootMonitor?.stepsIgnoreSeq?.() === true;
  // The abstract fingerprints are numbered apart from the exact ones (`fpId`'s).
  const mergedIds = new Map<string, number>();
  const mergedUnits = new KeySet();
  const mergedId = (m: IncrementalChecker, fp: number): number => {
    if (!abstract) return fp;
    if (m.writeAbstractFingerprint !== undefined) {
      m.writeAbstractFingerprint(units.start());
      return mergedUnits.id(units);
    }
    const key = m.abstractFingerprint!();
    let id = mergedIds.get(key);
    if (id === undefined) { id = mergedIds.size; mergedIds.set(key, id); }
    return id;
  };
  /** The number of the abstract fingerprint of each exact one (by its number) met so far. */
  const mergedByFp: number[] = [];
  const rootFp = seqFree ? -1 : fpId(rootMonitor);
  const rootState = initialState(sc);
  const rootMerged = rootMonitor ? mergedId(rootMonitor, rootFp) : rootFp;
  writeStateKey(key.start(), rootState);
  key.put(rootMerged);
  seen.add(key);
  const root: Node = {
    at: seen.lastAdded, seq: rootState.seq, monitor: rootMonitor, fingerprint: seqFree ? rootMerged : rootFp, merged: rootMerged, id: 0, depth: 0,
  };
  let frontier: (Node | undefined)[] = [root];
  let explored = 0;
  let depth = 0;
  let cut: ExploreResult['cut'];
  const done = (): boolean => opts.first === true && found.size > 0;

  /** The key units of the tasks of the state being expanded, which its successors share but for the task that steps. */
  const expanding = new TaskUnits();
  /** Whether a successor's state is new; a new one is added to the visited set, unless the state bound stops it. */
  const claim = (state: ModelState, merged: number): boolean => {
    // Two nodes with one key are one state: the first keeps its own monitor, which alone its path's events step.
    writeStateKey(key.start(), state, expanding);
    key.put(merged);
    if (seen.size >= maxStates) {
      if (!seen.has(key)) cut = 'states';
      return false;
    }
    return seen.add(key);
  };
  /** Adds the successor of `parent` by a step of `task` unless its state was seen or the state bound stops it. */
  const admit = (
    next: Node[], parent: Node, task: number, local: boolean, picks: number[],
    state: ModelState, monitor: IncrementalChecker | undefined, fingerprint: number, merged: number,
  ): void => {
    if (!claim(state, merged)) return;
    next.push({ at: seen.lastAdded, seq: state.seq, monitor, fingerprint, merged, id: tree.add(parent.id, task, local, picks), depth: parent.depth + 1 });
  };

  /**
   * Partial-order reduction: a runnable task whose next step is task-local (it reads and writes
   * only the task's own program counter, variables and stack, emits no event and draws no choice)
   * commutes with every step of every other task and cannot be disabled by them, and the monitor
   * never sees it. Taking that step alone (an ample set of one) loses no reachable verdict. A task
   * runs at most two local steps in a row (LOCAL_POINTS), so no cycle is made of ample steps only.
   */
  const ample = (node: Node, s: ModelState, r: number[], next: Node[]): boolean => {
    for (let k = 0; k < r.length; k++) {
      if (!localStepNext(s, r[k]!)) continue;
      const state = cloneState(s, r[k]!);
      const events: TraceEvent[] = [];
      step(sc, state, r[k]!, NO_CHOICE, events);
      // These points read only the task's own variables, so whether the step emits is theirs to decide.
      if (events.length) continue;
      admit(next, node, r[k]!, true, NO_PICKS, state, node.monitor, node.fingerprint, node.merged);
      return true;
    }
    return false;
  };

  const chooser = new Probe();
  /** The choice prefixes of the step being enumerated still to run (emptied by each task's turn). */
  const pending: (readonly number[])[] = [];
  while (frontier.length && !done()) {
    const next: Node[] = [];
    for (let f = 0; f < frontier.length; f++) {
      if (done()) break;
      const node = frontier[f]!;
      // Expanded once: the frontier lets go of the node and its monitor.
      frontier[f] = undefined;
      explored++;
      if ((explored & 1023) === 0) opts.onProgress?.({ explored, distinct: seen.size, depth: node.depth });
      const s = readStateKey(new KeyReader(seen.unitsAt(node.at), KeySet.offsetAt(node.at)), sc, node.seq, expanding);
      const nodeMonitor = node.monitor;
      // A finished run: obligations left open would be pending, which is not a counterexample.
      if (!live(s)) continue;
      const r = runnable(s);
      if (r.length === 0) {
        if (!found.has('no_deadlock')) {
          const deadlock = { cycle: deadlockCycle(s), waits: taskWaits(s) };
          const c: Counterexample = { invariant: 'no_deadlock', verdict: undefined, deadlock, ...pathOf(sc, tree.steps(node.id)), depth: node.depth };
          found.set('no_deadlock', c);
          if (por) paths.set(c, tree.steps(node.id));
        }
        continue;
      }
      if (node.depth >= maxDepth) { cut = 'depth'; continue; }
      if (por && ample(node, s, r, next)) continue;
      for (let k = 0; k < r.length; k++) {
        // Enumerate every combination of the step's internal choices by re-running it from a copy.
        pending.push(NO_PICKS);
        while (pending.length) {
          const prefix = pending.pop()!;
          const state = cloneState(s, r[k]!);
          const ch = chooser.reset(prefix);
          const events: TraceEvent[] = [];
          step(sc, state, r[k]!, ch, events);
          // Name events by their line in the replayed trace (`kinv sim --replay` prints one per line).
          for (const e of events) { e.file = 'replay'; e.line = e.seq + 1; }
          // The decisions after the prefix were taken as 0: each other option is a prefix to run.
          for (let p = prefix.length; p < ch.options.length; p++) {
            for (let alt = 1; alt < ch.options[p]!; alt++) {
              const other = ch.picks.slice(0, p + 1);
              other[p] = alt;
              pending.push(other);
            }
          }
          const picks = ch.picks.length === 0 ? NO_PICKS : ch.picks.slice();
          // Copy on write: a step that emits nothing leaves the monitor as it was, and shares it.
          let monitor = nodeMonitor;
          let fingerprint = node.fingerprint;
          let merged = node.merged;
          let seq = state.seq;
          if (monitor && events.length) {
            // Monitors are never stepped in place, so states with equal fingerprints share one, and the same
            // monitor fed the same events (seq included where a spec may read it otherwise) is one transition,
            // taken once. Without `seqFree`, both go by the exact fingerprint: a monitor is stepped only with
            // events of runs it is exact for.
            const t = transitions.id(writeEventsKey(key.start(), fingerprint, events, seqFree));
            let stepped: IncrementalChecker | undefined;
            if (transitions.added) {
              stepped = monitor.clone();
              let vs = NO_VIOLATIONS;
              for (const e of events) {
                const v = stepped.step(e);
                if (v.length) vs = vs === NO_VIOLATIONS ? [...v] : [...vs, ...v];
              }
              if (seqFree) {
                const m = mergedId(stepped, -1);
                transitionFp[t] = m;
                transitionMerged[t] = m;
              } else {
                const fp = fpId(stepped);
                transitionFp[t] = fp;
                // The abstract fingerprint is a function of the exact one (it reads nothing the exact one
                // does not hold): taken once per exact fingerprint of the search.
                let m = mergedByFp[fp];
                if (m === undefined) { m = mergedId(monitors.get(fp) ?? stepped, fp); mergedByFp[fp] = m; }
                transitionMerged[t] = m;
              }
              transitionViolations[t] = vs;
            }
            const violations = transitionViolations[t]!;
            fingerprint = transitionFp[t]!;
            merged = transitionMerged[t]!;
            // Record the first (shortest) counterexample of each invariant and keep exploring past it:
            // a predictive finding (lock order) often precedes the deadlock it predicts. Every invariant
            // the step violates first is recorded here (one only with `first`): a later state the search
            // merges with this one would have been the only other chance to record it at this depth.
            for (const violation of violations) {
              if (found.has(violation.invariant)) continue;
              const steps = tree.steps(node.id, { task: r[k]!, local: false, picks });
              const c: Counterexample = {
                invariant: violation.invariant, verdict: violation, deadlock: undefined, ...pathOf(sc, steps), depth: node.depth + 1,
              };
              found.set(violation.invariant, c);
              if (por) paths.set(c, steps);
              if (opts.first === true) break;
            }
            if (!claim(state, merged)) continue;
            // A transition taken before whose states were all seen kept no monitor: it is stepped again.
            monitor = monitors.get(fingerprint);
            if (monitor === undefined) {
              monitor = stepped ?? stepAgain(nodeMonitor!, events);
              monitors.set(fingerprint, monitor);
              monitorSeqs.set(fingerprint, seq);
            } else if (seqFree) seq = monitorSeqs.get(fingerprint)!;
          } else if (!claim(state, merged)) continue;
          next.push({ at: seen.lastAdded, seq, monitor, fingerprint, merged, id: tree.add(node.id, r[k]!, false, picks), depth: node.depth + 1 });
        }
      }
    }
    if (next.length) depth++;
    frontier = next;
    // By the exact fingerprint, monitors and transitions are shared within a level only (their events'
    // numbers grow with the depth): the next level's start from the new frontier. Without `seq`, a
    // monitor stands for its abstract fingerprint at any depth, and is kept for the whole search: the
    // same transition met at a later level, to a fingerprint seen, was otherwise stepped again, and the
    // monitors let go at each level's end were more for the collector to copy than the ones kept (on
    // the four-task fixed/new search: 69 K monitors stepped again, 34 K kept, peak RSS 470 to 394 MiB).
    if (!seqFree) {
      transitions.clear();
      transitionFp.length = 0;
      transitionMerged.length = 0;
      transitionViolations.length = 0;
      monitors.clear();
      monitorSeqs.clear();
    }
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
    // The abstraction the search used is sound only if this holds: a counterexample it cannot give
    // again along its own path is the search's error, never printed as the protocol's.
    if (!again) {
      throw new Error(`internal: exploration's counterexample of ${c.invariant} at depth ${c.depth} does not violate it when its path is checked again`);
    }
    c.verdict = again;
  }
  return { explored, distinct: seen.size, depth, seconds: (nowMs() - started) / 1000, cut, counterexamples: [...found.values()] };
}
