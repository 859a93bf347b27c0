/**
 * A capture whose release probe is turned off while the others go on (`echo 0 >
 * events/kprobes/ur/enable` during tracing, or its records lost past some point): after the last
 * up_read (up_write) record, tasks go on taking rwsems shared (exclusive) and returning to user
 * space, which a task does only after releasing. The read ahead finds where the release records
 * end (KV334); the holds its records leave open are unknown, never a leak or a recursive acquisition.
 * Before, 6.12-lossy-pipe with its up_read records cut at 80 % of its records gave 2 false
 * no_locks_at_exit and a false no_recursive_acq (task 2124, rm: down_read_killable for getdents64,
 * its up_read not logged); cut the same way of up_write, a false no_locks_at_exit. The same read
 * from the start: an up_read probe turned on after the acquisition probes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { captureLines, checkWithCapture, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-releases-ended-'));
const whole = captureLines('6.12-lossy-pipe').filter((l) => !l.startsWith('#'));
const isRecord = (l: string): boolean => /^\s*\S.*-\d+\s+\[\d+\]/.test(l);

/** The capture with every `event` record from 80 % of its records on left out; and the line of the last one kept. */
function releasesStopped(event: string): { lines: string[]; lastKept: number } {
  const records = whole.map((l, i) => (isRecord(l) ? i : -1)).filter((i) => i >= 0);
  const cut = records[Math.floor(records.length * 0.8)]!;
  const lines = whole.filter((l, i) => !(i >= cut && l.includes(` ${event}: (`)));
  const lastKept = lines.findLastIndex((l) => l.includes(` ${event}: (`)) + 1;
  return { lines, lastKept };
}

describe('a capture whose release records end while its acquisitions go on: 6.12-lossy-pipe', () => {
  it.each([['ur', 'up_read', 'shared'], ['uw', 'up_write', 'exclusive']])('without its %s records past four fifths of its records: no violation, and KV334 says where they end', async (event, fn, mode) => {
    const { lines, lastKept } = releasesStopped(event);
    expect(lines.length).toBeLessThan(whole.length);
    for (const capture of [undefined, '6.12-lossy-pipe']) {
      const notes: Diagnostic[] = [];
      const r = await checkWithCapture(writeLog(tmp, `no-late-${event}.txt`, lines), capture, [], (d) => { if (d.code === 'KV334') notes.push(d); });
      expect(r.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line])).toEqual([]);
      expect(r.verdicts.some((v) => v.kind === 'unknown')).toBe(true);
      expect(notes.map((d) => [d.severity, d.at?.line])).toEqual([['warning', lastKept]]);
      expect(notes[0]!.message).toMatch(new RegExp(`^the capture's last ${fn} record is at line ${lastKept}, though after it \\d+ rwsems are taken ${mode} `));
    }
  });

  it('the whole capture has no such end: its release records go on to the last hold', async () => {
    const notes: Diagnostic[] = [];
    const r = await checkWithCapture(writeLog(tmp, 'whole.txt', whole), '6.12-lossy-pipe', [], (d) => { if (d.code === 'KV334') notes.push(d); });
    expect(notes).toEqual([]);
    expect(r.verdicts.filter((v) => v.kind === 'violation')).toEqual([]);
  });
});

describe('a capture whose release records begin after its acquisitions: up_read turned on after the others', () => {
  it.each(['6.12-full', '6.1-full'])('%s without its up_read records in its first twentieth: no violation, and KV334 says where they begin', async (capture) => {
    // (2 false violations before on each: a readdir's down_read_killable, its up_read not yet logged, then the task's return to user space)
    const all = captureLines(capture).filter((l) => !l.startsWith('#'));
    const records = all.map((l, i) => (isRecord(l) ? i : -1)).filter((i) => i >= 0);
    const on = records[Math.floor(records.length * 0.05)]!;
    const lines = all.filter((l, i) => !(i < on && l.includes(' ur: (')));
    const firstKept = lines.findIndex((l) => l.includes(' ur: (')) + 1;
    const notes: Diagnostic[] = [];
    const r = await checkWithCapture(writeLog(tmp, `late-ur-${capture}.txt`, lines), undefined, [], (d) => { if (d.code === 'KV334') notes.push(d); });
    expect(r.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line])).toEqual([]);
    expect(notes.map((d) => [d.severity, d.at?.line])).toEqual([['warning', firstKept]]);
    expect(notes[0]!.message).toMatch(new RegExp(`^the capture's first up_read record is at line ${firstKept}, though before it \\d+ rwsems are taken shared `));
  });
});


describe('a capture whose in-lookup ends are logged for part of it only: __d_lookup_unhash turned on late or off early', () => {
  /** `capture` without the records matching `probe` before (or from) `fraction` of its records. */
  function cut(capture: string, probe: RegExp, fraction: number, side: 'before' | 'after'): string[] {
    const all = captureLines(capture).filter((l) => !l.startsWith('#'));
    const records = all.map((l, i) => (isRecord(l) ? i : -1)).filter((i) => i >= 0);
    const at = records[Math.floor(records.length * fraction)]!;
    return all.filter((l, i) => !((side === 'before' ? i < at : i >= at) && probe.test(l)));
  }

  it.each([
    // (before: 132 and 121 false violations of the in-lookup rules, every dentry after the cut looking in lookup forever)
    ['6.1-full', 'unhash', 'from the last twentieth', / unhash: \(/, 0.95, 'after'],
    ['6.12-full', 'unhash', 'from the last twentieth', / unhash: \(/, 0.95, 'after'],
    // (before: 10 and 44, the dentries made before the cut)
    ['6.1-full', 'unhash and unhashwake', 'in the first fiftieth', / unhash(wake)?: \(/, 0.02, 'before'],
    ['6.12-full', 'unhash and unhashwake', 'in the first fiftieth', / unhash(wake)?: \(/, 0.02, 'before'],
  ] as const)('%s without its %s records %s: no violation, and KV335 names the lookups that returned unended', async (capture, _events, _where, probe, fraction, side) => {
    const lines = cut(capture, probe, fraction, side);
    const notes: Diagnostic[] = [];
    const r = await checkWithCapture(writeLog(tmp, `unhash-${capture}-${side}.txt`, lines), undefined, [], (d) => { if (d.code === 'KV335') notes.push(d); });
    expect(r.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line])).toEqual([]);
    const unended = notes.find((d) => /^\d+ in-lookup dentries' lookups return with no end of them logged/.test(d.message));
    expect(unended?.severity).toBe('warning');
    // (the line it names: a d_alloc_parallel return of an in-lookup dentry with no __d_lookup_unhash of
    // it before its task returns from the lookup or to user space)
    const n = unended!.at!.line!;
    const at = lines[n - 1]!;
    expect(at).toMatch(/ dap_ret: /);
    const dentry = /ret=(0x[0-9a-f]+)/.exec(at)![1]!;
    const task = /-(\d+)\s+\[/.exec(at)![1]!;
    const rest = lines.slice(n);
    const back = rest.findIndex((l) => l.includes(`-${task} `) && / (lkslow_ret|sys_exit): /.test(l));
    expect(back).toBeGreaterThanOrEqual(0);
    expect(rest.slice(0, back).some((l) => / unhash: \(/.test(l) && l.includes(`dentry=${dentry} `))).toBe(false);
  });

  it('the whole capture of an overlay, whose lookups nest, has no lookup returning unended: 6.1-layered', async () => {
    const notes: Diagnostic[] = [];
    await checkWithCapture(writeLog(tmp, 'layered.txt', captureLines('6.1-layered').filter((l) => !l.startsWith('#'))), '6.1-layered', [],
      (d) => { if (d.code === 'KV335') notes.push(d); });
    expect(notes).toEqual([]);
  });
});
