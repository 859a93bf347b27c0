/**
 * The keyed store's entries: key parts read back as they were stored (one, two and longer keys),
 * and deleting an entry it handed out keeps its indexes and its memory of deletions right.
 */
import { describe, expect, it } from 'vitest';
import { KeyedStore } from '../../src/monitor/store.js';
import type { TraceEvent } from '../../src/values/event.js';

const at = (seq: number): TraceEvent => ({ seq, pid: 1, ev: 'e', args: {} });

describe('KeyedStore entries', () => {
  it('give back their key parts, for keys of one, two and three parts', () => {
    const one = new KeyedStore('one', 1, []);
    one.set(['a'], 1, at(1));
    const two = new KeyedStore('two', 2, []);
    two.set([7, 'x'], true, at(2));
    const three = new KeyedStore('three', 3, [2]);
    three.set(['p', 'q', 'r'], 'v', at(3));
    expect([...one.entries()].map((e) => [e.key(), e.part(0), e.part(1)])).toEqual([[['a'], 'a', null]]);
    expect([...two.entries()].map((e) => [e.key(), e.part(1), e.part(2)])).toEqual([[[7, 'x'], 'x', null]]);
    expect([...three.entries()].map((e) => [e.key(), e.part(2), e.part(3)])).toEqual([[['p', 'q', 'r'], 'r', null]]);
    expect([...three.where(2, 'r')].map((e) => e.v)).toEqual(['v']);
  });

  it('deleteEntry removes the entry from its indexes and remembers the deleting event', () => {
    const s = new KeyedStore('held', 2, [1]);
    s.set([1, 'L'], 'R', at(1));
    s.set([2, 'L'], 'W', at(2));
    const [first] = [...s.where(0, 1)];
    s.deleteEntry(first!, at(3));
    expect(s.size).toBe(1);
    expect(s.get([1, 'L'])).toBeUndefined();
    expect([...s.where(1, 'L')].map((e) => e.key())).toEqual([[2, 'L']]);
    expect(s.deletedBy([1, 'L'])?.seq).toBe(3);
    expect(s.deletedBy([2, 'L'])).toBeUndefined();
  });

  it('deleteEntry of a one-part and of a three-part key', () => {
    const one = new KeyedStore('one', 1, []);
    one.set(['a'], 1, at(1));
    one.deleteEntry([...one.entries()][0]!, at(2));
    expect(one.size).toBe(0);
    expect(one.deletedBy(['a'])?.seq).toBe(2);
    const three = new KeyedStore('three', 3, [2]);
    three.set(['p', 'q', 'r'], 1, at(1));
    three.set(['p', 'q', 's'], 2, at(2));
    three.deleteEntry(three.get(['p', 'q', 'r'])!, at(3));
    expect([...three.entries()].map((e) => e.key())).toEqual([['p', 'q', 's']]);
    expect([...three.where(2, 'r')]).toEqual([]);
    expect(three.deletedBy(['p', 'q', 'r'])?.seq).toBe(3);
  });

  it('keeps a key built by concatenation equal to the same text built otherwise', () => {
    const s = new KeyedStore('nodes', 2, []);
    const dir = 'I169';
    const built = 'in-lookup ' + dir + '/' + 'f1022_9';
    s.set([dir, built], true, at(1));
    expect(s.get2('I169', 'in-lookup I169/f1022_9')?.v).toBe(true);
    expect([...s.entries()][0]!.part(1)).toBe('in-lookup I169/f1022_9');
  });

  it('finds, indexes and deletes long keys by texts built anew, in every key position', () => {
    // Texts of 13 characters or more are stored through the cache of recent texts: the maps must
    // hold the stored copy at every level, so that a lookup by an equal text built later finds it.
    const long = (i: number): string => 'in-lookup I' + String(i) + '/' + 'f1000_' + String(i);
    const three = new KeyedStore('three', 3, [1, 2]);
    for (let i = 0; i < 50; i++) three.set([long(i), long(i + 1), long(i + 2)], long(i + 3), at(i));
    for (let i = 0; i < 50; i++) {
      expect(three.get([long(i), long(i + 1), long(i + 2)])?.v).toBe(long(i + 3));
      expect([...three.where(1, long(i + 1))].map((e) => e.key())).toEqual([[long(i), long(i + 1), long(i + 2)]]);
      expect([...three.where(2, long(i + 2))].length).toBe(1);
    }
    const two = new KeyedStore('two', 2, [1]);
    for (let i = 0; i < 50; i++) two.set([long(i), long(i)], long(i), at(i));
    for (let i = 0; i < 50; i += 2) two.delete([long(i), long(i)], at(100 + i));
    expect(two.size).toBe(25);
    for (let i = 0; i < 50; i++) {
      expect(two.get2(long(i), long(i))?.v).toBe(i % 2 === 0 ? undefined : long(i));
      expect([...two.where(1, long(i))].length).toBe(i % 2);
      expect(two.deletedBy([long(i), long(i)])?.seq).toBe(i % 2 === 0 ? 100 + i : undefined);
    }
    for (let i = 0; i < 50; i++) three.delete([long(i), long(i + 1), long(i + 2)], at(200 + i));
    expect(three.size).toBe(0);
    expect([...three.entries()]).toEqual([]);
    for (let i = 0; i < 50; i++) expect([...three.where(1, long(i + 1))]).toEqual([]);
  });
});
