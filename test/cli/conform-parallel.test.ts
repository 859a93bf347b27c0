/**
 * `kinv conform --jobs N`: several trace files conformed on worker threads print what the
 * in-process run prints (text and JSON, stdout and stderr, exit code).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-conform-jobs-'));
const bad = join(tmp, 'bad.ndjson');
writeFileSync(bad, '{"pid":1,"ev":"no_such_event","args":{}}\nnot json\n{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}\n'.repeat(4));
const empty = join(tmp, 'empty.ndjson');
writeFileSync(empty, '');

const SETS: Record<string, string[]> = {
  'the NDJSON and simulator traces, trace text': ['traces/ndjson', 'traces/sim', 'traces/ftrace'],
  'two real captures given as their folders': ['traces/kernel-programs/6.1-lossy', 'traces/kernel-programs/6.12-lossy'],
  'unreadable and bad files among good ones': ['traces/ndjson/clean-two-lookups.ndjson', bad, join(tmp, 'missing.ndjson'), empty, 'traces/ndjson/rel_mode.ndjson'],
};

describe('kinv conform --jobs', () => {
  for (const [name, files] of Object.entries(SETS)) {
    for (const format of ['text', 'json']) {
      it(`prints the same as --jobs 1 on ${name} (${format})`, async () => {
        const args = ['conform', '--d-add-ci', 'auto', '--format', format, '--max-diagnostics', '2', ...files];
        const one = await kinv([...args, '--jobs', '1']);
        const three = await kinv([...args, '--jobs', '3']);
        expect(three).toEqual(one);
        // Something was judged: the comparison is not between two empty runs.
        expect(one.stdout.length).toBeGreaterThan(200);
      }, 180_000);
    }
  }
});
