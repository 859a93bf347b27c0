/**
 * A keyed store's clone: the level-by-level copy of one- and two-part stores gives what re-setting
 * every entry gives (the plain path, still taken by indexed and longer-keyed stores), and neither
 * copy shares anything writable with its original; the tombstone ring, grown as deletions come,
 * remembers the last 1024 deletions as the fixed ring did.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedStore, Relation } from '../../src/monitor/store.js';
import type { TraceEvent } from '../../src/values/event.js';

const at = (seq: number): TraceEvent => ({ seq, pid: 1, ev: 'e', args: {} });

/** The plain path: a fresh store given every entry in iteration order. */
function plainClone(s: KeyedStore, indexed: number[]): KeyedStore {
  const c = new KeyedStore(s.name, s.arity, indexed);
  for (const e of s.entries()) c.set(e.key(), e.v, e.prov);
  c.everUsed = s.everUsed;
  return c;
}

const view = (s: KeyedStore) => ({ size: s.size, everUsed: s.everUsed, entries: [...s.entries()].map((e) => [e.key(), e.v, e.prov?.seq]) });

describe('KeyedStore.clone', () => {
  for (const [arity, indexed] of [[1, []], [2, []], [2, [1]], [3, [2]]] as [number, number[]][]) {
    it(`of a ${arity}-part store${indexed.length ? ' with an index' : ''} equals the plain copy and is independent`, () => {
      const s = new KeyedStore('s', arity, indexed);
      const key = (i: number) => Array.from({ length: arity }, (_, p) => (p === 0 ? (arity === 1 ? i : i % 3) : `k${i}-${p}`));
      for (let i = 0; i < 12; i++) s.set(key(i), i % 2 === 0 ? i : `v${i}`, at(i));
      s.delete(key(4), at(20));
      const c = s.clone();
      expect(view(c)).toEqual(view(plainClone(s, indexed)));
      if (indexed.length) expect([...c.where(indexed[0]!, key(5)[indexed[0]!]!)].map((e) => e.key())).toEqual([key(5)]);
      // Writes to either side stay on that side, entries included (they are mutable).
      c.set(key(1), 'changed', at(30));
      c.delete(key(2), at(31));
      s.set(key(3), 'mine', at(32));
      expect(s.get(key(1))?.v).toBe(`v1`);
      expect(s.get(key(2))?.v).toBe(2);
      expect(c.get(key(3))?.v).toBe(`v3`);
      expect(c.deletedBy(key(2))?.seq).toBe(31);
      expect(s.deletedBy(key(2))).toBeUndefined();
    });
  }

  it('of an empty store shares no root with it', () => {
    const s = new KeyedStore('s', 2, []);
    const c = s.clone();
    c.set([1, 'a'], true, at(1));
    expect(s.size).toBe(0);
    expect([...s.entries()]).toEqual([]);
    expect(new KeyedStore('t', 2, []).get([1, 'a'])).toBeUndefined();
  });
});

describe('KeyedStore tombstones', () => {
  it('remember the last 1024 deletions, newest first, and forget older ones', () => {
    const s = new KeyedStore('s', 1, []);
    for (let i = 0; i < 1500; i++) { s.set([i], 1, at(i)); s.delete([i], at(10_000 + i)); }
    expect(s.deletedBy([1499])?.seq).toBe(11_499);
    expect(s.deletedBy([476])?.seq).toBe(10_476);
    expect(s.deletedBy([475])).toBeUndefined();
    // Deleted again: the newest deletion is the one named.
    s.set([1499], 1, at(2)); s.delete([1499], at(20_000));
    expect(s.deletedBy([1499])?.seq).toBe(20_000);
  });

  it('before the ring is full, every deletion is remembered', () => {
    const s = new KeyedStore('s', 2, []);
    for (let i = 0; i < 5; i++) { s.set([i, 'x'], 1, at(i)); s.delete([i, 'x'], at(100 + i)); }
    for (let i = 0; i < 5; i++) expect(s.deletedBy([i, 'x'])?.seq).toBe(100 + i);
    expect(s.deletedBy([9, 'x'])).toBeUndefined();
  });
});

/** A write to a store: set (a value, or the key's own value again) or delete, on a small key space (a none second part makes an empty level). */
const write = fc.record({ del: fc.boolean(), k0: fc.integer({ min: 0, max: 3 }), k1: fc.constantFrom<'a' | 'b' | null>('a', 'b', null), v: fc.constantFrom(1, 2, 'x') });

describe('sameEntries and sameEdges (a copy a step left unchanged)', () => {
  it('hold exactly when the entries, values, writing events, order (empty levels included) and use are those of the original', () => {
    fc.assert(fc.property(fc.array(write, { maxLength: 8 }), fc.array(write, { maxLength: 4 }), fc.boolean(), (before, after, sameValue) => {
      const s = new KeyedStore('s', 2, []);
      for (const w of before) if (w.del) s.delete([w.k0, w.k1], at(1)); else s.set([w.k0, w.k1], w.v, at(1));
      const c = s.clone();
      for (const w of after) {
        if (w.del) c.delete([w.k0, w.k1], at(2));
        // Setting an entry to the value it has changes nothing but the event behind it.
        else c.set([w.k0, w.k1], sameValue ? (c.get([w.k0, w.k1])?.v ?? w.v) : w.v, at(2));
      }
      const list = (x: KeyedStore) => [[...x.topLevel().keys()], ...[...x.entries()].map((e) => [...e.key(), e.v, e.prov?.seq])];
      const expected = JSON.stringify(list(c)) === JSON.stringify(list(s)) && c.everUsed === s.everUsed;
      expect(c.sameEntries(s)).toBe(expected);
      expect(s.sameEntries(c)).toBe(expected);
    }));
  });

  it('of relations hold exactly when the edges and the events that added them are met in the same order, and no node was made anew', () => {
    fc.assert(fc.property(fc.array(write, { maxLength: 8 }), fc.array(write, { maxLength: 4 }), (before, after) => {
      const r = new Relation('r', true);
      let made = 0;
      const apply = (x: Relation, w: { del: boolean; k0: number; k1: string | null }, seq: number) => {
        if (w.k1 === null) return;
        if (w.del) x.remove(w.k0, w.k1);
        else { if (!x.succ.has(w.k0)) made++; x.add(w.k0, w.k1, at(seq)); }
      };
      before.forEach((w, i) => apply(r, w, i));
      const c = r.clone();
      made = 0;
      after.forEach((w, i) => apply(c, w, 100 + i));
      // A node made anew (its edges removed, then one added again) takes a new rank: predecessors are walked by rank.
      const edges = (x: Relation) => JSON.stringify([...x.succ].map(([a, m]) => [a, [...m].map(([b, by]) => [b, by?.seq])]));
      expect(c.sameEdges(r)).toBe(edges(c) === edges(r) && made === 0);
    }));
  });
});
