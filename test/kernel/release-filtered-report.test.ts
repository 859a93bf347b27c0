// The release-filtered capture (see release-filtered.test.ts) as `trace-cmd report` prints it: no
// flags column, padded event names, and every probe's site as bare addresses — an entry's
// `(ffffffff…)`, a return's `(probed function <- return site)`. The rwsems its unfiltered acquisition
// probes take and never release must be found in this layout too (named by the capture's probe
// definitions), giving the same KV320 and the same unknowns as the tracefs text of the same records.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkJson } from '../helpers/cli.js';

const DIR = join(import.meta.dirname, '../../traces/kernel-waitqueue/release-filtered');
/** Header lines of the tracefs text; the report has one (`cpus=1`). */
const TRACEFS_HEADER = 12;

/** A made-up kernel address per function (the probe definitions name the function, whatever the address). */
function addressOf(fn: string, table: Map<string, string>): string {
  let a = table.get(fn);
  if (a === undefined) { a = (0xffffffff81000000n + BigInt(table.size + 1) * 0x1000n).toString(16); table.set(fn, a); }
  return a;
}

/** The tracefs text's records in trace-cmd report's layout. */
function asReport(tracefs: string): string {
  const table = new Map<string, string>();
  const out = ['cpus=1'];
  const lines = tracefs.split('\n');
  expect(lines.slice(0, TRACEFS_HEADER).every((l) => l.startsWith('#'))).toBe(true);
  for (const line of lines.slice(TRACEFS_HEADER)) {
    if (line === '') continue;
    const m = /^\s*(.*)-(\d+)\s+\[(\d+)\] \S+\s+(\d+): ([\w.]+): (.*)$/s.exec(line);
    expect(m, line).not.toBeNull();
    const [, comm, pid, cpu, ts, name, payload] = m!;
    let body = payload!;
    const entry = /^\(([\w.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+\)/.exec(body);
    const ret = /^\(([\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+) <- ([\w.]+)\)/.exec(body);
    if (entry) body = `(${addressOf(entry[1]!, table)})` + body.slice(entry[0].length);
    else if (ret) body = `(${addressOf(ret[2]!, table)} <- ${addressOf(ret[1]!, table)})` + body.slice(ret[0].length);
    out.push(`${comm!.padStart(16)}-${pid!.padEnd(5)} [${cpu}] ${ts!.padStart(11)}: ${name}: ${' '.repeat(Math.max(1, 21 - name!.length))}${body}`);
  }
  return out.join('\n') + '\n';
}

type Found = { kind: string; invariant: string; line: number; message: string; reason?: string };
type Diag = { kind: string; code: string; message: string; line?: number };

function kinv(trace: string) {
  const r = checkJson(['--param', 'i_rwsem_offset=136', '--probes', join(DIR, 'kprobe_events'), '--functions', join(DIR, 'functions'), trace]);
  return {
    status: r.status,
    found: r.objects.filter((o) => o.kind === 'violation' || o.kind === 'unknown') as unknown as Found[],
    diagnostics: r.objects.filter((o) => o.kind === 'diagnostic') as unknown as Diag[],
    summary: r.objects.find((o) => o.kind === 'summary') as unknown as { records: number; evaluated: Record<string, number> },
  };
}

describe('release-filtered capture as trace-cmd report text (bare-address probe sites)', () => {
  const tracefs = gunzipSync(readFileSync(join(DIR, 'trace.txt.gz'))).toString('latin1');
  const file = join(mkdtempSync(join(tmpdir(), 'kinv-report-')), 'trace.report.txt');
  writeFileSync(file, Buffer.from(asReport(tracefs), 'latin1'));
  const text = kinv(join(DIR, 'trace.txt.gz'));
  const report = kinv(file);

  it('reads every record, each probe named by its definition', () => {
    expect(report.summary.records).toBe(text.summary.records);
    expect(report.diagnostics.filter((d) => d.code === 'KV319' || d.code === 'KV310' || d.code === 'KV301')).toEqual([]);
  });

  it('finds the rwsems taken and never released: the same KV320, at the same record', () => {
    const kv320 = report.diagnostics.filter((d) => d.code === 'KV320');
    expect(kv320).toHaveLength(1);
    expect(kv320[0]!.line).toBe(13 - TRACEFS_HEADER + 1);
    expect(kv320[0]!.message).toMatch(/^22 rwsems are taken and never released anywhere in this capture \(first: sem=0xffff888002448420, taken at line 2\)/);
  });

  it('gives the same unknowns, with the same reasons, at the same records', () => {
    const at = (f: Found, header: number) => `${f.kind} ${f.invariant} ${f.line - header} ${f.message} | ${f.reason ?? ''}`;
    expect(report.found.map((f) => at(f, 1))).toEqual(text.found.map((f) => at(f, TRACEFS_HEADER)));
    expect(report.found.map((f) => f.kind)).toContain('unknown');
    expect(report.found.some((f) => f.kind === 'violation')).toBe(false);
    expect(report.summary.evaluated).toEqual(text.summary.evaluated);
    expect(report.status).toBe(text.status);
  });
});
