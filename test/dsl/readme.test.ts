/** The spec language reference (spec/README.md): every `kinv` block is a spec that loads without errors. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSpecText, loadSpec } from '../../src/analysis/load.js';

const readme = readFileSync('spec/README.md', 'utf8');
const blocks = [...readme.matchAll(/```kinv\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('spec/README.md', () => {
  it('has an example for every construct', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    const all = blocks.join('\n');
    for (const kw of ['event', 'fn', 'state', 'on', 'invariant', 'after', 'old(', 'since', 'once', 'previously', 'reaches', 'path(', 'obligation', 'sync', 'param', 'def', 'map kprobe', 'count', 'forall', ' no ']) {
      expect(all, kw).toContain(kw);
    }
  });
  blocks.forEach((text, i) => {
    it(`block ${i + 1} is a valid spec`, () => {
      const r = loadSpecText(text, `readme-${i + 1}.kinv`);
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
      expect(r.ok).toBe(true);
    });
  });
  it('spec/examples/locks.kinv loads', () => {
    expect(loadSpec(['spec/examples/locks.kinv']).ok).toBe(true);
  });
});
