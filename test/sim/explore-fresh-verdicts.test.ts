/**
 * Every counterexample exploration reports is one: its events, fed to a fresh monitor, raise its
 * invariant (exploration shares one monitor among states whose fingerprints are equal, so a
 * monitor state the fingerprint leaves out would show here as a verdict no replay gives), and the
 * verdict it reports is that fresh monitor's, with its explanation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundledChecker, type IncrementalChecker } from '../../src/checker/incremental.js';
import { explore } from '../../src/sim/explore.js';
import type { LockOrder } from '../../src/sim/model.js';
import { DEFAULT_RANDOM, randomScenario } from '../../src/sim/scenarios.js';

const monitors = new Map<LockOrder, () => IncrementalChecker>();
function monitorFor(order: LockOrder): () => IncrementalChecker {
  let m = monitors.get(order);
  if (!m) { m = bundledChecker({ order }); monitors.set(order, m); }
  return m;
}

describe('counterexamples of random small scenarios', () => {
  it('each raises its invariant when its events are checked afresh', () => {
    fc.assert(fc.property(
      fc.record({
        seed: fc.nat(100), names: fc.integer({ min: 1, max: 2 }), ops: fc.integer({ min: 1, max: 2 }),
        dAddCi: fc.constantFrom('mainline' as const, 'draft' as const, 'fixed' as const), order: fc.constantFrom('current' as const, 'new' as const),
        por: fc.boolean(),
      }),
      (o) => {
        const sc = randomScenario({
          ...DEFAULT_RANDOM, dAddCi: o.dAddCi, order: o.order, seed: o.seed, tasks: 2, dirs: 1, names: o.names, ops: o.ops, ci: 1,
          creat: 0.3, mkdir: 0.2, allocFail: o.seed % 2 === 0, exactHashed: o.seed % 3 === 0,
        });
        const r = explore(sc, { monitor: monitorFor(o.order), por: o.por, maxStates: 3000 });
        for (const c of r.counterexamples) {
          if (!c.verdict) continue;
          const m = monitorFor(o.order)();
          let raised: unknown;
          for (const e of c.events) if ((raised = m.step(e).find((v) => v.invariant === c.invariant)) !== undefined) break;
          expect(raised, `${c.invariant} at depth ${c.depth}, choices ${c.choices.join(',')}`).toBeDefined();
          // The search's monitors explain nothing (`IncrementalChecker.bare`): the verdict reported is the fresh monitor's, explanation and all.
          expect(c.verdict).toEqual(raised);
        }
      },
    ), { numRuns: 30, seed: 12, examples: [[{ seed: 12, names: 1, ops: 2, dAddCi: 'fixed', order: 'new', por: false }]] });
  });
});
