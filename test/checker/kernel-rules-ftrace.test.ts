/**
 * The rules that need more than the lock and in-lookup probes, read from kprobe logs as `kinv check`
 * reads a capture: directory lock order (lock_rename seen or not), in-lookup uniqueness by the
 * hash the kernel computed, RCU-walk from the raw lookup flags, and hashed positive dentries
 * (unhashes probed or not). Each log is built here line by line in the reference probe format.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile, type FileReport } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { specsWith } from '../helpers/programs-capture.js';

// (the logs are one CPU's, without a header: they are said to hold every CPU's records, or KV328)
const specs = new SpecSet([], { every_cpu: 'true' });
const dir = mkdtempSync(join(tmpdir(), 'kinv-rules-'));

// Two directories (inodes), i_rwsem at +160 as on 6.1; dentries of their names.
const I1 = 0xffff888004a10000n, I2 = 0xffff888004a20000n, P1 = 0xffff888005a10000n, P2 = 0xffff888005a20000n;
const hex = (n: bigint): string => '0x' + n.toString(16);
const sem = (inode: bigint): string => hex(inode + 160n);

/** A log line of task `comm-pid`: `probe: rest`, with a counter timestamp. */
function logOf(lines: [string, number, string, string][]): string {
  return lines.map(([comm, pid, probe, rest], i) => `${`${comm}-${pid}`.padStart(16)} [000] ..... ${1000 + i}: ${probe}: ${rest}`).join('\n') + '\n';
}

async function check(name: string, lines: [string, number, string, string][], params: Record<string, string> = {}): Promise<FileReport> {
  const file = join(dir, name);
  writeFileSync(file, logOf(lines));
  const r = await checkTraceFile(file, Object.keys(params).length === 0 ? specs : specsWith({ every_cpu: 'true', ...params }),
    { all: true, params: { i_rwsem_offset: '160', dcache_par_lookup: '0x10000000', ...params } });
  expect(r).toBeDefined();
  return r!;
}
const found = (r: FileReport): [string, string, number | undefined][] =>
  r.verdicts.filter((v) => v.kind !== 'pending').map((v) => [v.kind, v.invariant, v.event?.line]);

/** A slow lookup of `name` in `inode` by `comm-pid`, from the task's return to user space before it to the one after (14 lines). */
function lookup(comm: string, pid: number, inode: bigint, parent: bigint, name: string, d: bigint, opts: { flags?: string; hash?: number } = {}): [string, number, string, string][] {
  const hash = opts.hash === undefined ? '' : ` hash=${opts.hash}`;
  return [
    [comm, pid, 'sys_exit', 'NR 0 = 0'], // a capture's tasks are known from their first return to user space
    [comm, pid, 'dr', `(down_read+0x0/0x50) sem=${sem(inode)}`],
    [comm, pid, 'dr_ret', '(walk_component+0xd1/0x150 <- down_read)'],
    [comm, pid, 'lkslow', `(__lookup_slow+0x0/0x190) name="${name}" nlen=${name.length} dir=${hex(parent)} dinode=${hex(inode)} flags=${opts.flags ?? '0x0'}`],
    [comm, pid, 'dap', `(d_alloc_parallel+0x0/0x5a0) parent=${hex(parent)} pinode=${hex(inode)} name="${name}" nlen=${name.length}${hash}`],
    [comm, pid, 'dap_ret', `(__lookup_slow+0x61/0x190 <- d_alloc_parallel) ret=${hex(d)} dflags=0x10000000`],
    [comm, pid, 'fs_lookup_ext4', `(ext4_lookup+0x0/0x230) dir=${hex(inode)} dentry=${hex(d)} flags=${opts.flags ?? '0x0'} dname="${name}"`],
    [comm, pid, 'dsplice', `(d_splice_alias+0x0/0x4b0) inode=${hex(d + 0x7000n)} dentry=${hex(d)} parent=${hex(parent)} dname="${name}"`],
    [comm, pid, 'unhash', `(__d_lookup_unhash+0x0/0xe0) dentry=${hex(d)} parent=${hex(parent)} dname="${name}" dflags=0x10000000`],
    [comm, pid, 'dsplice_ret', '(ext4_lookup+0x9c/0x230 <- d_splice_alias) ret=0x0'],
    [comm, pid, 'fs_lookup_ext4_ret', '(__lookup_slow+0x9b/0x190 <- ext4_lookup) ret=0x0'],
    [comm, pid, 'lkslow_ret', `(walk_component+0xde/0x150 <- __lookup_slow) ret=${hex(d)}`],
    [comm, pid, 'ur', `(up_read+0x0/0x40) sem=${sem(inode)}`],
    [comm, pid, 'sys_exit', 'NR 4 = 0'],
  ];
}

/** `comm-pid` locks `a` then `b` exclusive, then releases both; inside a rename when `rename`. */
function lockPair(comm: string, pid: number, a: bigint, b: bigint, rename: boolean): [string, number, string, string][] {
  const pa = a === I1 ? P1 : P2, pb = b === I1 ? P1 : P2;
  return [
    [comm, pid, 'sys_exit', 'NR 0 = 0'],
    ...(rename ? [[comm, pid, 'lockren', `(lock_rename+0x0/0xb0) p1=${hex(pa)} p1inode=${hex(a)} p2=${hex(pb)} p2inode=${hex(b)}`] as [string, number, string, string]] : []),
    [comm, pid, 'dw', `(down_write+0x0/0x50) sem=${sem(a)}`],
    [comm, pid, 'dw_ret', '(lock_rename+0x5e/0xb0 <- down_write)'],
    [comm, pid, 'dw', `(down_write+0x0/0x50) sem=${sem(b)}`],
    [comm, pid, 'dw_ret', '(lock_rename+0x6f/0xb0 <- down_write)'],
    [comm, pid, 'uw', `(up_write+0x0/0x40) sem=${sem(b)}`],
    [comm, pid, 'uw', `(up_write+0x0/0x40) sem=${sem(a)}`],
    ...(rename ? [[comm, pid, 'unlockren', `(unlock_rename+0x0/0x60) p1=${hex(pa)} p1inode=${hex(a)} p2=${hex(pb)} p2inode=${hex(b)}`] as [string, number, string, string]] : []),
    [comm, pid, 'sys_exit', 'NR 82 = 0'],
  ];
}

const twoDirs = [...lookup('ls', 100, I1, P1, 'a', 0xffff888006000100n), ...lookup('ls', 100, I2, P2, 'b', 0xffff888006000200n)];

describe('directory lock order in a kprobe log', () => {
  it('a capture is not judged for directory order, even one whose lock_rename records mark its renames', async () => {
    // lock_rename may be inlined at the call sites that matter (stock 6.1: do_renameat2), so a
    // capture's lock_rename records do not show every rename: the same ABBA outside rename that a
    // complete trace reports (traces/ndjson/dir_lock_order_acyclic.ndjson) is not judged here.
    const r = await check('abba.txt', [...twoDirs, ...lockPair('mv', 101, I1, I2, true), ...lockPair('mv', 102, I2, I1, true),
      ...lockPair('bad', 103, I1, I2, false), ...lockPair('bad', 104, I2, I1, false)]);
    expect(found(r)).toEqual([]);
    expect([r.evaluated.dir_lock_order_acyclic, r.evaluated.dir_lock_ancestor_first]).toEqual([0, 0]);
  });

  it('a capture without lock_rename: not judged either, and the coverage says why', async () => {
    const r = await check('abba-no-rename.txt', [...twoDirs, ...lockPair('mv', 101, I1, I2, false), ...lockPair('mv', 102, I2, I1, false)]);
    expect(found(r)).toEqual([]);
    const cov = r.coverage.filter((c) => c.invariant.startsWith('dir_lock_'));
    expect(cov.map((c) => [c.invariant, c.status])).toEqual([['dir_lock_ancestor_first', 'not observable'], ['dir_lock_order_acyclic', 'not observable']]);
    expect(cov[0]!.completeOnly).toMatch(/^a rename's two directory locks cannot be told from others: lock_rename may be inlined into do_renameat2/);
  });
});

describe('in-lookup names by the hash the kernel computed', () => {
  const pair = (h1: number, h2: number): [string, number, string, string][] => {
    const a = lookup('stat', 200, I1, P1, 'Foo', 0xffff888006000300n, { hash: h1 });
    const b = lookup('stat', 201, I1, P1, 'FOO', 0xffff888006000400n, { hash: h2 });
    // interleaved: both in lookup at once (task 201 takes the lock shared too)
    return [...a.slice(0, 6), ...b.slice(0, 6), ...a.slice(6), ...b.slice(6)];
  };

  it('two spellings with one hash (a directory whose d_hash folds case) are one name: the second new in-lookup dentry is a violation', async () => {
    const r = await check('ci-same-hash.txt', pair(305419896, 305419896));
    expect(found(r)).toEqual([['violation', 'in_lookup_unique', 12]]); // task 201's d_alloc_parallel return
  });

  it('two spellings with different hashes (an exact directory, or XFS ASCII-CI) are two names', async () => {
    expect(found(await check('ci-other-hash.txt', pair(305419896, 7)))).toEqual([]);
  });

  it('without the hash, names are exact strings', async () => {
    const a = lookup('stat', 200, I1, P1, 'Foo', 0xffff888006000300n), b = lookup('stat', 201, I1, P1, 'FOO', 0xffff888006000400n);
    expect(found(await check('ci-no-hash.txt', [...a.slice(0, 6), ...b.slice(0, 6), ...a.slice(6), ...b.slice(6)]))).toEqual([]);
  });
});

describe('RCU-walk from the raw lookup flags', () => {
  it('a slow lookup with LOOKUP_RCU (0x40) in its flags is a violation at its __lookup_slow and its ->lookup', async () => {
    const r = await check('rcu.txt', lookup('stat', 300, I1, P1, 'x', 0xffff888006000500n, { flags: '0x41' }));
    expect(found(r)).toEqual([['violation', 'no_lookup_in_rcu_walk', 4], ['violation', 'no_lookup_in_rcu_walk', 7]]);
  });

  it('flags without it are judged clean', async () => {
    const r = await check('no-rcu.txt', lookup('stat', 300, I1, P1, 'x', 0xffff888006000500n, { flags: '0x1' }));
    expect(found(r)).toEqual([]);
    expect(r.evaluated.no_lookup_in_rcu_walk).toBe(2);
  });
});

describe('outcome N while a hashed positive dentry exists', () => {
  const D1 = 0xffff888006000600n, D2 = 0xffff888006000700n;
  // The unhash probes fire once early (another name), so the capture is known to show them.
  const probesSeen: [string, number, string, string][] = [
    ['kworker', 9, 'ddrop', '(___d_drop+0x0/0x90) dentry=0xffff888006ffff00'],
    ['kworker', 9, 'dunlink', '(dentry_unlink_inode+0x0/0x120) dentry=0xffff888006ffff00'],
    ['kworker', 9, 'ddelete', '(d_delete+0x0/0x90) dentry=0xffff888006ffff00'],
    ['kworker', 9, 'dmove', '(d_move+0x0/0x70) dentry=0xffff888006ffff00 target=0xffff888006fffe00'],
    ['kworker', 9, 'dkill', '(__dentry_kill+0x0/0x170) dentry=0xffff888006ffff00'],
  ];

  it('a second new in-lookup dentry for a name the trace saw bound is a violation, in a capture of every task', async () => {
    const lines = [...probesSeen, ...lookup('stat', 400, I1, P1, 'f', D1), ...lookup('cat', 401, I1, P1, 'f', D2)];
    const r = await check('hashed.txt', lines, { every_task: 'true' });
    expect(found(r)).toEqual([['violation', 'no_new_while_hashed', 5 + 14 + 6]]); // the second d_alloc_parallel return
    // Unsaid, a task the capture leaves out (a pid or comm filter) may have unhashed it: unknown, saying how to decide.
    const filtered = await check('hashed-filtered.txt', lines);
    expect(found(filtered)).toEqual([['unknown', 'no_new_while_hashed', 5 + 14 + 6]]);
    expect(filtered.verdicts[0]!.reason).toMatch(/^the capture may leave out some tasks' records \(a pid or comm filter on its events\), and with them the unhash or kill of 0xffff888006000600 .*--param every_task=true$/);
  });

  it('after an unhash of the bound dentry it is not', async () => {
    const r = await check('unhashed.txt', [...probesSeen, ...lookup('stat', 400, I1, P1, 'f', D1),
      ['rm', 402, 'ddrop', `(___d_drop+0x0/0x90) dentry=${hex(D1)}`], ...lookup('cat', 401, I1, P1, 'f', D2)]);
    expect(found(r)).toEqual([]);
    expect(r.evaluated.no_new_while_hashed).toBe(2);
  });

  it('a capture that does not probe the unhashes does not judge it', async () => {
    const r = await check('hashed-unprobed.txt', [...lookup('stat', 400, I1, P1, 'f', D1), ...lookup('cat', 401, I1, P1, 'f', D2)]);
    expect(found(r)).toEqual([]);
    expect(r.coverage.find((c) => c.invariant === 'no_new_while_hashed')?.unprobed).toEqual(['___d_drop', 'dentry_unlink_inode', 'd_delete', 'd_move', '__dentry_kill']);
  });
});
