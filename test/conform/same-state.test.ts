/**
 * The search's dedupe compares two candidates part by part (sameState) where the general path
 * compares their JSON forms (jsonStateKey): the two must agree on every pair, including records
 * whose keys were added in another order and fields JSON writes as null in an array.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonStateKey, sameState, shapeKey, stateHash, type Candidate } from '../../src/conform/search.js';
import type { ModelState, Pc, TaskState } from '../../src/sim/state.js';
import type { TraceEvent } from '../../src/trace/event.js';

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const pcs: Pc[] = ['d_alloc_parallel:try', 'fs_lookup:lookup', 'lookup_slow:ret'];

/** A record with some of `keys`, added in a random order. */
function recordArb<T>(keys: string[], value: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>> {
  return fc.shuffledSubarray(keys).chain((ks) => fc.tuple(...ks.map(() => value)).map((vs) => {
    const r = Object.create(null) as Record<string, T>;
    ks.forEach((k, i) => { r[k] = vs[i]!; });
    return r;
  }));
}

const taskArb: fc.Arbitrary<TaskState> = fc.record({
  pid: fc.constantFrom(1, 2), comm: fc.constant('t'), op: fc.constant(0), pc: fc.constantFrom(...pcs),
  v: fc.record({
    name: maybe(fc.constantFrom('a', 'A')), dapOutcome: maybe(fc.constantFrom('H' as const, 'N' as const)), exact: maybe(fc.constant('A')),
    dciInLookup: maybe(fc.boolean()), mode: maybe(fc.constantFrom('R' as const, 'W' as const)),
  }, { requiredKeys: [] }),
  stack: fc.array(fc.constantFrom(...pcs), { maxLength: 2 }),
  status: fc.constantFrom('run' as const, 'lock' as const), waitLock: fc.constantFrom(null, 'L'), waitMode: fc.constantFrom(null, 'R' as const),
  waitDentry: fc.constant(null), granted: fc.boolean(),
});

const eventArb: fc.Arbitrary<TraceEvent> = fc.record({
  seq: fc.nat(3), pid: fc.constant(1), ev: fc.constantFrom('acq', 'call'), fn: fc.constant('d_alloc_parallel'),
  args: fc.record({ mode: fc.constantFrom('R', 'W'), name: fc.constantFrom('a', 'b') }),
});

const candidateArb: fc.Arbitrary<Candidate> = fc.integer({ min: 0, max: 2 }).chain((n) => fc.record({
  locks: recordArb(['L', 'M'], fc.record({
    writer: fc.constantFrom(null, 1), readers: fc.array(fc.constantFrom(1, 2), { maxLength: 2 }),
    queue: fc.array(fc.record({ pid: fc.constantFrom(1, 2), mode: fc.constantFrom('R' as const, 'W' as const) }), { maxLength: 2 }), handoff: fc.boolean(),
  })),
  inLookup: recordArb(['L/a', 'L/b'], fc.record({ dentry: fc.constantFrom('D1', 'D2'), owner: fc.constantFrom(1, 2) })),
  seq: fc.nat(5), nextId: fc.nat(5),
  tasks: fc.array(taskArb, { minLength: n, maxLength: n }),
  kind: fc.array(fc.constantFrom('stat' as const, 'holdR' as const), { minLength: n, maxLength: n }),
  held: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  req: fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
  pend: fc.array(fc.array(eventArb, { maxLength: 2 }), { minLength: n, maxLength: n }),
}).map((x): Candidate => {
  const s: ModelState = { locks: x.locks, hashed: {}, inLookup: x.inLookup, dentryKey: {}, tasks: x.tasks, nextId: x.nextId, seq: x.seq };
  return { sc: { dirs: [], tasks: [], dAddCi: 'mainline', order: 'current', faults: { allocFail: false, exactHashed: false }, handoff: true },
    s, kind: x.kind, held: x.held, pend: x.pend, req: x.req };
}));

describe('kinv conform: dedupe\'s part-by-part comparison', () => {
  it('agrees with the comparison of the JSON forms on random pairs of candidates', () => {
    let equal = 0;
    fc.assert(fc.property(candidateArb, candidateArb, (a, b) => {
      const json = jsonStateKey(a) === jsonStateKey(b);
      if (json) equal++;
      expect(sameState(a, b)).toBe(json);
      expect(sameState(a, a)).toBe(true);
      // dedupe groups candidates by their numbers (the general path: by their short keys), or compares a few pair by pair: the
      // same when the same have one number and one short key.
      if (json) {
        expect(stateHash(a)).toBe(stateHash(b));
        expect(shapeKey(a)).toBe(shapeKey(b));
      }
    }), { numRuns: 20_000, seed: 7 });
    // Equal pairs were met, not only unequal ones.
    expect(equal).toBeGreaterThan(20);
  });

  it('numbers a candidate by what its task states are: a copy of a task state changed is numbered as it is', () => {
    fc.assert(fc.property(candidateArb.filter((c) => c.s.tasks.length > 0), fc.constantFrom(...pcs), (c, pc) => {
      const first = stateHash(c);
      expect(stateHash(c)).toBe(first);
      // A copy of a task state (as the model's other() makes) changed is numbered as it is, not as the state it was copied from.
      const t = c.s.tasks[0]!;
      const copy = { ...t, pc, v: { ...t.v }, stack: t.stack.slice() };
      const withCopy = { ...c, s: { ...c.s, tasks: [copy, ...c.s.tasks.slice(1)] } };
      const fresh = { ...c, s: { ...c.s, tasks: [JSON.parse(JSON.stringify(copy)) as TaskState, ...c.s.tasks.slice(1)] } };
      expect(stateHash(withCopy)).toBe(stateHash(fresh));
      // A task state changed in place is numbered as it is then.
      copy.pc = t.pc;
      expect(stateHash(withCopy)).toBe(stateHash(c));
    }), { numRuns: 2_000, seed: 11 });
  });
});
