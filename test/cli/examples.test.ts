/** `kinv examples` (what `npm start` runs): every bundled trace gives exactly its expected verdicts. */
import { describe, expect, it } from 'vitest';
import { bundledExpectations } from '../../src/cli/commands/examples.js';
import { kinv } from '../helpers/kinv.js';

describe('kinv examples', () => {
  it('covers the NDJSON, simulator and ftrace traces', () => {
    const folders = new Set(bundledExpectations().map((c) => c.file.split('/').at(-2)));
    expect([...folders].sort()).toEqual(expect.arrayContaining(['ftrace', 'ndjson', 'sim']));
  });

  it('passes on every bundled trace', async () => {
    const r = await kinv(['examples']);
    expect(r.stdout).not.toContain('MISMATCH');
    const m = /(\d+)\/(\d+) traces gave exactly their expected verdicts/.exec(r.stdout);
    expect(m?.[1]).toBe(m?.[2]);
    expect(r.code).toBe(0);
  }, 60_000);
});
