/**
 * Compressed inputs: sniffed by magic bytes, decoded to the same bytes as the plain text, judged
 * the same, and, when cut short, decoded as far as they go and then reported with a gap.
 * The fixtures were made with the real tools (traces/ftrace/README.md gives the commands).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { decompressStream, sniffCompression } from '../../src/trace/decompress.js';
import { openInput } from '../../src/trace/input.js';

const DIR = join(import.meta.dirname, '../../traces/ftrace');
const tmp = mkdtempSync(join(tmpdir(), 'kinv-compressed-'));
const specs = new SpecSet([], {});

async function decoded(path: string): Promise<{ text: string; cut: string | undefined }> {
  const input = await openInput(path);
  const parts: Buffer[] = [];
  for await (const c of input.chunks) parts.push(Buffer.from(c));
  return { text: Buffer.concat(parts).toString('latin1'), cut: input.cut?.message };
}

async function judged(path: string) {
  const diags: Diagnostic[] = [];
  const r = await checkTraceFile(path, specs, { all: true, onDiagnostic: (d) => diags.push(d) });
  return {
    diags: diags.map((d) => `${d.code} ${d.at?.line}:${d.at?.column}`),
    verdicts: (r?.verdicts ?? []).map((v) => `${v.kind} ${v.invariant} ${v.event?.line ?? ''}`),
    gaps: (r?.gaps ?? []).map((g) => `${g.reason} ${g.line}`),
    lines: r?.stats.lines,
  };
}

describe('sniffCompression', () => {
  it('knows gzip, xz and zstd by their magic bytes, and nothing else', () => {
    expect(sniffCompression(Uint8Array.from([0x1f, 0x8b, 8]))).toBe('gzip');
    expect(sniffCompression(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]))).toBe('xz');
    expect(sniffCompression(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x24]))).toBe('zstd');
    expect(sniffCompression(Buffer.from('# tracer: nop\n'))).toBeUndefined();
    expect(sniffCompression(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a]))).toBeUndefined();
    expect(sniffCompression(Uint8Array.from([0x28, 0xb5, 0x2f]))).toBeUndefined();
  });
});

describe('xz and zstd inputs', () => {
  const plain = readFileSync(join(DIR, 'kprobe-draft-d_add_ci.txt'), 'latin1');
  const head = gunzipSync(readFileSync(join(DIR, 'compressed/kernel-head.txt.gz'))).toString('latin1');

  it.each(['xz', 'zst'])('.%s decodes to the very bytes that were compressed', async (ext) => {
    expect(await decoded(join(DIR, `compressed/kprobe-draft-d_add_ci.txt.${ext}`))).toEqual({ text: plain, cut: undefined });
    expect(await decoded(join(DIR, `compressed/kernel-head.txt.${ext}`))).toEqual({ text: head, cut: undefined });
  });

  it.each(['xz', 'zst'])('.%s is judged as the plain text is', async (ext) => {
    const want = await judged(join(DIR, 'kprobe-draft-d_add_ci.txt'));
    expect(want.verdicts.filter((v) => v.startsWith('violation'))).toHaveLength(4);
    expect(await judged(join(DIR, `compressed/kprobe-draft-d_add_ci.txt.${ext}`))).toEqual(want);
    expect(await judged(join(DIR, `compressed/kernel-head.txt.${ext}`))).toEqual(await judged(join(DIR, 'compressed/kernel-head.txt.gz')));
  });

  it.each([['xz', 'xz'], ['zst', 'zstd']])('a cut .%s: decoded as far as it goes, then KV305 at the next line and a gap of every task', async (ext, name) => {
    const bytes = readFileSync(join(DIR, `compressed/kernel-head.txt.${ext}`));
    const path = join(tmp, `cut.txt.${ext}`);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const d = await decoded(path);
    // (a zstd frame's blocks are verified by its checksum alone, and a changed block size ends inside the frame as a cut does)
    const why = name === 'zstd' ? 'the input ends inside a zstd frame, before its checksum' : 'the input ends before the end of the xz';
    expect(d.cut).toMatch(new RegExp(`^the ${name} stream is damaged or cut short after ${d.text.length} bytes of data \\(${why}`));
    // Every decoded byte is the original's, and a good share of the file came through.
    expect(head.startsWith(d.text)).toBe(true);
    expect(d.text.length).toBeGreaterThan(head.length / 4);
    const r = await judged(path);
    // The last decoded line is cut mid-way; it is a line of its own, and the cut is reported on the next.
    const nl = d.text.split('\n').length - 1;
    const lines = d.text.endsWith('\n') ? nl + 1 : nl + 2;
    expect(r.diags.at(-1)).toBe(`KV305 ${lines}:1`);
    expect(r.gaps.at(-1)).toBe(`compressed stream cut short ${lines}`);
  });

  it('a .zst whose content checksum fails (which its decoder does not check): its violations are unknown, as the text may be damaged anywhere', async () => {
    const want = await judged(join(DIR, 'kprobe-draft-d_add_ci.txt'));
    const bytes = Buffer.from(readFileSync(join(DIR, 'compressed/kprobe-draft-d_add_ci.txt.zst')));
    bytes[bytes.length - 2]! ^= 0x40;
    const path = join(tmp, 'checksum.txt.zst');
    writeFileSync(path, bytes);
    expect((await decoded(path)).cut).toBe(`the zstd stream is damaged or cut short after ${plain.length} bytes of data (zstd content checksum mismatch)`);
    const r = await judged(path);
    expect(r.verdicts).toEqual(want.verdicts.map((v) => v.replace(/^violation /, 'unknown ')));
    expect(r.diags.filter((d) => d.startsWith('KV305'))).toHaveLength(2);
  });

  it('a peeked .xz does not hold the decoder: a second read of the file, and a third after one stopped early, go through', async () => {
    const path = join(DIR, 'compressed/kernel-head.txt.xz');
    const first = await openInput(path);
    const second = await openInput(path);
    let k = 0;
    for await (const _ of second.chunks) if (++k === 2) break;
    expect(k).toBe(2);
    expect(await decoded(path)).toEqual({ text: head, cut: undefined });
    const parts: Buffer[] = [];
    for await (const c of first.chunks) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).toString('latin1')).toBe(head);
  });

  it('a .xz left after its first decoded chunk while its input keeps coming: no error after the reader let go', async () => {
    // (the input in small pieces, as a large file or a pipe gives it: the decoder had stopped
    // reading, the input was still pushed to it, and the error ended kinv with an internal error)
    const bytes = readFileSync(join(DIR, 'compressed/kernel-head.txt.xz'));
    async function* pieces(): AsyncGenerator<Uint8Array> { for (let i = 0; i < bytes.length; i += 256) yield bytes.subarray(i, i + 256); }
    const uncaught: unknown[] = [];
    const onError = (e: unknown): void => { uncaught.push(e); };
    process.prependListener('uncaughtException', onError);
    try {
      for (const stopAt of [1, 3]) {
        let k = 0;
        for await (const _ of decompressStream('xz', pieces())) if (++k === stopAt) break;
        expect(k).toBe(stopAt);
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      }
      const parts: Buffer[] = [];
      for await (const c of decompressStream('xz', pieces())) parts.push(Buffer.from(c));
      expect(Buffer.concat(parts).toString('latin1')).toBe(head);
    } finally {
      process.removeListener('uncaughtException', onError);
    }
    expect(uncaught).toEqual([]);
  });

  it('a .xz whose header counts its entries is read twice, one read after the other: KV316, not a stall', async () => {
    const r = await judged(join(DIR, 'compressed/kernel-head-entries.txt.xz'));
    expect(r.diags[0]).toBe('KV316 3:1');
    expect(r.lines).toBe(6000);
  });

  it('an xz file with a SHA-256 check, which its decoder does not read: said so, with the command that reads it', async () => {
    await expect(openInput(join(DIR, 'compressed/hello-sha256.txt.xz'))).rejects.toThrow(
      /^cannot read trace '.*hello-sha256\.txt\.xz': an xz file this decoder cannot read \(its integrity check \(type 10, SHA-256\) is not one this decoder reads \(CRC-32, CRC-64\); read it with `xz -dc FILE \| kinv check -`\)$/);
  });

  it('a zstd frame whose window is past 128 MiB (as `zstd --long=28` from a pipe makes): refused as the zstd tool refuses it, with the command that reads it, before any window is allocated', async () => {
    await expect(openInput(join(DIR, 'compressed/hello-long28.txt.zst'))).rejects.toThrow(
      /^cannot read trace '.*hello-long28\.txt\.zst': a zstd file this decoder cannot read \(its frame needs a 256 MiB window, more than the 128 MiB this reader allows \(as the zstd tool does without --long=31\); read it with `zstd -dc --long=31 FILE \| kinv check -`\)$/);
    // After a frame it reads, the text before is whole (its checksum verified), as before a cut.
    const path = join(tmp, 'then-long.zst');
    writeFileSync(path, Buffer.concat([readFileSync(join(DIR, 'compressed/kernel-head.txt.zst')), readFileSync(join(DIR, 'compressed/hello-long28.txt.zst'))]));
    const input = await openInput(path);
    const parts: Buffer[] = [];
    for await (const c of input.chunks) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).toString('latin1')).toBe(head);
    expect(input.cut).toEqual({
      message: `the zstd stream goes on, after ${head.length} bytes of data, in a part this decoder cannot read (its frame needs a 256 MiB window, more than the 128 MiB this reader allows (as the zstd tool does without --long=31); read it with \`zstd -dc --long=31 FILE | kinv check -\`)`,
      bytes: head.length,
    });
  });

  it('a bzip2, LZ4, lzip, zip or 7z file is named, with the command that decodes it, not read as binary text', async () => {
    const formats: [string, Buffer, string][] = [
      // `printf 'hello\\n' | bzip2`
      ['bzip2', Buffer.from('425a6839314159265359c1c080e2000001410000100244a00030cd00c3462997177245385090c1c080e2', 'hex'), 'bzip2 -dc FILE'],
      ['LZ4', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0, 0, 0, 0]), 'lz4 -dc FILE'],
      ['lzip', Buffer.from('LZIP\x01\x0c\x00', 'latin1'), 'lzip -dc FILE'],
      ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]), 'unzip -p FILE'],
      ['7z', Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), '7z x -so FILE'],
    ];
    for (const [name, bytes, decode] of formats) {
      const path = join(tmp, `t.${name}`);
      writeFileSync(path, bytes);
      await expect(openInput(path)).rejects.toThrow(
        `cannot read trace '${path}': a ${name} file, which kinv does not decode (it reads gzip, xz and zstd); decode it first: \`${decode} | kinv check -\``);
    }
    // (a text that begins with bzip2's three letters is read as text)
    const text = join(tmp, 'bzh.txt');
    writeFileSync(text, 'BZh9 is a block size\n');
    expect((await openInput(text)).compression).toBeUndefined();
  });

  it('garbage after an xz magic is no xz file: a readable error, not a stack trace', async () => {
    const path = join(tmp, 'bad.xz');
    writeFileSync(path, Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(64, 0x41)]));
    await expect(openInput(path)).rejects.toThrow(/^cannot read trace '.*bad\.xz': not a valid xz file \(/);
  });

  it('the zstd decoder hands over copies: chunks stay intact after later output', async () => {
    async function* src(): AsyncGenerator<Uint8Array> {
      yield readFileSync(join(DIR, 'compressed/kernel-head.txt.zst'));
    }
    const chunks: Uint8Array[] = [];
    for await (const c of decompressStream('zstd', src())) chunks.push(c);
    expect(Buffer.concat(chunks).toString('latin1')).toBe(head);
  });
});
