/**
 * `kinv conform` on whole real captures of stock (mainline), draft and fixed 6.1 kernels: each
 * conforms to the shape its kernel ran and to no other, each non-conformance at the first
 * distinguishing event (index, line, event, task). Minutes of CPU: in the exhaustive project.
 */
import { describe, expect, it } from 'vitest';
import { conform, verdicts } from './helpers.js';

describe('kinv conform on real captures', () => {
  it('the stock 6.1 capture conforms to mainline only; the draft and the fixed shape fail at its first d_add_ci that allocates', async () => {
    const r = await conform('traces/kernel/trace.gz');
    expect(verdicts(r)).toEqual({
      mainline: ['conforms'],
      draft: ['does not conform', 53766, 54773, 'call d_alloc_parallel File23', 242],
      fixed: ['does not conform', 53766, 54773, 'call d_alloc_parallel File23', 242],
    });
    expect([r.events, r.judged, r.directories, r.gaps]).toEqual([82190, 53268, 4, 0]);
  }, 600_000);

  it('the draft kernel\'s capture conforms to the draft only; against the fixed shape, the first early return without the relock', async () => {
    expect(verdicts(await conform('traces/kernel-buggy/trace.gz'))).toEqual({
      mainline: ['does not conform', 342, 477, 'rel R', 190],
      draft: ['conforms'],
      fixed: ['does not conform', 374, 511, 'ret d_add_ci', 190],
    });
  }, 600_000);

  it('the fixed kernel\'s capture conforms to the fixed shape only; against the draft, the first relock after an E2', async () => {
    expect(verdicts(await conform('traces/kernel-fixed/trace.gz'))).toEqual({
      mainline: ['does not conform', 377, 512, 'rel R', 191],
      draft: ['does not conform', 477, 621, 'acq_req R', 191],
      fixed: ['conforms'],
    });
  }, 600_000);
});
