/**
 * The visited set (`KeySet`) must hold a key exactly when an equal one was added: a key taken for
 * another would prune a state the search never explored, and a verdict could be lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyReader, KeyWriter } from '../../src/sim/key-code.js';
import { KeySet } from '../../src/sim/key-set.js';

const write = (w: KeyWriter, key: number[]): KeyWriter => {
  w.start();
  for (const n of key) w.put(n);
  return w;
};

describe('KeySet', () => {
  it('answers as a set of the keys as strings does, through growth and rehashing', () => {
    // Small numbers and short keys, so that equal keys, prefixes and hash collisions come up.
    const key = fc.array(fc.oneof(fc.nat(4), fc.integer({ min: 0x7ffe, max: 0x8001 }), fc.nat((1 << 30) - 1)), { maxLength: 6 });
    fc.assert(fc.property(fc.array(key, { maxLength: 3000 }), (keys) => {
      const set = new KeySet();
      const strings = new Set<string>();
      const w = new KeyWriter();
      for (const k of keys) {
        const text = write(w, k).text();
        expect(set.has(w)).toBe(strings.has(text));
        expect(set.add(w)).toBe(!strings.has(text));
        strings.add(text);
        expect(set.size).toBe(strings.size);
      }
      for (const k of keys) expect(set.has(write(w, k))).toBe(true);
    }), { numRuns: 40 });
  });

  it('gives back each key added from where it says it begins, through growth', () => {
    const key = fc.array(fc.oneof(fc.nat(4), fc.integer({ min: 0x7ffe, max: 0x8001 }), fc.nat((1 << 30) - 1)), { maxLength: 40 });
    fc.assert(fc.property(fc.array(key, { maxLength: 2000 }), (keys) => {
      const set = new KeySet();
      const w = new KeyWriter();
      const kept: [number, number[]][] = [];
      for (const k of keys) if (set.add(write(w, k))) kept.push([set.lastAdded, k]);
      for (const [at, k] of kept) {
        const r = new KeyReader(set.unitsAt(at), KeySet.offsetAt(at));
        expect(k.map(() => r.next())).toEqual(k);
      }
    }), { numRuns: 40 });
  });

  it('holds thousands of keys through rehashing, each once', () => {
    const set = new KeySet();
    const w = new KeyWriter();
    // Far more keys than the first table's slots: the table grows several times.
    for (let n = 0; n < 20_000; n++) expect(set.add(write(w, [n, n >> 3]))).toBe(true);
    for (let n = 0; n < 20_000; n++) expect(set.add(write(w, [n, n >> 3]))).toBe(false);
    expect(set.has(write(w, [5, 1]))).toBe(false);
    expect(set.size).toBe(20_000);
  });

  it('holds keys past its first page of units, none split across two, each given back whole, and cleared back to one page', () => {
    const set = new KeySet();
    const w = new KeyWriter();
    // Keys of every length up to the longest a key may be: 8 Mi units, over several pages of 1 Mi.
    const keyOf = (n: number): number[] => Array.from({ length: 1 + ((n * 7919) % 0xfff0) }, (_, i) => (n * 31 + i) & 0x7fff);
    const kept: number[] = [];
    for (let n = 0; n < 260; n++) {
      expect(set.add(write(w, keyOf(n)))).toBe(true);
      kept.push(set.lastAdded);
    }
    expect(new Set(kept.map((at) => Math.floor(at / (1 << 20)))).size).toBeGreaterThan(4);
    for (let n = 0; n < 260; n++) {
      expect(set.has(write(w, keyOf(n)))).toBe(true);
      const r = new KeyReader(set.unitsAt(kept[n]!), KeySet.offsetAt(kept[n]!));
      expect(keyOf(n).map(() => r.next()), `key ${n}`).toEqual(keyOf(n));
    }
    expect(set.has(write(w, keyOf(260)))).toBe(false);
    set.clear();
    expect(set.has(write(w, keyOf(3)))).toBe(false);
    expect(set.add(write(w, keyOf(3)))).toBe(true);
    expect(set.lastAdded).toBe(1);
  });

  it('holds keys longer than the writer first had room for', () => {
    const set = new KeySet();
    const w = new KeyWriter();
    const long = Array.from({ length: 5000 }, (_, i) => i * 7);
    expect(set.add(write(w, long))).toBe(true);
    expect(set.has(write(w, long))).toBe(true);
    expect(set.has(write(w, long.slice(0, -1)))).toBe(false);
    expect(write(w, long).text().length).toBeGreaterThan(5000);
  });
});

describe('KeySet numbering', () => {
  it('numbers each distinct key by its first addition, through growth, rehashing and clearing', () => {
    const key = fc.array(fc.oneof(fc.nat(4), fc.integer({ min: 0x7ffe, max: 0x8001 })), { maxLength: 4 });
    fc.assert(fc.property(fc.array(fc.oneof(key, fc.constant(null)), { maxLength: 3000 }), (keys) => {
      const set = new KeySet();
      let numbers = new Map<string, number>();
      const w = new KeyWriter();
      for (const k of keys) {
        // null: the set is cleared, and numbering starts again.
        if (k === null) { set.clear(); numbers = new Map(); expect(set.size).toBe(0); continue; }
        const text = write(w, k).text();
        const before = numbers.get(text);
        expect(set.idOf(w)).toBe(before ?? -1);
        const id = set.id(w);
        expect(set.added).toBe(before === undefined);
        expect(id).toBe(before ?? numbers.size);
        if (before === undefined) numbers.set(text, id);
        expect(set.size).toBe(numbers.size);
      }
    }));
  });
});

describe('KeyWriter counts written after their records', () => {
  it('writes a reserved count where put would have, one unit or two', () => {
    fc.assert(fc.property(fc.array(fc.nat(0x9000)), fc.oneof(fc.nat(0x7fff), fc.integer({ min: 0x8000, max: (1 << 30) - 1 })), fc.array(fc.nat(0x9000)), (before, count, after) => {
      const direct = new KeyWriter();
      for (const n of before) direct.put(n);
      direct.put(count);
      for (const n of after) direct.put(n);
      const filled = new KeyWriter();
      for (const n of before) filled.put(n);
      const at = filled.reserve();
      for (const n of after) filled.put(n);
      filled.fill(at, count);
      expect(filled.text()).toBe(direct.text());
    }));
  });
});
