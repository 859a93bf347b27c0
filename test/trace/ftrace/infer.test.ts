/**
 * A capture names its own kernel's layout: the i_rwsem offset (the parent's down_read comes just
 * before __lookup_slow) and the DCACHE_PAR_LOOKUP bit (set on what d_alloc_parallel returns for
 * ->lookup, clear on hits) are read off the capture itself.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inferIrwsemOffset, inferParLookupBit, IrwsemVotes } from '../../../src/trace/ftrace/infer.js';
import { readAhead } from '../../../src/trace/ftrace/read-ahead.js';
import { checkJson } from '../../helpers/cli.js';
import { checkWithCapture, found, writeLog } from '../../helpers/programs-capture.js';

const head = (f: string) => gunzipSync(readFileSync(f)).subarray(0, 1 << 19).toString('latin1');

describe('inferIrwsemOffset', () => {
  it('finds 160 on the stock 6.1 capture and 216 on the lockdep build', () => {
    expect(inferIrwsemOffset(head('traces/kernel/trace.gz'))).toBe(160);
    expect(inferIrwsemOffset(head('traces/kernel-buggy/trace.gz'))).toBe(216);
  });
  it('reads trace-cmd report text too (the event name padded, sites as bare addresses): 152 on stock 6.12', () => {
    const report = gunzipSync(readFileSync('traces/tracedat/ownkernel-6.12/report.txt.gz')).toString('latin1');
    expect(report).toMatch(/ dr: {10,}\([0-9a-f]+\) sem=0x/);
    expect(inferIrwsemOffset(report)).toBe(152);
    expect(inferParLookupBit(report)).toBe(inferParLookupBit(gunzipSync(readFileSync('traces/kernel/trace.gz')).toString('latin1')));
  });
  it('says nothing when no down_read precedes a slow lookup of the same task', () => {
    expect(inferIrwsemOffset('  ls-1 [000] ..... 1.0: lkslow: (__lookup_slow+0x0/0x1) dinode=0xffff0000\n')).toBeUndefined();
  });
});

describe('a capture whose file names hold newlines', () => {
  // kernel-buggy's first 3,000 lines (plain3000) with every name (`name=`, `dname=`) prefixed by `ab\ncd `
  // (nlen grown to match): each lookup record goes on over two lines, and its `dinode`, `dflags`
  // and `dentry` are on the second. The layout is read off the records joined, as the reader joins them.
  const prefix = 'ab\ncd ';
  const text = plain3000()
    .map((l) => l.replace(/ nlen=(\d+)/g, (_, n: string) => ` nlen=${Number(n) + prefix.length}`).replace(/ (d?name)="/g, (_, k: string) => ` ${k}="${prefix}`))
    .join('\n');
  async function* chunks(): AsyncGenerator<Uint8Array> { yield Buffer.from(text, 'latin1'); }

  it('gives the offset and the bit of the capture as printed, from its first part and from the read ahead', async () => {
    expect(text).toMatch(/lkslow: \(__lookup_slow\+0x0\/0x1b0\) name="ab\ncd stop-dropper" nlen=18 dir=/);
    const plain = plain3000().join('\n');
    expect([inferIrwsemOffset(text), inferParLookupBit(text)]).toEqual([216, inferParLookupBit(plain)]);
    expect(inferParLookupBit(plain)).toBeDefined();
    const ahead = await readAhead(chunks());
    expect([ahead.irwsemOffset, ahead.parLookupBit]).toEqual([216, inferParLookupBit(plain)]);
  });

  it('gives the verdicts of the capture as printed: with the default offset, lookups named other locks than their down_reads', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kinv-nl-'));
    const errors: string[] = [];
    const before = await checkWithCapture(writeLog(tmp, 'plain.txt', plain3000()), undefined, errors);
    const after = await checkWithCapture(writeLog(tmp, 'names.txt', text.split('\n')), undefined, errors);
    expect(errors).toEqual([]);
    expect(before.violations).toBe(60);
    // (the same violations, each at the same record: the records are further on, by the newlines the names before them hold)
    const stamp = (lines: string[], line: number | undefined): string | undefined => / (\d+): \S+: \(/.exec(lines[line! - 1]!)?.[1];
    const plain = plain3000();
    const named = text.split('\n');
    expect(found(after).map(([k, inv, line]) => [k, inv, stamp(named, line)])).toEqual(found(before).map(([k, inv, line]) => [k, inv, stamp(plain, line)]));
    expect(found(before).every(([, , line]) => stamp(plain, line) !== undefined)).toBe(true);
  });
});

/** kernel-buggy's first 3,000 lines but its entries-in-buffer line (an excerpt holds fewer entries than the header counts). */
function plain3000(): string[] {
  const lines = gunzipSync(readFileSync('traces/kernel-buggy/trace.gz')).toString('latin1').split('\n').slice(0, 3000);
  lines.splice(2, 1);
  return lines;
}

describe('the i_rwsem offset past the first part of a capture', () => {
  it('is read off the whole capture when its first 512 KB hold no slow lookup (6.12-netfs: 152, not 6.1\'s 160)', () => {
    const text = gunzipSync(readFileSync('traces/kernel-programs/6.12-netfs/trace.gz')).toString('latin1');
    expect(inferIrwsemOffset(text.slice(0, 1 << 19))).toBeUndefined();
    expect(inferIrwsemOffset(text)).toBe(152);
    const summary = (...args: string[]) => checkJson(args).objects.find((o) => o.kind === 'summary') as unknown as { violations: number; evaluated: Record<string, number> };
    const inferred = summary('traces/kernel-programs/6.12-netfs/trace.gz');
    const given = summary('--param', 'i_rwsem_offset=152', 'traces/kernel-programs/6.12-netfs/trace.gz');
    expect(inferred.violations).toBe(0);
    expect(inferred.evaluated).toEqual(given.evaluated);
    // With 6.1's offset no lock id is a directory's inode: the ->lookup rules would check nothing.
    expect(inferred.evaluated.lookup_entry_locked).toBeGreaterThan(4_000);
    expect(summary('--param', 'i_rwsem_offset=160', 'traces/kernel-programs/6.12-netfs/trace.gz').evaluated.lookup_entry_locked ?? 0).toBe(0);
  });

  it('keeps what the first part says when it says something, though the whole would say otherwise', () => {
    // a first part with one pair at offset 152, then 600 KB of other records and two pairs at 160
    const pair = (pid: number, sem: string, dinode: string) => [
      `  ls-${pid} [000] ..... 1.0: dr: (down_read+0x0/0xa0) sem=${sem}`,
      `  ls-${pid} [000] ..... 1.1: lkslow: (__lookup_slow+0x0/0x130) name="a" nlen=1 dir=0x1 dinode=${dinode} flags=0x0`];
    const filler = Array.from({ length: 12_000 }, (_, i) => `  sh-9 [000] ..... 2.${i}: sys_exit: NR 0 = 0`);
    const text = [...pair(1, '0x1098', '0x1000'), ...filler, ...pair(2, '0x20a0', '0x2000'), ...pair(3, '0x30a0', '0x3000')].join('\n') + '\n';
    expect(text.length).toBeGreaterThan(1 << 19);
    expect(inferIrwsemOffset(text.slice(0, 1 << 19))).toBe(152);
    expect(inferIrwsemOffset(text)).toBe(160);
  });
});

describe('the i_rwsem offset of a capture that does not probe __lookup_slow', () => {
  it('is read off the locked directory\'s d_alloc_parallel, ->lookup or d_add_ci, but only where no lkslow pair says it', () => {
    const alone = new IrwsemVotes();
    alone.note('dr', '1', '0x1098');
    alone.note('dir', '1', '0x1000');
    expect(alone.best()).toBe(0x98);
    // a lkslow pair outvotes any number of allocation pairs
    const both = new IrwsemVotes();
    for (let i = 0; i < 3; i++) { both.note('dr', '2', '0x20a0'); both.note('dir', '2', '0x2008'); }
    both.note('dr', '3', '0x30a0');
    both.note('lkslow', '3', '0x3000');
    expect(both.best()).toBe(0xa0);
    // (an allocation leaves the lock the task's last: the lkslow that follows pairs with it)
    const order = new IrwsemVotes();
    order.note('dr', '4', '0x4098');
    order.note('dir', '4', '0x4000');
    order.note('lkslow', '4', '0x4008');
    expect(order.best()).toBe(0x90);
    // a create path locks exclusive: its ->lookup (or d_add_ci) pairs with the down_write, not an older down_read
    const create = new IrwsemVotes();
    create.note('dr', '5', '0x5098');
    create.note('dw', '5', '0x6098');
    create.note('dir', '5', '0x6000');
    expect(create.best()).toBe(0x98);
    expect(create.directoryRecords).toBe(1);
  });

  it('6.12-wild without its lkslow and dap records: 152 off its ->lookup and d_add_ci records, as given', async () => {
    const lines = gunzipSync(readFileSync('traces/kernel-programs/6.12-wild/trace.gz')).toString('latin1').replace(/\n$/, '').split('\n')
      .filter((l) => !l.startsWith('#') && !/ (lkslow|dap)(_ret)?: /.test(l));
    const file = writeLog(mkdtempSync(join(tmpdir(), 'kinv-nolkslow-')), 'no-lkslow-dap.txt', lines);
    const inferred = await checkWithCapture(file, undefined, []);
    const given = await checkWithCapture(file, undefined, [], undefined, { i_rwsem_offset: '152' });
    expect(inferred.evaluated).toEqual(given.evaluated);
    // (6.1's 160, the spec's default, matches no directory: the parent-lock rules would judge nothing)
    expect(inferred.evaluated.lookup_parent_lock_balanced).toBeGreaterThan(1_000);
  });

  it('warns (KV321) when a capture names directories and no lock pairs with one', async () => {
    // ->lookup and d_add_ci records with no down_read or down_write of their directories
    const lines = gunzipSync(readFileSync('traces/kernel-programs/6.12-wild/trace.gz')).toString('latin1').replace(/\n$/, '').split('\n')
      .filter((l) => !l.startsWith('#') && !/ (lkslow|dap|dr|dw)(_ret)?: /.test(l));
    const file = writeLog(mkdtempSync(join(tmpdir(), 'kinv-nolkslow-')), 'no-pairs.txt', lines);
    const warnings: [number | undefined, string][] = [];
    await checkWithCapture(file, undefined, [], (d) => { if (d.code === 'KV321') warnings.push([d.at?.line, d.message]); });
    expect(warnings).toEqual([[1, expect.stringMatching(/^this capture does not show its kernel's i_rwsem_offset \(no task's down_read or down_write is followed by its __lookup_slow, d_alloc_parallel, ->lookup or d_add_ci/)]]);
  });

  it('6.12-wild without its lkslow records: 152, as with it (6.1\'s 160 gave 3 false lock-order cycles)', async () => {
    const lines = gunzipSync(readFileSync('traces/kernel-programs/6.12-wild/trace.gz')).toString('latin1').replace(/\n$/, '').split('\n')
      .filter((l) => !l.startsWith('#') && !/ lkslow(_ret)?: /.test(l));
    const file = writeLog(mkdtempSync(join(tmpdir(), 'kinv-nolkslow-')), 'no-lkslow.txt', lines);
    const errors: string[] = [];
    const inferred = await checkWithCapture(file, undefined, errors);
    expect(errors).toEqual([]);
    expect(found(inferred).filter(([k]) => k === 'violation')).toEqual([]);
    const given = await checkWithCapture(file, undefined, [], undefined, { i_rwsem_offset: '152' });
    expect(inferred.evaluated).toEqual(given.evaluated);
    expect(inferred.evaluated.lookup_entry_locked).toBeGreaterThan(1_000);
  });
});

describe('inferParLookupBit', () => {
  it('finds 0x10000000 (6.1) on the stock and on the lockdep captures', () => {
    expect(inferParLookupBit(head('traces/kernel/trace.gz'))).toBe(0x10000000);
    expect(inferParLookupBit(head('traces/kernel-buggy/trace.gz'))).toBe(0x10000000);
  });
  it('says nothing without a d_alloc_parallel result passed to ->lookup, or when more than one bit is left', () => {
    expect(inferParLookupBit('')).toBeUndefined();
    const l = (ev: string, rest: string) => `  ls-1 [000] ..... 1.0: ${ev}: (__lookup_slow+0x5d/0x130 <- d_alloc_parallel) ${rest}`;
    const lookup = '  ls-1 [000] ..... 1.1: fs_lookup_ext4: (ext4_lookup+0x0/0x1) dir=0x1 dentry=0xd1 flags=0x0';
    expect(inferParLookupBit([l('dap_ret', 'ret=0xd1 dflags=0x11000000'), lookup].join('\n'))).toBeUndefined();
    expect(inferParLookupBit([l('dap_ret', 'ret=0xd1 dflags=0x1000000'), lookup].join('\n'))).toBe(0x1000000);
    // a return to an unprobed ->lookup may still be in lookup: it must not narrow the choice
    const unprobed = '  ls-1 [000] ..... 1.2: lkslow_ret: (walk_component+0xdb/0x150 <- __lookup_slow) ret=0xd2';
    expect(inferParLookupBit([l('dap_ret', 'ret=0xd1 dflags=0x10000800'), lookup, l('dap_ret', 'ret=0xd2 dflags=0x10000000'), unprobed].join('\n'))).toBeUndefined();
  });

  it('lets a capture from a kernel with another bit be judged without --param', () => {
    // The stock capture as a kernel whose DCACHE_PAR_LOOKUP is bit 24 would print it.
    const moved = gunzipSync(readFileSync('traces/kernel/trace.gz')).toString('latin1').replace(/dflags=0x1(\w{7})\b/g, (_, low: string) => `dflags=0x${(0x1000000 | Number.parseInt(low, 16)).toString(16)}`);
    const file = join(mkdtempSync(join(tmpdir(), 'kinv-')), 'moved.txt');
    writeFileSync(file, moved, 'latin1');
    expect(inferParLookupBit(moved.slice(0, 1 << 19))).toBe(0x1000000);
    const summary = (...args: string[]) => checkJson(args).objects.find((o) => o.kind === 'summary') as unknown as { violations: number; evaluated: Record<string, number> };
    const inferred = summary(file);
    const original = summary('traces/kernel/trace.gz');
    expect(inferred.violations).toBe(0);
    expect(inferred.evaluated).toEqual(original.evaluated);
    // With 6.1's bit no dentry would ever be in lookup: the in-lookup rules would check nothing.
    const forced = summary('--param', `dcache_par_lookup=${0x10000000}`, file);
    expect(forced.evaluated.in_lookup_exclusive).toBe(0);
    expect(original.evaluated.in_lookup_exclusive).toBeGreaterThan(1000);
  }, 300_000);
});
