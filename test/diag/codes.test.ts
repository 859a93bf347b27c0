/** The table of diagnostic codes holds no dead entry: every code is emitted by some module of src/. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAG_CODES } from '../../src/diag/codes.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

describe('DIAG_CODES', () => {
  const emitted = new Set(sources('src').filter((f) => !f.endsWith(join('diag', 'codes.ts'))).flatMap((f) => readFileSync(f, 'utf8').match(/'KV\d{3}'/g) ?? []));

  it('lists only codes that some module emits', () => {
    expect(Object.keys(DIAG_CODES).filter((c) => !emitted.has(`'${c}'`))).toEqual([]);
  });

  it('lists every code a module emits', () => {
    expect([...emitted].map((c) => c.slice(1, -1)).filter((c) => !(c in DIAG_CODES))).toEqual([]);
  });
});
