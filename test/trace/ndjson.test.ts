/** The NDJSON reader's positions: a record's `seq`, given or taken from its place in the file. */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { isGap, type TraceItem } from '../../src/trace/event.js';
import { readNdjson } from '../../src/trace/ndjson.js';

async function items(text: string): Promise<{ items: TraceItem[]; diags: Diagnostic[] }> {
  const diags: Diagnostic[] = [];
  const out: TraceItem[] = [];
  async function* one(): AsyncGenerator<Buffer> { yield Buffer.from(text); }
  for await (const b of readNdjson(one(), { file: 't', onDiagnostic: (d) => diags.push(d) })) out.push(...b);
  return { items: out, diags };
}

describe('readNdjson positions', () => {
  it('numbers records without seq by their order (a malformed line is a gap at the next position)', async () => {
    const r = await items('{"pid":1,"ev":"syscall_exit"}\nnot json\n{"pid":1,"ev":"syscall_exit"}\n');
    expect(r.items.map((i) => [isGap(i), i.seq])).toEqual([[false, 0], [true, 1], [false, 1]]);
  });

  it('places a record without seq right after the record before it when that one gave its own', async () => {
    const r = await items('{"pid":1,"seq":1000,"ev":"syscall_exit"}\n{"pid":1,"ev":"syscall_exit"}\n'
      + '{"pid":1,"seq":1005,"ev":"syscall_exit"}\n{"pid":1,"ev":"syscall_exit"}\n');
    expect(r.items.map((i) => i.seq)).toEqual([1000, 1001, 1005, 1006]);
    expect(r.diags).toEqual([]);
  });

  it('keeps counting on from the furthest position when a given seq goes back', async () => {
    const r = await items('{"pid":1,"seq":10,"ev":"syscall_exit"}\n{"pid":1,"seq":3,"ev":"syscall_exit"}\n{"pid":1,"ev":"syscall_exit"}\n');
    expect(r.items.map((i) => i.seq)).toEqual([10, 3, 11]);
  });

  it('takes a ts that is not a finite number (1e400 parses to Infinity) as a malformed record', async () => {
    const r = await items('{"pid":1,"ev":"syscall_exit","ts":1e400}\n{"pid":1,"ev":"syscall_exit","ts":1.5}\n');
    expect(r.items.map((i) => [isGap(i), i.seq])).toEqual([[true, 0], [false, 0]]);
    expect(r.diags.map((d) => [d.code, d.message, d.at?.line, d.at?.column])).toEqual([['KV301', "'ts' must be a finite number (seconds)", 1, 30]]);
  });
});
