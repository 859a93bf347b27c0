/**
 * Fuzzing a protocol with fast-check: random scenarios and choice lists run through the simulator
 * and the spec's monitors; the first violation (or deadlock) is shrunk to a minimal story and
 * comes back with the fast-check seed and path that reproduce it exactly.
 */
import fc from 'fast-check';
import type { IncrementalChecker, Verdict } from '../checker/incremental.js';
import type { TraceEvent } from '../trace/event.js';
import { choicesArb, scenarioArb, type ScenarioArbOptions } from './arbitraries.js';
import { listChooser, recording } from './chooser.js';
import { nowMs } from '../values/clock.js';
import type { Scenario } from './model.js';
import { simulate, type Deadlock } from './simulate.js';

/**
 * Invariants that predict a problem rather than observe one (an order that could deadlock, a wait
 * that could close a cycle). Fuzzing hunts observed violations first, so that shrinking tells the
 * story of a bug that happened; predictions are hunted only when there is none.
 */
export const PREDICTIVE = new Set(['lock_order_acyclic', 'no_dap_under_dir_lock', 'waiter_holds_nothing_needed']);

export interface FuzzOptions extends ScenarioArbOptions {
  monitor: () => IncrementalChecker;
  /** Only these invariants count (default: observed violations first, then predictions). */
  only?: ReadonlySet<string>;
  /** Start in this phase, not counting these invariants (what a replay needs to reproduce a later finding). */
  phase?: 'observed' | 'predicted';
  exclude?: ReadonlySet<string>;
  /** Runs in all, shared by every hunt (shrinking steps not counted). */
  runs: number;
  seed: number;
  /** A `seed:path` from an earlier failure: replays exactly that counterexample. */
  path?: string;
  maxSteps?: number;
  /** Scenarios run so far (shrinking steps included while a finding shrinks). */
  onProgress?: (runs: number) => void;
}

export interface FuzzFinding {
  scenario: Scenario;
  choices: number[];
  events: TraceEvent[];
  verdict: Verdict | undefined;
  deadlock: Deadlock | undefined;
}

export interface FuzzResult {
  finding: FuzzFinding | undefined;
  runs: number;
  seconds: number;
  /** Seconds until the first failing run (before shrinking). */
  firstFailure: number | undefined;
  shrinks: number;
  seed: number;
  path: string | undefined;
}

/** Runs one scenario with one choice list; returns the first counted violation or deadlock, if any. */
export function runOnce(
  sc: Scenario, picks: number[], monitor: () => IncrementalChecker, counts: (invariant: string) => boolean = () => true, maxSteps = 5000,
): FuzzFinding | undefined {
  const ch = recording(listChooser(picks));
  const r = simulate(sc, ch, { maxSteps });
  const m = monitor();
  for (let i = 0; i < r.events.length; i++) {
    const e = r.events[i]!;
    e.file = 'replay';
    e.line = e.seq + 1;
    const v = m.step(e).find((x) => counts(x.invariant));
    if (v) return { scenario: sc, choices: ch.log.map((c) => c.pick), events: r.events.slice(0, i + 1), verdict: v, deadlock: undefined };
  }
  if (r.deadlock && counts('no_deadlock')) {
    return { scenario: sc, choices: ch.log.map((c) => c.pick), events: r.events, verdict: undefined, deadlock: r.deadlock };
  }
  return undefined;
}

export interface FuzzFindingReport extends FuzzResult {
  finding: FuzzFinding;
  invariant: string;
  /** Invariants not counted when this one was found (earlier findings): a replay must exclude them too. */
  excluded: string[];
  /** Observed in the run, or predicted by an order/wait rule (see PREDICTIVE). */
  phase: 'observed' | 'predicted' | 'only';
}

export interface FuzzReport {
  /** Every distinct invariant found, each shrunk on its own, observed ones first. */
  findings: FuzzFindingReport[];
  /** Scenarios run, at most the `runs` asked for. */
  runs: number;
  /** Shrinking steps, over every finding (not counted in `runs`). */
  shrinks: number;
  seconds: number;
  seed: number;
}

/**
 * Hunts violations: after each finding, hunts again without the invariants already found, so one
 * fuzz run reports every distinct problem of the protocol, each shrunk to its own minimal story.
 * With `path`, replays exactly one earlier finding.
 */
export function fuzz(o: FuzzOptions): FuzzReport {
  const report: FuzzReport = { findings: [], runs: 0, shrinks: 0, seconds: 0, seed: o.seed };
  const found = new Set<string>(o.exclude ?? []);
  const all: [FuzzFindingReport['phase'], (n: string) => boolean][] = [['observed', (n) => !PREDICTIVE.has(n)], ['predicted', (n) => PREDICTIVE.has(n)]];
  const phases: [FuzzFindingReport['phase'], (n: string) => boolean][] = o.only
    ? [['only', (n) => o.only!.has(n)]]
    : all.filter(([p]) => o.phase === undefined || o.phase === 'observed' || p === 'predicted');
  for (const [k, [phase, inPhase]] of phases.entries()) {
    // `runs` is a budget for the whole hunt, shared fairly by the phases still to come, so that a
    // clean first phase does not leave the predictions unhunted.
    const budget = o.path !== undefined ? o.runs : Math.floor((o.runs - report.runs) / (phases.length - k));
    let used = 0;
    for (let round = 0; round < 8 && used < budget; round++) {
      const before = report.runs;
      const r = fuzzPhase({ ...o, runs: budget - used, onProgress: o.onProgress && ((n) => o.onProgress!(before + n)) }, (n) => inPhase(n) && !found.has(n));
      used += r.runs;
      report.runs += r.runs;
      report.shrinks += r.shrinks;
      report.seconds += r.seconds;
      if (!r.finding) break;
      const invariant = r.finding.verdict?.invariant ?? 'no_deadlock';
      const firstFailure = r.firstFailure === undefined ? undefined : report.seconds - r.seconds + r.firstFailure;
      report.findings.push({ ...r, finding: r.finding, invariant, phase, excluded: [...found], firstFailure });
      found.add(invariant);
      if (o.path !== undefined) return report;
    }
  }
  return report;
}

function fuzzPhase(o: FuzzOptions, counts: (invariant: string) => boolean): FuzzResult {
  const started = nowMs();
  let firstFailure: number | undefined;
  let runs = 0;
  const prop = fc.property(scenarioArb(o), choicesArb(), (sc, picks) => {
    runs++;
    if (runs % 100 === 0) o.onProgress?.(runs);
    const f = runOnce(sc, picks, o.monitor, counts, o.maxSteps);
    if (f && firstFailure === undefined) firstFailure = (nowMs() - started) / 1000;
    return f === undefined;
  });
  const params: fc.Parameters<[Scenario, number[]]> = { numRuns: o.runs, seed: o.seed };
  if (o.path !== undefined) params.path = o.path;
  const details = fc.check(prop, params);
  const seconds = (nowMs() - started) / 1000;
  if (!details.failed || !details.counterexample) {
    return { finding: undefined, runs: details.numRuns, seconds, firstFailure, shrinks: 0, seed: details.seed, path: undefined };
  }
  const [sc, picks] = details.counterexample;
  return {
    finding: runOnce(sc, picks, o.monitor, counts, o.maxSteps),
    runs: details.numRuns,
    seconds,
    firstFailure,
    shrinks: details.numShrinks,
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
  };
}
