/**
 * The netfs captures (traces/kernel-programs/6.1-netfs, 6.12-netfs: `npm run capture -- --phases
 * netfs --probeset full`): virtiofs (FUSE) mounts of host directories, one with cache=none, one with
 * cache=always, with open(O_CREAT) racers (->atomic_open), O_CREAT|O_EXCL racers, the wild tasks and
 * names changed on the host side under the guest. The kernels are stock and their dmesg is clean,
 * and count-locks.mjs (counts.json) finds every release of a tracked lock matched by an acquisition
 * in its task: kinv must report nothing.
 *
 * What they showed:
 * - FUSE's ->lookup (fuse_lookup) runs from __lookup_slow, from lookup_one_qstr_excl (mkdir, link,
 *   rename: a plain d_alloc) and from fuse_atomic_open, which lookup_open calls with the in-lookup
 *   dentry of its d_alloc_parallel under the lock open_last_lookups took (exclusive with O_CREAT,
 *   shared without); d_lookup_done follows in atomic_open (fs/namei.c, 6.1 and 6.12). Mapped as a
 *   `lookup` (spec/vfs/ftrace.kinv), it is judged like the other filesystems' ->lookup.
 * - fuse_dentry_revalidate fails (0) on a dentry d_alloc_parallel found hashed in __lookup_slow
 *   (another task's, whose name an O_EXCL racer removed meanwhile): d_invalidate (___d_drop) and
 *   d_alloc_parallel again (fs/namei.c __lookup_slow, `goto again`). conform allows it on the
 *   directories of a filesystem with ->d_revalidate (src/conform/conform.ts REVALIDATING_FS), as it
 *   did for vfat only.
 * - the 6.12 capture's first 512 KB hold no slow lookup of a tracked directory (other tasks'
 *   records come first: no comm filter): the i_rwsem offset was not inferred, 6.1's 160 was used
 *   instead of 6.12's 152, and no ->lookup's parent lock was visible (lookup_entry_locked and
 *   lookup_parent_lock_balanced judged nothing, silently). The read ahead now counts the pairs over
 *   the whole capture when the first part has none (src/trace/ftrace/read-ahead.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileReport } from '../../src/checker/file.js';
import { conform, verdicts } from '../conform/helpers.js';
import { checkWithCapture, excerpt, expectCleanStockCapture, found, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-netfs-'));

// Each excerpt is one task's lines, all from CPU 0 and without the capture's header: it is taken as
// the whole machine's capture, as a one-CPU machine's trace_pipe would be (KV328 otherwise).
const EVERY_CPU = { every_cpu: 'true' };

let errors: string[] = [];
async function check(path: string, capture?: string): Promise<FileReport> {
  errors = [];
  return checkWithCapture(path, capture, errors, undefined, EVERY_CPU);
}

const write = (name: string, lines: string[]): string => writeLog(tmp, name, lines);

/** What the moved release gives: fuse_lookup (6772, one line down) called without the parent lock. */
const EXPECT_UNLOCKED = (at: Map<number, number>): [string, string, number | undefined][] => [
  ['violation', 'lookup_entry_locked', at.get(6772)! + 1],
];

describe('6.1-netfs: open(O_CREAT) through fuse_atomic_open', () => {
  // lkwork-610 creates p/NEG0_0 (`: >`, openat O_CREAT|O_TRUNC; its syscall before ends at 6597):
  // p taken exclusive (6737, 6751),
  // d_alloc_parallel's in-lookup dentry (6752..6755), fuse_atomic_open (6771) calls fuse_lookup
  // (6772), whose d_splice_alias ends the in-lookup state (6839); fuse_atomic_open returns (6906),
  // p released (6907), openat returns 3 (6995).
  const capture = '6.1-netfs';
  const [pid, from, to] = [610, 6597, 6995] as const;

  it('is no violation, and the ->lookup inside ->atomic_open is judged with the exclusive lock held', async () => {
    const { lines, at } = excerpt(capture, [[pid, from, to]]);
    expect(lines.length).toBe(18);
    expect(lines[at.get(6772)! - 1]).toContain(' fs_lookup_fuse: (fuse_lookup+0x0/0x1b0 [fuse]) dir=0xff2c9ed5c3a99380');
    const r = await check(write('atomic-open.txt', lines), capture);
    expect(errors).toEqual([]);
    expect(found(r)).toEqual([]);
    expect(r.evaluated.lookup_entry_locked).toBe(1);
    expect(r.evaluated.lookup_parent_lock_balanced).toBe(1);
  });

  it('the same ->lookup after the exclusive lock was released is called without the parent lock', async () => {
    const { lines, at } = excerpt(capture, [[pid, from, to]]);
    // the up_write (6907) moved to just after the acquisition's return (6751), the two given the
    // counter values 6813 and 6814 (6814 was the return's; 6815 is the next record's)
    const retime = (l: string, n: number): string => l.replace(/ \d+: (\w+): /, ` ${n}: $1: `);
    const uw = retime(lines[at.get(6907)! - 1]!, 6814);
    const moved = lines.filter((_, i) => i + 1 !== at.get(6907))
      .flatMap((l, i) => (i + 1 === at.get(6751) ? [retime(l, 6813), uw] : [l]));
    const r = await check(write('atomic-open-unlocked.txt', moved), capture);
    expect(errors).toEqual([]);
    // (one line inserted after 6751: every line after it, up to 6907, moves down by one)
    expect(found(r)).toEqual(EXPECT_UNLOCKED(at));
  });
});

describe('6.1-netfs: a stale hit in __lookup_slow, revalidated, invalidated and looked up again', () => {
  // lkwork-647 stats p/excl0 (newfstatat = -2; its syscall before ends at 15063): p shared (15130,
  // 15485), __lookup_slow (15486);
  // d_alloc_parallel finds another task's "excl0" in lookup, waits, and returns it hashed (15648);
  // fuse_dentry_revalidate says 0 (15650: an O_EXCL racer removed the file), d_invalidate drops it
  // (15651), d_alloc_parallel again (15653..15656, in lookup), fuse_lookup (15657) ends it negative
  // (15693); __lookup_slow returns (15696), p released (15697), the syscall ends (15700).
  const capture = '6.1-netfs';
  const [pid, from, to] = [647, 15063, 15700] as const;

  it('conforms: FUSE has ->d_revalidate, so the model may find the hit stale and allocate again', async () => {
    const { lines, at } = excerpt(capture, [[pid, from, to]]);
    expect(lines[at.get(15650)! - 1]).toContain('<- fuse_dentry_revalidate) ret=0x0');
    expect(lines[at.get(15653)! - 1]).toContain(' dap: (d_alloc_parallel+0x0/0x3f0) parent=0xff2c9ed5c3a1f9c0');
    const r = await conform(write('revalidate.txt', lines), undefined, undefined, EVERY_CPU);
    expect(verdicts(r)).toEqual({ mainline: ['conforms'], draft: ['conforms'], fixed: ['conforms'] });
    expect(r.directories).toBe(1);
    expect(r.unshownLookupDirs).toBe(0);
  });

  it('is no violation for kinv check either', async () => {
    const { lines } = excerpt(capture, [[pid, from, to]]);
    const r = await check(write('revalidate-check.txt', lines), capture);
    expect(errors).toEqual([]);
    expect(found(r)).toEqual([]);
    expect(r.evaluated.lookup_entry_locked).toBe(1);
    expect(r.evaluated.rel_held).toBe(1);
  });
});

describe('6.1-netfs: a readdir that primes the dcache (FUSE readdirplus)', () => {
  // ls-1016 lists q (getdents64 = 104; its syscall before ends at 157405): q shared through
  // iterate_dir's down_read_killable (157412, 157413); fuse_readdir_uncached -> fuse_direntplus_link
  // allocates an in-lookup dentry for "Hq" (157701..157704) and ends it with d_splice_alias
  // (157706), then finds "Other" in lookup by another task, waits and gets it hashed (157708..157880);
  // q released (157881), getdents64 returns (157882).
  const capture = '6.1-netfs';
  const [pid, from, to] = [1016, 157405, 157882] as const;

  it('conforms: the readdir\'s hold is judged, its allocations under it (which the model has not) are not', async () => {
    const { lines, at } = excerpt(capture, [[pid, from, to]]);
    expect(lines[at.get(157704)! - 1]).toContain('dap_ret: (fuse_readdir_uncached+0x3f1/0x7f0 [fuse] <- d_alloc_parallel)');
    const r = await conform(write('readdirplus.txt', lines), undefined, undefined, EVERY_CPU);
    expect(verdicts(r)).toEqual({ mainline: ['conforms'], draft: ['conforms'], fixed: ['conforms'] });
    // the two d_alloc_parallel calls and returns and the in-lookup end between the lock events
    expect(r.primingReaddirEvents).toBe(5);
    expect(r.directories).toBe(1);
  });

  it('is no violation for kinv check', async () => {
    const { lines } = excerpt(capture, [[pid, from, to]]);
    const r = await check(write('readdirplus-check.txt', lines), capture);
    expect(errors).toEqual([]);
    expect(found(r)).toEqual([]);
    expect(r.evaluated.in_lookup_parent_locked).toBe(1);
  });
});

describe('the netfs captures on stock kernels: no violation', () => {
  for (const capture of ['6.1-netfs', '6.12-netfs']) {
    it(`${capture}: nothing violated, every release matched (counts.json), the FUSE lookups judged`, async () => {
      const r = await expectCleanStockCapture(capture);
      // the ->lookups of fuse and tmpfs, each with its parent's lock visible (the i_rwsem offset
      // read off the capture: 160 on 6.1, 152 on 6.12)
      expect(r.evaluated.lookup_entry_locked).toBeGreaterThan(4_000);
      expect(r.evaluated.lookup_parent_lock_balanced).toBeGreaterThan(4_000);
      expect(r.evaluated.in_lookup_ended).toBeGreaterThan(30_000);
    }, 180_000);
  }
});
