/**
 * trace.dat records given to the reader decoded (no line rendered and scanned again) make exactly
 * what their rendered tracefs text makes: every raw record field, gap, line number and counter, on
 * the real files (decoded from their first record, and from part-way), with a damaged page and a
 * cut file; `kinv check` of a trace.dat larger than the checker's text head gives the same
 * summary, events, gaps and verdicts as `kinv check` of its text; and the seam itself (fillScan)
 * against scanLine for the columns a decoder can give (comms with dashes, modules, unknown sites).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTraceDat } from '../../../bench/gen-tracedat.js';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { TraceItem } from '../../../src/trace/event.js';
import { decodedRecord, fillScan } from '../../../src/trace/ftrace/decoded.js';
import { LineScan, materialise, newSniffState, scanLine } from '../../../src/trace/ftrace/line.js';
import type { RawItem } from '../../../src/trace/ftrace/raw.js';
import { emptyFtraceStats, readFtraceRecords } from '../../../src/trace/ftrace/records.js';
import { readTraceDatMeta } from '../../../src/trace/tracedat/file.js';
import { HEAD_TEXT_BYTES, traceDatRecords, traceDatText } from '../../../src/trace/tracedat/read.js';

const DIR = 'traces/tracedat';
const FILES = ['extract.dat', 'record-v6.dat', 'record-v7.dat', 'record-v7-zstd.dat'];
const tmp = mkdtempSync(join(tmpdir(), 'kinv-decoded-'));
const cwd = process.cwd();

/** Raw items, counters and problems of a trace.dat, read from its text (textBytes Infinity) or decoded past `textBytes`. */
async function raw(bytes: Buffer, textBytes: number) {
  const t = textBytes === Infinity ? traceDatText(bytes) : traceDatRecords(bytes, textBytes);
  const stats = emptyFtraceStats();
  const items: RawItem[] = [];
  let decodedChunks = 0;
  async function* counted() {
    for (const c of t.chunks) {
      if (!Buffer.isBuffer(c)) decodedChunks++;
      yield c;
    }
  }
  for await (const b of readFtraceRecords(counted(), { file: 'f', stats, leafFunctions: ['down_read?', 'down_write'] })) items.push(...b);
  return { items, stats, problems: t.problems, records: t.records, decodedChunks };
}

describe('decoded records equal their rendered text, record for record', () => {
  it.each(FILES)('%s: decoded from the first record, and from part-way', async (file) => {
    const bytes = readFileSync(`${DIR}/${file}`);
    const text = await raw(bytes, Infinity);
    expect(text.items.length).toBeGreaterThan(1000);
    expect(text.decodedChunks).toBe(0);
    for (const at of [0, 40_000]) {
      const dec = await raw(bytes, at);
      expect(dec.decodedChunks).toBeGreaterThan(0);
      expect(dec.items).toEqual(text.items);
      // (bytes counts the text read: decoded records have none)
      expect({ ...dec.stats, bytes: 0 }).toEqual({ ...text.stats, bytes: 0 });
      expect(dec.records).toBe(text.records);
    }
  });

  it('a page flagged with missed events, and a file cut in its last page: the same gaps, lines and problems', async () => {
    const b = Buffer.from(readFileSync(`${DIR}/record-v6.dat`));
    const cpu1 = readTraceDatMeta(b).cpus[1]!;
    const page = cpu1.offset + 4096;
    b.writeUInt32LE((b.readUInt32LE(page + 8) | 0x80000000) >>> 0, page + 8);
    const text = await raw(b, Infinity);
    const dec = await raw(b, 0);
    expect(text.items.filter((i) => i.kind === 'gap').map((g) => g.kind === 'gap' && [g.reason, g.cpu])).toEqual([['lost events', 1]]);
    expect(dec.items).toEqual(text.items);
    expect({ ...dec.stats, bytes: 0 }).toEqual({ ...text.stats, bytes: 0 });
    const cut = b.subarray(0, cpu1.offset + cpu1.size - 2000);
    const tc = await raw(cut, Infinity);
    const dc = await raw(cut, 0);
    expect(tc.problems.length).toBe(1);
    expect(dc.problems).toEqual(tc.problems);
    expect(dc.items).toEqual(tc.items);
  });
});

describe('strings the decoder gives as text', () => {
  it.each([
    ['a quote and a key inside a quoted value (the text reader may read it as open)', 'a" b='],
    ['a newline inside a quoted value (the record goes on over two lines)', 'ab\ncd'],
    ['a control byte', 'ab\x01c'],
  ])('%s: the same records, gaps, lines and counters as the rendered text', async (_what, swap) => {
    const b = Buffer.from(readFileSync(`${DIR}/record-v6.dat`));
    const from = Buffer.from('nope3', 'latin1');
    const to = Buffer.from(swap.padEnd(5, 'x'), 'latin1');
    const dataStart = Math.min(...readTraceDatMeta(b).cpus.map((c) => c.offset));
    let n = 0;
    for (let i = b.indexOf(from, dataStart); i !== -1; i = b.indexOf(from, i + 5)) { to.copy(b, i); n++; }
    expect(n).toBeGreaterThan(3);
    const text = await raw(b, Infinity);
    const dec = await raw(b, 0);
    expect(text.items.some((r) => r.kind === 'kprobe' && r.payload!.includes(swap))).toBe(true);
    expect(dec.items).toEqual(text.items);
    expect({ ...dec.stats, bytes: 0 }).toEqual({ ...text.stats, bytes: 0 });
  });
});

describe('kinv check of a trace.dat past the text head', () => {
  it('the same summary, events, gaps and verdicts as kinv check of its text', async () => {
    // record-v6.dat's pages four times over: more text than the head, so most records come decoded
    const dat = generateTraceDat(readFileSync(join(cwd, DIR, 'record-v6.dat')), 4);
    const textBytes = Buffer.concat([...traceDatText(dat).chunks] as Buffer[]);
    expect(textBytes.length).toBeGreaterThan(HEAD_TEXT_BYTES * 1.5);
    const decodedChunks = [...traceDatRecords(dat).chunks].filter((c) => !Buffer.isBuffer(c)).length;
    expect(decodedChunks).toBeGreaterThan(0);
    // (one name for both, in two folders: the events name their file)
    mkdirSync(join(tmp, 'dat'));
    mkdirSync(join(tmp, 'txt'));
    writeFileSync(join(tmp, 'dat', 'big'), dat);
    writeFileSync(join(tmp, 'txt', 'big'), textBytes);
    const specs = new SpecSet([], {});
    const run = async (path: string) => {
      const items: TraceItem[] = [];
      const diags: string[] = [];
      const r = await checkTraceFile(path, specs, { all: true, onItem: (i) => items.push(i), onDiagnostic: (d) => diags.push(`${d.code} ${d.message}`) });
      return { r: r!, items, diags };
    };
    process.chdir(join(tmp, 'dat'));
    const d = await run('big');
    process.chdir(join(tmp, 'txt'));
    const t = await run('big');
    process.chdir(cwd);
    expect(d.r.stats).toEqual(t.r.stats);
    expect(d.r.stats.records).toBe(1818 * 4);
    expect(d.items.length).toBeGreaterThan(5000);
    expect(d.items).toEqual(t.items);
    expect(d.r.verdicts).toEqual(t.r.verdicts);
    expect(d.r.evaluated).toEqual(t.r.evaluated);
    expect(d.r.coverage).toEqual(t.r.coverage);
    expect(Object.values(d.r.evaluated).reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(d.diags).toEqual(t.diags);
  });
});

describe('a record decoded from its columns equals the record of its line', () => {
  interface Cols { kind: 'kprobe' | 'kretprobe' | 'syscall_exit' | 'event'; name: string; pid: number; cpu: number; comm: string; ts: string;
    sec: number; nsec: number; clock: 'ns' | 'counter'; flags: string; payload: string; site: string; sym: string }
  const base: Cols = {
    kind: 'kprobe', name: 'dr', pid: 506, cpu: 1, comm: 'lkwork', ts: '1941', sec: 0, nsec: 1941, clock: 'counter', flags: 'd..1.',
    payload: '(down_read+0x0/0x50) sem=0xffff8880049a1a70', site: 'down_read+0x0/0x50', sym: 'down_read',
  };
  const cases: Cols[] = [
    base,
    { ...base, comm: 'kworker/u4:2-ev', pid: 12 },
    { ...base, comm: '<...>', ts: '12.000345', sec: 12, nsec: 345_000, clock: 'ns' },
    { ...base, ts: '4321000000123', sec: 4321, nsec: 123 },
    { ...base, payload: '(xfs_vn_lookup+0x0/0xb0 [xfs]) dir=0x1 name="a b=c"', site: 'xfs_vn_lookup+0x0/0xb0 [xfs]', sym: 'xfs_vn_lookup' },
    { ...base, payload: '(0xffffffffc0001000)', site: '0xffffffffc0001000', sym: '0xffffffffc0001000' },
    { ...base, kind: 'kretprobe', name: 'dr_ret', payload: '(walk_component+0x1c/0x1a0 <- down_read) ret=0x0', site: 'walk_component+0x1c/0x1a0', sym: 'down_read' },
    { ...base, kind: 'kretprobe', name: 'dr_ret', payload: '(0xffffffffa50c8db6 <- down_read)', site: '0xffffffffa50c8db6', sym: 'down_read' },
    { ...base, kind: 'event', name: 'sys_exit', payload: 'NR 59 = -2', site: '', sym: '' },
    { ...base, kind: 'event', name: 'sched_process_exit', payload: 'comm=lkwork pid=506 prio=120', site: '', sym: '' },
    { ...base, kind: 'event', name: 'lock_acquire', payload: '0xffff888003a1b0c8 &type->i_mutex_dir_key', site: '', sym: '' },
    { ...base, kind: 'event', name: 'empty', payload: '', site: '', sym: '' },
  ];
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, d) => {
    const line = `${d.comm.padStart(16)}-${String(d.pid).padEnd(7)} [${String(d.cpu).padStart(3, '0')}] ${d.flags} ${d.ts.padStart(12)}: ${d.name}: ${d.payload}`;
    const st = newSniffState('f');
    const want = new LineScan();
    scanLine(line, 0, line.length, st, want);
    const probe = d.kind === 'kprobe' || d.kind === 'kretprobe' ? { site: d.site, sym: d.sym, head: d.payload.indexOf(')') + 1 } : undefined;
    const rec = decodedRecord(d.kind, d.name, d.pid, d.cpu, d.comm, { text: d.ts, sec: d.sec, nsec: d.nsec, clock: d.clock }, d.flags, d.payload, probe);
    expect(rec).toBeDefined();
    const got = new LineScan();
    fillScan(got, rec!);
    expect(got.kind).toBe(want.kind);
    expect(got.cls).toBe(want.cls);
    expect(got.hexHead).toBe(false);
    expect(want.hexHead).toBe(false);
    expect(materialise(got, 'f', 7)).toEqual(materialise(want, 'f', 7));
  });

  it.each([
    ['a control byte', 'comm=a\x01b'],
    ['a payload opening with `(` (read as a probe head)', '(x) a=1'],
    ['a blank at its end', 'a=1 '],
  ])('%s: given as text', (_what, payload) => {
    expect(decodedRecord('event', 'ev', 1, 0, 'c', { text: '1.000001', sec: 1, nsec: 1000, clock: 'ns' }, '.....', payload)).toBeUndefined();
  });
});
