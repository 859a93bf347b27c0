/**
 * Exploration's partial-order reduction against the full search: the same verdicts and the same
 * shortest counterexample (depth, events, violating event) for every protocol cell of the small
 * scenarios, with fewer states; and the task-local program points it relies on touch nothing
 * shared (run on states whose shared parts throw when read or written).
 */
import { describe, expect, it } from 'vitest';
import { bundledChecker, type IncrementalChecker } from '../../src/checker/incremental.js';
import { seededChooser, type Chooser } from '../../src/sim/chooser.js';
import { explore, localStepNext, type ExploreResult } from '../../src/sim/explore.js';
import { initialState, live, runnable, step, type DAddCiShape, type LockOrder, type ModelState, type Pc, type Scenario } from '../../src/sim/model.js';
import { DEFAULT_RANDOM, randomScenario, SCENARIOS } from '../../src/sim/scenarios.js';
import { cloneState, LOCAL_POINTS } from '../../src/sim/state.js';
import type { TraceEvent } from '../../src/trace/event.js';

const shapes: DAddCiShape[] = ['mainline', 'draft', 'fixed'];
const orders: LockOrder[] = ['current', 'new'];

const monitors = new Map<LockOrder, () => IncrementalChecker>();
function monitorFor(order: LockOrder): () => IncrementalChecker {
  let m = monitors.get(order);
  if (!m) { m = bundledChecker({ order }); monitors.set(order, m); }
  return m;
}

/** Each counterexample as what must not change: invariant, depth, length, and the violating event's seq. */
function shortest(r: ExploreResult): string[] {
  return r.counterexamples.map((c) => `${c.invariant} depth ${c.depth} events ${c.events.length} at ${c.verdict?.event?.seq ?? 'deadlock'}`).sort();
}

describe('partial-order reduction', () => {
  let reducedSomewhere = false;
  for (const name of ['single', 'mkdir', 'pair']) {
    for (const dAddCi of shapes) for (const order of orders) {
      it(`${name} ${dAddCi}/${order}: same verdicts and shortest counterexamples as the full search`, () => {
        const sc = SCENARIOS[name]!({ dAddCi, order });
        const full = explore(sc, { monitor: monitorFor(order) });
        const reduced = explore(sc, { monitor: monitorFor(order), por: true });
        expect(full.cut).toBeUndefined();
        expect(reduced.cut).toBeUndefined();
        expect(shortest(reduced)).toEqual(shortest(full));
        expect(reduced.distinct).toBeLessThanOrEqual(full.distinct);
        if (reduced.distinct < full.distinct) reducedSomewhere = true;
      });
    }
  }
  it('prunes states somewhere (it is not the full search under another name)', () => {
    expect(reducedSomewhere).toBe(true);
  });
});

describe('state counts of the full search', () => {
  // Distinct states of the two-task scenario (the README's table, `--no-por --exact-monitor`), as the unreduced
  // search counts them: what the search's speed-ups (shared monitors, state copies and keys) must
  // not change. They change with the model (the rwsem taking 6.1's shape raised them by 24–64).
  const PAIR: Record<string, number> = {
    'mainline/current': 476, 'mainline/new': 762, 'draft/current': 762, 'draft/new': 1325, 'fixed/current': 736, 'fixed/new': 1271,
  };
  for (const [cell, states] of Object.entries(PAIR)) {
    it(`pair ${cell}: ${states} distinct states`, () => {
      const [dAddCi, order] = cell.split('/') as [DAddCiShape, LockOrder];
      expect(explore(SCENARIOS.pair!({ dAddCi, order }), { monitor: monitorFor(order), abstractMonitor: false }).distinct).toBe(states);
    });
  }
});

const NO_CHOICE: Chooser = { choose: (n) => { if (n > 1) throw new Error('a local step drew a choice'); return 0; } };

/** A copy of `s` where everything but task `i`'s own record (and the event counter) throws when touched. */
function guarded(s: ModelState, i: number): ModelState {
  const c = cloneState(s);
  const no = (what: string): never => { throw new Error(`local step touched ${what}`); };
  const tasks = new Proxy(c.tasks, {
    get: (t, p) => (p === String(i) ? t[i] : no(`tasks.${String(p)}`)),
    set: (_t, p) => no(`tasks.${String(p)}`),
  });
  const shared = { locks: 0, hashed: 0, inLookup: 0, dentryKey: 0, nextId: 0 };
  const g = { seq: c.seq, tasks } as unknown as ModelState;
  for (const k of Object.keys(shared)) Object.defineProperty(g, k, { get: () => no(k), set: () => no(k) });
  return g;
}

describe('task-local program points', () => {
  it('read and write only the task\'s own state, and draw no choice', () => {
    const hit = new Set<Pc>();
    for (const dAddCi of shapes) for (const order of orders) for (let seed = 1; seed <= 15; seed++) {
      const sc: Scenario = randomScenario({
        ...DEFAULT_RANDOM, dAddCi, order, seed, tasks: 3, dirs: 1, names: 1, ci: 1, creat: 0.3, mkdir: 0.3, allocFail: true, exactHashed: true,
      });
      const ch = seededChooser(seed, { 'alloc-fail': 0.2, 'exact-hashed': 0.3 });
      const s = initialState(sc);
      for (let n = 0; n < 3000 && live(s); n++) {
        const r = runnable(s);
        if (r.length === 0) break;
        const i = r[ch.choose(r.length, 'schedule')]!;
        const t = s.tasks[i]!;
        if (localStepNext(s, i)) {
          hit.add(t.pc);
          const g = guarded(s, i);
          const events: TraceEvent[] = [];
          step(sc, g, i, NO_CHOICE, events);
          // The same step on the real state does the same to the task.
          const real = cloneState(s);
          step(sc, real, i, NO_CHOICE, []);
          expect(g.tasks[i]).toEqual(real.tasks[i]);
        }
        step(sc, s, i, ch, []);
      }
    }
    expect([...hit].sort()).toEqual([...LOCAL_POINTS].sort());
  });
});
