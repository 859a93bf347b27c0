/**
 * Ring-buffer page decoding on hand-built pages (little-endian, 8-byte kernel long): time deltas,
 * time extends, absolute time stamps, padding, the end-of-data null padding, the missed-events
 * flags of the commit word, and damage reported at its byte offset.
 */
import { describe, expect, it } from 'vitest';
import { TraceDatError } from '../../../src/trace/tracedat/cursor.js';
import { PageReader } from '../../../src/trace/tracedat/ring.js';

/** A page: timestamp, commit word (data length | flags), then the event words; `extra` after the data (a stored missed count). */
function page(ts: number, words: number[], flags = 0, extra: bigint | undefined = undefined, size = 256): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(ts), true);
  v.setUint32(8, (words.length * 4) | flags, true);
  words.forEach((w, i) => v.setUint32(16 + i * 4, w >>> 0, true));
  if (extra !== undefined) v.setBigUint64(16 + words.length * 4, extra, true);
  return b;
}
const hdr = (typeLen: number, delta: number): number => ((delta << 5) | typeLen) >>> 0;

function events(p: Uint8Array): { ts: number; start: number; length: number }[] {
  const r = new PageReader({ littleEndian: true, longSize: 8 });
  r.load(p, 4096);
  const out = [];
  while (r.next()) out.push({ ts: r.ts, start: r.start, length: r.length });
  return out;
}

describe('ring-buffer pages', () => {
  it('adds each event\'s delta to the page timestamp; type_len N is N words of payload', () => {
    const p = page(1000, [hdr(2, 5), 0xaaaa, 0xbbbb, hdr(1, 7), 0xcccc]);
    expect(events(p)).toEqual([{ ts: 1005, start: 20, length: 8 }, { ts: 1012, start: 32, length: 4 }]);
  });

  it('type_len 0 takes its length from the next word (rounded up to 4, less the length word)', () => {
    const p = page(0, [hdr(0, 3), 4 + 10, 1, 2, 3, hdr(1, 1), 9]);
    expect(events(p)).toEqual([{ ts: 3, start: 24, length: 12 }, { ts: 4, start: 40, length: 4 }]);
  });

  it('a time extend adds (next word << 27) + delta to the running time; a time stamp sets it', () => {
    const p = page(10, [hdr(30, 1), 2, hdr(1, 4), 0, hdr(31, 6), 1, hdr(1, 2), 0]);
    const two27 = 2 ** 27;
    expect(events(p).map((e) => e.ts)).toEqual([10 + 2 * two27 + 1 + 4, 1 * two27 + 6 + 2]);
  });

  it('padding with a length (counted from its length word, as kbuffer reads it) is skipped with its delta; padding with delta 0 ends the page data', () => {
    const p = page(100, [hdr(29, 2), 12, 0xdead, 0xbeef, hdr(1, 1), 7, hdr(29, 0), 0, hdr(1, 1), 8]);
    expect(events(p)).toEqual([{ ts: 103, start: 36, length: 4 }]);
  });

  it('reads the missed-events flag: with the count stored after the data, and without', () => {
    const r = new PageReader({ littleEndian: true, longSize: 8 });
    r.load(page(0, [hdr(1, 1), 0], 0x80000000 | 0x40000000, 42n), 0);
    expect(r.missed).toBe(42);
    r.load(page(0, [hdr(1, 1), 0], 0x80000000), 0);
    expect(r.missed).toBe(-1);
    r.load(page(0, [hdr(1, 1), 0]), 0);
    expect(r.missed).toBe(0);
  });

  it('an event running past the data is a TraceDatError at its file offset', () => {
    const p = page(0, [hdr(1, 1), 0, hdr(3, 1), 0]);
    const r = new PageReader({ littleEndian: true, longSize: 8 });
    r.load(p, 8192);
    expect(r.next()).toBe(true);
    let err: unknown;
    try { r.next(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TraceDatError);
    expect((err as TraceDatError).offset).toBe(8192 + 24);
    expect((err as TraceDatError).section).toBe('ring-buffer page');
  });

  it('a commit longer than the page is refused at the commit word', () => {
    const p = page(0, [], 0, undefined, 64);
    new DataView(p.buffer).setUint32(8, 4000, true);
    expect(() => new PageReader({ littleEndian: true, longSize: 8 }).load(p, 100)).toThrow(expect.objectContaining({ offset: 108 }));
  });
});

describe('ring-buffer pages: damaged lengths', () => {
  it('a type_len 0 length beyond 2^31 is an event past the data, not a read before the page', () => {
    const p = page(0, [hdr(0, 1), 0xfffffff0, 0, 0]);
    const r = new PageReader({ littleEndian: true, longSize: 8 });
    r.load(p, 0);
    expect(() => r.next()).toThrow(expect.objectContaining({ offset: 16, section: 'ring-buffer page' }));
  });
});

describe('ring-buffer pages: times in the kernel\'s order', () => {
  const check = (p: Uint8Array, floor: number, ceiling: number) => {
    const r = new PageReader({ littleEndian: true, longSize: 8 });
    r.load(p, 4096);
    return r.timeBreak(floor, ceiling);
  };

  it('events between the CPU\'s last time and the next page\'s timestamp are in order, the end padding\'s delta of 1 past it or not', () => {
    const p = page(1000, [hdr(1, 0), 0, hdr(1, 5), 0, hdr(29, 1), 4]);
    expect(check(p, 990, 1005)).toBeUndefined();
    // (a clock that ticks coarsely: the next page begins at the last event's time)
    expect(check(p, 1000, 1005)).toBeUndefined();
  });

  it('an event later than the next page\'s timestamp is a break at its header', () => {
    const p = page(1000, [hdr(1, 0), 0, hdr(1, 5 + (1 << 20)), 0, hdr(1, 1), 0]);
    expect(check(p, 0, 2000)).toEqual({ offset: 4096 + 24, ts: 1005 + (1 << 20), bound: 2000, kind: 'past next page' });
    // time extends count: 1000 + 2^27 + 3
    expect(check(page(1000, [hdr(30, 3), 1, hdr(1, 0), 0]), 0, 2000)).toMatchObject({ offset: 4096 + 24, kind: 'past next page' });
  });

  it('a timestamp before the CPU\'s last event, or after the next page\'s, is a break at the page', () => {
    const p = page(1000, [hdr(1, 1), 0]);
    expect(check(p, 1500, 3000)).toEqual({ offset: 4096, ts: 1000, bound: 1500, kind: 'stamp' });
    expect(check(p, 0, 900)).toEqual({ offset: 4096, ts: 1000, bound: 900, kind: 'past next page' });
  });

  it('an absolute time stamp before the event before it is a break at the stamp; one after it sets the time', () => {
    expect(check(page(1000, [hdr(1, 50), 0, hdr(31, 20), 0, hdr(1, 0), 0]), 0, 5000))
      .toEqual({ offset: 4096 + 24, ts: 20, bound: 1050, kind: 'backwards' });
    expect(check(page(1000, [hdr(1, 50), 0, hdr(31, 1060), 0, hdr(1, 0), 0]), 0, 1060)).toBeUndefined();
    expect(check(page(1000, [hdr(1, 50), 0, hdr(31, 1060), 0, hdr(1, 1), 0]), 0, 1060)).toMatchObject({ offset: 4096 + 32, ts: 1061 });
  });

  it('other damage ends the check quietly (next() reports it where it is)', () => {
    expect(check(page(1000, [hdr(1, 1), 0, hdr(29, 1), 0, hdr(1, 1 << 20), 0]), 0, 5000)).toBeUndefined();
    expect(check(page(1000, [hdr(1, 1), 0, hdr(0, 2), 2, hdr(1, 1 << 20), 0]), 0, 5000)).toBeUndefined();
  });
});
