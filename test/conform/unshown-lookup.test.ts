/**
 * Directories whose ->lookup a capture does not show (traces/kernel-programs/6.1-layered: the
 * probe set has ext4's, tmpfs's, XFS's and vfat's ->lookup, not overlayfs's or procfs's). A stat
 * through an overlay (lkwork-911, lines 4100..4201) makes an in-lookup dentry in the overlay's
 * directory, whose ->lookup (ovl_lookup, not shown) looks the name up in each layer's directory
 * (ext4, tmpfs: shown), then ends the overlay's dentry. The overlay's directory is not followed,
 * and the dentry's end belongs to the directory it was made in, not to the last layer's.
 * An unlink through the overlay (rm-1572, lines 191359..191421) whites the name out: overlayfs locks
 * its work directory and the upper directory (lock_rename) and looks temporary names up in the work
 * directory with lookup_one, through __lookup_slow under its exclusive hold, which the model has not.
 */
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conform, verdicts } from './helpers.js';

const all = gunzipSync(readFileSync('traces/kernel-programs/6.1-layered/trace.gz')).toString('latin1').split('\n');
const tmp = mkdtempSync(join(tmpdir(), 'kinv-unshown-lookup-'));
if (!all[0]!.startsWith('# tracer:')) throw new Error('6.1-layered: no # tracer: line first');

/** The capture's lines `from`..`to` (1-based) of task `pid`. */
const of = (pid: number, from: number, to: number): string[] => all.slice(from - 1, to).filter((l) => l.includes(`-${pid} `));
/**
 * Writes an excerpt as a `trace` file's, after the capture's `# tracer:` line: the records of tasks
 * 911 and 1572 are all on CPU 1, which a file without a header shows as CPU 1's own (KV326).
 */
const write = (name: string, lines: string[]): string => {
  const path = join(tmp, name);
  writeFileSync(path, [all[0]!, ...lines].join('\n') + '\n', 'latin1');
  return path;
};

describe('conform on directories whose ->lookup the capture does not show', () => {
  it('a stat through an overlay conforms: the overlay directory is not followed, its layers are', async () => {
    const r = await conform(write('overlay-stat.txt', of(911, 4100, 4201)));
    expect(verdicts(r)).toEqual({ mainline: ['conforms'], draft: ['conforms'], fixed: ['conforms'] });
    expect(r.unshownLookupDirs).toBe(1);
    expect(r.directories).toBe(2);
  });

  it('a /proc lookup beside it is not followed either; the layers still are', async () => {
    const r = await conform(write('proc-and-overlay.txt', [...of(900, 375, 520), ...of(911, 4100, 4201)]));
    expect(verdicts(r)).toEqual({ mainline: ['conforms'], draft: ['conforms'], fixed: ['conforms'] });
    // /proc (its lookup of "900") and the overlay's; /proc/900 has no lock event the capture can
    // place (its down_read's return without its entry), so it is in no one's scope.
    expect(r.unshownLookupDirs).toBe(2);
    expect(r.directories).toBe(2);
  });

  it('a layer lookup that breaks the model is still found: the ext4 layer\'s in-lookup dentry never ended', async () => {
    const lines = of(911, 4100, 4201);
    // The end of the in-lookup dentry the ext4 layer's lookup made is cut.
    const lookup = lines.findIndex((l) => l.includes(' fs_lookup_ext4: '));
    const end = lines.findIndex((l, k) => k > lookup && l.includes(' unhash: '));
    expect(lookup).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(lookup);
    const r = await conform(write('overlay-stat-no-end.txt', lines.filter((_, k) => k !== end)), ['mainline']);
    expect(r.results[0]!.verdict).toBe('does not conform');
    expect(r.unshownLookupDirs).toBe(1);
  });

  it('an exclusive hold under which the task looks names up (overlayfs whiteout under lock_rename) is not judged; the rest is', async () => {
    const r = await conform(write('overlay-unlink.txt', of(1572, 191359, 191421)));
    expect(verdicts(r)).toEqual({ mainline: ['conforms'], draft: ['conforms'], fixed: ['conforms'] });
    expect(r.lookupOneHoldEvents).toBeGreaterThan(0);
    expect(r.judged).toBeGreaterThan(0);
  });

  it('lookups under the shared hold lookup_slow takes (the ordinary path, the layers of a stat) are no lookup_one hold', async () => {
    const lines = of(911, 4100, 4201);
    const r = await conform(write('overlay-stat-lookup-one-rule.txt', lines), ['mainline']);
    expect(r.lookupOneHoldEvents).toBe(0);
  });
});

