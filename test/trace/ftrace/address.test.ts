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
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { addressDigits, printedAddress } from '../../../src/trace/ftrace/address.js';
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
