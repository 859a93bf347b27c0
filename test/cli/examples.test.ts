/** `kinv examples` (what `npm start` runs): every bundled trace gives exactly its expected verdicts. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundledExpectations } from '../../src/cli/commands/examples.js';

describe('kinv examples', () => {
  it('covers the NDJSON, simulator and ftrace traces', () => {
    const folders = new Set(bundledExpectations().map((c) => c.file.split('/').at(-2)));
    expect([...folders].sort()).toEqual(expect.arrayContaining(['ftrace', 'ndjson', 'sim']));
  });

  it('passes on every bundled trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'examples'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stdout).not.toContain('MISMATCH');
    const m = /(\d+)\/(\d+) traces gave exactly their expected verdicts/.exec(r.stdout);
    expect(m?.[1]).toBe(m?.[2]);
    expect(r.status).toBe(0);
  }, 60_000);
});
