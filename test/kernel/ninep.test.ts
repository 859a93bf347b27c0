/**
 * The 9p capture (traces/kernel-programs/6.12-9p: `npm run capture -- --phases ninep`): 9p's own
 * ->lookup, ->atomic_open and ->d_revalidate on the generic Debian 6.12 kernel, names changed on the
 * host under the guest. The kernel is stock and its dmesg is clean, and count-locks.mjs (counts.json)
 * finds every release of a tracked lock matched by an acquisition in its task: kinv must report
 * nothing, and the capture must be a behaviour of the model.
 *
 * What it showed: a ->lookup may return an error with its dentry still in lookup (9p's
 * d_splice_alias of an error inode when the host removed the name between the walk and the getattr;
 * -ENAMETOOLONG on any filesystem), which the caller's d_lookup_done ends after the return. The
 * model's ->lookup always spliced or hashed first, and conform said "does not conform" at the first
 * such return (line 11847).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace } from '../../scripts/capture/count-locks.mjs';
import { conform, verdicts } from '../conform/helpers.js';
import { expectCleanStockCapture, PROGRAMS } from '../helpers/programs-capture.js';

describe('6.12-9p: 9p lookups, some failing with their dentry in lookup', () => {
  it('shows a ->lookup returning -ENOENT before the in-lookup state ends, at line 11847', () => {
    const lines = readTrace(join(PROGRAMS, '6.12-9p')).split('\n');
    expect(lines[11846]).toMatch(/^\s*stat-696 .* fs_lookup_9p_ret: \(__lookup_slow\+0x86\/0x130 <- v9fs_vfs_lookup\) ret=0xfffffffffffffffe$/);
    expect(lines[11848]).toMatch(/^\s*stat-696 .* unhash: \(__d_lookup_unhash\+0x0\/0x100\) .* dname="hostA"/);
    expect(lines.filter((l) => / fs_lookup_9p_ret: .* ret=0xffffffff/.test(l)).length).toBe(18);
  });

  it('checks clean, every release matched (counts.json), the 9p lookups judged', async () => {
    const r = await expectCleanStockCapture('6.12-9p');
    expect(r.verdicts.filter((v) => v.kind !== 'pending')).toEqual([]);
    expect(r.evaluated.lookup_entry_locked).toBeGreaterThan(5_000);
    expect(r.evaluated.lookup_parent_lock_balanced).toBeGreaterThan(5_000);
  }, 180_000);

  it('conforms to the model with the mainline d_add_ci', async () => {
    const r = await conform(join(PROGRAMS, '6.12-9p', 'trace.gz'), ['mainline']);
    expect(verdicts(r)).toEqual({ mainline: ['conforms'] });
  }, 300_000);
});
