/**
 * Exploration branches monitors by cloning them: a clone taken anywhere in a run, fed the rest of
 * the run, must say what the monitor that saw the whole run says — same verdicts, same fingerprint,
 * same counters — and stepping it must leave the original as it was.
 */
import { describe, expect, it } from 'vitest';
import { bundledChecker } from '../../src/checker/incremental.js';
import { seededChooser } from '../../src/sim/chooser.js';
import { SCENARIOS } from '../../src/sim/scenarios.js';
import { simulate } from '../../src/sim/simulate.js';

const verdicts = (vs: { invariant: string; event?: { seq: number } | undefined; message: string }[]) => vs.map((v) => [v.invariant, v.event?.seq, v.message]);

describe('a cloned monitor', () => {
  for (const [dAddCi, order, seed] of [['draft', 'current', 3], ['mainline', 'new', 5], ['fixed', 'current', 8]] as const) {
    it(`continues as the original on trio ${dAddCi}/${order}, cloned at every event`, () => {
      const make = bundledChecker({ order });
      const { events } = simulate(SCENARIOS.trio!({ dAddCi, order }), seededChooser(seed));
      expect(events.length).toBeGreaterThan(10);
      const whole = make();
      const seen: unknown[] = [];
      const prints: string[] = [];
      for (const e of events) { seen.push(verdicts(whole.step(e))); prints.push(whole.fingerprint()); }
      const counters = (m: unknown) => (m as { engine: { counters: unknown } }).engine.counters;
      for (let cut = 0; cut < events.length; cut += 3) {
        const original = make();
        for (const e of events.slice(0, cut)) original.step(e);
        const before = original.fingerprint();
        const c = original.clone();
        expect(c.fingerprint()).toBe(before);
        for (let i = cut; i < events.length; i++) {
          expect(verdicts(c.step(events[i]!))).toEqual(seen[i]);
          expect(c.fingerprint()).toBe(prints[i]);
        }
        expect(original.fingerprint()).toBe(before);
        expect(counters(c)).toEqual(counters(whole));
        expect(verdicts(c.finish())).toEqual(verdicts(whole.clone().finish()));
      }
    });
  }
});
