/**
 * The analysis never throws on a spec that parses but is wrong: token-level mutations of the
 * bundled spec (a name or an operator put in a token's place, a token deleted, a name inserted)
 * give diagnostics with a place, or a spec that compiles and starts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/analysis/load.js';
import { CompiledSpec } from '../../src/checker/engine.js';

const DIR = 'spec/vfs';
const files = readdirSync(DIR).filter((f) => f.endsWith('.kinv')).sort();
const texts = new Map(files.map((f) => [`${DIR}/${f}`, readFileSync(`${DIR}/${f}`, 'utf8')]));
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|:=|[^\sA-Za-z_]/g;
const names = [...new Set([...texts.values()].join('\n').match(/[A-Za-z_][A-Za-z0-9_]*/g)!)].sort();
const OPERATORS = ['==', '!=', '<', '+', '-', 'and', 'or', 'not', 'in', '(', ')', '{', '}', '[', ']', ',', ':', ':=', '"x"', '0', 'none', 'true'];

const mutation = fc.record({
  file: fc.nat(files.length - 1),
  token: fc.nat(),
  how: fc.constantFrom('name', 'operator', 'delete', 'insert'),
  pick: fc.nat(),
});

describe('analysis of mutated specs', () => {
  it('reports a wrong spec with placed diagnostics, or compiles it, and never throws', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
      const mutated = new Map(texts);
      for (const m of ms) {
        const path = `${DIR}/${files[m.file]!}`;
        const text = mutated.get(path)!;
        const tokens = [...text.matchAll(TOKEN)];
        const t = tokens[m.token % tokens.length]!;
        const put = m.how === 'name' ? names[m.pick % names.length]! : m.how === 'operator' ? OPERATORS[m.pick % OPERATORS.length]!
          : m.how === 'delete' ? '' : `${t[0]} ${names[m.pick % names.length]!}`;
        mutated.set(path, text.slice(0, t.index) + put + text.slice(t.index + t[0].length));
      }
      const r = loadSpec([DIR], {}, mutated);
      if (!r.ok) {
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        expect(errors.length).toBeGreaterThan(0);
        for (const d of errors) expect(d.span !== undefined || d.at !== undefined, `${d.code} ${d.message}`).toBe(true);
        return;
      }
      expect(new CompiledSpec(r.value.spec).start({}).step).toBeTypeOf('function');
    }), { numRuns: 60, seed: 14 });
  });
});
