/**
 * `kinv check --jobs N`: several trace files checked on worker threads print what the in-process
 * check prints (text and JSON, stdout and stderr, exit code), but for the timing figures.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinv, type CliResult } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-jobs-'));
const bad = join(tmp, 'bad.ndjson');
writeFileSync(bad, '{"pid":1,"ev":"no_such_event","args":{}}\nnot json\n{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}\n'.repeat(4));
const empty = join(tmp, 'empty.ndjson');
writeFileSync(empty, '');

/** The run's figures that depend on the clock: the summary's seconds. */
function untimed(r: CliResult): CliResult {
  const strip = (s: string): string => s.replace(/"seconds":[0-9.e-]+/g, '"seconds":0').replace(/ in [0-9.]+ s$/gm, ' in 0 s');
  return { code: r.code, stdout: strip(r.stdout), stderr: strip(r.stderr) };
}

const SETS: Record<string, string[]> = {
  'the NDJSON and simulator traces': ['traces/ndjson', 'traces/sim'],
  'trace text (plain, compressed), trace.dat and lockdep logs': ['traces/ftrace', 'traces/ftrace/compressed', 'traces/ftrace/trace-cmd', 'traces/tracedat', 'traces/lockdep'],
  'unreadable and bad files among good ones': ['traces/ndjson/clean-two-lookups.ndjson', bad, join(tmp, 'missing.ndjson'), empty, 'traces/ndjson/rel_mode.ndjson'],
};

describe('kinv check --jobs', () => {
  for (const [name, files] of Object.entries(SETS)) {
    for (const format of ['text', 'json']) {
      it(`prints the same as --jobs 1 on ${name} (${format})`, async () => {
        const args = ['check', '--format', format, '--max-diagnostics', '2', ...files];
        const one = untimed(await kinv([...args, '--jobs', '1']));
        const three = untimed(await kinv([...args, '--jobs', '3']));
        expect(three).toEqual(one);
        // Something was judged: the comparison is not between two empty runs.
        expect(one.stdout.length).toBeGreaterThan(200);
      }, 180_000);
    }
  }

  it('takes -j and refuses 0 workers', async () => {
    const r = await kinv(['check', '-j', '0', 'traces/ndjson/clean-two-lookups.ndjson']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--jobs expects a positive integer');
  });
});
