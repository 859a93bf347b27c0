import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { desynchronisingChange } from '../helpers/gzip-desync.js';
import { AfterLastMember, gunzipMembers, tableCrc32ForTest } from '../../src/trace/gzip.js';

/** Decodes `bytes` fed in pieces of `piece`: the output (as text: deep equality of large Buffers is slow), and the error's message and kind. */
async function decode(bytes: Uint8Array, piece = 1 << 20): Promise<{ out: string; error?: string; after?: boolean }> {
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
  }
  const out: Uint8Array[] = [];
  try {
    for await (const c of gunzipMembers(pieces())) out.push(c);
  } catch (e) {
    return { out: Buffer.concat(out).toString('latin1'), error: (e as Error).message, after: e instanceof AfterLastMember };
  }
  return { out: Buffer.concat(out).toString('latin1') };
}

const text = Array.from({ length: 40_000 }, (_, i) => `${i} ${(i * 7919) % 1000} lookup_slow\n`).join('');
const bytes = Buffer.from(text, 'latin1');
const gz = gzipSync(bytes);

describe('gzip members', () => {
  it('decodes a stream fed in any size of piece, and a header with a name, extra field and header CRC', async () => {
    for (const piece of [1, 3, 4096, 65_536, 1 << 20]) {
      const small = piece < 100 ? gzipSync(bytes.subarray(0, 3000)) : gz;
      expect((await decode(small, piece)).out).toBe(piece < 100 ? text.slice(0, 3000) : text);
    }
    const dir = mkdtempSync(join(tmpdir(), 'kinv-gzip-'));
    writeFileSync(join(dir, 'trace.txt'), bytes);
    const named = execFileSync('gzip', ['-c', join(dir, 'trace.txt')], { maxBuffer: 1 << 26 });
    expect(named[3]! & 0x08).toBe(0x08);
    expect((await decode(named, 7)).out).toBe(text);
    // FEXTRA (4 bytes of subfield) and FHCRC, made by hand: RFC 1952 2.3.1
    const member = gzipSync(Buffer.from('hello\n'));
    const header = Buffer.concat([member.subarray(0, 10), Buffer.from([4, 0, 0x41, 0x42, 0, 0])]);
    header[3] = 0x04 | 0x02;
    const hcrc = crc32(header) & 0xffff;
    const full = Buffer.concat([header, Buffer.from([hcrc & 0xff, hcrc >> 8]), member.subarray(10)]);
    expect(gunzipSync(full).toString()).toBe('hello\n');
    expect(await decode(full, 5)).toEqual({ out: 'hello\n' });
    full[12]! ^= 1;
    expect(await decode(full)).toEqual({ out: '', error: 'header crc mismatch', after: false });
  });

  it('decodes members one after another, an empty one too, and zero padding after the last', async () => {
    const multi = Buffer.concat([gzipSync(bytes.subarray(0, 1000)), gzipSync(Buffer.alloc(0)), gzipSync(bytes.subarray(1000)), Buffer.alloc(600)]);
    expect(await decode(multi, 333)).toEqual({ out: text });
  });

  it('hands over every byte of the last member before the bytes after it are found to be no member', async () => {
    expect(await decode(Buffer.concat([gz, Buffer.from('junk')]))).toEqual({
      out: text, error: 'it is followed by 4 bytes that begin no gzip member (incorrect header check)', after: true,
    });
    expect(await decode(Buffer.concat([gz, Buffer.from([0x0a])]))).toEqual({
      out: text, error: 'it is followed by 1 bytes that begin no gzip member (incorrect header check)', after: true,
    });
    expect(await decode(Buffer.concat([gz, Buffer.from([0x1f, 0x8b, 9]), Buffer.alloc(9)]))).toEqual({
      out: text, error: 'it is followed by 12 bytes that begin no gzip member (unknown compression method)', after: true,
    });
    expect(await decode(Buffer.concat([gz, Buffer.alloc(3), gzipSync(Buffer.from('x'))]))).toEqual({
      out: text, error: 'the 24 bytes after its end begin with zero padding and go on with data, which is not read', after: true,
    });
  });

  it('says a cut, a damaged checksum and a damaged length in zlib\'s words', async () => {
    for (const cut of [gz.length - 30, gz.length - 8, gz.length - 3]) {
      expect(await decode(gz.subarray(0, cut))).toMatchObject({ error: 'unexpected end of file', after: false });
    }
    const crc = Buffer.from(gz);
    crc[crc.length - 8]! ^= 1;
    // (the data came whole: the check fails after it)
    expect(await decode(crc)).toEqual({ out: text, error: 'incorrect data check', after: false });
    const length = Buffer.from(gz);
    length[length.length - 2]! ^= 1;
    expect(await decode(length)).toEqual({ out: text, error: 'incorrect length check', after: false });
  });

  it('is an error at every cut of a two-member stream but the members\' end', async () => {
    const first = gzipSync(Buffer.from('abc\n'.repeat(50)));
    const two = Buffer.concat([first, gzipSync(Buffer.from('def\n'))]);
    for (let n = 1; n < two.length; n++) {
      const r = await decode(two.subarray(0, n), 5);
      expect([n, r.error !== undefined]).toEqual([n, n !== first.length]);
    }
  });

  it('never gives, without an error, output other than zlib\'s, whatever bit is flipped', async () => {
    const two = Buffer.concat([gzipSync(Buffer.from('abc\n'.repeat(50))), gzipSync(Buffer.from('def\n'))]);
    await fc.assert(fc.asyncProperty(fc.nat({ max: two.length - 1 }), fc.nat({ max: 7 }), fc.integer({ min: 1, max: 64 }), async (at, bit, piece) => {
      const flipped = Buffer.from(two);
      flipped[at]! ^= 1 << bit;
      const r = await decode(flipped, piece);
      if (r.error !== undefined) return;
      expect(r.out).toBe(gunzipSync(flipped).toString('latin1'));
    }), { numRuns: 300, seed: 14 });
  });

  it('tells a changed bit that runs the decoder on into the trailer from a cut: every change leaves the text whole, a true prefix of it, or an error other than a cut\'s', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `{"pid":${i % 7},"ev":"syscall_exit","n":${i}}\n`).join('');
    const member = gzipSync(Buffer.from(lines, 'latin1'));
    // Such changes lie near the end (the decoder must not meet an invalid code before the input ends).
    await fc.assert(fc.asyncProperty(fc.integer({ min: Math.floor(member.length * 0.7), max: member.length - 1 }), fc.nat({ max: 7 }), async (at, bit) => {
      const changed = Buffer.from(member);
      changed[at]! ^= 1 << bit;
      const r = await decode(changed, 4096);
      if (r.error === undefined || r.error === 'unexpected end of file') expect(lines.startsWith(r.out)).toBe(true);
    }), { numRuns: 400, seed: 14 });
    const desync = desynchronisingChange(member);
    // (what zlib decodes of it is no prefix of the text: garbled, or with more after it)
    expect(lines.startsWith(gunzipSync(desync, { finishFlush: 2 }).toString('latin1'))).toBe(false);
    const r = await decode(desync);
    expect(r.error).toMatch(new RegExp(`^the data decodes on into the input's last 8 bytes, which read as the member's trailer \\(a size of ${lines.length} bytes, `
      + 'where \\d+ were decoded\\): damaged, not cut short$'));
    // a cut anywhere in the last 2 KB is a cut
    for (let n = member.length - 2048; n < member.length - 8; n++) expect([n, (await decode(member.subarray(0, n))).error]).toEqual([n, 'unexpected end of file']);
  });

  it('tells a changed bit in a member before the last that runs the decoder on through the members after it from a cut', async () => {
    const first = Array.from({ length: 2000 }, (_, i) => `{"pid":${i % 7},"ev":"syscall_exit","n":${i}}\n`).join('');
    const second = Array.from({ length: 400 }, (_, i) => `{"pid":${i % 5},"ev":"dr","sem":"0x${(i * 977).toString(16)}"}\n`).join('');
    const a = gzipSync(Buffer.from(first, 'latin1'));
    const both = Buffer.concat([a, gzipSync(Buffer.from(second, 'latin1'))]);
    const text = first + second;
    // (the last member's trailer is far from what the out-of-step decoder gave: the size rule misses these)
    await fc.assert(fc.asyncProperty(fc.integer({ min: Math.floor(a.length / 2), max: a.length - 9 }), fc.nat({ max: 7 }), async (at, bit) => {
      const changed = Buffer.from(both);
      changed[at]! ^= 1 << bit;
      const r = await decode(changed, 1000);
      if (r.error === undefined || r.error === 'unexpected end of file') expect(text.startsWith(r.out)).toBe(true);
    }), { numRuns: 400, seed: 14 });
    // The last such change: zlib too reads it to the input's end, and its text is garbled.
    let desync: Buffer | undefined;
    for (let at = a.length - 9; desync === undefined; at--) {
      for (let bit = 0; bit < 8 && desync === undefined; bit++) {
        const changed = Buffer.from(both);
        changed[at]! ^= 1 << bit;
        try { gunzipSync(changed); } catch (e) { if ((e as Error).message === 'unexpected end of file') desync = changed; }
      }
    }
    expect(text.startsWith(gunzipSync(desync, { finishFlush: 2 }).toString('latin1'))).toBe(false);
    for (const piece of [1, 9, 10, 4096, 1 << 20]) {
      expect((await decode(desync, piece)).error).toMatch(/^the data decodes on past what reads as the header of another gzip member \(\d+ bytes into the member's data\) to the end of the input: damaged, not cut short$/);
    }
    // every cut of the two members is a cut (the second member's header is met only by a decoder in step, which ends at it)
    const cuts = Array.from({ length: both.length }, (_, n) => n).filter((n) => n > 10 && n !== a.length && (n % 13 === 0 || Math.abs(n - a.length) < 24));
    for (const n of cuts) expect([n, (await decode(both.subarray(0, n), 512)).error]).toEqual([n, 'unexpected end of file']);
  });

  it('reads a header\'s file name in one pass, and gives up on one that runs over 1 MiB', async () => {
    const member = gzipSync(Buffer.from('hello\n'));
    const named = (name: Buffer) => { const h = Buffer.from(member.subarray(0, 10)); h[3] = 0x08; return Buffer.concat([h, name, Buffer.from([0]), member.subarray(10)]); };
    expect(await decode(named(Buffer.alloc(200_000, 0x61)), 1000)).toEqual({ out: 'hello\n' });
    expect(await decode(named(Buffer.alloc(3 << 20, 0x61)), 4096)).toEqual({ out: '', error: 'a header\'s file name runs over 1048576 bytes without its end', after: false });
    expect(await decode(named(Buffer.alloc(5000, 0x61)).subarray(0, 3000), 100)).toEqual({ out: '', error: 'unexpected end of file', after: false });
  });

  it('decodes data that expands a thousand times (its slices made smaller) as zlib does', async () => {
    const zeros = Buffer.alloc(40 << 20);
    zeros.write('end of the zeros\n', zeros.length - 17, 'latin1');
    const compressed = gzipSync(zeros);
    async function* whole(): AsyncGenerator<Uint8Array> { yield compressed; }
    let length = 0;
    let crc = 0;
    for await (const c of gunzipMembers(whole())) { length += c.length; crc = crc32(c, crc); }
    expect([length, crc]).toEqual([zeros.length, crc32(zeros)]);
  });

  it('computes CRC-32 as zlib does where zlib has none of its own (Node before 20.15)', () => {
    expect(tableCrc32ForTest(bytes, 0)).toBe(crc32(bytes));
    expect(tableCrc32ForTest(bytes.subarray(1000), tableCrc32ForTest(bytes.subarray(0, 1000), 0))).toBe(crc32(bytes));
  });
});
