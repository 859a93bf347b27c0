/**
 * A file whose records are not merged in time order across CPUs beyond the reorder window: per-CPU
 * files joined one after another (`cat per_cpu/cpu*\/trace`). Judged in file order, a task that
 * moved between CPUs seems to hold what it had released on the other CPU. The read ahead measures
 * the worst lateness; the judging read holds a window that wide (a warning says so), or, past the
 * widest window kinv holds, says that the order is unknown.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LatenessMeter } from '../../../src/trace/ftrace/lateness.js';
import { LineScan, newSniffState, scanLine } from '../../../src/trace/ftrace/line.js';
import { checkJson } from '../../helpers/cli.js';
import { checkWithCapture, found, PROGRAMS, writeLog } from '../../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-lateness-'));

function lateness(lines: string[]) {
  const st = newSniffState();
  const sc = new LineScan();
  const meter = new LatenessMeter();
  lines.forEach((l, i) => { scanLine(l, 0, l.length, st, sc); meter.note(sc, i + 1); });
  return meter.result();
}

const rec = (cpu: number, ts: string, pid = 300): string => `   ls-${pid}  [00${cpu}] .....  ${ts}: dr: (down_read+0x0/0x50) sem=0xffff888004a3e0a0`;

describe('LatenessMeter', () => {
  it('measures how far a record comes behind the newest record of another CPU, in ns or in ticks', () => {
    expect(lateness([rec(0, '300.000100'), rec(1, '300.000050'), rec(0, '300.000300'), rec(1, '300.000060')]))
      .toEqual({ by: 240_000, ticks: false, line: 4, cpu: 1, after: 3 });
    expect(lateness([rec(0, '10'), rec(0, '20'), rec(1, '12'), rec(1, '30'), rec(0, '25')]))
      .toMatchObject({ by: 8, ticks: true, line: 3, cpu: 1, after: 2 });
  });

  it('says nothing of a file merged in time order, nor of a record late on its own CPU only', () => {
    expect(lateness([rec(0, '300.000100'), rec(1, '300.000100'), rec(1, '300.000200'), rec(0, '300.000300')])).toBeUndefined();
    expect(lateness([rec(0, '300.000300'), rec(0, '300.000100')])).toBeUndefined();
  });
});

describe('per-CPU files joined one after another', () => {
  // 6.1-full's first 20,000 lines (trace_clock=counter), CPU 0's records and then CPU 1's.
  const lines = gunzipSync(readFileSync(join(PROGRAMS, '6.1-full', 'trace.gz'))).toString('latin1').split('\n').slice(0, 20000);
  const records = lines.filter((l) => !l.startsWith('#') && l.trim() !== '');
  const ofCpu = (cpu: number) => records.filter((l) => l.includes(`] `) && /\[00(\d)\]/.exec(l)![1] === String(cpu));
  const joined = [...ofCpu(0), ...ofCpu(1)];

  it('are put back in time order, with a warning at the first late record: the same verdicts as the merged file', async () => {
    expect(ofCpu(0).length + ofCpu(1).length).toBe(records.length);
    const diags: string[] = [];
    const merged = await checkWithCapture(writeLog(tmp, 'merged.txt', records), '6.1-full', diags);
    const r = await checkWithCapture(writeLog(tmp, 'joined.txt', joined), '6.1-full', diags);
    expect(diags).toEqual([]);
    // (a stock kernel: judged in file order, the joined file showed 27 mutual_exclusion violations)
    expect(found(merged)).toEqual([]);
    expect(found(r)).toEqual([]);
    expect(r.evaluated).toEqual(merged.evaluated);
    expect(r.unknown).toEqual(merged.unknown);
    const cli = checkJson(['--functions', join(PROGRAMS, '6.1-full', 'functions'), writeLog(tmp, 'joined-cli.txt', joined)]);
    const warnings = cli.objects.filter((o) => o.kind === 'diagnostic');
    expect(warnings.map((w) => [w.code, w.severity, w.line])).toEqual([['KV325', 'warning', ofCpu(0).length + 1]]);
    expect(cli.status).toBe(0);
  });

  it('too late for the widest window: an error, and no task is known anywhere in the file (exit 3)', () => {
    const far = [rec(0, '300.000100', 301), rec(0, '300.600000', 301), rec(1, '300.000200'), rec(1, '300.000300')];
    const cli = checkJson([writeLog(tmp, 'far.txt', far)]);
    const diags = cli.objects.filter((o) => o.kind === 'diagnostic' && o.code === 'KV325');
    expect(diags.map((d) => [d.code, d.severity, d.line])).toEqual([['KV325', 'error', 3]]);
    expect(cli.status).toBe(3);
  });
});
