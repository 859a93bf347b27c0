/** `kinv examples` (what `npm start` runs): every bundled trace gives exactly its expected verdicts. */
import { describe, expect, it } from 'vitest';
import { bundledExpectations, sameVerdicts } from '../../src/cli/commands/examples.js';
import { kinv } from '../helpers/kinv.js';

describe('kinv examples', () => {
  it('covers the NDJSON, simulator and ftrace traces', () => {
    const folders = new Set(bundledExpectations().map((c) => c.file.split('/').at(-2)));
    expect([...folders].sort()).toEqual(expect.arrayContaining(['ftrace', 'ndjson', 'sim']));
  });

  it('compares verdicts as a multiset: order aside, every verdict and its count', () => {
    const a = [['violation', 'rel_held', 13], ['pending', 'in_lookup_ended', 2]];
    expect(sameVerdicts(a, [...a].reverse())).toBe(true);
    expect(sameVerdicts(a, [a[0]!])).toBe(false);
    expect(sameVerdicts([a[0]!, a[0]!], [a[0]!, a[1]!])).toBe(false);
    expect(sameVerdicts(a, [['violation', 'rel_held', 12], a[1]!])).toBe(false);
  });

  it('passes on every bundled trace', async () => {
    const r = await kinv(['examples']);
    expect(r.stdout).not.toContain('MISMATCH');
    const m = /(\d+)\/(\d+) traces gave exactly their expected verdicts/.exec(r.stdout);
    expect(m?.[1]).toBe(m?.[2]);
    expect(r.code).toBe(0);
    // Every bundled trace, real captures included, in one run: well under a minute on an idle
    // machine, minutes on a loaded one; the time limit only catches a hang.
  }, 240_000);
});
