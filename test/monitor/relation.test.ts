/**
 * A relation's reverse index (the edges into a node, for `for (a, b) in r where b == x`) against
 * a walk of every edge: same predecessors, in the same order, through adds, removes, clears and
 * clones; without the index, the same by walking every edge.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Relation } from '../../src/monitor/store.js';

type Op = { k: 'add' | 'remove'; a: string; b: string } | { k: 'clear' } | { k: 'clone' };

const node = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('add' as const), a: node, b: node }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('remove' as const), a: node, b: node }) },
  { weight: 1, arbitrary: fc.constant({ k: 'clear' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'clone' as const }) },
);

/** What a walk of every edge gives for `where b == x`: the first ends, in walk order. */
function walked(r: Relation, x: string): string[] {
  const out: string[] = [];
  for (const [from, m] of r.succ) for (const to of m.keys()) if (to === x) out.push(from as string);
  return out;
}

describe('Relation reverse index', () => {
  it('gives the predecessors of every node in the order a walk of every edge meets them', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      let r = new Relation('r', true);
      let plain = new Relation('r');
      for (const o of ops) {
        for (const rel of [r, plain]) {
          if (o.k === 'add') rel.add(o.a, o.b, undefined);
          else if (o.k === 'remove') rel.remove(o.a, o.b);
          else if (o.k === 'clear') rel.clear();
        }
        if (o.k === 'clone') { const c = r.clone(); c.add('z', 'a', undefined); r = r.clone(); plain = plain.clone(); }
        for (const x of ['a', 'b', 'c', 'd', 'e', 'f', 'z']) {
          expect(r.predecessors(x)).toEqual(walked(r, x));
          expect(plain.predecessors(x)).toEqual(walked(plain, x));
        }
      }
    }), { numRuns: 300 });
  });

  it('a clone has an index of its own', () => {
    const r = new Relation('r', true);
    r.add('a', 'x', undefined);
    const c = r.clone();
    c.add('b', 'x', undefined);
    c.remove('a', 'x');
    expect(r.predecessors('x')).toEqual(['a']);
    expect(c.predecessors('x')).toEqual(['b']);
  });

  it('keeps no index unless asked', () => {
    expect(new Relation('r').reverseIndexed).toBe(false);
    expect(new Relation('r', true).reverseIndexed).toBe(true);
  });
});
