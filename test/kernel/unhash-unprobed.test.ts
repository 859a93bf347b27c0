/**
 * A probe set without `__d_lookup_unhash` (a user's own, or a kernel that inlined it everywhere)
 * shows in-lookup states begin and never end. The rules that read who owns an in-lookup dentry
 * cannot tell then: each failure is unknown, naming the missing probe, never a violation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, checkWithCapture, found, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-unhash-'));
// 6.1-full as trace_pipe shows it (no header), with the unhash probes' records left out.
const lines = captureLines('6.1-full').filter((l) => !l.startsWith('#'));
const unprobed = lines.filter((l) => !/ unhash(wake)?: \(/.test(l));
const OWNERSHIP = ['dap_outcome_consistent', 'in_lookup_exclusive', 'in_lookup_parent_locked', 'in_lookup_unique', 'lock_order_acyclic', 'no_final_put_in_lookup'];

describe('a capture that does not probe __d_lookup_unhash', () => {
  it('is clean with the unhash records', async () => {
    const r = await checkWithCapture(writeLog(tmp, 'whole.txt', lines), undefined, []);
    expect(found(r)).toEqual([]);
  });

  it('without them, gives unknown where an in-lookup state may have ended unseen, and no violation', async () => {
    expect(lines.length - unprobed.length).toBeGreaterThan(1000);
    const r = await checkWithCapture(writeLog(tmp, 'unprobed.txt', unprobed), undefined, []);
    const verdicts = r.verdicts.filter((v) => v.kind !== 'pending');
    expect(verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line])).toEqual([]);
    expect([...new Set(verdicts.map((v) => v.invariant))].sort()).toEqual(OWNERSHIP);
    for (const v of verdicts) expect(v.reason, v.invariant).toContain('the capture shows no __d_lookup_unhash');
    // ls-607 looks "localtime" up again: its first in-lookup dentry of that name ended unseen
    const first = verdicts.find((v) => v.invariant === 'in_lookup_unique')!;
    expect(unprobed[first.event!.line! - 1]).toContain('ls-607');
    expect(unprobed[first.event!.line! - 1]).toContain('dap_ret: (path_openat+0x7c7/0x1260 <- d_alloc_parallel) ret=0xff4a519c43756d80');
    expect(first.message).toContain('d_alloc_parallel("localtime")');
  });

  // in_lookup_ended is due only where the capture shows __d_lookup_unhash; without it no item can
  // fall due, so none is left pending when the trace ends either.
  const pendingEnds = (r: Awaited<ReturnType<typeof checkWithCapture>>) =>
    r.verdicts.filter((v) => v.kind === 'pending' && v.invariant === 'in_lookup_ended').map((v) => v.event?.line);

  it('without them, leaves no in-lookup state pending at the end of the trace', async () => {
    const r = await checkWithCapture(writeLog(tmp, 'unprobed-pending.txt', unprobed), undefined, []);
    expect(pendingEnds(r)).toEqual([]);
  });

  it('with them, a trace cut inside a lookup leaves that lookup\'s in-lookup state pending', async () => {
    // Cut right after a new in-lookup dentry of __lookup_slow's, once the capture has shown an unhash.
    const at = lines.findIndex((l, i) => / dap_ret: \(__lookup_slow\+/.test(l) && lines.slice(0, i).some((m) => / unhash: /.test(m)));
    expect(at).toBeGreaterThan(0);
    const r = await checkWithCapture(writeLog(tmp, 'cut.txt', lines.slice(0, at + 1)), undefined, []);
    expect(pendingEnds(r)).toContain(at + 1);
  });
});
