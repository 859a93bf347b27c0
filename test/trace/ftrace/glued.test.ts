/**
 * Two records on one line: a `trace_pipe` reader that reopens the file loses the rest of the line
 * it was reading (and whatever else the kernel had formatted for it), and the next record follows
 * on the same line. The cut record is malformed and the loss may be of any task: every task is
 * unknown from there, and the glued record is read.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gluedHeaderAt, GluedRecords } from '../../../src/trace/ftrace/glued.js';
import { checkWithCapture, found, PROGRAMS, writeLog } from '../../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-glued-'));
const capture = gunzipSync(readFileSync(join(PROGRAMS, '6.1-full', 'trace.gz'))).toString('latin1').split('\n');
// Lines 53400-54200 of 6.1-full, read as trace_pipe shows them (no header). mv-858 renames within
// an XFS directory: it takes both directory locks (53655, 53657) and releases them (53670, 53671).
const FIRST = 53400;
const excerpt = capture.slice(FIRST - 1, 54200);
const at = (line: number): number => line - FIRST;

/** The excerpt with line `a` cut at column `cut` (1-based: the characters before it are kept) and the next line glued to it. */
function glue(lines: string[], a: number, cut: number): string[] {
  const out = lines.slice();
  out.splice(a, 2, lines[a]!.slice(0, cut - 1) + lines[a + 1]!);
  return out;
}

const firstRecordLine = (lines: string[]): number => lines.findIndex((l) => !l.startsWith('#'));

describe('a glued record header', () => {
  it('is found in the formats that print `[CPU]`, with the column of its comm', () => {
    const cases: [string, string, string][] = [
      ['tracefs', '  mv-858     [000] .....  54132: uw: (up_wr              mv-858     [000] .....        54133: uw: (up_write+0x0/0x40) sem=0x1', 'mv-858'],
      ['tgid column', '  mv-858 (    858) [000] .....  54132: uw: (up_wr  mv-858 (    858) [000] .....  54133: uw: (up_write+0x0/0x40) sem=0x1', 'mv-858'],
      ['trace-cmd report', 'mv-858 [000] 54.132000: uw: (up_wrmv-858 [000] 54.133000: uw: (ffffffff81000000) sem=0x1', '(up_wrmv-858'],
      ['latency flags with a depth', '  mv-858 [000] d..2.  54132: dkill: dname="ab  ls-901 [001] d..2.  54133: dkill: dname="cd"', 'ls-901'],
    ];
    for (const [what, line, second] of cases) {
      // (a comm glued to the cut text without a blank takes that text in: only its pid matters)
      expect([what, new GluedRecords().find(line, line.indexOf(': ') + 1, line.length)]).toEqual([what, line.lastIndexOf(second)]);
    }
  });

  it('is not found in payloads that only hold brackets: module names, names in quotes, CPU lists', () => {
    const lines = [
      '  mv-858  [000] .....  54123: fs_lookup_xfsci: (xfs_vn_ci_lookup+0x0/0x130 [xfs]) dir=0xff4a519c436e8938',
      '  mv-858  [000] .....  54123: dal: (d_alloc+0x0/0xa0) name="a [001] b" nlen=9',
      '  mv-858  [000] .....  54123: dal: (d_alloc+0x0/0xa0) name="x-1 [001] y" nlen=11',
      '  kworker/0:1-12  [000] .....  54123: workqueue_execute_start: work struct 0x1: function [001] 5',
    ];
    for (const line of lines) expect([line, new GluedRecords().find(line, line.indexOf(': ') + 1, line.length)]).toEqual([line, -1]);
    // (the bracket alone: digits, `] `, a timestamp and a colon after it, `COMM-PID` before it)
    const s = 'x  ls-1 [001] 12: e';
    expect(gluedHeaderAt(s, 1, s.length, s.indexOf('['))).toBe(3);
    expect(gluedHeaderAt('x  ls-1 [001] 12 e', 1, 18, 8)).toBe(-1);
    expect(gluedHeaderAt('x  ls [001] 12: e', 1, 17, 6)).toBe(-1);
  });
});

describe('a trace_pipe capture with two records on one line', () => {
  const cut = glue(excerpt, at(53670), excerpt[at(53670)]!.indexOf('(up_wr') + 7);

  it('the cut release is a malformed record at the glued header, every task is unknown, and the glued release is read', async () => {
    expect(excerpt[at(53670)]).toContain('54132: uw: (up_write+0x0/0x40) sem=0xff4a519c436e89d8');
    const errors: string[] = [];
    const r = await checkWithCapture(writeLog(tmp, 'glued.txt', cut), '6.1-full', errors);
    expect(errors).toEqual([`KV301 ${at(53670) + 1}`]);
    expect(found(r)).toEqual([]);
    expect(r.gaps.map((g) => [g.reason, g.cpu, g.pids, g.line])).toEqual([['malformed record', undefined, undefined, at(53670) + 1]]);
    // one release lost of two: the excerpt's events but one
    const whole = await checkWithCapture(writeLog(tmp, 'whole.txt', excerpt), '6.1-full', []);
    expect(r.stats.events).toBe(whole.stats.events - 1);
  });

  it('read as one record, the cut line would hide both releases: mv-858 would seem to release nothing exclusive', async () => {
    // (what the glued line stands for, and what the same excerpt says with both releases simply gone:
    // a task that takes locks exclusive and returns to user space without one up_write, where
    // others release those locks, reads as a capture whose up_write probe is filtered to other
    // tasks, KV329; the rules then judge none of its exclusive holds)
    const gone = excerpt.filter((_, i) => i !== at(53670) && i !== at(53671));
    const warnings: [string, number | undefined][] = [];
    const r = await checkWithCapture(writeLog(tmp, 'gone.txt', gone), '6.1-full', [], (d) => { if (d.severity === 'warning') warnings.push([d.code, d.at?.line]); });
    const firstTake = gone.findIndex((l) => /^\s*mv-858\s.*: \(down_write(_killable|_trylock)?\+/.test(l));
    expect(warnings.filter(([code]) => code === 'KV329')).toEqual([['KV329', firstTake + 1]]);
    expect(found(r).filter(([kind]) => kind === 'violation')).toEqual([]);
    // The glued line read as the reader reads it shows the second release: no such warning.
    const read: string[] = [];
    await checkWithCapture(writeLog(tmp, 'glued-read.txt', cut), '6.1-full', [], (d) => { if (d.severity === 'warning') read.push(d.code); });
    expect(read.filter((c) => c === 'KV329')).toEqual([]);
  });

  it('property: a record cut anywhere past its CPU column, the next glued to it, is a KV301 at that line and never a violation', async () => {
    const start = firstRecordLine(excerpt);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: start, max: excerpt.length - 2 }), fc.double({ min: 0, max: 1, noNaN: true }), async (a, f) => {
        const line = excerpt[a]!;
        const from = line.indexOf('[') + 1;
        const cut = from + 1 + Math.floor(f * (line.length - from));
        const errors: string[] = [];
        const r = await checkWithCapture(writeLog(tmp, 'prop.txt', glue(excerpt, a, cut)), '6.1-full', errors);
        expect(errors).toEqual([`KV301 ${a + 1}`]);
        expect(found(r).filter(([kind]) => kind === 'violation')).toEqual([]);
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});
