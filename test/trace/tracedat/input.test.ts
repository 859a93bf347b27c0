/**
 * `kinv check` of a trace.dat: the same summary and verdicts as `kinv check` of the tracefs text of
 * the same ring buffer (extract.dat and extract.trace.txt.gz hold the same 1879 records), located
 * on the lines `trace-cmd report` prints them on; a cut file is checked as far as it goes and ends
 * in a located KV305 and a gap (exit 3); damaged metadata is a located KV306 (exit 3).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { kinv } from '../../helpers/kinv.js';
import { withoutEvents } from '../../helpers/tracedat-drop.js';

const DIR = 'traces/tracedat';
const specs = new SpecSet([], {});
const tmp = mkdtempSync(join(tmpdir(), 'kinv-tracedat-'));

async function check(path: string) {
  const diags: Diagnostic[] = [];
  const r = await checkTraceFile(path, specs, { all: true, onDiagnostic: (d) => diags.push(d) });
  return { r, diags };
}

describe('kinv check of a trace.dat', () => {
  it('extract.dat: the same summary, coverage and verdicts as the tracefs text of the same buffer', async () => {
    const dat = await check(`${DIR}/extract.dat`);
    const txt = await check(`${DIR}/extract.trace.txt.gz`);
    expect(dat.r?.format).toBe('ftrace');
    const { lines: datLines, skipped: datSkipped, ...datStats } = dat.r!.stats;
    const { lines: txtLines, skipped: txtSkipped, ...txtStats } = txt.r!.stats;
    expect(datStats).toEqual(txtStats);
    // the text has 12 header lines, the trace.dat rendering one
    expect([datLines + 11, datSkipped + 11]).toEqual([txtLines, txtSkipped]);
    expect(dat.r!.stats.records).toBe(1879);
    expect(dat.r!.evaluated).toEqual(txt.r!.evaluated);
    expect(dat.r!.unknown).toEqual(txt.r!.unknown);
    expect(dat.r!.coverage).toEqual(txt.r!.coverage);
    const key = (v: NonNullable<typeof dat.r>['verdicts'][number], shift: number) =>
      [v.kind, v.invariant, v.event?.pid, v.event?.seq, (v.event?.line ?? 0) + shift];
    expect(dat.r!.verdicts.map((v) => key(v, 11))).toEqual(txt.r!.verdicts.map((v) => key(v, 0)));
    expect(dat.r!.violations).toBe(0);
    expect(dat.diags.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it.each(['record-v6.dat', 'record-v7.dat', 'record-v7-zstd.dat'])('%s: every record read, no violation, exit 0', async (file) => {
    const { r, diags } = await check(`${DIR}/${file}`);
    expect(r!.stats.malformed).toBe(0);
    expect(r!.stats.gaps).toBe(0);
    expect(r!.violations).toBe(0);
    expect(diags.filter((d) => d.severity === 'error')).toEqual([]);
    const cli = await kinv(['check', `${DIR}/${file}`]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('no violation');
  });

  it('release records a filter kept out of the buffer: the locks never released are unknown (KV320), never a violation', async () => {
    const { bytes, dropped } = withoutEvents(readFileSync(`${DIR}/record-v6.dat`), ['ur', 'uw']);
    expect(dropped).toBe(82);
    const path = join(tmp, 'no-releases.dat');
    writeFileSync(path, bytes);
    const { r, diags } = await check(path);
    expect(r!.violations).toBe(0);
    // Each a task asking again for a lock the capture shows taken and never released, the first at line 544.
    const unknown = r!.verdicts.filter((v) => v.kind === 'unknown');
    expect(unknown).toHaveLength(78);
    expect(new Set(unknown.map((v) => v.invariant))).toEqual(new Set(['no_recursive_acq']));
    expect(unknown.map((v) => `${v.event?.pid} ${v.event?.line}`).slice(0, 2)).toEqual(['510 544', '510 556']);
    expect(unknown[0]!.reason).toMatch(/^the capture shows 0xff3d828e83ad5870 taken but never released, anywhere in it/);
    const kv320 = diags.filter((d) => d.code === 'KV320');
    expect(kv320.map((d) => [d.severity, d.at?.line])).toEqual([['warning', 479]]);
    expect(kv320[0]!.message).toMatch(/^2 rwsems are taken and never released anywhere in this capture \(first: sem=0xff3d828e83b1d9d8, taken at line 479\)/);
  });

  it('a cut file is checked up to the cut, then KV305 at the byte offset and a gap of every task; exit 3', async () => {
    const whole = readFileSync(`${DIR}/record-v6.dat`);
    const path = join(tmp, 'cut.dat');
    writeFileSync(path, whole.subarray(0, whole.length - 6000));
    const { r, diags } = await check(path);
    const cut = diags.find((d) => d.code === 'KV305')!;
    expect(cut.message).toMatch(/^trace\.dat damaged or cut short at byte 104592 \(CPU 1 data\): /);
    expect(cut.message).toMatch(/CPU 1's data should be \d+ bytes from offset \d+, but the file ends at 104592/);
    const last = r!.gaps.at(-1)!;
    expect([last.kind, last.pids, last.file]).toEqual(['gap', undefined, path]);
    expect(r!.stats.records).toBeGreaterThan(500);
    const cli = await kinv(['check', path]);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain('error[KV305]');
    expect(cli.stderr).not.toContain('    at ');
  });

  it('damaged metadata: KV306 with the byte offset and the section, nothing judged, exit 3', async () => {
    const path = join(tmp, 'bad.dat');
    writeFileSync(path, readFileSync(`${DIR}/record-v6.dat`).subarray(0, 300));
    const { r, diags } = await check(path);
    expect(r).toBeUndefined();
    const message = 'trace.dat damaged at byte 264 (header_event): header_event: 205 bytes needed, 36 left (the file is cut short or damaged)';
    expect(diags.map((d) => [d.code, d.message])).toEqual([['KV306', message]]);
    const cli = await kinv(['check', path]);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain('error[KV306]: trace.dat damaged at byte 264 (header_event)');
    expect(cli.stderr).not.toContain('no violation');
    expect(cli.stdout).not.toContain('no violation');
  });
});

describe('events the ring buffer lost', () => {
  it('a page flagged with missed events becomes a lost-events gap on its CPU before its first record, opened after its CPU\'s record before it', async () => {
    const b = Buffer.from(readFileSync(`${DIR}/record-v6.dat`));
    // CPU 1's second page: set bit 31 (missed events, count not stored) of its commit word
    const { readTraceDatMeta } = await import('../../../src/trace/tracedat/file.js');
    const cpu1 = readTraceDatMeta(b).cpus[1]!;
    const page = cpu1.offset + 4096;
    b.writeUInt32LE((b.readUInt32LE(page + 8) | 0x80000000) >>> 0, page + 8);
    const path = join(tmp, 'missed.dat');
    writeFileSync(path, b);
    const { r } = await check(path);
    const lost = r!.gaps.filter((g) => g.reason === 'lost events');
    // (the events lie between CPU 1's record before the marker and its record after it, among
    // the other CPU's records logged meanwhile: a window of every task, from the one to the marker)
    expect(lost.map((g) => [g.cpu, g.lost, g.window])).toEqual([[1, undefined, 'opens'], [1, undefined, 'closes']]);
    expect(lost[0]!.until).toBe(lost[1]!.line);
    expect(lost[0]!.line).toBeLessThan(lost[1]!.line!);
    // the marker takes a line of its own, right before the page's first record
    expect(r!.stats.lines).toBe(1818 + 2);
    expect(r!.stats.records).toBe(1818);
  });
});
