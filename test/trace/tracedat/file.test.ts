/**
 * Damaged trace.dat metadata: each problem is a TraceDatError naming the byte offset and the part
 * of the file being read, never a crash or a silent skip.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TraceDatError } from '../../../src/trace/tracedat/cursor.js';
import { isTraceDat, readTraceDatMeta } from '../../../src/trace/tracedat/file.js';

const V6 = readFileSync('traces/tracedat/record-v6.dat');
const V7Z = readFileSync('traces/tracedat/record-v7-zstd.dat');

function problem(bytes: Uint8Array): { message: string; offset: number; section: string } {
  try {
    readTraceDatMeta(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceDatError);
    const t = e as TraceDatError;
    return { message: t.message, offset: t.offset, section: t.section };
  }
  throw new Error('no problem found');
}

describe('trace.dat headers', () => {
  it('knows the magic', () => {
    expect(isTraceDat(V6)).toBe(true);
    expect(isTraceDat(Buffer.from('# tracer: nop\n'))).toBe(false);
  });

  it('refuses an unknown file version at the version string', () => {
    const b = Buffer.from(V6);
    b[10] = 0x39; // "9"
    expect(problem(b)).toEqual({ message: 'file version "9" is not supported (versions 6 and 7 are)', offset: 10, section: 'initial header' });
  });

  it('refuses a bad endianness byte and an implausible page size where they are', () => {
    const e = Buffer.from(V6);
    e[12] = 7;
    expect(problem(e)).toMatchObject({ offset: 12, section: 'initial header' });
    const p = Buffer.from(V6);
    p.writeUInt32LE(3000, 14);
    expect(problem(p)).toMatchObject({ offset: 14, message: 'page size 3000 is not a power of two of a plausible size' });
  });

  it('a version 6 file cut inside its metadata names the part it was reading', () => {
    const p = problem(V6.subarray(0, 400));
    expect(p.section).toBe('header_event');
    expect(problem(V6.subarray(0, 4000)).section).toBe('ftrace event formats');
    expect(p.message).toMatch(/bytes needed, \d+ left \(the file is cut short or damaged\)$/);
  });

  it('a version 7 file whose options point at the wrong section says which it expected', () => {
    const b = Buffer.from(V7Z);
    // The initial header ends with the offset of the first options section; point it at the header info section.
    // magic (10), "7\0", endianness, long size, page size (4), "zstd\0", "1.5.4\0": the offset is at 29
    expect(b.subarray(18, 29).toString('latin1')).toBe('zstd\x001.5.4\x00');
    b.writeBigUInt64LE(37n, 29);
    const p = problem(b);
    expect(p.message).toBe('expected the options section (id 0) here, found section id 16');
    expect(p.offset).toBe(37);
  });

  it('a version 7 compressed section that does not decompress is located at its data', () => {
    const meta = readTraceDatMeta(V7Z);
    expect(meta.compression).toBe('zstd');
    const b = Buffer.from(V7Z);
    // the header info section (at 37, compressed): its data follows the 16-byte header and the two sizes
    b.fill(0xff, 37 + 16 + 8, 37 + 16 + 8 + 16);
    const p = problem(b);
    expect(p.section).toBe('header info');
    expect(p.offset).toBe(37 + 16 + 8);
    expect(p.message).toMatch(/^header info: zstd data does not decompress/);
  });
});

describe('section decompression', () => {
  it('zlib blocks (compress2 format) are inflated; a size other than promised is located', async () => {
    const { deflateSync } = await import('node:zlib');
    const { inflate } = await import('../../../src/trace/tracedat/file.js');
    const text = Buffer.from('name: lkslow\nID: 1234\n');
    expect(Buffer.from(inflate('zlib', deflateSync(text), text.length, 500, 'kallsyms')).toString()).toBe(text.toString());
    const promised = `kallsyms: decompressed to ${text.length} bytes, the file promised ${text.length + 1}`;
    expect(() => inflate('zlib', deflateSync(text), text.length + 1, 500, 'kallsyms')).toThrow(expect.objectContaining({ offset: 500, message: promised }));
    expect(() => inflate('lz4', text, text.length, 7, 'options')).toThrow(expect.objectContaining({ offset: 7 }));
  });

  it('a zstd block whose frame asks for a window past 128 MiB is refused at its data, before the decoder allocates one', async () => {
    const { inflate } = await import('../../../src/trace/tracedat/file.js');
    // magic, checksum flag and a window descriptor, an empty last raw block, the empty text's checksum
    const frame = (descriptor: number): Buffer => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, descriptor, 0x01, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51]);
    expect(inflate('zstd', frame(0x88), 0, 40, 'kallsyms')).toHaveLength(0);
    expect(() => inflate('zstd', frame(0xa8), 0, 40, 'kallsyms')).toThrow(expect.objectContaining({
      offset: 40, message: 'kallsyms: zstd data does not decompress (its frame needs a 2048 MiB window, more than the 128 MiB this reader allows (as the zstd tool does without --long=31))',
    }));
    // single segment, a 4-byte content size of 1 GiB: the window is the content
    const single = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa4, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00]);
    expect(() => inflate('zstd', single, 0, 40, 'kallsyms')).toThrow(/its frame needs a 1024 MiB window/);
  });
});

describe('damaged files, at random', () => {
  it('bytes overwritten and the file cut anywhere: only located TraceDatErrors, never another exception', async () => {
    const fc = await import('fast-check');
    const { traceDatText } = await import('../../../src/trace/tracedat/read.js');
    const files = [V6, V7Z, readFileSync('traces/tracedat/record-v7.dat')];
    fc.assert(fc.property(
      fc.nat(files.length - 1),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(255)), { minLength: 1, maxLength: 8 }),
      fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      (which, flips, cutAt) => {
        const b = Buffer.from(files[which]!);
        for (const [where, value] of flips) b[Math.min(b.length - 1, Math.floor(where * b.length))] = value;
        const input = cutAt === null ? b : b.subarray(0, Math.floor(cutAt * b.length));
        try {
          const t = traceDatText(input);
          for (const c of t.chunks) void c;
          for (const p of t.problems) expect(p.offset).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(e).toBeInstanceOf(TraceDatError);
          expect((e as TraceDatError).offset).toBeGreaterThanOrEqual(0);
        }
      },
    ), { numRuns: 200, seed: 16 });
  });
});
