/**
 * A capture that probes one release kind and not the other (up_write without up_read, or the
 * reverse; or filters one of them to other addresses): a hold in the mode whose release is never
 * shown looks held forever. Such holds are kept apart (`loose` in spec/vfs/locks.kinv): the lock
 * rules say unknown where one could matter, a KV327 warning says which locks, and the holds the
 * capture does follow are judged as before.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileReport } from '../../src/checker/file.js';
import { captureLines, checkWithCapture, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-one-release-'));
// 6.1-full as trace_pipe shows it (no header); `ur`/`uw` are its up_read/up_write probes.
const whole = captureLines('6.1-full').filter((l) => !l.startsWith('#'));
const without = (probe: 'ur' | 'uw'): string[] => whole.filter((l) => !l.includes(` ${probe}: (`));

function sem(line: string): string | undefined {
  return /\bsem=(0x[0-9a-f]+)/.exec(line)?.[1];
}

function violations(r: FileReport): [string, number | undefined][] {
  return r.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line]);
}

interface Warning { code: string; line?: number; message: string }

/** `withProbes`: with the capture's probe definitions (but that of `unprobed`, whose records the lines leave out) and function list. */
async function check(name: string, lines: string[], withProbes = false, unprobed?: 'ur' | 'uw'): Promise<{ r: FileReport; warnings: Warning[] }> {
  const warnings: Warning[] = [];
  const r = await checkWithCapture(writeLog(tmp, name, lines), withProbes ? '6.1-full' : undefined, [], (d) => {
    if (d.severity === 'warning') warnings.push({ code: d.code, line: d.at?.line, message: d.message });
  }, {}, unprobed === undefined ? [] : [unprobed]);
  return { r, warnings };
}

describe('a capture without up_read records (up_write probed)', () => {
  const lines = without('ur');

  it('gives no violation, with or without the probe list naming up_read; the read holds are unknown', async () => {
    for (const withProbes of [false, true]) {
      const { r } = await check(`no-ur-${withProbes}.txt`, lines, withProbes);
      expect(violations(r)).toEqual([]);
      const unknown = r.verdicts.filter((v) => v.kind === 'unknown');
      expect(unknown.length).toBeGreaterThan(0);
      const fromLoose = unknown.filter((v) => v.reason?.includes('never released by up_read (only by up_write'));
      // (mutual_exclusion: a writer granted the lock while another task's shared hold, whose end the
      // capture cannot show, may still be there; it held there before, as if no reader could be)
      expect(new Set(fromLoose.map((v) => v.invariant))).toEqual(new Set(['no_recursive_acq', 'lookup_entry_locked', 'mutual_exclusion']));
      const exclusion = fromLoose.filter((v) => v.invariant === 'mutual_exclusion');
      expect(exclusion.length).toBeGreaterThan(0);
      for (const v of exclusion) expect(v.reason).toMatch(/: another task may still hold it$/);
    }
  });

  it('names the locks in a KV327 warning, at the first shared acquisition of one released only by up_write', async () => {
    const { warnings } = await check('no-ur-warning.txt', lines);
    const kv326 = warnings.filter((w) => w.code === 'KV327');
    expect(kv326).toHaveLength(1);
    expect(kv326[0]!.message).toMatch(/^\d+ rwsems are taken shared and never released by up_read anywhere in this capture, though released by up_write/);
    const at = lines[kv326[0]!.line! - 1]!;
    expect(at).toMatch(/ dr[a-z_]*: \(down_read/);
    const s = sem(at);
    expect(lines.some((l) => l.includes(' uw: (') && sem(l) === s)).toBe(true);
    // (the first such line: no earlier shared acquisition of a lock that up_write releases)
    const releasedW = new Set(lines.filter((l) => l.includes(' uw: (')).map(sem));
    const first = lines.findIndex((l) => /: \(down_read/.test(l) && releasedW.has(sem(l)));
    expect(kv326[0]!.line).toBe(first + 1);
  });

  it('still judges what it does show: a doubled up_write is a rel_held violation at its line', async () => {
    // (with the capture's probe definitions, but up_read's, and function list, every acquisition variant shows:
    // without them, one the capture never shows could have taken the lock again in between)
    const at = lines.findIndex((l) => l.includes(' uw: ('));
    const doubled = [...lines.slice(0, at + 1), lines[at]!, ...lines.slice(at + 1)];
    const { r } = await check('no-ur-doubled.txt', doubled, true, 'ur');
    expect(violations(r)).toEqual([['rel_held', at + 2]]);
  });
});

describe('a capture without up_write records (up_read probed)', () => {
  const lines = without('uw');

  it('gives no violation; KV327 names the exclusive holds; an acquisition by another task while one may still be there is unknown', async () => {
    const { r, warnings } = await check('no-uw.txt', lines);
    expect(violations(r)).toEqual([]);
    const exclusion = r.verdicts.filter((v) => v.kind === 'unknown' && v.invariant === 'mutual_exclusion');
    expect(exclusion.length).toBeGreaterThan(0);
    for (const v of exclusion) expect(v.reason).toMatch(/never released by up_write \(only by up_read\).*: another task may still hold it$/);
    expect(warnings.filter((w) => w.code === 'KV327').map((w) => w.message.replace(/^\d+/, 'N').slice(0, 84)))
      .toEqual(['N rwsems are taken exclusive and never released by up_write anywhere in this capture']);
  });

  it('still judges what it does show: a doubled up_read is a rel_held violation at its line', async () => {
    // (a reader whose task shows no exclusive hold of that lock anywhere)
    const at = lines.findIndex((l) => l.includes(' ur: (') && l.includes(' ls-'));
    const doubled = [...lines.slice(0, at + 1), lines[at]!, ...lines.slice(at + 1)];
    const { r } = await check('no-uw-doubled.txt', doubled, true, 'uw');
    expect(violations(r)).toEqual([['rel_held', at + 2]]);
  });
});

describe('a capture without up_write records whose locks downgrade_write also ends (6.12-layered)', () => {
  // overlayfs and btrfs take directory and other rwsems exclusive and downgrade some of the holds:
  // a downgrade ends one exclusive hold visibly and says nothing of the up_writes the capture lacks.
  const lines = captureLines('6.12-layered').filter((l) => !l.startsWith('#') && !l.includes(' uw: ('));

  it('gives no violation; KV327 names every lock taken exclusive and released by up_read, downgraded or not', async () => {
    const { r, warnings } = await check('layered-no-uw.txt', lines);
    expect(violations(r)).toEqual([]);
    const takenW = new Set(lines.filter((l) => /: \((down_write|down_write_killable|down_write_trylock)\+/.test(l)).map(sem));
    const releasedR = new Set(lines.filter((l) => l.includes(' ur: (')).map(sem));
    const downgraded = new Set(lines.filter((l) => l.includes(' dgw: (')).map(sem));
    const expected = [...takenW].filter((s) => releasedR.has(s));
    expect(expected.filter((s) => downgraded.has(s)).length).toBeGreaterThan(0);
    const said = `${expected.length} rwsems are taken exclusive and never released by up_write anywhere`;
    expect(warnings.filter((w) => w.code === 'KV327').map((w) => w.message.slice(0, said.length))).toEqual([said]);
  });
});

describe('a capture whose release probes are filtered to other tasks (6.12-wild without ls\'s up_read and up_write records)', () => {
  // (a `comm != "ls"` filter on the release probes and none on the acquisitions)
  const whole612 = captureLines('6.12-wild').filter((l) => !l.startsWith('#'));
  const lines = whole612.filter((l) => !(/^\s*ls-\d+\s/.test(l) && / u[rw]: \(/.test(l)));

  it('gives no violation; KV329 names the tasks that take locks shared and release none, at the first one\'s first acquisition', async () => {
    const { r, warnings } = await check('ls-no-releases.txt', lines);
    expect(violations(r)).toEqual([]);
    const sharedTakes = lines.map((l, i) => [l, i + 1] as const).filter(([l]) => /^\s*ls-\d+\s/.test(l) && /: \(down_read(_killable|_trylock|_interruptible)?\+/.test(l));
    const tasks = new Set(sharedTakes.map(([l]) => /-(\d+)\s/.exec(l)![1]));
    const said = `${tasks.size} tasks take rwsems shared and release none by up_read anywhere in this capture, though other tasks do`;
    expect(warnings.filter((w) => w.code === 'KV329').map((w) => [w.line, w.message.slice(0, said.length)])).toEqual([[sharedTakes[0]![1], said]]);
  }, 120_000);

  it('the whole capture names no such task', async () => {
    const { warnings } = await check('ls-whole.txt', whole612);
    expect(warnings.filter((w) => w.code === 'KV329')).toEqual([]);
  }, 120_000);
});

describe('a capture whose downgrade_write probe is filtered to other tasks (6.12-layered without ls\'s and find\'s downgrade records)', () => {
  // 6.12's wrap_directory_iterator takes a directory exclusive and downgrades it before
  // iterate_shared; without ls's downgrade records its up_read ends what looks an exclusive hold,
  // and readers that came in after the unseen downgrade would look to share it with a writer.
  const whole612 = captureLines('6.12-layered').filter((l) => !l.startsWith('#'));
  const lookupTask = /^\s*(ls|find)-(\d+)\s/;
  const lines = whole612.filter((l) => !(lookupTask.test(l) && l.includes(' dgw: (')));

  it('gives no violation; KV331 names the tasks that release exclusive holds by up_read, at the first such release', async () => {
    const { r, warnings } = await check('ls-no-downgrades.txt', lines);
    expect(violations(r)).toEqual([]);
    // per task: the rwsems it took exclusive and has not released; the first up_read of one
    const heldW = new Map<string, Set<string | undefined>>();
    const first = new Map<string, number>();
    lines.forEach((l, i) => {
      const task = /^\s*\S+-(\d+)\s/.exec(l)?.[1];
      if (task === undefined) return;
      const held = heldW.get(task) ?? new Set();
      heldW.set(task, held);
      if (/: \(_?down_write\w*\+/.test(l)) held.add(sem(l));
      else if (l.includes(' uw: (') || l.includes(' dgw: (')) held.delete(sem(l));
      else if (l.includes(' ur: (') && held.delete(sem(l)) && !first.has(task)) first.set(task, i + 1);
    });
    const downgraders = new Set(lines.filter((l) => l.includes(' dgw: (')).map((l) => /^\s*\S+-(\d+)\s/.exec(l)![1]));
    const tasks = [...first].filter(([t]) => !downgraders.has(t));
    expect(tasks.length).toBeGreaterThan(0);
    const said = `${tasks.length} tasks release by up_read rwsems they took exclusive, with no downgrade_write of their own anywhere in this capture`;
    const firstLine = Math.min(...tasks.map(([, line]) => line));
    expect(warnings.filter((w) => w.code === 'KV331').map((w) => [w.line, w.message.slice(0, said.length)])).toEqual([[firstLine, said]]);
  }, 120_000);

  it('the whole capture names no such task', async () => {
    const { warnings } = await check('layered-whole.txt', whole612);
    expect(warnings.filter((w) => w.code === 'KV331')).toEqual([]);
  }, 120_000);
});

describe('a capture whose release probes are filtered to ls and find, which downgrade some exclusive holds (6.1-layered)', () => {
  // btrfs takes a directory exclusive for its readdir (btrfs_get_dir_last_index, btrfs_inode_lock)
  // and downgrades some of those holds: a downgrade ends one hold visibly and shows nothing of the
  // up_write probe that would end the others.
  const whole61 = captureLines('6.1-layered').filter((l) => !l.startsWith('#'));
  const lookupTask = /^\s*(ls|find)-\d+\s/;
  const lines = whole61.filter((l) => !(lookupTask.test(l) && / u[rw]: \(/.test(l)));

  it('gives no violation; KV329 names the tasks that return to user space with an exclusive hold their downgrades did not end', async () => {
    const { r, warnings } = await check('layered61-ls-no-releases.txt', lines);
    expect(violations(r)).toEqual([]);
    const releasedW = new Set(lines.filter((l) => l.includes(' uw: (')).map(sem));
    const open = new Map<string, Set<string | undefined>>();
    const firstTake = new Map<string, number>();
    const returnedHolding = new Set<string>();
    const upWriters = new Set<string>();
    const takenReleasedW = new Set<string>();
    lines.forEach((l, i) => {
      const task = /^\s*\S+-(\d+)\s/.exec(l)?.[1];
      if (task === undefined) return;
      const held = open.get(task) ?? new Set();
      open.set(task, held);
      if (l.includes(' sys_exit: ')) { if (held.size > 0) returnedHolding.add(task); held.clear(); return; }
      if (/: \(_?down_write\w*\+/.test(l)) {
        held.add(sem(l));
        if (!firstTake.has(task)) firstTake.set(task, i + 1);
        if (releasedW.has(sem(l))) takenReleasedW.add(task);
      } else if (l.includes(' uw: (')) { upWriters.add(task); held.delete(sem(l)); } else if (/ (dgw|ur): \(/.test(l)) held.delete(sem(l));
    });
    const tasks = [...takenReleasedW].filter((t) => !upWriters.has(t) && returnedHolding.has(t));
    const said = `${tasks.length} tasks take rwsems exclusive and release none by up_write anywhere in this capture, though other tasks do`;
    const firstLine = Math.min(...tasks.map((t) => firstTake.get(t)!));
    expect(warnings.filter((w) => w.code === 'KV329' && w.message.includes('exclusive')).map((w) => [w.line, w.message.slice(0, said.length)]))
      .toEqual([[firstLine, said]]);
    // some of them downgrade elsewhere: those were left out before, and their other holds looked held forever
    expect(tasks.some((t) => lines.some((l) => l.includes(`-${t} `) && l.includes(' dgw: (')))).toBe(true);
  }, 120_000);

  it('the whole capture names no such task', async () => {
    const { warnings } = await check('layered61-whole.txt', whole61);
    expect(warnings.filter((w) => w.code === 'KV329')).toEqual([]);
  }, 120_000);
});
