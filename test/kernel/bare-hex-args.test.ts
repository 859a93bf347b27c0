/**
 * Probe arguments printed as bare digits: an older kernel prints its hexadecimal fetch types
 * without `0x`, and a `:u32` fetch prints decimal, so `flags=101` is 0x101 or 101. The lookup
 * flags are read as a number only where both readings agree (on LOOKUP_RCU, for the RCU-walk
 * rule); addresses (`dir=ff4a…`) are hexadecimal either way.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, checkWithCapture, found, PROGRAMS, writeLog } from '../helpers/programs-capture.js';

describe('6.1-full with every probe argument printed without 0x', () => {
  const bare = captureLines('6.1-full').map((l) => (l.includes(': (') ? l.replace(/=0x([0-9a-f]+)/g, '=$1') : l));

  it('gets the verdicts of the capture as recorded: none (800 false RCU-walk lookups before: flags=101 read as decimal 101 = 0x65)', async () => {
    expect(bare.some((l) => / fs_lookup_simple: \(simple_lookup\+0x0\/0x60\) dir=ff[0-9a-f]+ dentry=ff[0-9a-f]+ flags=101 dname=/.test(l))).toBe(true);
    const tmp = mkdtempSync(join(tmpdir(), 'kinv-bare-'));
    const errors: string[] = [];
    const before = await checkWithCapture(join(PROGRAMS, '6.1-full', 'trace.gz'), undefined, errors);
    const after = await checkWithCapture(writeLog(tmp, 'bare.txt', bare), undefined, errors);
    expect(errors).toEqual([]);
    expect(found(before)).toEqual([]);
    expect(found(after)).toEqual([]);
    // (the locks and lookups are all judged still; only lookups whose flags' two readings disagree are not)
    expect(after.evaluated.lookup_entry_locked).toBe(before.evaluated.lookup_entry_locked);
    expect(after.evaluated.no_lookup_in_rcu_walk).toBeGreaterThan(0);
    expect(after.evaluated.no_lookup_in_rcu_walk).toBeLessThan(before.evaluated.no_lookup_in_rcu_walk!);
  });
});
