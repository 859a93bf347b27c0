import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

  /** A frame of one raw block holding `text`, with a checksum; its content size in the header or not. */
  async function rawFrame(text: string, withSize: boolean, blockSizeAdded = 0): Promise<Buffer> {
    const { create64 } = await (createRequire(import.meta.url)('xxhash-wasm') as () => Promise<{ create64(seed?: bigint): { update(b: Uint8Array): unknown; digest(): bigint } }>)();
    const h = create64(0n);
    h.update(Buffer.from(text, 'latin1'));
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32LE(Number(h.digest() & 0xffffffffn));
    // single segment, checksum, 1-byte content size; or checksum and a window descriptor (1 KiB)
    const header = withSize ? [0x24, text.length] : [0x04, 0x00];
    const block = ((text.length + blockSizeAdded) << 3) | 1;
    return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, ...header, block & 0xff, (block >> 8) & 0xff, block >> 16]), Buffer.from(text, 'latin1'), checksum]);
  }

  it('decodes a frame shorter than the 18 bytes its decoder holds back until the end', async () => {
    const tiny = await rawFrame('a', true);
    expect(tiny.length).toBeLessThan(18);
    expect(await decode('zstd', tiny)).toEqual({ out: 'a' });
    expect(await decode('zstd', Buffer.concat([zst, tiny, tiny]), 3)).toEqual({ out: text + 'aa' });
  });

  it('a last block whose size took in bytes of the checksum (its text garbled, its length right) is damage, not a cut', async () => {
    const line = 'task 315 releases I1\n';
    expect(await decode('zstd', await rawFrame(line, false))).toEqual({ out: line });
    expect((await decode('zstd', await rawFrame(line, false, 2))).error).toBe('zstd content checksum mismatch: the 2 of its 4 bytes the input ends with do not match the text decoded');
    expect((await decode('zstd', await rawFrame(line, false, 4))).error)
      .toBe('the input ends where the zstd frame\'s checksum begins: nothing verifies the text decoded, which may be damaged');
    // a cut inside the checksum, its bytes there matching: a cut
    const whole = await rawFrame(line, false);
    expect(await decode('zstd', whole.subarray(0, whole.length - 1))).toEqual({ out: line, error: CUT });
  });

  it('a changed bit in any block header of a many-block frame is found, or leaves a true prefix of the text: a walk put out of step by a changed block size ends inside the frame, which is not taken as a cut', async () => {
    const many = readFileSync(join(DIR, 'kernel-head.txt.zst'));
    const whole = (await decode('zstd', many)).out;
    // the frame's block headers (RFC 8878 3.1.1: descriptor, window, dictionary id, content size; then 3-byte headers)
    const d = many[4]!;
    let at = 5 + ((d >> 5) & 1 ? 0 : 1) + [0, 1, 2, 4][d & 3]! + (d >> 6 === 0 ? (d >> 5) & 1 : 1 << (d >> 6));
    const headers: number[] = [];
    for (let last = 0; last === 0;) {
      const h = many[at]! | (many[at + 1]! << 8) | (many[at + 2]! << 16);
      headers.push(at);
      last = h & 1;
      at += 3 + (((h >> 1) & 3) === 1 ? 1 : h >>> 3);
    }
    expect(headers.length).toBeGreaterThan(3);
    let endsInside = 0;
    for (const h of headers) {
      for (let k = 0; k < 3; k++) {
        for (let bit = 0; bit < 8; bit++) {
          const changed = Buffer.from(many);
          changed[h + k]! ^= 1 << bit;
          const r = await decode('zstd', changed, 4096);
          if (r.error === undefined) expect(r.out).toBe(whole);
          if (r.error === CUT) expect(whole.startsWith(r.out)).toBe(true);
          if (r.error?.startsWith('the input ends inside a zstd frame, before its checksum') === true) endsInside++;
        }
      }
    }
    expect(endsInside).toBeGreaterThan(0);
  });

  it('reads a frame whose window is 128 MiB, and refuses one past it (a window or a single segment) before the decoder allocates it', async () => {
    // an empty last raw block after a header: checksum flag and window descriptor `descriptor`
    const frame = (header: number[]): Buffer => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, ...header, 0x01, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51]);
    expect(await decode('zstd', frame([0x04, 0x88]))).toEqual({ out: '' });
    const refused = (size: string) => `its frame needs a ${size} window, more than the 128 MiB this reader allows (as the zstd tool does without --long=31); read it with \`zstd -dc --long=31 FILE | kinv check -\``;
    expect(await decode('zstd', frame([0x04, 0x89]))).toEqual({ out: '', error: refused('144 MiB') });
    expect(await decode('zstd', frame([0x04, 0xf8]))).toEqual({ out: '', error: refused('2 TiB') });
    // single segment, 4-byte content size 0x40000000: the window is the content size
    expect(await decode('zstd', frame([0xa4, 0x00, 0x00, 0x00, 0x40]))).toEqual({ out: '', error: refused('1024 MiB') });
  });

  it('is cut at every cut of the frame, its text a true prefix (but where its checksum begins)', async () => {
    for (let n = 4; n < zst.length; n++) {
      const r = await decode('zstd', zst.subarray(0, n), 50);
      // (a cut where the checksum begins leaves nothing to verify the text with)
      expect([n, r.error]).toEqual([n, n === zst.length - 4 ? 'the input ends where the zstd frame\'s checksum begins: nothing verifies the text decoded, which may be damaged' : CUT]);
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
