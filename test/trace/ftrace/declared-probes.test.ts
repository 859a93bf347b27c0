/**
 * `--probes` declares what a capture probed: a declared probe that logged nothing is taken as a
 * function never called. kprobe_events lists the probes defined, not those enabled, and a user may
 * give a fuller set's file than the capture was made with: where the capture shows a declared
 * function certainly called (down_read by every __lookup_slow, d_alloc by every d_alloc_parallel,
 * down_write for an rwsem released exclusive that nothing shows taken, a function a return record
 * returns into) and it logged nothing, no
 * silent declared probe counts as probed (KV333). Before, each of these gave false violations.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { parseProbeDefinitions } from '../../../src/trace/coverage.js';
import { readAhead } from '../../../src/trace/ftrace/read-ahead.js';
import { captureLines, checkWithCapture, PROGRAMS, writeLog } from '../../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-declared-'));
const full = captureLines('6.1-full').filter((l) => !l.startsWith('#'));

async function readAheadOf(gz: string) {
  const text = gunzipSync(readFileSync(gz));
  async function* whole(): AsyncGenerator<Uint8Array> { yield text; }
  return readAhead(whole());
}

async function judged(path: string, capture: string) {
  const notes: Diagnostic[] = [];
  const r = await checkWithCapture(path, capture, [], (d) => { if (d.code === 'KV333') notes.push(d); });
  return { violations: r.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line]), unknown: r.verdicts.filter((v) => v.kind === 'unknown').length, notes };
}

describe('probes declared with --probes that logged nothing', () => {
  it('are trusted where nothing says otherwise: 6.1-full with its own kprobe_events', async () => {
    const r = await judged(writeLog(tmp, 'whole.txt', full), '6.1-full');
    expect(r).toEqual({ violations: [], unknown: 0, notes: [] });
    expect(releasedUntakenW(full)).toBe(0);
  });

  const without = (probe: string): string[] => full.filter((l) => !l.includes(` ${probe}: (`) && !l.includes(` ${probe}_ret: (`));
  /** The rwsems `lines` release exclusive (up_write) and show taken exclusive by no logged down_write* entry. */
  function releasedUntakenW(lines: string[]): number {
    const declared = parseProbeDefinitions(readFileSync(join(PROGRAMS, '6.1-full', 'kprobe_events'), 'latin1')).probes;
    const takers = declared.filter((p) => p.kind === 'kprobe' && p.fn.startsWith('down_write')).map((p) => p.event);
    const semOf = (l: string): string => BigInt(/\bsem=(0x[0-9a-f]+)/.exec(l)![1]!).toString(16);
    const released = new Set(lines.filter((l) => l.includes(' uw: (')).map(semOf));
    const taken = new Set(lines.filter((l) => takers.some((e) => l.includes(` ${e}: (`))).map(semOf));
    return [...released].filter((x) => !taken.has(x)).length;
  }
  const untaken = releasedUntakenW(without('dw'));

  it.each([
    ['dr', 'down_read', 'every __lookup_slow calls it'],
    ['dw', 'down_write', `the capture releases ${untaken} rwsems exclusive that it never shows taken`],
    ['unhash', '__d_lookup_unhash', 'every __lookup_slow calls it'],
  ])('are not trusted once one certainly called logged nothing: 6.1-full without its %s records', async (probe, fn, why) => {
    const lines = without(probe);
    expect(lines.length).toBeLessThan(full.length);
    const r = await judged(writeLog(tmp, `no-${probe}.txt`, lines), '6.1-full');
    expect(r.violations).toEqual([]);
    expect(r.unknown).toBeGreaterThan(0);
    expect(r.notes.map((d) => d.message.slice(0, d.message.indexOf(': the probes declared')))).toEqual([
      `--probes declares ${fn}, which the kernel called here (${why}), and the capture logged none of it`,
    ]);
  });

  it('are not trusted once a function a return record returns into logged nothing: 6.1-wild without its d_add_ci records', async () => {
    // (1 false lock_order_acyclic before: two d_add_ci allocations of one name's spellings, judged as if d_add_ci never ran)
    const wild = captureLines('6.1-wild').filter((l) => !l.startsWith('#'));
    const lines = wild.filter((l) => !/ daddci(_ret)?: \(/.test(l));
    expect(lines.some((l) => / dap_ret: \(d_add_ci\+0x[0-9a-f]+\/0x[0-9a-f]+ <- d_alloc_parallel\)/.test(l))).toBe(true);
    const r = await judged(writeLog(tmp, 'no-daddci.txt', lines), '6.1-wild');
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => d.message.slice(0, d.message.indexOf(': the probes declared')))).toEqual([
      '--probes declares d_add_ci, which the kernel called here (a return record of the capture returns into it), and the capture logged none of it',
    ]);
  });

  it('are not trusted once a task releases shared an rwsem it has not taken since user space: 6.1-full without its down_read_killable records', async () => {
    // (9 false rel_held before: readdir's up_reads of what its down_read_killable took, declared, judged as never taken)
    const lines = without('drk');
    const r = await judged(writeLog(tmp, 'no-drk.txt', lines), '6.1-full');
    expect(r.violations).toEqual([]);
    expect(r.unknown).toBeGreaterThan(0);
    const why = r.notes.map((d) => d.message.slice(0, d.message.indexOf(': the probes declared')));
    expect(why).toEqual([
      '--probes declares down_read_killable or down_read_interruptible, and the capture logged no entry of any, though it shows an acquisition '
      + 'it does not log (49 up_reads by a task of an rwsem it has not taken since a return to user space the capture shows, the first on line 5396)',
    ]);
    // (line 5396: cp's up_read of the directory its getdents64 read, after the task's sys_exit; tasks
    // the capture shows taking nothing, whose acquisitions a filter may leave out, do not count)
    const first = lines[5395]!;
    const pid = /-(\d+)\s+\[/.exec(first)![1]!;
    expect(first).toContain(' ur: (');
    expect(lines.slice(0, 5395).some((l) => l.includes(`-${pid} `) && l.includes('sys_exit'))).toBe(true);
  });

  it('still are, where a task releases twice what it took once (the draft d_add_ci\'s bug): no up_read of an untaken rwsem', async () => {
    const ahead = await readAheadOf(join(PROGRAMS, '..', 'kernel-buggy', 'trace.gz'));
    expect(ahead.releasesOfUntaken).toEqual({ R: { count: 0, firstLine: 0 }, W: { count: 0, firstLine: 0 } });
  });

  it.each([
    ['6.1-full', 'dr', /^--probes declares down_read, which the kernel called here \(every __lookup_slow calls it\), and the capture logged none of its entries$/],
    ['lockdep-full', 'dw', /^--probes declares down_write or down_write_killable or _down_write_nest_lock, and the capture logged no entry of any, though it shows an acquisition it does not log \(\d+ up_writes by a task of an rwsem it has not taken since a return to user space the capture shows, the first on line \d+\)$/],
    ['lockdep-full', 'dwn', /^--probes declares down_write_killable or down_write_nested or _down_write_nest_lock, and the capture logged no entry of any, though it shows an acquisition it does not log \(\d+ up_writes by a task of an rwsem it has not taken since a return to user space the capture shows, the first on line \d+\)$/],
  ])('are not trusted once an entry probe is silent where its function was called, whatever its return probe logged: %s without its %s entry records', async (capture, probe, why) => {
    // (an entry probe filtered to the directories' rwsems may be silent where its return probe, which
    // no filter narrows, logs: only where the call was on a directory's rwsem does its silence count.
    // Before: 6.1-full 195 false violations, lockdep-full 32 and 69)
    const lines = captureLines(capture).filter((l) => !l.startsWith('#') && !l.includes(` ${probe}: (`));
    expect(lines.some((l) => l.includes(` ${probe}_ret: (`))).toBe(true);
    const r = await judged(writeLog(tmp, `${capture}-no-${probe}-entry.txt`, lines), capture);
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => d.message.slice(0, d.message.indexOf(': the probes declared')))).toEqual([expect.stringMatching(why)]);
  });

  it('count from their first record once a declared probe turned on late leaves acquisitions unlogged: 6.12-full without its down_write records in its first 20 %', async () => {
    // (32 false violations before: up_writes of holds taken before down_write's probe was on, with
    // down_write_killable declared, silent, and trusted as never called)
    const whole = captureLines('6.12-full').filter((l) => !l.startsWith('#'));
    const records = whole.map((l, i) => (/^\s*\S.*-\d+\s+\[\d+\]/.test(l) ? i : -1)).filter((i) => i >= 0);
    const on = records[Math.floor(records.length * 0.2)]!;
    const lines = whole.filter((l, i) => !(i < on && / dw(_ret)?: \(/.test(l)));
    const r = await judged(writeLog(tmp, 'late-dw.txt', lines), '6.12-full');
    expect(r.violations).toEqual([]);
    // down_write counts as probed from its first record on, and the silent down_write_killable not at all
    const first = lines.findIndex((l) => / dw: \(/.test(l)) + 1;
    expect(r.notes.map((d) => [d.at?.line, d.message.slice(0, d.message.indexOf(' ('))])).toEqual([
      [first, `--probes declares down_write, whose first record is at line ${first}, after an acquisition the capture does not log`],
      [1, '--probes declares down_write_killable, and the capture logged no entry of it, though it shows an acquisition it does not log'],
    ]);
  });

  it('are not trusted for a capture made with fewer probes than the file given declares: 6.1-legacy with 6.1-full\'s kprobe_events', async () => {
    // (9 false rel_held before: down_read_killable's acquisitions, declared, were never probed)
    const r = await judged(join(PROGRAMS, '6.1-legacy', 'trace.gz'), '6.1-full');
    expect(r.violations).toEqual([]);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]!.message).toMatch(/^--probes declares d_alloc, which the kernel called here \(every d_alloc_parallel calls it\)/);
    expect(r.notes[0]!.message).toContain('drk, drk_ret');
  });
});
