/**
 * A keyed store's clone: the level-by-level copy of one- and two-part stores gives what re-setting
 * every entry gives (the plain path, still taken by indexed and longer-keyed stores), and neither
 * copy shares anything writable with its original; the tombstone ring, grown as deletions come,
 * remembers the last 1024 deletions as the fixed ring did.
 */
import { describe, expect, it } from 'vitest';
import { KeyedStore } from '../../src/monitor/store.js';
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
