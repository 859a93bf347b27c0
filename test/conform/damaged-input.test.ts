/**
 * A compressed trace that fails its checksum gave text that may be garbled anywhere before the
 * failure showed: an event no model state takes there may be the damage's own, so no shape is
 * said not to conform. A stream merely cut short keeps its verdicts (what decoded is the file's own).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';
import { conform, verdicts } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-conform-damaged-'));
// (then another task's 20,000 returns to user space: the damage shows past the decoder's first chunk of text)
const e2text = Buffer.concat([
  readFileSync('traces/ndjson/draft-d_add_ci-E2.ndjson'),
  Buffer.from('{"pid":900,"ev":"syscall_exit"}\n'.repeat(20000)),
]);
const e2 = gzipSync(e2text);

function written(name: string, bytes: Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

describe('kinv conform of a damaged compressed trace', () => {
  it('a bit of the gzip trailer\'s CRC flipped: mainline and fixed, which the draft trace does not conform to, are unknown, naming the damage', async () => {
    const crc = Buffer.from(e2);
    crc[crc.length - 8]! ^= 1;
    const path = written('crc.ndjson.gz', crc);
    const r = await conform(path);
    expect(r.results.map((x) => x.verdict)).toEqual(['unknown', 'unknown', 'unknown']);
    // (every line is decoded before the trailer's check fails)
    const damage = `the gzip stream is damaged or cut short after ${e2text.length} bytes of data (incorrect data check), and the text decoded before that`
      + ' may be damaged anywhere (a compressed stream\'s checksum covers it whole)';
    expect(r.results[0]!.unknown).toBe(damage);
    expect(r.results[2]!.unknown).toBe(damage);
    // the event no state took is kept, as a gap's is, and named as what it is
    expect([r.results[0]!.afterGap?.line, r.results[2]!.afterGap?.line]).toEqual([8, 11]);
    const cli = await kinv(['conform', '--d-add-ci', 'auto', path]);
    expect(cli.code).toBe(3);
    expect(cli.stdout).not.toContain('does not conform');
    expect(cli.stdout).toContain('  in text that may be damaged, no state took:');
  });

  it('cut short (its trailer gone): the two shapes the draft trace does not conform to keep their verdicts', async () => {
    const r = await conform(written('cut.ndjson.gz', e2.subarray(0, e2.length - 8)));
    expect(verdicts(r)).toEqual({
      mainline: ['does not conform', 7, 8, 'rel R', 101],
      draft: ['unknown'],
      fixed: ['does not conform', 10, 11, 'ret d_add_ci', 101],
    });
  });
});
