/**
 * The lowering narrows a binder to an index where its filter pins a key position. A rule whose
 * loop walks a whole state instead costs time in proportion to the state at every event that
 * triggers it: over a long trace, quadratic. The bundled spec's rules walk a whole state of two
 * or more key parts only to empty it.
 */
import { describe, expect, it } from 'vitest';
import type { TStmt } from '../../src/analysis/ir.js';
import { compileBundled, compileText } from '../helpers/run.js';

/** `for` loops of rules over a whole map, set or relation of two or more key parts, but loops that empty the state they walk. */
function wholeWalks(spec: ReturnType<typeof compileBundled>['spec']): string[] {
  const out: string[] = [];
  const visit = (s: TStmt): void => {
    if (s.k === 'if') { s.then.forEach(visit); s.otherwise.forEach(visit); return; }
    if (s.k !== 'for') return;
    s.body.forEach(visit);
    if (s.domain.k !== 'state' || s.domain.index !== null) return;
    const st = spec.states.get(s.domain.state)!;
    const parts = st.type.k === 'rel' ? 2 : st.type.k === 'map' ? st.type.keys.length : st.type.k === 'set' ? st.type.elem.length : 0;
    if (parts < 2) return;
    const domain = s.domain.state;
    const empties = s.filter === null && s.body.length === 1 && s.body[0]!.k === 'remove' && s.body[0]!.state === domain;
    if (!empties) out.push(domain);
  };
  for (const r of spec.rules) r.body.forEach(visit);
  return out;
}

describe('lowering: loops narrowed to an index', () => {
  it('a filter that pins either key position of a relation narrows it (the reverse index for the second)', () => {
    const spec = compileText(`event drop(r: str)
state order: rel[str]
on drop { for (a, b) in order where a == r { remove (a, b) from order }  for (a, b) in order where b == r { remove (a, b) from order } }
`).spec;
    expect(wholeWalks(spec)).toEqual([]);
    expect(spec.states.get('order')!.indexed.has(1)).toBe(true);
  });

  it('a disjunction is not narrowed: the loop walks the whole state', () => {
    const spec = compileText(`event drop(r: str)
state order: rel[str]
on drop { for (a, b) in order where a == r or b == r { remove (a, b) from order } }
`).spec;
    expect(wholeWalks(spec)).toEqual(['order']);
  });

  it("the bundled spec's rules walk no whole state but to empty it", () => {
    expect(wholeWalks(compileBundled().spec)).toEqual([]);
  });
});
