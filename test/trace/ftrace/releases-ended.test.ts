/**
 * Where a release probe's records end (unreleased.ts releasesEnded, KV334), read off the holds
 * after the last record: a hold whose task returns to user space with it open is a sign, but one
 * such hold alone is also what a kernel that leaks it shows, so two are needed; a hold that another
 * task's later release in an excluding mode proves ended (it could not hold the rwsem before) is
 * a sign alone, logged acquisition or not (the staggered stop of 6.12-layered-global: up_read off
 * first, then the down_write entries, and find's getdents64 hold judged leaked at its return).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { readAhead } from '../../../src/trace/ftrace/read-ahead.js';
import { chunks, stepLog as log } from '../../helpers/step-log.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-releases-ended-'));

const SEM = 'sem=0xa1';
/** find, back from a syscall, reads the directory and releases it (lines 6 to 8): it releases by up_read. */
const FIND_FIRST: [string, string][] = [
  ['find-602', 'sys_exit: NR 0 = 0'],
  ['find-602', `drk: (down_read_killable+0x0/0x50) ${SEM}`], ['find-602', 'drk_ret: (iterate_dir+0x1/0x2 <- down_read_killable) ret=0x0'],
  ['find-602', `ur: (up_read+0x0/0x50) ${SEM}`], ['find-602', 'sys_exit: NR 217 = 0'],
];
/** ls reads it and releases it: the last up_read record. */
const LS: [string, string][] = [
  ['ls-601', `dr: (down_read+0x0/0x50) ${SEM}`], ['ls-601', 'dr_ret: (walk_component+0x1/0x2 <- down_read)'],
  ['ls-601', `ur: (up_read+0x0/0x50) ${SEM}`], ['ls-601', 'sys_exit: NR 4 = 0'],
];
/** find takes it shared again and returns to user space with no release logged. */
const FIND: [string, string][] = [
  ['find-602', `drk: (down_read_killable+0x0/0x50) ${SEM}`], ['find-602', 'drk_ret: (iterate_dir+0x1/0x2 <- down_read_killable) ret=0x0'],
  ['find-602', 'sys_exit: NR 217 = 0'],
];
/** rm then holds it exclusive: its down_write's entry unlogged (that probe off too), its up_write logged. */
const RM: [string, string][] = [
  ['rm-603', 'dw_ret: (do_rmdir+0x1/0x2 <- down_write)'], ['rm-603', `uw: (up_write+0x0/0x50) ${SEM}`], ['rm-603', 'sys_exit: NR 84 = 0'],
];

async function check(text: string, name: string): Promise<{ violations: string[]; notes: Diagnostic[] }> {
  const path = join(tmp, name);
  writeFileSync(path, text);
  const notes: Diagnostic[] = [];
  const r = await checkTraceFile(path, new SpecSet([], {}), { onDiagnostic: (d) => { if (d.code === 'KV334') notes.push(d); } });
  return { violations: r!.verdicts.filter((v) => v.kind === 'violation').map((v) => `${v.invariant}@${v.event?.line ?? ''}`), notes };
}

describe('up_read records ending while shared holds go on', () => {
  it('one hold past the last up_read, then another task\'s up_write of the rwsem: the hold ended unlogged, so the records ended there', async () => {
    const ahead = await readAhead(chunks(log([...FIND_FIRST, ...LS, ...FIND, ...RM])));
    expect(ahead.releasesEnded.R).toEqual({ line: 12, exits: 1, tasks: new Map([[602, 14]]) });
    expect(ahead.releasesEnded.W).toBeUndefined();
  });

  it('kinv check: find\'s return to user space is not judged, and KV334 says where the up_read records end', async () => {
    const r = await check(log([...FIND_FIRST, ...LS, ...FIND, ...RM]), 'proven.txt');
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => d.at?.line)).toEqual([12]);
    expect(r.notes[0]!.message).toMatch(/^the capture's last up_read record is at line 12, though after it an rwsem is taken shared and its task returns to user space or asks for it again, or another task is granted or releases it in a mode that excludes the hold/);
  });

  it('the same hold with nothing after it: a leak reads the same, so no_locks_at_exit judges it', async () => {
    const ahead = await readAhead(chunks(log([...FIND_FIRST, ...LS, ...FIND])));
    expect(ahead.releasesEnded.R).toBeUndefined();
    const r = await check(log([...FIND_FIRST, ...LS, ...FIND]), 'leak.txt');
    expect(r.violations).toEqual(['no_locks_at_exit@16']);
    expect(r.notes).toEqual([]);
  });

  it('another task\'s up_write before find takes it shows nothing of find\'s hold', async () => {
    const r = await check(log([...FIND_FIRST, ...LS, ...RM, ...FIND]), 'before.txt');
    expect(r.violations).toEqual(['no_locks_at_exit@19']);
    expect(r.notes).toEqual([]);
  });

  it('a refused trylock took nothing: no hold for another task\'s up_write to prove ended', async () => {
    // (mv's down_read_trylock of the rwsem, past the last up_read, returns 0; rm then holds it exclusive)
    const TRY: [string, string][] = [
      ['mv-604', 'sys_exit: NR 0 = 0'],
      ['mv-604', `drt: (down_read_trylock+0x0/0x50) ${SEM}`], ['mv-604', 'drt_ret: (xfs_ilock_nowait+0x1/0x2 <- down_read_trylock) ret=0x0'],
      ['mv-604', 'sys_exit: NR 82 = -11'],
    ];
    const ahead = await readAhead(chunks(log([...FIND_FIRST, ...LS, ...TRY, ...RM])));
    expect(ahead.releasesEnded.R).toBeUndefined();
    // (granted, it is one)
    const granted = TRY.map(([t, p]): [string, string] => [t, p.replace('ret=0x0', 'ret=0x1')]);
    expect((await readAhead(chunks(log([...FIND_FIRST, ...LS, ...granted, ...RM])))).releasesEnded.R).toEqual({ line: 12, exits: 1, tasks: new Map([[604, 15]]) });
  });
});

describe('up_write records ending, and down_write returns with them: a grant shown by the task\'s next record', () => {
  /** mkdir takes the rwsem exclusive and releases it: the last up_write record (line 8). */
  const FIRST: [string, string][] = [
    ['mkdir-605', 'sys_exit: NR 0 = 0'], ['mkdir-605', `dw: (down_write+0x0/0x50) ${SEM}`], ['mkdir-605', 'dw_ret: (do_mkdirat+0x1/0x2 <- down_write)'],
    ['mkdir-605', `uw: (up_write+0x0/0x50) ${SEM}`], ['mkdir-605', 'sys_exit: NR 83 = 0'],
  ];
  /** mkdir asks for it again (line 10), its return unlogged, runs on (granted), and returns to user space (line 12). */
  const MKDIR: [string, string][] = [
    ['mkdir-605', `dw: (down_write+0x0/0x50) ${SEM}`], ['mkdir-605', 'vfsmk: (vfs_mkdir+0x0/0x100)'], ['mkdir-605', 'sys_exit: NR 83 = 0'],
  ];
  /** rm then asks for it (`variant`), and runs on: its call returned. */
  const rm = (variant: string): [string, string][] => [
    ['rm-606', 'sys_exit: NR 0 = 0'], ['rm-606', `${variant}: (${variant === 'dw' ? 'down_write' : 'down_write_killable'}+0x0/0x50) ${SEM}`],
    ['rm-606', 'vfsrm: (vfs_rmdir+0x0/0x100)'],
  ];

  it('a plain down_write that returned was granted: mkdir\'s hold had ended, unlogged, so the up_write records ended there', async () => {
    const ahead = await readAhead(chunks(log([...FIRST, ...MKDIR, ...rm('dw')])));
    expect(ahead.releasesEnded.W).toEqual({ line: 8, exits: 1, tasks: new Map([[605, 10], [606, 14]]) });
    const r = await check(log([...FIRST, ...MKDIR, ...rm('dw')]), 'granted.txt');
    expect(r.violations).toEqual([]);
    expect(r.notes.map((d) => d.at?.line)).toEqual([8]);
  });

  it('a killable one may have failed: no sign, and mkdir\'s return to user space holding it is judged', async () => {
    expect((await readAhead(chunks(log([...FIRST, ...MKDIR, ...rm('dwk')])))).releasesEnded.W).toBeUndefined();
    const r = await check(log([...FIRST, ...MKDIR, ...rm('dwk')]), 'killable.txt');
    expect(r.violations).toEqual(['no_locks_at_exit@12']);
  });

  it('a task granted again what its records leave it holding exclusive: its own hold had ended, unlogged; never granted, it is a recursive request', async () => {
    // (mkdir asks for the rwsem at line 10 and runs on, then asks again at 12 with no up_write logged)
    const AGAIN: [string, string][] = [
      ['mkdir-605', `dw: (down_write+0x0/0x50) ${SEM}`], ['mkdir-605', 'vfsmk: (vfs_mkdir+0x0/0x100)'],
      ['mkdir-605', `dw: (down_write+0x0/0x50) ${SEM}`], ['mkdir-605', 'vfsmk: (vfs_mkdir+0x0/0x100)'],
    ];
    expect((await readAhead(chunks(log([...FIRST, ...AGAIN])))).releasesEnded.W).toEqual({ line: 8, exits: 1, tasks: new Map([[605, 10]]) });
    expect((await check(log([...FIRST, ...AGAIN]), 'again.txt')).violations).toEqual([]);
    // (the second request never returns: the task waits for itself)
    const waits = AGAIN.slice(0, 3);
    expect((await readAhead(chunks(log([...FIRST, ...waits])))).releasesEnded.W).toBeUndefined();
    expect((await check(log([...FIRST, ...waits]), 'waits.txt')).violations).toEqual(['no_recursive_acq@12']);
  });

  it('one hold whose task returns to user space and then asks for it again: two signs, the records ended', async () => {
    // (mkdir's hold of line 10 outlives its syscall (line 12), and it asks again at 13, not yet granted)
    const exitThenAgain: [string, string][] = [
      ['mkdir-605', `dw: (down_write+0x0/0x50) ${SEM}`], ['mkdir-605', 'vfsmk: (vfs_mkdir+0x0/0x100)'],
      ['mkdir-605', 'sys_exit: NR 83 = 0'], ['mkdir-605', `dw: (down_write+0x0/0x50) ${SEM}`],
    ];
    expect((await readAhead(chunks(log([...FIRST, ...exitThenAgain])))).releasesEnded.W).toEqual({ line: 8, exits: 1, tasks: new Map([[605, 10]]) });
    expect((await check(log([...FIRST, ...exitThenAgain]), 'exit-again.txt')).violations).toEqual([]);
  });

  it('turned on late: a hold proven ended before the first up_read, its task\'s later release after a return to user space is of another hold', async () => {
    const LATE: [string, string][] = [
      ['ls-601', 'sys_exit: NR 0 = 0'], ['ls-601', `drk: (down_read_killable+0x0/0x50) ${SEM}`],
      ['ls-601', 'drk_ret: (iterate_dir+0x1/0x2 <- down_read_killable) ret=0x0'], ['ls-601', 'sys_exit: NR 217 = 0'],
      ['rm-603', `uw: (up_write+0x0/0x50) ${SEM}`], ['rm-603', 'sys_exit: NR 84 = 0'],
      // (its down_read's entry unlogged: the up_read ends this hold, not the one rm's proved ended)
      ['ls-601', 'dr_ret: (walk_component+0x1/0x2 <- down_read)'], ['ls-601', `ur: (up_read+0x0/0x50) ${SEM}`], ['ls-601', 'sys_exit: NR 4 = 0'],
    ];
    expect((await readAhead(chunks(log(LATE)))).releasesBegan.R).toEqual({ line: 12, exits: 1, tasks: new Map([[601, 6]]) });
    // (released in the same syscall, the hold rm's up_write claims ended was still there: the holds overlapped, no sign)
    const overlap = [...LATE.slice(0, 3), ...LATE.slice(4, 6), LATE[7]!, LATE[3]!];
    expect((await readAhead(chunks(log(overlap)))).releasesBegan.R).toBeUndefined();
  });

  it('a task that takes its first shared hold after the last up_read: KV329 says a filter or the records\' end, KV334 where they end', async () => {
    const NEW_TASK: [string, string][] = [
      ['find-610', 'sys_exit: NR 0 = 0'],
      ['find-610', `dr: (down_read+0x0/0x50) ${SEM}`], ['find-610', 'dr_ret: (walk_component+0x1/0x2 <- down_read)'], ['find-610', 'sys_exit: NR 4 = 0'],
      ['find-610', `dr: (down_read+0x0/0x50) ${SEM}`], ['find-610', 'dr_ret: (walk_component+0x1/0x2 <- down_read)'], ['find-610', 'sys_exit: NR 4 = 0'],
    ];
    const path = join(tmp, 'new-task.txt');
    writeFileSync(path, log([...LS, ...NEW_TASK]));
    const notes: Diagnostic[] = [];
    const r = await checkTraceFile(path, new SpecSet([], {}), { onDiagnostic: (d) => notes.push(d) });
    expect(notes.filter((d) => d.code === 'KV334' || d.code === 'KV329').map((d) => `${d.code}@${d.at?.line ?? ''}`)).toEqual(['KV329@10', 'KV334@7']);
    // (a filter on up_read would read the same as its records ending before the task's first hold: both are said)
    expect(notes.find((d) => d.code === 'KV329')!.message).toContain('the up_read probe is filtered to other tasks (a pid or comm filter), '
      + 'or was off by the time it takes one (its last record is at line 7), so when their holds end cannot be told');
    // (its holds are not followed, as before: asking again for what its records leave it holding is unknown, not a violation)
    expect(r!.verdicts.map((v) => `${v.kind} ${v.invariant}@${v.event?.line ?? ''}`)).toEqual(['unknown no_recursive_acq@13']);
  });
});
