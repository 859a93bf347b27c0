/**
 * A probe argument printed as an address is read as the mapping's `ptr()` reads it, everywhere the
 * ftrace reader looks at one. `sem=%di:u64` prints decimal on 4.17 and later; the read ahead read
 * it as bare hex, while the mapping read it as decimal: the i_rwsem offset was not found (KV321,
 * the 6.1 default used), and on a kernel of another layout the draft d_add_ci's bug was reported
 * as one rel_held on a lock id no directory has, its three other violations missed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile, readTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { addressDigits, printedAddress, printedFlags } from '../../../src/trace/ftrace/address.js';
import { IrwsemVotes } from '../../../src/trace/ftrace/infer.js';

describe('addressDigits', () => {
  it('reads 0x-prefixed and bare hex, dropping leading zeros', () => {
    expect(addressDigits('0xffff888004a1c0a0')).toBe('ffff888004a1c0a0');
    expect(addressDigits('ffff888004a1c0a0')).toBe('ffff888004a1c0a0');
    expect(addressDigits('0x00000000000001a0')).toBe('1a0');
    expect(addressDigits('0x0')).toBe('0');
    expect(addressDigits('0x1234')).toBe('1234');
  });

  it('reads bare decimal digits as decimal (a :u64 argument), as ptr() does', () => {
    expect(addressDigits('18446612682147741856')).toBe('ffff888004a1c0a0');
    expect(printedAddress('18446612682147741856')).toBe(0xffff888004a1c0a0n);
    expect(addressDigits('0')).toBe('0');
  });

  it('has none for a value without digits', () => {
    expect(addressDigits(undefined)).toBeUndefined();
    expect(addressDigits('(fault)')).toBeUndefined();
    expect(addressDigits('0x')).toBeUndefined();
  });
});

describe('the i_rwsem offset of a capture whose sem is printed decimal', () => {
  it('is read off a down_read and the next __lookup_slow', () => {
    const votes = new IrwsemVotes();
    votes.note('dr', '315', String(0xffff888004a1c098n));
    votes.note('lkslow', '315', '0xffff888004a1c000');
    expect(votes.best()).toBe(152);
  });
});

describe('the draft d_add_ci on a 6.12 layout with sem=%di:u64', () => {
  it('gives the four violations at the lines of the hex capture, with no KV321', async () => {
    const draft = readFileSync(new URL('../../../traces/ftrace/kprobe-draft-d_add_ci.txt', import.meta.url), 'latin1');
    // (6.12 puts i_rwsem 152 bytes into the inode; the probe prints the rwsem in decimal)
    const text = draft.replaceAll('sem=0xffff888004a1c0a0', `sem=${String(0xffff888004a1c098n)}`);
    expect(text).not.toBe(draft);
    const path = join(mkdtempSync(join(tmpdir(), 'kinv-address-')), 'draft-u64.txt');
    writeFileSync(path, text, 'latin1');
    const diags: Diagnostic[] = [];
    const r = await checkTraceFile(path, new SpecSet([], {}), { onDiagnostic: (d) => diags.push(d) });
    expect(diags.filter((d) => d.code === 'KV321' || d.code === 'KV320')).toEqual([]);
    expect(r!.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.seq, v.event?.line, v.event?.args.lock])).toEqual([
      ['in_lookup_parent_locked', 8, 21, '0xffff888004a1c000'],
      ['d_add_ci_parent_lock_balanced', 11, 24, undefined],
      ['lookup_parent_lock_balanced', 12, 25, undefined],
      ['rel_held', 15, 29, '0xffff888004a1c000'],
    ]);
  });
});

/**
 * `dflags=+0($retval):u32` prints d_flags in decimal on 4.17 and later: `268435456` is
 * DCACHE_PAR_LOOKUP. The mapping and the read ahead read bare digits as hex, so a new in-lookup
 * dentry looked found (H), and a found overlayfs dentry (DCACHE_OP_REAL, `71303368`) looked in
 * lookup (N): two tasks finding it gave "outcome N, but it is already in lookup" (unknown, exit 3),
 * and the warnings said the capture shows no DCACHE_PAR_LOOKUP bit (KV321) and ends no in-lookup
 * state (KV335).
 */
const U32_DFLAGS = [
  '# tracer: nop',
  '#',
  '# entries-in-buffer/entries-written: 28/28   #P:2',
  '#',
  '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
  '#              | |         |   |||||     |         |',
  '            find-317     [001] .....   100.000001: sys_exit: NR 4 = 0',
  '            find-317     [001] .....   100.000002: dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0',
  '            find-317     [001] .....   100.000003: dr_ret: (walk_component+0xd1/0x150 <- down_read)',
  '            find-317     [001] .....   100.000004: lkslow: (__lookup_slow+0x0/0x190) name="bar" nlen=3 dir=0xffff888005d0e540 dinode=0xffff888004a1c000 flags=0x0',
  '            find-317     [001] .....   100.000005: dap: (d_alloc_parallel+0x0/0x5a0) parent=0xffff888005d0e540 pinode=0xffff888004a1c000 name="bar" nlen=3',
  '            find-317     [001] .....   100.000006: dap_ret: (__lookup_slow+0x61/0x190 <- d_alloc_parallel) ret=0xffff888005d0fe40 dflags=268435456',
  '            find-317     [001] .....   100.000007: fs_lookup_ext4: (ext4_lookup+0x0/0xd0) dir=0xffff888004a1c000 dentry=0xffff888005d0fe40 flags=0x0 dname="bar"',
  '            find-317     [001] .....   100.000008: fs_lookup_ext4_ret: (__lookup_slow+0x9b/0x190 <- ext4_lookup) ret=0x0',
  '            find-317     [001] .....   100.000009: unhash: (__d_lookup_unhash+0x0/0xe0) dentry=0xffff888005d0fe40 parent=0xffff888005d0e540 dname="bar" dflags=0x10000008',
  '            find-317     [001] .....   100.000010: lkslow_ret: (walk_component+0xde/0x150 <- __lookup_slow) ret=0xffff888005d0fe40',
  '            find-317     [001] .....   100.000011: ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0',
  '            find-317     [001] .....   100.000012: sys_exit: NR 4 = 0',
  '            stat-315     [000] .....   100.000100: sys_exit: NR 4 = 0',
  '              ls-316     [001] .....   100.000113: sys_exit: NR 4 = 0',
  '            stat-315     [000] .....   100.000126: dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0',
  '              ls-316     [001] .....   100.000139: dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0',
  '            stat-315     [000] .....   100.000152: dr_ret: (walk_component+0xd1/0x150 <- down_read)',
  '              ls-316     [001] .....   100.000165: dr_ret: (walk_component+0xd1/0x150 <- down_read)',
  '            stat-315     [000] .....   100.000178: lkslow: (__lookup_slow+0x0/0x190) name="foo" nlen=3 dir=0xffff888005d0e540 dinode=0xffff888004a1c000 flags=0x0',
  '              ls-316     [001] .....   100.000191: lkslow: (__lookup_slow+0x0/0x190) name="foo" nlen=3 dir=0xffff888005d0e540 dinode=0xffff888004a1c000 flags=0x0',
  '            stat-315     [000] .....   100.000204: dap: (d_alloc_parallel+0x0/0x5a0) parent=0xffff888005d0e540 pinode=0xffff888004a1c000 name="foo" nlen=3',
  '              ls-316     [001] .....   100.000217: dap: (d_alloc_parallel+0x0/0x5a0) parent=0xffff888005d0e540 pinode=0xffff888004a1c000 name="foo" nlen=3',
  '            stat-315     [000] .....   100.000230: dap_ret: (__lookup_slow+0x61/0x190 <- d_alloc_parallel) ret=0xffff888005d0f9c0 dflags=71303368',
  '              ls-316     [001] .....   100.000243: dap_ret: (__lookup_slow+0x61/0x190 <- d_alloc_parallel) ret=0xffff888005d0f9c0 dflags=71303368',
  '            stat-315     [000] .....   100.000256: lkslow_ret: (walk_component+0xde/0x150 <- __lookup_slow) ret=0xffff888005d0f9c0',
  '              ls-316     [001] .....   100.000269: lkslow_ret: (walk_component+0xde/0x150 <- __lookup_slow) ret=0xffff888005d0f9c0',
  '            stat-315     [000] .....   100.000282: ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0',
  '              ls-316     [001] .....   100.000295: ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0',
].join('\n') + '\n';

describe('printedFlags', () => {
  it('reads 0x as hex, bare digits as decimal, and bare digits beside a bare-hex address as hex', () => {
    expect(printedFlags('0x10000000', '0xffff888005d0f9c0')).toBe(0x10000000);
    expect(printedFlags('268435456', '0xffff888005d0f9c0')).toBe(0x10000000);
    expect(printedFlags('268435456', String(0xffff888005d0f9c0n))).toBe(0x10000000);
    expect(printedFlags('10000000', 'ffff888005d0f9c0')).toBe(0x10000000);
    expect(printedFlags('1000000a', undefined)).toBe(0x1000000a);
    expect(printedFlags('(fault)', '0xffff888005d0f9c0')).toBeUndefined();
    expect(printedFlags(undefined, '0xffff888005d0f9c0')).toBeUndefined();
  });
});

describe('d_alloc_parallel returns whose dflags a :u32 fetch printed in decimal', () => {
  it('are N for the dentry that goes to ->lookup and H for the one two tasks find, with no warning', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kinv-address-')), 'dflags-u32.txt');
    writeFileSync(path, U32_DFLAGS, 'latin1');
    const diags: Diagnostic[] = [];
    const specs = new SpecSet([], {});
    const opened = await readTraceFile(path, specs, { onDiagnostic: (d) => diags.push(d) });
    const outcomes: [number | undefined, unknown][] = [];
    for await (const batch of opened!.source) {
      for (const e of batch) if ('ev' in e && e.ev === 'ret' && e.fn === 'd_alloc_parallel') outcomes.push([e.line, e.args.outcome]);
    }
    expect(outcomes).toEqual([[12, 'N'], [29, 'H'], [30, 'H']]);
    expect(diags.map((d) => d.code)).toEqual([]);
    const r = await checkTraceFile(path, specs, { onDiagnostic: () => undefined });
    expect(r!.verdicts.filter((v) => v.kind === 'violation' || v.kind === 'unknown')).toEqual([]);
  });
});
