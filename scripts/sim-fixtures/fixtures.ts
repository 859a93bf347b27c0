/**
 * The simulator traces bundled in traces/sim/ and what each must give, declared here and never
 * taken from kinv's output: each case names its scenario, protocol and pinned schedule, and its
 * expectation — the invariants it must violate and at which event (found by what the event is:
 * "task 102's ret of d_add_ci", not an index), or clean. Some expectations are derived from the
 * scenario rather than listed: the draft d_add_ci's early return unbalances the parent lock the
 * same way wherever it happens (`draftEarlyReturn`), and a run that ends in a deadlock leaves the
 * obligations its final model state shows open (`deadlockLeftovers`).
 *
 * Only the simulator is used here. generate.ts writes the files; the tests
 * (test/scripts/sim-fixtures/) regenerate them byte for byte and check the checker's verdicts on
 * each trace against these expectations.
 */
import { listChooser } from '../../src/sim/chooser.js';
import { initialState, live, runnable, step, type DAddCiShape, type LockOrder, type ModelState, type Scenario } from '../../src/sim/model.js';
import { toNdjsonLine } from '../../src/sim/ndjson-writer.js';
import { CI_SCENARIOS } from '../../src/sim/scenarios-ci.js';
import { SCENARIOS, type Protocol } from '../../src/sim/scenarios.js';
import { cyclePids, waitCycle } from '../../src/sim/wait-for.js';
import type { TraceEvent } from '../../src/trace/event.js';

/** `[kind, invariant, seq]`: one verdict, as traces/*\/expected.json lists them. */
export type VerdictTriple = ['violation' | 'pending', string, number];

/** Finds an event of a trace by what it is; undefined when the trace has no such event. */
export type Where = (events: readonly TraceEvent[]) => number | undefined;

interface EventShape { pid: number; ev: string; fn?: string }
const is = (e: TraceEvent, w: EventShape): boolean => e.pid === w.pid && e.ev === w.ev && (w.fn === undefined || e.fn === w.fn);

/** The `n`-th (1-based) event of task `pid` of kind `ev` (a `call`/`ret` of `fn`). */
export function nth(n: number, pid: number, ev: string, fn?: string): Where {
  return (events) => {
    let k = 0;
    for (let i = 0; i < events.length; i++) if (is(events[i]!, { pid, ev, fn }) && ++k === n) return i;
    return undefined;
  };
}
export const first = (pid: number, ev: string, fn?: string): Where => nth(1, pid, ev, fn);
/** The first event of task `pid` of kind `ev` after the event `after` finds. */
export function firstAfter(after: Where, pid: number, ev: string, fn?: string): Where {
  return (events) => {
    const from = after(events);
    if (from === undefined) return undefined;
    for (let i = from + 1; i < events.length; i++) if (is(events[i]!, { pid, ev, fn })) return i;
    return undefined;
  };
}
/** The trace's last event. */
export const lastEvent: Where = (events) => (events.length ? events.length - 1 : undefined);

/** One declared verdict: an invariant broken (or an obligation left open) at an event, and why. */
export interface Expectation {
  kind: 'violation' | 'pending';
  invariant: string;
  at: Where;
  why: string;
}

const violation = (invariant: string, at: Where, why: string): Expectation => ({ kind: 'violation', invariant, at, why });

/**
 * The draft d_add_ci returning early (E1, E2, E3) without re-taking the parent lock it dropped:
 * its own frame is unbalanced at its return, so is the ->lookup frame around it at the lookup's
 * return, and the caller's unlock after it releases a lock the task no longer holds. In today's
 * order, when the caller owns the user's spelling in lookup (lookup_slow, lookup_open — not
 * mkdir's plain d_alloc), the release inside d_add_ci already breaks in_lookup_parent_locked.
 */
export function draftEarlyReturn(pid: number, o: { order: LockOrder; callerOwnsInLookup: boolean }): Expectation[] {
  const dciCall = first(pid, 'call', 'd_add_ci');
  const lookupRet = first(pid, 'ret', 'lookup');
  return [
    ...(o.order === 'current' && o.callerOwnsInLookup
      ? [violation('in_lookup_parent_locked', firstAfter(dciCall, pid, 'rel'), 'd_add_ci drops the parent lock while its caller owns the user-spelling dentry in lookup')]
      : []),
    violation('d_add_ci_parent_lock_balanced', first(pid, 'ret', 'd_add_ci'), 'the early return leaves d_add_ci without the parent lock it was called with'),
    violation('lookup_parent_lock_balanced', lookupRet, '->lookup returns without the parent lock too'),
    violation('rel_held', firstAfter(lookupRet, pid, 'rel'), 'the caller unlocks a parent lock the task no longer holds'),
  ];
}

/**
 * What a run that ends with every live task blocked leaves open, read off the final model state:
 * no_deadlock at the event that closed the cycle (the last one); for each dentry still in lookup,
 * in_lookup_ended pending since its owner's d_alloc_parallel made it; for each task still asleep
 * on one, waiters_released pending since it went to sleep; for each lock still held,
 * no_locks_at_exit pending since it was acquired.
 */
export function deadlockLeftovers(final: ModelState): Expectation[] {
  const out: Expectation[] = [violation('no_deadlock', lastEvent, 'every live task is blocked, on a wait-for cycle')];
  for (const { dentry, owner } of Object.values(final.inLookup)) {
    out.push({ kind: 'pending', invariant: 'in_lookup_ended', why: `task ${owner} still owns ${dentry} in lookup`,
      at: (events) => { const i = events.findIndex((e) => e.pid === owner && e.ev === 'ret' && e.fn === 'd_alloc_parallel' && e.ret === dentry); return i < 0 ? undefined : i; } });
  }
  for (const t of final.tasks) {
    if (t.status === 'inlookup') out.push({ kind: 'pending', invariant: 'waiters_released', why: `task ${t.pid} is still asleep on ${String(t.waitDentry)}`, at: lastOf(t.pid, 'il_wait_begin') });
  }
  for (const [lock, l] of Object.entries(final.locks)) {
    for (const pid of [...(l.writer === null ? [] : [l.writer]), ...new Set(l.readers)]) {
      out.push({ kind: 'pending', invariant: 'no_locks_at_exit', why: `task ${pid} still holds ${lock}`,
        at: (events) => { for (let i = events.length - 1; i >= 0; i--) { const e = events[i]!; if (e.pid === pid && e.ev === 'acq' && e.args.lock === lock) return i; } return undefined; } });
    }
  }
  return out;
}

function lastOf(pid: number, ev: string): Where {
  return (events) => { for (let i = events.length - 1; i >= 0; i--) if (events[i]!.pid === pid && events[i]!.ev === ev) return i; return undefined; };
}

const ALL_SCENARIOS: Record<string, (p: Protocol) => Scenario> = { ...SCENARIOS, ...CI_SCENARIOS };

/** One bundled trace. */
export interface FixtureCase {
  /** File name without extension, under traces/sim/. */
  file: string;
  scenario: string;
  dAddCi: DAddCiShape;
  order: LockOrder;
  /** The schedule, pinned (how it was found is in `what`). */
  choices: readonly number[];
  what: string;
  /** Whether the run ends with every live task blocked (checked against the model when the case is built). */
  deadlock: boolean;
  /** The violations the case is about; a deadlock's leftovers are added from the final state. Empty: clean. */
  violations: Expectation[];
}

const pair = 'pair';
/** The three-task mutual-exclusion schedule of ci-trio-shared (the shortest exploration found under the draft, new order). */
const TRIO_MUTEX: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2];

export const CASES: readonly FixtureCase[] = [
  { file: 'mainline-current-clean', scenario: pair, dAddCi: 'mainline', order: 'current', choices: [], deadlock: false, violations: [],
    what: 'two tasks, one schedule; mainline d_add_ci in today\'s order: clean' },
  { file: 'mainline-new-abba', scenario: pair, dAddCi: 'mainline', order: 'new', choices: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0], deadlock: true,
    what: 'the two-task ABBA of the new order (2(d)): shortest schedule to the deadlock',
    violations: [
      violation('no_dap_under_dir_lock', nth(2, 102, 'call', 'd_alloc_parallel'), 'the mainline d_add_ci calls d_alloc_parallel("Foo") under the parent lock, which the new order forbids'),
      violation('lock_order_acyclic', nth(2, 102, 'call', 'd_alloc_parallel'), '101 went in-lookup "Foo" -> I1; 102 now goes I1 -> in-lookup "Foo"'),
      violation('waiter_holds_nothing_needed', first(102, 'il_wait_begin'), '102 sleeps on 101\'s "Foo" holding I1, which 101 has asked for'),
    ] },
  { file: 'draft-current-E1', scenario: 'single', dAddCi: 'draft', order: 'current', choices: [0, 0, 1], deadlock: false,
    what: 'draft: d_alloc_parallel fails in d_add_ci (E1), no relock', violations: draftEarlyReturn(101, { order: 'current', callerOwnsInLookup: true }) },
  { file: 'draft-current-E2', scenario: 'single', dAddCi: 'draft', order: 'current', choices: [0, 1], deadlock: false,
    what: 'draft: the exact-case name was hashed meanwhile (E2), no relock', violations: draftEarlyReturn(101, { order: 'current', callerOwnsInLookup: true }) },
  { file: 'draft-current-E3', scenario: 'mkdir', dAddCi: 'draft', order: 'current', choices: [0, 1], deadlock: false,
    what: 'draft: d_alloc fails on the non-in-lookup path (E3), no relock', violations: draftEarlyReturn(103, { order: 'current', callerOwnsInLookup: false }) },
  { file: 'draft-new-E2', scenario: pair, dAddCi: 'draft', order: 'new', choices: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1], deadlock: false,
    what: 'draft under the new order: a concurrent exact-case lookup makes E2', violations: draftEarlyReturn(102, { order: 'new', callerOwnsInLookup: true }) },
  { file: 'fixed-current-2e', scenario: pair, dAddCi: 'fixed', order: 'current', choices: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0], deadlock: true,
    what: 'fixed d_add_ci in today\'s order: the 2(e) deadlock',
    violations: [
      violation('in_lookup_parent_locked', firstAfter(first(102, 'call', 'd_add_ci'), 102, 'rel'), 'the fixed d_add_ci drops I1 while 102 owns "foo" in lookup'),
      violation('lock_order_acyclic', lastEvent, '102 owns in-lookup "Foo" and asks for I1 again, while 101 holds I1 and waits on "Foo"'),
    ] },
  { file: 'fixed-new-clean', scenario: pair, dAddCi: 'fixed', order: 'new', choices: [], deadlock: false, violations: [],
    what: 'fixed d_add_ci under the new order: clean' },
  { file: 'ci-pair-fixed-current-2e', scenario: 'ci-pair', dAddCi: 'fixed', order: 'current', choices: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0], deadlock: true,
    what: '2(e) schedule 1 as written: stat("foo") through the fixed d_add_ci re-takes I1 while owning in-lookup "foo"; open("foo", O_CREAT) holds I1 exclusive and sleeps on it',
    violations: [
      violation('in_lookup_parent_locked', firstAfter(first(101, 'call', 'd_add_ci'), 101, 'rel'), 'the fixed d_add_ci drops I1 while 101 owns "foo" in lookup'),
      violation('lock_order_acyclic', nth(2, 101, 'acq_req'), '101 owns in-lookup "foo" and asks for I1 again, while 102 holds I1 and is about to ask for "foo"'),
      violation('waiter_holds_nothing_needed', first(102, 'il_wait_begin'), '102 sleeps on 101\'s "foo" holding I1, which 101 has asked for'),
    ] },
  { file: 'ci-trio-shared-mainline-new-abba3', scenario: 'ci-trio-shared', dAddCi: 'mainline', order: 'new', choices: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    deadlock: true,
    what: '2(d) with three tasks ("even shared"): the exact-case stat owns "Foo" and queues for I1 shared behind mkdir\'s exclusive request; mkdir waits for the d_add_ci stat\'s shared hold; that stat sleeps on "Foo"',
    violations: [
      violation('no_dap_under_dir_lock', nth(2, 102, 'call', 'd_alloc_parallel'), 'the mainline d_add_ci calls d_alloc_parallel("Foo") under I1 shared'),
      violation('lock_order_acyclic', lastEvent, '101 owns in-lookup "Foo" and asks for I1, which 102 holds while it waits on "Foo"'),
    ] },
  { file: 'ci-trio-shared-fixed-current-2e3', scenario: 'ci-trio-shared', dAddCi: 'fixed', order: 'current', choices: [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0],
    deadlock: true,
    what: '2(e) with three tasks: the exact-case stat holds I1 shared and sleeps on the d_add_ci stat\'s "Foo"; mkdir queues exclusive; the fixed d_add_ci\'s shared relock queues behind it',
    violations: [
      violation('in_lookup_parent_locked', firstAfter(first(102, 'call', 'd_add_ci'), 102, 'rel'), 'the fixed d_add_ci drops I1 while 102 owns "foo" in lookup'),
      violation('lock_order_acyclic', lastEvent, '102 owns in-lookup "Foo" and asks for I1 again, while 101 holds I1 and waits on "Foo"'),
    ] },
  { file: 'ci-trio-shared-draft-new-mutex', scenario: 'ci-trio-shared', dAddCi: 'draft', order: 'new', choices: TRIO_MUTEX, deadlock: false,
    what: 'draft E2 (the exact-case name got hashed by a concurrent stat): no relock, the caller\'s up_read cancels the other reader\'s hold, and mkdir\'s down_write is granted beside that reader',
    violations: [
      ...draftEarlyReturn(102, { order: 'new', callerOwnsInLookup: true }),
      violation('mutual_exclusion', first(103, 'acq'), 'mkdir is granted I1 exclusive while 101 still holds it shared'),
    ] },
  { file: 'ci-trio-shared-fixed-new-clean', scenario: 'ci-trio-shared', dAddCi: 'fixed', order: 'new', choices: TRIO_MUTEX, deadlock: false, violations: [],
    what: 'the same schedule with the fixed d_add_ci under the new order: balanced and exclusive' },
];

/** One built case: the files' text and the declared verdicts, resolved against the trace. */
export interface BuiltFixture {
  file: string;
  ndjson: string;
  meta: string;
  params: { order: LockOrder };
  expected: VerdictTriple[];
  /** Why each expected verdict is expected, in the same order. */
  reasons: string[];
}

/** Runs a schedule exactly as `simulate` does, keeping the final model state. */
function run(sc: Scenario, choices: readonly number[]): { events: TraceEvent[]; final: ModelState; deadlocked: boolean } {
  const ch = listChooser(choices);
  const s = initialState(sc);
  const events: TraceEvent[] = [];
  while (live(s)) {
    const r = runnable(s);
    if (r.length === 0) return { events, final: s, deadlocked: true };
    step(sc, s, r[ch.choose(r.length, 'schedule')]!, ch, events);
  }
  return { events, final: s, deadlocked: false };
}

/** The canonical order of verdict triples: violations, then pending, each by event, then name. */
export function sortVerdicts<T extends [string, string, number | null]>(vs: readonly T[]): T[] {
  return [...vs].sort((a, b) => a[0].localeCompare(b[0]) * -1 || (a[2] ?? -1) - (b[2] ?? -1) || a[1].localeCompare(b[1]));
}

export function scenarioOf(c: FixtureCase): Scenario {
  const make = ALL_SCENARIOS[c.scenario];
  if (!make) throw new Error(`${c.file}: no scenario ${c.scenario}`);
  return make({ dAddCi: c.dAddCi, order: c.order });
}

/** Builds one case: runs its schedule, renders the trace and its sidecar, and resolves its expectation. */
export function buildFixture(c: FixtureCase): BuiltFixture {
  const sc = scenarioOf(c);
  const r = run(sc, c.choices);
  if (r.deadlocked !== c.deadlock) throw new Error(`${c.file}: the run ${r.deadlocked ? 'ends in a deadlock' : 'ends without a deadlock'}, the case declares otherwise`);
  const ndjson = r.events.map((e) => toNdjsonLine(e)).join('\n') + '\n';
  const cycle = r.deadlocked ? waitCycle(r.final) : undefined;
  const flags = ['--d-add-ci', c.dAddCi, '--order', c.order, '--scenario', c.scenario];
  const table = c.scenario in CI_SCENARIOS ? 'CI_SCENARIOS' : 'SCENARIOS';
  const meta = pretty({
    what: c.what,
    scenario: c.scenario,
    dAddCi: c.dAddCi,
    order: c.order,
    replay: `kinv sim ${flags.join(' ')} --replay ${c.choices.join(',') || "''"}`,
    replayApi: `simulate(${table}['${c.scenario}']!({ dAddCi: '${c.dAddCi}', order: '${c.order}' }), listChooser(choices))`,
    choices: c.choices,
    deadlock: cycle ? { cycle: cyclePids(cycle), edges: cycle.map((e) => `${e.from} -> ${e.to}: ${e.on} (${e.via})`) } : null,
  });
  const declared = [...c.violations, ...(r.deadlocked ? deadlockLeftovers(r.final) : [])];
  const resolved = declared.map((x): [VerdictTriple, string] => {
    const at = x.at(r.events);
    if (at === undefined) throw new Error(`${c.file}: the trace has no event for the expected ${x.invariant} (${x.why})`);
    return [[x.kind, x.invariant, at], x.why];
  });
  const sorted = sortVerdicts(resolved.map(([v]) => v));
  const reasons = sorted.map((v) => resolved.find(([w]) => w === v)![1]);
  return { file: c.file, ndjson, meta, params: { order: c.order }, expected: sorted, reasons };
}

/** traces/sim/expected.json for a set of built cases. */
export function expectedJson(built: readonly BuiltFixture[]): string {
  const o: Record<string, unknown> = {
    '//': 'Verdicts [kind, invariant, seq] each simulator trace must give, declared in scripts/sim-fixtures/fixtures.ts (never taken from kinv); regenerated by npm run gen:sim-traces.',
  };
  for (const b of built) o[`${b.file}.ndjson`] = { params: b.params, verdicts: b.expected };
  return pretty(o);
}

/** Indented JSON with every innermost array (choices, verdict triples) kept on one line. */
function pretty(o: unknown): string {
  return JSON.stringify(o, null, 1).replace(/\[([^[\]{}]*)\]/g, (_m, inner: string) => `[${inner.trim().split(/,\s*/).join(', ')}]`) + '\n';
}
