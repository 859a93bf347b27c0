/**
 * A capture whose release probe is turned off while the others go on (`echo 0 >
 * events/kprobes/ur/enable` during tracing, or its records lost past some point): after the last
 * up_read (up_write) record, tasks go on taking rwsems shared (exclusive) and returning to user
 * space, which a task does only after releasing. The read ahead finds where the release records
 * end (KV334); the holds its records leave open are unknown, never a leak or a recursive acquisition.
 * Before, 6.12-lossy-pipe with its up_read records cut at 80 % of its records gave 2 false
 * no_locks_at_exit and a false no_recursive_acq (task 2124, rm: down_read_killable for getdents64,
 * its up_read not logged); cut the same way of up_write, a false no_locks_at_exit.
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
  it.each([['ur', 'up_read', 'shared'], ['uw', 'up_write', 'exclusive']])('without its %s records past 80 %%: no violation, and KV334 says where they end', async (event, fn, mode) => {
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
