/** A digest's parts must be the same whichever sort made them: the small sorts order as Array.prototype.sort does. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortBy, sortStrings } from '../../src/checker/sort-small.js';

describe('sortBy and sortStrings', () => {
  it('order strings as sort() does, short lists and long', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 4 }), { maxLength: 60 }), (xs) => {
      expect(sortStrings([...xs])).toEqual([...xs].sort());
    }));
  });

  it('order by a comparator as sort(cmp) does, keeping equal items in their order (stable)', () => {
    const item = fc.record({ idx: fc.nat(5), s: fc.string({ maxLength: 2 }), at: fc.nat() });
    fc.assert(fc.property(fc.array(item, { maxLength: 60 }), (xs) => {
      const cmp = (p: { idx: number }, q: { idx: number }): number => p.idx - q.idx;
      expect(sortBy([...xs], cmp)).toEqual([...xs].sort(cmp));
    }));
  });
});
