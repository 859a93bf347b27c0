/**
 * Probes turned on or off one after another while tracing runs (`echo 0 > events/kprobes/ur/enable`,
 * then the next): each event's records begin or end at a point of its own. Each capture here is a
 * stock kernel's with some events' records cut where such a staggered start or stop would cut them
 * (the points those of a seeded shuffle that gave false violations before). Any violation is a
 * false alarm; what cannot be told is unknown, with the warning that says why.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { conform } from '../conform/helpers.js';
import { captureLines, checkWithCapture, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-staggered-'));
const record = /^\s*\S.*-\d+\s+\[\d+\]\s+\S+\s+\S+:\s+(\w+):/;

/** `event`'s records cut before (or after) the capture's record number `at` (0-based, over all its records). */
type Cut = [event: string, side: 'before' | 'after', at: number];

function staggered(capture: string, cuts: Cut[]): string[] {
  let n = -1;
  return captureLines(capture).filter((l) => {
    if (l.startsWith('#')) return false;
    const m = record.exec(l);
    if (m === null) return true;
    n++;
    return !cuts.some(([ev, side, at]) => m[1] === ev && (side === 'before' ? n < at : n > at));
  });
}

async function check(name: string, capture: string, cuts: Cut[], codes: string[]): Promise<{ violations: [string, number | undefined][]; notes: Diagnostic[]; unknown: number }> {
  const notes: Diagnostic[] = [];
  const r = await checkWithCapture(writeLog(tmp, `${name}.txt`, staggered(capture, cuts)), capture, [], (d) => { if (codes.includes(d.code)) notes.push(d); });
  return {
    violations: r.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line]),
    notes, unknown: r.verdicts.filter((v) => v.kind === 'unknown').length,
  };
}

describe('release probes and the syscall-exit probe stopped in turn: a task asking again for what it took shows it released', () => {
  it('6.1-full with sys_exit, sched_process_exit and then up_read stopped near its end: no violation, KV334 says where up_read ends', async () => {
    // (before: 2 false no_recursive_acq: a readdir's down_read_killable asked for again by lkwork, its
    // up_read after the probe stopped, and no return to user space logged to show it released)
    const r = await check('reask-end', '6.1-full', [['sys_exit', 'after', 81194], ['sched_process_exit', 'after', 81218], ['ur', 'after', 81412]], ['KV334']);
    expect(r.violations).toEqual([]);
    expect(r.unknown).toBeGreaterThan(0);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]!.message).toMatch(/^the capture's last up_read record is at line 81300, though after it \d+ rwsems are taken shared and their tasks return to user space or ask for them again/);
  }, 120_000);

  it('6.1-full with its acquisition probes on first and up_read, up_write and sys_exit after: no violation, KV334 says where each release begins', async () => {
    // (before: a false mutual_exclusion: readdirs whose up_read came before the probe was on, held to rm's down_write)
    const r = await check('reask-begin', '6.1-full', [['drk_ret', 'before', 482], ['drk', 'before', 2216], ['ur', 'before', 3667], ['uw', 'before', 4000],
      ['sched_process_exit', 'before', 3877], ['sys_exit', 'before', 3977], ['dr', 'before', 6060]], ['KV334']);
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => /^the capture's first (up_read|up_write) record/.exec(d.message)?.[1])).toEqual(['up_read', 'up_write']);
  }, 120_000);
});

describe('an acquisition variant\'s entry probe stopped while its return probe goes on (KV336)', () => {
  it('6.12-full with down_read_killable\'s entries, sys_exit and unhash stopped near its end: no violation', async () => {
    // (before: 4 false violations with --probes, 2 without: lkwork's readdir returns from
    // down_read_killable with no entry, then releases the directory it took there before)
    const r = await check('bare-drk', '6.12-full', [['drk', 'after', 83738], ['sys_exit', 'after', 83411], ['unhash', 'after', 83381]], ['KV336']);
    expect(r.violations).toEqual([]);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]!.message).toMatch(/^acquisitions went unlogged while releases were logged \(1 task releases an rwsem it does not hold right after a return of down_read_killable@iterate_dir\+0x71\/0x210 whose entry is not logged/);
  }, 120_000);

  it('6.1-netfs with down_write\'s entries and returns stopped at 99 % of its records: no violation, KV336 counts the up_writes after', async () => {
    // (before: a false rel_held with --probes: lkwork's up_write of a directory it took by down_write before)
    const all = staggered('6.1-netfs', []);
    const at = Math.floor(all.filter((l) => record.test(l)).length * 0.99);
    const r = await check('dw-stop', '6.1-netfs', [['dw', 'after', at], ['dw_ret', 'after', at]], ['KV336']);
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => /\d+ up_writes or downgrades of rwsems their tasks do not hold after the last entry record/.test(d.message))).toEqual([true]);
  }, 120_000);

  it('the whole captures have no such sign', async () => {
    for (const capture of ['6.1-netfs', '6.12-full', '6.1-legacy', 'lockdep-legacy']) {
      const r = await check(`whole-${capture}`, capture, [], ['KV334', 'KV335', 'KV336']);
      expect([capture, r.notes]).toEqual([capture, []]);
    }
  }, 240_000);
});

describe('overlays (6.12-layered, 6.1-layered), whose readdirs downgrade and whose lookups nest', () => {
  it('6.12-layered with up_read, the syscall exits and the shared acquisitions turned on in turn: no violation, KV334 and KV336 say why', async () => {
    // (before: a false mutual_exclusion: ls's readdir held the directory shared, after its
    // downgrade_write, with up_read not yet on; a later writer was granted it)
    const r = await check('layered-on', '6.12-layered', [['ur', 'before', 17305], ['sys_exit', 'before', 35351], ['sched_process_exit', 'before', 21255],
      ['dr_ret', 'before', 11910], ['drk_ret', 'before', 39783], ['dr', 'before', 41015], ['drk', 'before', 41477]], ['KV334', 'KV336']);
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => d.code)).toEqual(['KV334', 'KV336']);
    expect(r.notes[0]!.message).toMatch(/^the capture's first up_read record is at line 12942, /);
    expect(r.notes[1]!.message).toMatch(/\d+ releases of rwsems their tasks do not hold, or calls entered with the directory locked, right after a return of down_read with no entry, beyond its entry records/);
  }, 120_000);

  it('6.12-layered with downgrade_write and then up_read turned off: no violation, KV334 says where the downgrades end', async () => {
    // (before: 13 false violations (no_locks_at_exit, no_recursive_acq, mutual_exclusion): each
    // btrfs readdir's exclusive hold, downgraded and released unlogged, looked held for good; the
    // up_write probe still on, so no release edge of exclusive holds showed)
    const r = await check('layered-dgw-off', '6.12-layered', [['dgw', 'after', 385419], ['ur', 'after', 390705]], ['KV334']);
    expect(r.violations).toEqual([]);
    expect(r.unknown).toBeGreaterThan(0);
    expect(r.notes.map((d) => /^the capture's last (\S+) record is at line \d+, /.exec(d.message)?.[1]).sort()).toEqual(['downgrade_write', 'up_read']);
    expect(r.notes.find((d) => d.message.includes('downgrade_write'))!.message)
      .toMatch(/though after it \d+ rwsems are taken exclusive and their holds end with no up_write or downgrade logged .* for the \d+ tasks? holding some$/);
  }, 120_000);

  it('6.1-layered with downgrade_write declared (kprobe_events) and never on: no violation, KV333 says the declared probes were not those on', async () => {
    // (before: 4 false rel_mode with --probes: btrfs readdirs' up_reads of their downgraded holds,
    // the downgrade_write probe declared and so taken as probed, while it logged nothing)
    const r = await check('layered-dgw-never', '6.1-layered', [['dgw', 'before', Number.MAX_SAFE_INTEGER]], ['KV333']);
    expect(r.violations).toEqual([]);
    expect(r.unknown).toBeGreaterThan(0);
    expect(r.notes.map((d) => /^--probes declares downgrade_write, which the kernel called here \((\d+) exclusive holds are released by up_read, the first on line \d+, which a task does only after downgrading it\)/.exec(d.message)?.[1] !== undefined)).toEqual([true]);
  }, 120_000);

  it('6.1-layered with down_read_killable\'s entries, the releases, the syscall exits and downgrade_write turned off in turn: no violation', async () => {
    // (before: 2 false rel_held with --probes: find's readdir of btrfs returned from
    // down_read_killable with no entry logged, then released the directory)
    const r = await check('layered-off', '6.1-layered', [['drk', 'after', 299289], ['ur', 'after', 312908], ['uw', 'after', 316435],
      ['sys_exit', 'after', 320054], ['dgw', 'after', 331931]], ['KV336']);
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => /\d+ releases of rwsems their tasks do not hold, or calls entered with the directory locked, right after a return of down_read_killable with no entry/.test(d.message))).toEqual([true]);
  }, 120_000);
});

describe('6.12-wild with its acquisition, syscall-exit and unhash probes stopped in turn near its end', () => {
  it('no violation: a ->lookup right after a down_read return with no entry, and in-lookup dentries made after the last unhash record, are not held against the kernel', async () => {
    // (before: 9 false violations with --probes, 7 without: ->lookup called "without the parent
    // lock" whose down_read entry was off, and a dentry address made again while its first
    // in-lookup state, ended after the unhash probe stopped, still looked open)
    const r = await check('wild-off', '6.12-wild', [['drk', 'after', 299540], ['dr', 'after', 294577], ['sys_exit', 'after', 299142],
      ['lkslow_ret', 'after', 300095], ['unhash', 'after', 303126], ['dap_ret', 'after', 307188], ['dw', 'after', 295379], ['uw', 'after', 290235],
      ['sched_process_exit', 'after', 292553]], ['KV334', 'KV335', 'KV336']);
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => d.code)).toEqual(['KV334', 'KV335', 'KV336']);
  }, 120_000);
});

describe('an open()\'s in-lookup dentries while the unhash and syscall-exit probes are still off (KV335)', () => {
  it('6.1-full without unhash, unhashwake and sys_exit in its first 3 %: its ->lookup returns to path_openat show the dentries unended', async () => {
    // (before: 16 false in-lookup violations: lookup_open ends its dentry right after ->lookup, and no __lookup_slow return or syscall exit showed it)
    const all = staggered('6.1-full', []);
    const at = Math.floor(all.filter((l) => record.test(l)).length * 0.03);
    const r = await check('open-lookup', '6.1-full', [['unhash', 'before', at], ['unhashwake', 'before', at], ['sys_exit', 'before', at]], ['KV335']);
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => d.severity)).toEqual(['warning']);
  }, 120_000);
});

describe('kinv conform: a return probe stopped while its entry probe goes on', () => {
  it('6.1-full without d_add_ci\'s returns past 70 % of its records conforms to mainline, its later calls\' returns not shown', async () => {
    // (before: does not conform: a ->lookup returning with no `ret d_add_ci` logged for the call inside it)
    const all = staggered('6.1-full', []);
    const at = Math.floor(all.filter((l) => record.test(l)).length * 0.7);
    const lines = staggered('6.1-full', [['daddci_ret', 'after', at]]);
    const r = await conform(writeLog(tmp, 'daddci-ret.txt', lines), ['mainline']);
    expect(r.results.map((x) => x.verdict)).toEqual(['conforms']);
  }, 120_000);
});
