/** kinv sim's account of a run on standard error: the flags that make the same run again. */
import { describe, expect, it } from 'vitest';
import { kinv } from '../../helpers/kinv.js';

function header(stderr: string): string {
  return stderr.split('\n').find((l) => l.startsWith('kinv sim: '))!;
}

describe('kinv sim', () => {
  it('names the seed of a random run once', async () => {
    const r = await kinv(['sim', '--d-add-ci', 'draft', '--scenario', 'random', '--tasks', '2', '--seed', '7']);
    expect(r.code).toBe(0);
    expect(header(r.stderr).match(/--seed 7/g)).toHaveLength(1);
  });

  it('names the seed of a named scenario, whose flags do not', async () => {
    const r = await kinv(['sim', '--d-add-ci', 'draft', '--scenario', 'pair', '--seed', '3']);
    expect(r.code).toBe(0);
    expect(header(r.stderr)).toMatch(/--scenario pair --seed 3\)$/);
  });
});
