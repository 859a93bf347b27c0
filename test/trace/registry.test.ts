/**
 * A trace format added in one place: a toy CSV of canonical events (`pid,ev,lock,mode,kind`), whole
 * in this file as a library user would write it, registered through the public API, then sniffed
 * by content, checked, and its bad line reported where it is.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkTraceFile, registerTraceFormat, sniffTraceFormat, SpecSet, traceFormat, traceFormatNames,
  type Diagnostic, type FormatContext, type OpenedInput, type TraceEvent, type TraceFormat, type TraceGap, type TraceItem,
} from '../../src/index.js';
import { kinv } from '../helpers/kinv.js';

// ---- the whole format: one module's worth ----
const HEADER = 'pid,ev,lock,mode,kind';
const COLUMNS = HEADER.split(',');

async function* readCsv(input: OpenedInput, ctx: FormatContext,
  validate: (e: TraceEvent) => { field: string; message: string } | undefined | 'unknown'): AsyncGenerator<TraceItem[]> {
  let text = '';
  for await (const c of input.chunks) text += Buffer.from(c).toString('utf8');
  const items: TraceItem[] = [];
  const lost = (line: number, column: number, message: string, pids?: number[]): void => {
    ctx.onDiagnostic({ code: 'KV301', severity: 'error', message, at: { source: ctx.file, line, column } });
    ctx.stats.malformed++;
    ctx.stats.gaps++;
    items.push({ kind: 'gap', reason: 'malformed line', pids, seq: ctx.stats.records, file: ctx.file, line });
  };
  const rows = text.split('\n');
  if (rows.at(-1) === '') rows.pop();
  rows.forEach((row, i) => {
    const line = i + 1;
    ctx.stats.lines++;
    if (line === 1) { ctx.stats.skipped++; return; }
    const cells = row.split(',');
    const column = (k: number): number => cells.slice(0, k).join(',').length + (k > 0 ? 2 : 1);
    if (!/^\d+$/.test(cells[0]!)) return lost(line, 1, `'pid' must be a whole number, got '${cells[0]}'`);
    const pid = Number(cells[0]);
    // A missing field is where it would start (past the end of the line); a surplus one where it starts.
    if (cells.length < COLUMNS.length) return lost(line, row.length + 1, `${cells.length} fields, not ${COLUMNS.length}`, [pid]);
    if (cells.length > COLUMNS.length) return lost(line, column(COLUMNS.length), `${cells.length} fields, not ${COLUMNS.length}`, [pid]);
    const args = Object.fromEntries(COLUMNS.slice(2).map((c, k) => [c, cells[k + 2]!]).filter(([, v]) => v !== ''));
    const event: TraceEvent = { seq: ctx.stats.records, pid, ev: cells[1]!, args, file: ctx.file, line };
    ctx.stats.records++;
    const p = validate(event);
    if (p !== undefined) {
      const field = p === 'unknown' ? 1 : COLUMNS.indexOf(p.field);
      return lost(line, column(field < 0 ? 1 : field), p === 'unknown' ? `unknown event '${event.ev}'` : p.message, [pid]);
    }
    items.push(event);
  });
  yield items;
}

const csvFormat: TraceFormat = {
  name: 'csv',
  events: 'ndjson',
  sniff: (head) => Buffer.from(head).toString('utf8').startsWith(HEADER + '\n'),
  open: (input, ctx) => ({ read: (_spec, validate) => ({ source: readCsv(input, ctx, validate) }) }),
};
// ---- end of the format ----

// The mutual exclusion fixture of traces/ndjson/ as CSV: task 101 takes I1 for reading while 102 holds it for writing.
const MUTEX = [HEADER, '102,acq_req,I1,W,blocking', '102,acq,I1,W,', '101,acq_req,I1,R,blocking', '101,acq,I1,R,', '101,rel,I1,R,', '102,rel,I1,W,'];

let dir: string;
let unregister: (() => void) | undefined;
const specs = new SpecSet([], {});
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'kinv-csv-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => { unregister?.(); unregister = undefined; });

function file(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

async function check(path: string, from?: string): Promise<{ r: Awaited<ReturnType<typeof checkTraceFile>>; diags: Diagnostic[]; gaps: TraceGap[] }> {
  const diags: Diagnostic[] = [];
  const gaps: TraceGap[] = [];
  const r = await checkTraceFile(path, specs, { all: true, from, onDiagnostic: (d) => diags.push(d), onGap: (g) => gaps.push(g) });
  return { r, diags, gaps };
}

describe('a trace format registered by a library user', () => {
  it('is sniffed by content (the file name says nothing) and its events are checked', async () => {
    const path = file('mutex.trace', MUTEX);
    unregister = registerTraceFormat(csvFormat);
    expect(sniffTraceFormat(Buffer.from(MUTEX.join('\n') + '\n')).name).toBe('csv');
    const { r, diags } = await check(path);
    expect(diags).toEqual([]);
    expect(r?.format).toBe('csv');
    expect(r?.stats).toMatchObject({ lines: 7, records: 6, events: 6, malformed: 0, skipped: 1 });
    expect(r?.verdicts.map((v) => [v.kind, v.invariant, v.event?.seq, v.event?.line])).toEqual([['violation', 'mutual_exclusion', 3, 5]]);
  });

  it('was not read before it was registered: the same file is then trace text, whose reader finds no record', async () => {
    const path = file('mutex-unregistered.trace', MUTEX);
    expect(sniffTraceFormat(Buffer.from(MUTEX.join('\n'))).name).toBe('ftrace');
    const { r } = await check(path);
    expect(r?.format).toBe('ftrace');
    expect(r?.verdicts).toEqual([]);
    expect(r?.stats.events).toBe(0);
  });

  it('reports a bad line where it is, as a gap of its task, and checks the rest', async () => {
    unregister = registerTraceFormat(csvFormat);
    const bad = [...MUTEX.slice(0, 3), '101,acq_req,I1', '101,acq,I1,X,', ...MUTEX.slice(4)];
    const { r, diags, gaps } = await check(file('bad.trace', bad));
    expect(diags.map((d) => [d.code, d.at?.line, d.at?.column, d.message])).toEqual([
      ['KV301', 4, 15, '3 fields, not 5'],
      ['KV301', 5, 12, "argument 'mode' of 'acq' must be one of R, W, got \"X\""],
    ]);
    expect(gaps.map((g) => [g.line, g.pids])).toEqual([[4, [101]], [5, [101]]]);
    expect(r?.stats).toMatchObject({ lines: 8, records: 6, events: 5, malformed: 2, gaps: 2 });
    // Task 101's state is unknown after its lost lines: the read it may have taken is not judged.
    expect(r?.verdicts.filter((v) => v.kind === 'violation')).toEqual([]);
  });

  it('is named by --from on the command line, which lists it among the formats', async () => {
    const path = file('mutex-cli.trace', MUTEX);
    expect(traceFormatNames()).not.toContain('csv');
    expect((await kinv(['check', '--from', 'csv', path])).stderr).toContain("--from must be one of ndjson, ftrace, perf, itf, auto, got 'csv'");
    unregister = registerTraceFormat(csvFormat);
    expect(traceFormatNames()).toEqual(['ndjson', 'ftrace', 'perf', 'itf', 'csv']);
    const cli = await kinv(['check', '--from', 'csv', path]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`${path}:5`);
    expect(cli.stdout).toContain('mutual_exclusion');
  });

  it('cannot take a name in use, and is gone once unregistered', () => {
    expect(() => registerTraceFormat({ ...csvFormat, name: 'perf' })).toThrow("trace format name 'perf' is taken");
    expect(() => registerTraceFormat({ ...csvFormat, name: 'auto' })).toThrow("trace format name 'auto' is taken");
    const off = registerTraceFormat(csvFormat);
    expect(traceFormat('csv')).toBe(csvFormat);
    off();
    expect(traceFormat('csv')).toBeUndefined();
  });
});
