/**
 * How the NDJSON reader cuts its input into lines: wherever the chunks of the stream end, however
 * long the lines (short ones are scanned byte by byte, long ones left to Buffer.indexOf), with
 * batches of any size, it gives the items and diagnostics a plain reading of the same bytes gives:
 * every line split at its newline (`lines`, Buffer.indexOf) and parsed by `parseNdjsonLine`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { lines, parseNdjsonLine, readNdjson } from '../../src/trace/ndjson.js';
import { isGap, type TraceItem } from '../../src/trace/event.js';

async function* chunked(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

/** Cuts `bytes` at the given offsets (taken modulo its length). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => (bytes.length === 0 ? 0 : a % bytes.length)))].sort((x, y) => x - y);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of points) { parts.push(bytes.subarray(from, p)); from = p; }
  parts.push(bytes.subarray(from));
  return parts;
}

async function read(parts: Buffer[], batchSize: number): Promise<{ batches: TraceItem[][]; diags: Diagnostic[] }> {
  const diags: Diagnostic[] = [];
  const batches: TraceItem[][] = [];
  for await (const b of readNdjson(chunked(parts), { file: 't', onDiagnostic: (d) => diags.push(d), batchSize })) batches.push(b);
  return { batches, diags };
}

const record = fc.oneof(
  fc.record({ pid: fc.integer({ min: 1, max: 5 }), ev: fc.constantFrom('acq', 'rel'), args: fc.record({ lock: fc.string({ maxLength: 8 }), mode: fc.constantFrom('R', 'W') }) })
    .map((r) => JSON.stringify(r)),
  // Lines past the byte-by-byte scan (256 bytes), in the fast path and out of it.
  fc.record({ pid: fc.integer({ min: 1, max: 5 }), ev: fc.constant('acq'), args: fc.record({ lock: fc.string({ minLength: 200, maxLength: 700 }), mode: fc.constant('W') }) })
    .map((r) => JSON.stringify(r)),
  fc.constantFrom('', '   ', '{"pid":1,"ev":"rel"', 'not json', '{"pid":1,"ev":"x","args":{"s":"caf\\u00e9"}}\r', '{"pid":"1","ev":"acq"}', '\u0001\u0002'),
);

const trace = fc.record({ recs: fc.array(record, { maxLength: 30 }), terminated: fc.boolean() }).map(({ recs, terminated }) => recs.join('\n') + (terminated && recs.length > 0 ? '\n' : ''));

describe('NDJSON reader, line cutting', () => {
  it('gives the items of a plain line-by-line reading, whatever the chunks and batch size', async () => {
    await fc.assert(fc.asyncProperty(trace, fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 1, max: 8 }), async (text, at, batchSize) => {
      const bytes = Buffer.from(text, 'utf8');
      const got = await read(cut(bytes, at), batchSize);
      // The plain reading: Buffer.indexOf per line, JSON.parse per line.
      const plain: unknown[] = [];
      let lineNo = 0;
      let index = 0;
      for await (const l of lines(chunked([bytes]))) {
        lineNo++;
        if (l.text.trim() === '' || l.binary) continue;
        const r = parseNdjsonLine(l.text, lineNo, 't', index);
        if ('event' in r) { plain.push(r.event); index++; }
      }
      const items = got.batches.flat();
      expect(items.filter((i) => !isGap(i))).toStrictEqual(plain);
      // Each batch but the last is full: batches are cut by count, not by where a chunk ended.
      for (const b of got.batches.slice(0, -1)) expect(b.length).toBeGreaterThanOrEqual(batchSize);
      // And the same items, gaps and diagnostics as one chunk read in one batch.
      const whole = await read([bytes], 1 << 30);
      expect(items).toStrictEqual(whole.batches.flat());
      expect(got.diags).toStrictEqual(whole.diags);
    }), { numRuns: 300 });
  });
});
