/**
 * The tuple-free writes of generated code (`set1`, `set2`, `take1`, `take2`) leave a store exactly as `set` and `delete` of the
 * same key does: the same entries in the same order, the same indexes, sizes and deletions
 * remembered, and the same empty level left by a two-part key whose second part is none.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedStore } from '../../src/monitor/store.js';
import type { Scalar, TraceEvent } from '../../src/values/event.js';

const at = (seq: number): TraceEvent => ({ seq, pid: 1, ev: 'e', args: {} });

type Op = { k: 'set'; a: Scalar; b: Scalar; v: Scalar } | { k: 'del'; a: Scalar; b: Scalar };

const part = fc.oneof(fc.constantFrom<Scalar>('a', 'b', 'c', 1, 2, null), fc.constant('a long key of more than thirteen characters'));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('set' as const), a: part, b: part, v: fc.constantFrom<Scalar>(true, 'R', 'W', 3) }),
  fc.record({ k: fc.constant('del' as const), a: part, b: part }),
);

/** Everything a reader of the store can see. */
function seen(s: KeyedStore, arity: number): unknown {
  const entries: unknown[] = [];
  s.forEachEntry((e) => { entries.push([e.key(), e.v, e.prov?.seq]); return true; });
  const top = [...s.topLevel().keys()];
  const where1 = arity === 2 ? ['a', 'b', 'c', 1, 2].map((x) => [...s.where(1, x)].map((e) => e.key())) : [];
  const where0 = ['a', 'b', 'c', 1, 2].map((x) => [...s.where(0, x)].map((e) => e.key()));
  const deleted = ['a', 'b', 'c', 1, 2].flatMap((x) => ['a', 'b', 'c', 1, 2].map((y) => s.deletedBy(arity === 1 ? [x] : [x, y])?.seq));
  return { entries, top, where0, where1, deleted, size: s.size, everUsed: s.everUsed };
}

describe('KeyedStore tuple-free writes', () => {
  for (const arity of [1, 2]) {
    for (const indexed of arity === 2 ? [[], [1]] : [[]]) {
      it(`set${arity} leaves the store as set does (${indexed.length ? 'indexed' : 'unindexed'})`, () => {
        fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
          const plain = new KeyedStore('s', arity, indexed);
          const fast = new KeyedStore('s', arity, indexed);
          // What the store must hold, kept apart from it: `set` and `delete` share code with the fast paths.
          const model = new Map<string, Scalar>();
          ops.forEach((o, i) => {
            const ks = arity === 1 ? [o.a] : [o.a, o.b];
            if (!ks.includes(null)) { if (o.k === 'set') model.set(JSON.stringify(ks), o.v); else model.delete(JSON.stringify(ks)); }
            if (o.k === 'set') {
              plain.set(ks, o.v, at(i));
              if (arity === 1) fast.set1(o.a, o.v, at(i)); else fast.set2(o.a, o.b, o.v, at(i));
            } else {
              // (generated code's deletes: a level emptied here is kept with its last entry, which the next write's level reuses)
              plain.delete(ks, at(i));
              if (arity === 1) fast.take1(o.a, at(i)); else fast.take2(o.a, o.b, at(i));
            }
          });
          expect(seen(fast, arity)).toEqual(seen(plain, arity));
          const held: [string, Scalar][] = [];
          fast.forEachEntry((e) => { held.push([JSON.stringify(e.key()), e.v]); return true; });
          expect([fast.size, held.sort()]).toEqual([model.size, [...model].sort()]);
        }), { numRuns: 500 });
      });
    }
  }
});
