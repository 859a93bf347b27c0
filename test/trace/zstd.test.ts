import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decompressStream } from '../../src/trace/decompress.js';

const DIR = join(import.meta.dirname, '../../traces/ftrace/compressed');
const CUT = 'the input ends before the end of the zstd frame';

/** Decodes `bytes` (fed in pieces of `piece`) as `kind`: the text and the error's message. */
async function decode(kind: 'zstd' | 'xz', bytes: Uint8Array, piece = 1 << 20): Promise<{ out: string; error?: string }> {
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
  }
  const out: Uint8Array[] = [];
  try {
    for await (const c of decompressStream(kind, pieces())) out.push(c);
  } catch (e) {
    return { out: Buffer.concat(out).toString('latin1'), error: (e as Error).message };
  }
  return { out: Buffer.concat(out).toString('latin1') };
}

// Made by the zstd command line (its frames carry a content checksum and their content size).
const zst = readFileSync(join(DIR, 'kprobe-draft-d_add_ci.txt.zst'));
const text = readFileSync(join(DIR, '../kprobe-draft-d_add_ci.txt'), 'latin1');

describe('zstd frames', () => {
  it('decodes a frame fed in any size of piece, a skippable frame before it, and two frames one after the other', async () => {
    for (const piece of [1, 2, 7, 100, 1 << 20]) expect(await decode('zstd', zst, piece)).toEqual({ out: text });
    const skippable = Buffer.concat([Buffer.from([0x53, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]), zst]);
    expect(await decode('zstd', skippable, 5)).toEqual({ out: text });
    expect(await decode('zstd', Buffer.concat([zst, zst]), 64)).toEqual({ out: text + text });
  });

  it('verifies the content checksum the decoder does not: every single-bit change is found, leaves the text whole, or leaves a true prefix of it and says it is cut', async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: zst.length - 1 }), fc.nat({ max: 7 }), async (at, bit) => {
      const changed = Buffer.from(zst);
      changed[at]! ^= 1 << bit;
      const r = await decode('zstd', changed, 97);
      // (a few bits change nothing the decoder reads: then the text is whole)
      if (r.error === undefined) expect(r.out).toBe(text);
      if (r.error === CUT) expect(text.startsWith(r.out)).toBe(true);
    }), { numRuns: 300, seed: 14 });
    const checksum = Buffer.from(zst);
    checksum[checksum.length - 1]! ^= 0x10;
    expect(await decode('zstd', checksum)).toEqual({ out: text, error: 'zstd content checksum mismatch' });
  });

  it('is cut at every cut of the frame, its text a true prefix', async () => {
    for (let n = 4; n < zst.length; n++) {
      const r = await decode('zstd', zst.subarray(0, n), 50);
      expect([n, r.error]).toEqual([n, CUT]);
      expect(text.startsWith(r.out)).toBe(true);
    }
  });
});

describe('xz', () => {
  const xz = readFileSync(join(DIR, 'kprobe-draft-d_add_ci.txt.xz'));

  it('a whole file (its stream footer last) that the decoder says ends inside its stream is damaged, not cut; every single-bit change is found or leaves a true prefix', async () => {
    const told: string[] = [];
    for (let at = 0; at < xz.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed = Buffer.from(xz);
        changed[at]! ^= 1 << bit;
        const r = await decode('xz', changed);
        if (r.error === undefined || /ends before the end/.test(r.error)) expect([at, bit, text.startsWith(r.out)]).toEqual([at, bit, true]);
        if (r.error?.includes('xz stream footer') === true) told.push(`${at}:${bit}`);
      }
    }
    // (a changed size field let the decoder run on past the data: once in this file at least)
    expect(told.length).toBeGreaterThan(0);
    for (let n = 12; n < xz.length; n += 7) expect((await decode('xz', xz.subarray(0, n))).error).toBe('the input ends before the end of the xz stream');
  });
});
