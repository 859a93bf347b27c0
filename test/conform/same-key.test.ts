/**
 * The search compares a model event with an observation part by part (sameKey) where the general
 * path compares their keys as written (obsKey, keyOfObs): the two must agree on every pair of the
 * model's vocabulary and observations as the projection makes them, names with spaces and missing
 * arguments included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyOfObs, obsKey, sameKey, type Obs } from '../../src/conform/project.js';
import type { Scalar } from '../../src/trace/event.js';

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const kinds = ['acq_req', 'acq', 'rel', 'call', 'ret', 'il_end', 'il_wait_begin', 'il_wait_end', 'sync', 'none', 'd_drop'];
const functions = ['d_alloc_parallel', 'lookup', 'd_add_ci', 'lookup_slow'];
/** Values an argument takes: the model's, and a capture's odd ones (empty, with spaces, not strings). */
const scalar: fc.Arbitrary<Scalar> = fc.constantFrom<Scalar>('R', 'W', 'H', 'N', 'W ', 'a', 'a b', 'ret H', '', '?', 'undefined', 1, null, true);
const text = fc.constantFrom('R', 'W', 'H', 'N', 'a', 'a b', 'ret H', '', '?', 'undefined', '1', 'null', 'true');

const modelArb = fc.record({
  ev: fc.constantFrom(...kinds), fn: maybe(fc.constantFrom(...functions)),
  args: fc.record({ mode: scalar, name: scalar, outcome: scalar }, { requiredKeys: [] }) as fc.Arbitrary<Record<string, Scalar>>,
});

const obsArb: fc.Arbitrary<Obs> = fc.record({
  ev: fc.constantFrom(...kinds), pid: fc.constant(1), fn: maybe(fc.constantFrom(...functions)), mode: maybe(text), name: maybe(text), outcome: maybe(text),
  index: fc.constant(0), dir: fc.constant('D'), traceEv: fc.constant('acq'), seq: fc.constant(0), comm: fc.constant(undefined), file: fc.constant(undefined),
  line: fc.constant(undefined), exact: fc.constant(undefined),
});

describe('kinv conform: comparing an event with an observation', () => {
  it('part by part agrees with comparing their keys', () => {
    let equal = 0;
    fc.assert(fc.property(modelArb, obsArb, (e, o) => {
      const keys = obsKey(e.ev, e.fn, e.args) === keyOfObs(o);
      if (keys) equal++;
      expect(sameKey(e.ev, e.fn, e.args, e.args.name, o)).toBe(keys);
    }), { numRuns: 50_000, seed: 11 });
    // Equal pairs were met, not only unequal ones.
    expect(equal).toBeGreaterThan(100);
  });
});
