// A kernel developer's own property, fuzzed with fast-check over kinv's simulator.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { checkTrace, choicesArb, listChooser, scenarioArb, simulate, specText } from 'kinv';

// A new invariant, written in the spec language on top of the bundled vocabulary.
const spec = specText(`
import "events.kinv"
import "locks.kinv"

/// d_add_ci is never entered without the parent lock.
invariant d_add_ci_entry_locked on call d_add_ci:
  (pid, dir) in held
  else "d_add_ci(\\"{name}\\") entered without {dir}"
`);

test('the fixed d_add_ci under the new order keeps the parent lock balanced and held on entry', () => {
  fc.assert(
    fc.property(scenarioArb({ dAddCi: 'fixed', order: 'new' }), choicesArb(), (scenario, choices) => {
      const { events } = simulate(scenario, listChooser(choices));
      const report = checkTrace(spec, events);
      expect(report.verdicts.filter((v) => v.kind === 'violation')).toEqual([]);
    }),
    { numRuns: 200 },
  );
});
