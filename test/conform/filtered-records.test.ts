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
import { conform } from './helpers.js';

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

  it('without any ->lookup records: cannot tell, naming them', async () => {
    const lines = whole.filter((l) => !/ fs_lookup_\w+: /.test(l));
    const [x] = (await conform(writeLog(tmp, 'no-lookup.txt', lines), ['mainline'])).results;
    expect([x!.verdict, x!.unknown]).toEqual(['unknown', 'the capture does not probe any ->lookup: the model\'s steps there cannot be followed']);
  }, 120_000);

  it('the whole capture conforms to mainline', async () => {
    const r = await conform(writeLog(tmp, 'whole-61.txt', whole), ['mainline']);
    expect(r.results.map((x) => x.verdict)).toEqual(['conforms']);
  }, 120_000);
});
