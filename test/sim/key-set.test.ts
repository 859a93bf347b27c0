/**
 * The visited set (`KeySet`) must hold a key exactly when an equal one was added: a key taken for
 * another would prune a state the search never explored, and a verdict could be lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyWriter } from '../../src/sim/key-code.js';
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

  it('holds thousands of keys through rehashing, each once', () => {
    const set = new KeySet();
    const w = new KeyWriter();
    // Far more keys than the first table's slots: the table grows several times.
    for (let n = 0; n < 20_000; n++) expect(set.add(write(w, [n, n >> 3]))).toBe(true);
    for (let n = 0; n < 20_000; n++) expect(set.add(write(w, [n, n >> 3]))).toBe(false);
    expect(set.has(write(w, [5, 1]))).toBe(false);
    expect(set.size).toBe(20_000);
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
