/**
 * A capture whose records are filtered by task or by mode (the read ahead's KV327, KV329, KV330)
 * hides steps the model takes: an event no model state can take there is no verdict on the kernel.
 * `kinv conform` cannot tell (exit 3), and still shows where no state took the capture.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, writeLog } from '../helpers/programs-capture.js';
import { conform, verdicts } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-conform-filtered-'));
const lookupTask = /^\s*(ls|find)-\d+\s/;

describe('6.12-full, a stock kernel, without ls\'s and find\'s unhash records (a comm filter on those probes only)', () => {
  const lines = captureLines('6.12-full').filter((l) => !l.startsWith('#') && !(lookupTask.test(l) && / (unhash|unhashwake|dkill|ddrop|dunlink): /.test(l)));

  it('cannot tell whether it conforms to mainline: the filter, not the kernel, left the model without a step', async () => {
    const r = await conform(writeLog(tmp, 'no-ls-unhash.txt', lines), ['mainline']);
    const [x] = r.results;
    expect(x!.verdict).toBe('unknown');
    expect(x!.unknown).toMatch(/^the capture's records are filtered \(\d+ tasks making in-lookup dentries and ending none \(KV330\)\)/);
    // where no state took it, named all the same: a release by one of the filtered tasks
    expect(x!.afterGap?.line).toBeGreaterThan(0);
    expect(lookupTask.test(lines[x!.afterGap!.line! - 1]!)).toBe(true);
  }, 120_000);

  it('the whole capture conforms to mainline', async () => {
    const r = await conform(writeLog(tmp, 'whole.txt', captureLines('6.12-full').filter((l) => !l.startsWith('#'))), ['mainline']);
    expect(r.results.map((x) => x.verdict)).toEqual(['conforms']);
  }, 120_000);
});

describe('6.1-full, a stock kernel, with a lookup step its probe set does not show', () => {
  const whole = captureLines('6.1-full').filter((l) => !l.startsWith('#'));

  it('without d_add_ci records (its XFS is case-insensitive): cannot tell, naming the probe', async () => {
    const lines = whole.filter((l) => !/ daddci(_ret)?: /.test(l));
    const [x] = (await conform(writeLog(tmp, 'no-daddci.txt', lines), ['mainline'])).results;
    expect([x!.verdict, x!.unknown]).toEqual(['unknown', 'the capture does not probe d_add_ci: the model\'s steps there cannot be followed']);
    expect(x!.afterGap?.event).toMatch(/^call d_alloc_parallel /);
  }, 120_000);

  // Its d_add_ci calls show which directories are case-insensitive, ->lookup records or not: the
  // stock kernel's mainline shape explains the capture, and the other two fail only at steps the
  // missing probes would show (before, no directory was case-insensitive without its xfs-ci
  // ->lookup records, and every shape failed at the first d_add_ci).
  it('without any ->lookup records: mainline conforms; of the others it cannot tell, naming them', async () => {
    const lines = whole.filter((l) => !/ fs_lookup_\w+: /.test(l));
    const r = (await conform(writeLog(tmp, 'no-lookup.txt', lines))).results;
    const why = 'the capture does not probe any ->lookup: the model\'s steps there cannot be followed';
    expect(r.map((x) => [x.shape, x.verdict, x.unknown])).toEqual([['mainline', 'conforms', undefined], ['draft', 'unknown', why], ['fixed', 'unknown', why]]);
  }, 120_000);

  it('without ls\'s and find\'s d_alloc_parallel records (a comm filter on that probe only): cannot tell, naming each ->lookup without its allocation', async () => {
    const lines = whole.filter((l) => !(lookupTask.test(l) && / dap(_ret)?: /.test(l)));
    const [x] = (await conform(writeLog(tmp, 'no-ls-dap.txt', lines), ['mainline'])).results;
    // __lookup_slow calls d_alloc_parallel before ->lookup: each ->lookup of ls and find inside one lacks it
    const open = new Map<string, boolean>();
    const without: number[] = [];
    lines.forEach((l, k) => {
      const task = /^\s*(\S+-\d+)\s/.exec(l)?.[1] ?? '';
      if (/ lkslow: /.test(l)) open.set(task, true);
      else if (/ lkslow_ret: /.test(l)) open.delete(task);
      else if (/ fs_lookup_[a-z0-9]+: /.test(l) && open.has(task) && lookupTask.test(l)) without.push(k + 1);
    });
    expect(x!.verdict).toBe('unknown');
    expect(x!.unknown).toBe(`the capture's records are filtered (${without.length} ->lookup calls inside __lookup_slow without the d_alloc_parallel before them, `
      + `the first at ${join(tmp, 'no-ls-dap.txt')}:${without[0]}): the steps the filter left out may be those the model needs`);
    expect(x!.afterGap?.line).toBe(without[0]);
  }, 120_000);

  it.each([['XFS\'s (case-insensitive)', 'fs_lookup_xfsci_ret'], ['ext4\'s', 'fs_lookup_ext4_ret']])(
    'without %s ->lookup return records (a probe set without that one): conforms to mainline and to no other shape', async (_fs, probe) => {
      // (each filesystem's ->lookup has its own return probe: other filesystems' returns, shown, say
      // nothing of this one's; before, the model waited there for a return the capture cannot show)
      const lines = whole.filter((l) => !l.includes(` ${probe}: (`));
      expect(lines.length).toBeLessThan(whole.length);
      const r = await conform(writeLog(tmp, `no-${probe}.txt`, lines));
      expect(r.results.map((x) => [x.shape, x.verdict])).toEqual([['mainline', 'conforms'], ['draft', 'does not conform'], ['fixed', 'does not conform']]);
    }, 120_000);

  it('the whole capture conforms to mainline', async () => {
    const r = await conform(writeLog(tmp, 'whole-61.txt', whole), ['mainline']);
    expect(r.results.map((x) => x.verdict)).toEqual(['conforms']);
  }, 120_000);
});

describe('6.12-layered, a stock kernel, without its down_write_killable records (a probe set without that variant)', () => {
  const whole = captureLines('6.12-layered').filter((l) => !l.startsWith('#'));
  const lines = whole.filter((l) => !/ dwk(_ret)?: /.test(l));

  it('conforms to mainline: each up_write of a hold it did not see taken is the end of an acquisition it does not show', async () => {
    // overlayfs's ovl_check_whiteouts takes a lower directory with down_write_killable inside the
    // getdents64 that took it shared twice before (iterate_dir): the task has a session there, done.
    const r = await conform(writeLog(tmp, 'no-dwk.txt', lines), ['mainline']);
    expect(r.results.map((x) => x.verdict)).toEqual(['conforms']);
    expect(r.unobservedAcquisitions).toBe(whole.filter((l) => / dwk: /.test(l)).length);
  }, 120_000);

  it('without its down_read records: conforms, a second lookup in one syscall under an unseen down_read as well as the first', async () => {
    // lookup_one_unlocked (overlayfs's lookups in a lower layer) takes the lower directory with
    // down_read twice in one rename(2): each up_read ends a hold the capture does not show.
    const noDr = whole.filter((l) => !/ dr(_ret)?: /.test(l));
    const r = await conform(writeLog(tmp, 'no-dr.txt', noDr), ['mainline']);
    expect(r.results.map((x) => x.verdict)).toEqual(['conforms']);
    expect(r.unobservedAcquisitions).toBeGreaterThan(0);
    expect(r.unobservedAcquisitions).toBeLessThanOrEqual(noDr.filter((l) => / ur: /.test(l)).length);
  }, 120_000);

  it('without its d_alloc_parallel records: cannot tell, naming them (an in-lookup dentry\'s end cannot be placed)', async () => {
    const lines = whole.filter((l) => !/ dap(_ret)?: /.test(l));
    const [x] = (await conform(writeLog(tmp, 'no-dap.txt', lines), ['mainline'])).results;
    expect([x!.verdict, x!.unknown]).toEqual(['unknown', 'the capture does not probe d_alloc_parallel: the model\'s steps there cannot be followed']);
    expect(x!.afterGap?.event).toMatch(/^il_end$/);
  }, 120_000);

  it('the whole capture shows every acquisition', async () => {
    const r = await conform(writeLog(tmp, 'whole-layered.txt', whole), ['mainline']);
    expect([r.results.map((x) => x.verdict), r.unobservedAcquisitions]).toEqual([['conforms'], 0]);
  }, 120_000);
});

describe('a complete trace shows every acquisition: a release of a mode the task never took is the non-conformance, where it is', () => {
  it('traces/ndjson/rel_mode.ndjson (up_read of an exclusive hold): fails at the up_read, not at the syscall exit after it', async () => {
    const r = await conform('traces/ndjson/rel_mode.ndjson', ['mainline']);
    expect([verdicts(r), r.unobservedAcquisitions]).toEqual([{ mainline: ['does not conform', 2, 3, 'rel R', 102] }, 0]);
  });
});
