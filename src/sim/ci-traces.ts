/**
 * The simulator traces of the case-insensitive race scenarios (src/sim/scenarios-ci.ts): which
 * runs, and how each is built — the trace, its replay sidecar and the verdicts the bundled spec
 * gives it. Kept apart from the script that writes them (gen-ci-traces.ts) so that a test can
 * rebuild every file in memory and compare it byte for byte with what is checked in.
 */
import { loadSpec } from '../analysis/load.js';
import { CompiledSpec, checkEvents } from '../checker/check.js';
import { bundledChecker } from '../checker/incremental.js';
import type { TraceEvent } from '../trace/event.js';
import { listChooser } from './chooser.js';
import { explore } from './explore.js';
import { initialState, live, runnable, step, type DAddCiShape, type LockOrder, type ModelState } from './model.js';
import { toNdjsonLine } from './ndjson-writer.js';
import { CI_SCENARIOS } from './scenarios-ci.js';
import { simulate } from './simulate.js';
import { cyclePids, waitCycle } from './wait-for.js';

/** How a trace's schedule is chosen: a fixed list, or the shortest counterexample exploration finds. */
export type ScheduleSource = number[] | { explore: string; withMonitor: boolean };

/** One trace to produce. */
export interface CiTraceCase {
  /** File name without extension, under traces/sim/. */
  file: string;
  scenario: keyof typeof CI_SCENARIOS & string;
  dAddCi: DAddCiShape;
  order: LockOrder;
  schedule: ScheduleSource;
  what: string;
}

/**
 * The pinned mutual_exclusion schedule of `ci-trio-shared` under the draft: the shortest one that
 * exploration with the monitors finds (28 steps; that search takes about 20 s, so it is pinned
 * here and re-derived by no test — test/sim/scenarios-ci.test.ts checks what it replays to).
 */
export const DRAFT_MUTEX_CHOICES: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2];

export const CI_TRACE_CASES: readonly CiTraceCase[] = [
  { file: 'ci-pair-fixed-current-2e', scenario: 'ci-pair', dAddCi: 'fixed', order: 'current', schedule: { explore: 'no_deadlock', withMonitor: true },
    what: '2(e) schedule 1 as written: stat("foo") through the fixed d_add_ci re-takes I1 while owning in-lookup "foo"; open("foo", O_CREAT) holds I1 exclusive and sleeps on it' },
  { file: 'ci-trio-shared-mainline-new-abba3', scenario: 'ci-trio-shared', dAddCi: 'mainline', order: 'new', schedule: { explore: 'no_deadlock', withMonitor: false },
    what: '2(d) with three tasks ("even shared"): the exact-case stat owns "Foo" and queues for I1 shared behind mkdir\'s exclusive request; mkdir waits for the d_add_ci stat\'s shared hold; that stat sleeps on "Foo"' },
  { file: 'ci-trio-shared-fixed-current-2e3', scenario: 'ci-trio-shared', dAddCi: 'fixed', order: 'current', schedule: { explore: 'no_deadlock', withMonitor: false },
    what: '2(e) with three tasks: the exact-case stat holds I1 shared and sleeps on the d_add_ci stat\'s "Foo"; mkdir queues exclusive; the fixed d_add_ci\'s shared relock queues behind it' },
  { file: 'ci-trio-shared-draft-new-mutex', scenario: 'ci-trio-shared', dAddCi: 'draft', order: 'new', schedule: [...DRAFT_MUTEX_CHOICES],
    what: 'draft E2 (the exact-case name got hashed by a concurrent stat): no relock, the caller\'s up_read cancels the other reader\'s hold, and mkdir\'s down_write is granted beside that reader' },
  { file: 'ci-trio-shared-fixed-new-clean', scenario: 'ci-trio-shared', dAddCi: 'fixed', order: 'new', schedule: [...DRAFT_MUTEX_CHOICES],
    what: 'the same schedule with the fixed d_add_ci under the new order: balanced and exclusive' },
];

/** One produced trace: its NDJSON text, its `.meta.json` text, and its expected verdicts. */
export interface CiTrace {
  file: string;
  ndjson: string;
  meta: string;
  params: { order: LockOrder };
  /** `[kind, invariant, seq]` of every verdict of the bundled spec, in report order. */
  verdicts: [string, string, number | null][];
}

/** The model state a choice list leads to, run exactly as `simulate` runs it. */
function replayState(c: CiTraceCase, choices: readonly number[]): ModelState {
  const sc = CI_SCENARIOS[c.scenario]!({ dAddCi: c.dAddCi, order: c.order });
  const ch = listChooser(choices);
  const s = initialState(sc);
  while (live(s)) {
    const r = runnable(s);
    if (r.length === 0) break;
    step(sc, s, r[ch.choose(r.length, 'schedule')]!, ch, []);
  }
  return s;
}

function scheduleOf(c: CiTraceCase): number[] {
  if (Array.isArray(c.schedule)) return c.schedule;
  const sc = CI_SCENARIOS[c.scenario]!({ dAddCi: c.dAddCi, order: c.order });
  const want = c.schedule.explore;
  const r = explore(sc, c.schedule.withMonitor ? { monitor: bundledChecker({ order: c.order }) } : {});
  const cx = r.counterexamples.find((x) => x.invariant === want);
  if (!cx) throw new Error(`${c.file}: exploration found no ${want}`);
  return cx.choices;
}

/** Builds one trace: runs the schedule, renders the NDJSON and the sidecar, and checks it with the bundled spec. */
export function buildCiTrace(c: CiTraceCase): CiTrace {
  const choices = scheduleOf(c);
  const sc = CI_SCENARIOS[c.scenario]!({ dAddCi: c.dAddCi, order: c.order });
  const run = simulate(sc, listChooser(choices));
  const ndjson = run.events.map((e) => toNdjsonLine(e)).join('\n') + '\n';
  const cycle = run.deadlock ? waitCycle(replayState(c, choices)) : undefined;
  const flags = ['--d-add-ci', c.dAddCi, '--order', c.order, '--scenario', c.scenario];
  const meta = pretty({
    what: c.what,
    scenario: c.scenario,
    dAddCi: c.dAddCi,
    order: c.order,
    // The CLI knows these scenarios once CI_SCENARIOS is part of SCENARIOS; the library call works now.
    replay: `kinv sim ${flags.join(' ')} --replay ${choices.join(',') || "''"}`,
    replayApi: `simulate(CI_SCENARIOS['${c.scenario}']!({ dAddCi: '${c.dAddCi}', order: '${c.order}' }), listChooser(choices))`,
    choices,
    deadlock: cycle ? { cycle: cyclePids(cycle), edges: cycle.map((e) => `${e.from} -> ${e.to}: ${e.on} (${e.via})`) } : null,
  });
  const loaded = loadSpec([], { params: { order: c.order } });
  if (!loaded.ok) throw new Error('the bundled spec failed to load');
  const events: TraceEvent[] = run.events.map((e, i) => ({ ...e, seq: i }));
  const report = checkEvents(new CompiledSpec(loaded.value.spec), events);
  return { file: c.file, ndjson, meta, params: { order: c.order }, verdicts: report.verdicts.map((v) => [v.kind, v.invariant, v.event?.seq ?? null]) };
}

/** The expectations file's text for a set of built traces (same shape as traces/sim/expected.json). */
export function ciExpectedJson(traces: readonly CiTrace[]): string {
  const o: Record<string, unknown> = { '//': 'Verdicts [kind, invariant, seq] of the case-insensitive race traces; regenerated by node --import tsx src/sim/gen-ci-traces.ts.' };
  for (const t of traces) o[`${t.file}.ndjson`] = { params: t.params, verdicts: t.verdicts };
  return pretty(o);
}

/** Indented JSON with every innermost array (choices, verdict triples) kept on one line. */
function pretty(o: unknown): string {
  return JSON.stringify(o, null, 1).replace(/\[([^[\]{}]*)\]/g, (_m, inner: string) => `[${inner.trim().split(/,\s*/).join(', ')}]`) + '\n';
}
