/**
 * Reading spec files: what a file's bytes are as spec text. A byte order mark is no part of it;
 * bytes that are not UTF-8 make the file unreadable at their line and column, never a string
 * literal silently changed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/analysis/load.js';

const dir = mkdtempSync(join(tmpdir(), 'kinv-load-'));
function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
const SPEC = 'enum Mode { R, W }\nevent acq(lock: id, mode: Mode)\ninvariant x on acq: mode == R else "{lock} taken \u00e9"\n';

describe('loadSpec of a file', () => {
  it('skips a UTF-8 byte order mark, and places diagnostics in the text after it', () => {
    const ok = loadSpec([file('bom.kinv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SPEC)]))]);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.ok).toBe(true);
    const bad = loadSpec([file('bom-typo.kinv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SPEC.replace('mode == R', 'mdoe == R'))]))]);
    expect(bad.diagnostics.map((d) => [d.code, d.span?.start])).toEqual([['KV101', SPEC.indexOf('mode == R')]]);
  });

  it('refuses bytes that are not UTF-8, at their line and column, in the file and through an import', () => {
    const bytes = Buffer.from(SPEC.replace('\u00e9', 'XX'));
    bytes[bytes.indexOf('XX')] = 0xff;
    const p = file('latin.kinv', bytes);
    const r = loadSpec([p]);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.at?.line, d.at?.column])).toEqual([['KV002', 3, 50]]);
    expect(r.diagnostics[0]!.message).toMatch(/not UTF-8 text \(line 3, column 50\)$/);
    const imp = loadSpec([file('imp.kinv', Buffer.from('import "latin.kinv"\n'))]);
    expect(imp.diagnostics.map((d) => [d.code, d.span?.start, d.span?.end])).toEqual([['KV003', 0, 19]]);
  });
});
