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
import { inferIrwsemOffset, inferParLookupBit } from '../../../src/trace/ftrace/infer.js';
import { checkJson } from '../../helpers/cli.js';

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
