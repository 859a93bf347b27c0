/**
 * Holds conform does not judge in full, and what it still judges around them (small ftrace logs in
 * fixtures/): an exclusive hold under which its task looks names up through __lookup_slow keeps its
 * lock events, so another task's acquisition inside it is still a non-conformance; a hold cut by a
 * gap is forgotten, never taken as such a hold (and what lies inside the loss is not judged); a directory whose ->lookup is not shown, where
 * d_add_ci is called, leaves the shapes undecided instead of letting the trace conform.
 */
import { describe, expect, it } from 'vitest';
import { conform, verdicts } from './helpers.js';

const F = 'test/conform/fixtures';

describe('conform around holds and directories it does not follow', () => {
  it('a reader that takes the directory inside a lookup_one hold does not conform', async () => {
    const r = await conform(`${F}/lookup-one-hold-and-reader.txt`, ['mainline']);
    expect(verdicts(r)).toEqual({ mainline: ['does not conform', 12, 25, 'acq R', 501] });
    expect(r.lookupOneHoldEvents).toBe(5);
  });

  it('a hold cut by a gap is forgotten, never taken as such a hold: the reader inside the loss is unknown', async () => {
    // CPU 1's 4 lost events lie between its record before the marker (line 16, the hold taken) and
    // its record after it (line 22), among CPU 0's records meanwhile: the reader's acquisition
    // (line 18) may come after a lost release of the hold, so it is no non-conformance
    const r = await conform(`${F}/exclusive-hold-across-gap.txt`, ['mainline']);
    expect(verdicts(r)).toEqual({ mainline: ['unknown'] });
    expect(r.results[0]!.unknown).toBe(`a gap (lost events: 4 events lost on CPU 1, somewhere between line 16 and line 21) at ${F}/exclusive-hold-across-gap.txt:16 (every task): `
      + 'the model\'s state after it is not known');
    expect(r.lookupOneHoldEvents).toBe(0);
  });

  it('d_add_ci in a directory whose ->lookup is not shown: every shape unknown, saying where', async () => {
    const r = await conform(`${F}/d_add_ci-lookup-not-shown.txt`);
    expect(r.results.map((x) => x.verdict)).toEqual(['unknown', 'unknown', 'unknown']);
    for (const x of r.results) expect(x.unknown).toMatch(/^directory 0xffff888004a1c000 calls d_add_ci \(.*d_add_ci-lookup-not-shown\.txt:19\), but the capture shows none of its ->lookup calls/);
    expect(r.unshownLookupDirs).toBe(1);
  });
});
