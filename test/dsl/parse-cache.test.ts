/**
 * The build's cache of parsed spec files (src/dsl/parse-cache.ts): a cached tree is the parser's
 * tree for the same text, spans naming the file it is read for; any other text misses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { buildSpecCache, SpecCacheReader } from '../../src/dsl/parse-cache.js';
import { parseSpec } from '../../src/dsl/parse.js';

const dir = bundledSpecDir();
const files = readdirSync(dir).filter((f) => f.endsWith('.kinv')).sort();
const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));

describe('the parsed-spec cache', () => {
  const cache = buildSpecCache(texts);
  const reader = new SpecCacheReader(JSON.parse(JSON.stringify(cache)) as typeof cache);

  it('holds every bundled file', () => {
    expect(cache.entries.map((e) => e.text)).toEqual(texts);
  });

  it('gives the parser\'s tree, spans naming the path it is read for', () => {
    files.forEach((f, i) => {
      const path = `spec/vfs/${f}`;
      const parsed = parseSpec({ path, text: texts[i]! });
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(reader.get({ path, text: texts[i]! })).toStrictEqual(parsed.value);
    });
  });

  it('misses an edited file (it is parsed again, never read stale)', () => {
    const edited = texts[0]!.replace(/\n/, '\n// edited\n');
    expect(edited).not.toBe(texts[0]);
    expect(reader.get({ path: 'x.kinv', text: edited })).toBeUndefined();
    expect(reader.get({ path: 'x.kinv', text: texts[0]! + ' ' })).toBeUndefined();
  });

  it('leaves out a file that does not parse', () => {
    expect(buildSpecCache(['invariant (']).entries).toEqual([]);
  });
});
