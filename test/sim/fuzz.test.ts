/**
 * Fuzzing: finds and shrinks the draft's imbalance, replays it exactly from seed and path, finds
 * nothing where exploration proves the protocol clean, and never finds what exploration does not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundledChecker } from '../../src/checker/incremental.js';
import { choicesArb } from '../../src/sim/arbitraries.js';
import { explore } from '../../src/sim/explore.js';
import { fuzz, runOnce } from '../../src/sim/fuzz.js';
import type { DAddCiShape, LockOrder } from '../../src/sim/model.js';
import { SCENARIOS } from '../../src/sim/scenarios.js';

describe('kinv fuzz', () => {
  it('finds the draft d_add_ci imbalance, shrunk to at most two tasks, and replays it from seed and path', () => {
    const monitor = bundledChecker({ order: 'new' });
    const only = new Set(['d_add_ci_parent_lock_balanced']);
    const r = fuzz({ dAddCi: 'draft', order: 'new', runs: 2000, seed: 5, monitor, only });
    expect(r.findings.map((f) => f.invariant)).toEqual(['d_add_ci_parent_lock_balanced']);
    const f = r.findings[0]!;
    expect(f.finding.scenario.tasks.length).toBeLessThanOrEqual(2);
    const again = fuzz({ dAddCi: 'draft', order: 'new', runs: 1, seed: f.seed, path: f.path!, monitor, only });
    expect(again.findings[0]?.finding.verdict?.message).toBe(f.finding.verdict?.message);
    expect(again.findings[0]?.finding.choices).toEqual(f.finding.choices);
  });

  it('finds nothing for the fixed shape under the new order', () => {
    const r = fuzz({ dAddCi: 'fixed', order: 'new', runs: 1500, seed: 11, monitor: bundledChecker({ order: 'new' }) });
    expect(r.findings).toEqual([]);
  });
});

describe('fuzz and explore agree on the two-task scenario', () => {
  const cells: [DAddCiShape, LockOrder][] = [['mainline', 'current'], ['mainline', 'new'], ['draft', 'new'], ['fixed', 'current'], ['fixed', 'new']];
  for (const [dAddCi, order] of cells) {
    it(`${dAddCi}/${order}: whatever random schedules find, exploration finds too`, () => {
      const sc = SCENARIOS.pair!({ dAddCi, order });
      const monitor = bundledChecker({ order });
      const explored = new Set(explore(sc, { monitor }).counterexamples.map((c) => c.invariant));
      const fuzzed = new Set<string>();
      fc.assert(fc.property(choicesArb(), (picks) => {
        const f = runOnce(sc, picks, monitor, (n) => !fuzzed.has(n));
        if (f) fuzzed.add(f.verdict?.invariant ?? 'no_deadlock');
        return true;
      }), { numRuns: 400, seed: 3 });
      expect([...fuzzed].filter((n) => !explored.has(n))).toEqual([]);
      if (explored.size === 0) expect(fuzzed.size).toBe(0);
    });
  }
});
