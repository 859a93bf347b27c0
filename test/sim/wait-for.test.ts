/**
 * The wait-for graph (src/sim/wait-for.ts): every state where all live tasks are blocked has a
 * cycle (a blocked state without one would be a lost wake-up in the model), every edge is one the
 * rwsem or the in-lookup hash really imposes, and the three-task shared deadlock is reported with
 * the queued writer in it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Chooser } from '../../src/sim/chooser.js';
import { listChooser } from '../../src/sim/chooser.js';
import { initialState, live, runnable, step, type DAddCiShape, type LockOrder, type ModelState, type Scenario } from '../../src/sim/model.js';
import { CI_SCENARIOS } from '../../src/sim/scenarios-ci.js';
import { DEFAULT_RANDOM, randomScenario, SCENARIOS } from '../../src/sim/scenarios.js';
import { cyclePids, waitCycle, waitEdges } from '../../src/sim/wait-for.js';

const shapes: DAddCiShape[] = ['mainline', 'draft', 'fixed'];
const orders: LockOrder[] = ['current', 'new'];

/** Runs like `simulate`, but hands back the final model state. */
function finalState(sc: Scenario, ch: Chooser, maxSteps = 5000): ModelState {
  const s = initialState(sc);
  for (let n = 0; n < maxSteps && live(s); n++) {
    const r = runnable(s);
    if (r.length === 0) break;
    step(sc, s, r[ch.choose(r.length, 'schedule')]!, ch, []);
  }
  return s;
}

/** Every reachable state of a scenario (model only, no monitor), by breadth-first enumeration of all choices. */
function* reachable(sc: Scenario): Generator<ModelState> {
  const seen = new Set<string>();
  let frontier = [initialState(sc)];
  while (frontier.length) {
    const next: ModelState[] = [];
    for (const s of frontier) {
      yield s;
      for (const i of runnable(s)) {
        const pending: number[][] = [[]];
        while (pending.length) {
          const prefix = pending.pop()!;
          const log: number[] = [];
          let k = 0;
          const ch: Chooser = { choose(n) { if (n <= 1) return 0; const p = k < prefix.length ? prefix[k]! : 0; k++; log.push(n); return p; } };
          const st = structuredClone(s);
          step(sc, st, i, ch, []);
          for (let p = prefix.length; p < log.length; p++) for (let alt = 1; alt < log[p]!; alt++) pending.push([...prefix, ...Array<number>(p - prefix.length).fill(0), alt]);
          const { seq: _seq, ...rest } = st;
          const key = JSON.stringify(rest);
          if (seen.has(key)) continue;
          seen.add(key);
          next.push(st);
        }
      }
    }
    frontier = next;
  }
}

/** Edges a blocked state may have: a reader waits only for a writer (holding or queued ahead). */
function checkEdges(s: ModelState): void {
  const byPid = new Map(s.tasks.map((t) => [t.pid, t]));
  for (const e of waitEdges(s)) {
    const t = byPid.get(e.from)!;
    expect(t.status === 'lock' || t.status === 'inlookup').toBe(true);
    if (t.status === 'lock' && t.waitMode === 'R') {
      const l = s.locks[t.waitLock!]!;
      expect(l.writer === e.to || l.queue.some((q) => q.pid === e.to && q.mode === 'W')).toBe(true);
    }
  }
}

describe('waitCycle', () => {
  it('finds a cycle in every all-blocked state of the named scenarios, and checks every edge', () => {
    const all = { ...SCENARIOS, ...CI_SCENARIOS };
    let deadlocks = 0;
    for (const name of ['pair', 'ci-pair', 'ci-trio-shared']) {
      for (const dAddCi of shapes) for (const order of orders) {
        for (const s of reachable(all[name]!({ dAddCi, order }))) {
          if (!live(s) || runnable(s).length > 0) continue;
          deadlocks++;
          checkEdges(s);
          const c = waitCycle(s);
          expect(c, `${name} ${dAddCi}/${order}`).toBeDefined();
          for (let k = 0; k < c!.length; k++) expect(c![k]!.to).toBe(c![(k + 1) % c!.length]!.from);
        }
      }
    }
    expect(deadlocks).toBeGreaterThan(0);
  }, 300_000);

  it('finds a cycle whenever a random run ends with every live task blocked', () => {
    const scenarioArb = fc.record({
      dAddCi: fc.constantFrom(...shapes), order: fc.constantFrom(...orders), seed: fc.nat(1000),
      tasks: fc.integer({ min: 2, max: 4 }), ops: fc.integer({ min: 1, max: 3 }), allocFail: fc.boolean(), exactHashed: fc.boolean(),
    }).map((o) => randomScenario({ ...DEFAULT_RANDOM, ...o, dirs: 1, names: 1, ci: 1, creat: 0.4, mkdir: 0.2 }));
    fc.assert(fc.property(scenarioArb, fc.array(fc.nat(3), { maxLength: 200 }), (sc, picks) => {
      const s = finalState(sc, listChooser(picks));
      if (!live(s) || runnable(s).length > 0) return;
      checkEdges(s);
      expect(waitCycle(s)).toBeDefined();
    }), { numRuns: 300 });
  });

  it('reports the three-task shared deadlock through the queued writer', () => {
    // ci-trio-shared, mainline d_add_ci, new order: 101 owns in-lookup "Foo" and queues for I1 shared
    // behind 103's exclusive request; 103 waits for 102's shared hold; 102, in d_add_ci under I1
    // shared, sleeps on 101's "Foo". The schedule is the shortest one exploration finds.
    const sc = CI_SCENARIOS['ci-trio-shared']!({ dAddCi: 'mainline', order: 'new' });
    const s = finalState(sc, listChooser([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]));
    expect(runnable(s)).toEqual([]);
    const c = waitCycle(s)!;
    expect(cyclePids(c)).toEqual([101, 103, 102, 101]);
    expect(c.map((e) => [e.on, e.via])).toEqual([
      ['i_rwsem I1 (R)', 'queued'],
      ['i_rwsem I1 (W)', 'holder'],
      [expect.stringMatching(/^in-lookup D\d+$/), 'owner'],
    ]);
  });
});
