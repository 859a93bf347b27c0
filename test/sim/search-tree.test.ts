/** The search tree gives each node's path back as it was grown: task, reduction flag and choices of every step. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SearchTree, type PathStep } from '../../src/sim/search-tree.js';

describe('SearchTree', () => {
  it('returns the steps from the root of every node, with an extra step after them', () => {
    const grow = fc.array(fc.record({
      parent: fc.nat(), task: fc.nat(7), local: fc.boolean(), picks: fc.array(fc.nat(3), { maxLength: 2 }),
    }), { maxLength: 6000 });
    fc.assert(fc.property(grow, (adds) => {
      const tree = new SearchTree();
      const paths: PathStep[][] = [[]];
      for (const a of adds) {
        const parent = a.parent % paths.length;
        const id = tree.add(parent, a.task, a.local, a.picks);
        expect(id).toBe(paths.length);
        paths.push([...paths[parent]!, { task: a.task, local: a.local, picks: a.picks }]);
      }
      paths.forEach((p, id) => expect(tree.steps(id)).toEqual(p));
      const extra = { task: 3, local: false, picks: [1] };
      expect(tree.steps(paths.length - 1, extra)).toEqual([...paths.at(-1)!, extra]);
    }), { numRuns: 20 });
  });
});
