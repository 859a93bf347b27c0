/**
 * The reader's shortcuts against the plain paths they stand for: the quick test of a probe line's
 * quoted values (payload.ts), a chunk's cut line joined on its own (read-ahead.ts, records.ts), and
 * the read ahead's kept bytes handed to the judging read instead of the file read again
 * (ftrace-source.ts) — each over generated lines, odd ones included.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledSpecDir } from '../../../src/analysis/load.js';
import { readTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import { fc, test } from '@fast-check/vitest';
import { readAheadOf } from '../../../src/trace/ftrace-source.js';
import { hasOpenString, quotedValuesClosed } from '../../../src/trace/ftrace/payload.js';
import { readAhead } from '../../../src/trace/ftrace/read-ahead.js';
import { openInput } from '../../../src/trace/input.js';

/** Payload pieces: keys, `=`, quotes, blanks, braces, a non-ASCII byte. */
const payloadArb = fc.array(fc.constantFrom('a', 'sem', '=', '"', ' ', '\t', 'x y', '0x1f', '{', '}', '(fault)', '\xe9', '="', '" '), { maxLength: 14 })
  .map((parts) => parts.join(''));

describe('hasOpenString', () => {
  test.prop([payloadArb, fc.nat(3), fc.nat(3)])('is the full walk of the key=value list', (payload, before, after) => {
    const s = 'x'.repeat(before) + payload + 'y'.repeat(after);
    const end = before + payload.length;
    expect(hasOpenString(s, before, end)).toBe(payload.includes('"') && !quotedValuesClosed(s, before, end));
  });
});

const comm = fc.constantFrom('lkwork', 'kworker/0:1', 'a b', 'caf\xc3\xa9', '<...>', 'x-1');
/** Record lines of every shape the read ahead counts or looks into, with odd ones. */
const lineArb = fc.oneof(
  fc.tuple(comm, fc.nat(999), fc.nat(3), fc.nat(99999), fc.constantFrom(
    'dr: (down_read+0x0/0xa0) sem=0xff32c67481933230',
    'ur: (up_read+0x0/0x60) sem=0xff32c67481933230',
    'dw: (down_write+0x0/0xa0) sem=0xff0',
    'lkslow: (__lookup_slow+0x0/0x130) name="nope 1" nlen=6 dir=0xff1',
    'daddci: (d_add_ci+0x0/0x2d0) dentry=0xff1 name="Abc',
    'dr_ret: (walk_component+0xcc/0x150 <- down_read)',
    'sys_exit: NR 262 = -2',
    'dr: (ffffffff81000000) sem=0xff3',
  )).map(([c, pid, cpu, ts, body]) => `  ${c}-${pid} [00${cpu}] ..... ${Math.floor(ts / 1000)}.${String(ts % 1000).padStart(6, '0')}: ${body}`),
  fc.constantFrom('# tracer: nop', '# tracer: function_graph', '# entries-in-buffer/entries-written: 7/7   #P:2', '#', '', 'CPU:1 [LOST 3 EVENTS]',
    '##### CPU 1 buffer started ####', '  lkwork-1 [000]', 'garbage', '  lkwork-1 [000] ..... 1.000001:', ' 1)   0.500 us    |  f();'),
  fc.string({ maxLength: 40 }),
);
const textArb = fc.tuple(fc.array(lineArb, { maxLength: 30 }), fc.boolean(), fc.boolean()).map(([ls, crlf, cutLast]) => {
  const text = ls.map((l) => l + (crlf ? '\r\n' : '\n')).join('');
  return cutLast && text.length > 3 ? text.slice(0, -2) : text;
});

async function* pieces(buf: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) if (c > at && c < buf.length) { yield buf.subarray(at, c); at = c; }
  if (at < buf.length) yield buf.subarray(at);
}

describe('readAhead', () => {
  test.prop([textArb, fc.array(fc.nat(), { maxLength: 8 })])('chunk boundaries do not change what it finds', async (text, cutsRaw) => {
    const buf = Buffer.from(text, 'latin1');
    const whole = await readAhead(pieces(buf, []));
    const split = await readAhead(pieces(buf, cutsRaw.map((c) => c % (buf.length + 1))));
    expect(split).toEqual(whole);
  });
});

describe('readAheadOf: kept bytes, the file read again, or a spool file', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kinv-ahead-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;

  async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const c of chunks) parts.push(c);
    return Buffer.concat(parts);
  }

  /** The same bytes read ahead three ways: kept in memory, read again from the file, kept in a spool file (an input that cannot be read again). */
  async function both(data: Buffer): Promise<{ kept: unknown; again: unknown; spooled: unknown }> {
    const path = join(tmp, `t${n++}`);
    writeFileSync(path, data);
    const spools = join(tmp, `spools${n}`);
    mkdirSync(spools);
    const run = async (keep: number, reopenable: boolean): Promise<unknown> => {
      const input = await openInput(path);
      const r = await readAheadOf(input, { again: reopenable ? () => openInput(path) : undefined, keepBytes: keep, spoolIn: spools });
      if ('failed' in r) throw new Error(r.failed);
      const spooling = readdirSync(spools).length;
      const bytes = await bytesOf(r.chunks as AsyncIterable<Uint8Array>);
      // A spool only past the bytes kept in memory, and gone once read.
      expect(spooling).toBe(!reopenable && bytes.length > keep ? 1 : 0);
      expect(readdirSync(spools)).toEqual([]);
      return { ahead: r.ahead, bytes: bytes.toString('latin1'), cut: input.cut };
    };
    return { kept: await run(1 << 30, true), again: await run(0, true), spooled: await run(7, false) };
  }

  test.prop([textArb, fc.boolean()], { numRuns: 30 })('both give the same read ahead, the same bytes and the same cut', async (text, gzip) => {
    const plain = Buffer.from(text, 'latin1');
    const { kept, again, spooled } = await both(gzip ? gzipSync(plain) : plain);
    expect(kept).toEqual(again);
    expect(spooled).toEqual(kept);
    expect((kept as { bytes: string }).bytes).toBe(text);
  });

  test.prop([textArb.filter((t) => t.length > 40), fc.double({ min: 0.5, max: 0.98, noNaN: true })], { numRuns: 20 })(
    'a gzip stream cut short: the same cut either way', async (text, at) => {
    // (long enough that the cut comes after the first decoded chunk, which opening the input takes)
    const z = gzipSync(Buffer.from(text.repeat(Math.ceil(200_000 / text.length)), 'latin1'));
    const { kept, again, spooled } = await both(z.subarray(0, Math.floor(z.length * at)));
    expect(kept).toEqual(again);
    expect(spooled).toEqual(kept);
    expect((kept as { cut: unknown }).cut).toBeDefined();
  });
});

describe('a path that is no regular file', () => {
  it('is read whole, once (a named pipe cannot be read again)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kinv-fifo-'));
    try {
      const fifo = join(tmp, 'trace');
      execFileSync('mkfifo', [fifo]);
      // (larger than the first chunk read when the input is opened)
      const text = readFileSync(new URL('../../../traces/ftrace/kprobe-draft-d_add_ci.txt', import.meta.url), 'latin1');
      const body = text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
      const big = Buffer.from(body.repeat(Math.ceil((3 << 19) / body.length)), 'latin1');
      const plain = join(tmp, 'plain');
      writeFileSync(plain, big);
      const specs = new SpecSet([bundledSpecDir()], {});
      const read = async (path: string): Promise<{ lines: number; events: number }> => {
        const opened = await readTraceFile(path, specs, { onDiagnostic: () => undefined });
        let events = 0;
        for await (const batch of opened!.source) events += batch.length;
        return { lines: opened!.stats.lines, events };
      };
      const writing = writeFile(fifo, big);
      const piped = await read(fifo);
      await writing;
      expect(piped).toEqual(await read(plain));
      expect(piped.lines).toBeGreaterThan(5_000);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('is read whole when xz-compressed too (its decoder is kept, not opened afresh on the pipe)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kinv-fifo-'));
    try {
      const fifo = join(tmp, 'trace');
      execFileSync('mkfifo', [fifo]);
      const xz = new URL('../../../traces/ftrace/compressed/kernel-head.txt.xz', import.meta.url);
      const specs = new SpecSet([bundledSpecDir()], {});
      const read = async (path: string): Promise<{ lines: number; events: number; cut: boolean }> => {
        let cut = false;
        const opened = await readTraceFile(path, specs, { onDiagnostic: (d) => { if (d.code === 'KV305') cut = true; } });
        let events = 0;
        for await (const batch of opened!.source) events += batch.length;
        return { lines: opened!.stats.lines, events, cut };
      };
      const writing = writeFile(fifo, readFileSync(xz));
      const piped = await read(fifo);
      await writing;
      const direct = await read(fileURLToPath(xz));
      expect(piped).toEqual(direct);
      expect(direct).toMatchObject({ lines: 3_999, cut: false });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
