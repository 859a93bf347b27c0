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
// (a comment is taken whole, so that no mutation lands in one: it would change nothing the analysis sees)
const TOKEN = /\/\/[^\n]*|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|:=|[^\sA-Za-z_]/g;

/** The tokens of `text` outside comments, with where each begins. */
function codeTokens(text: string): RegExpExecArray[] {
  return [...text.matchAll(TOKEN)].filter((t) => !t[0].startsWith('//'));
}
// (the grammar's keywords, grammar/kinv.peggy's *Token rules: a name put in a keyword's place, or the other way, mostly does not parse)
const KEYWORDS = new Set(('import param enum event fn returns state map set rel var def on after always when invariant obligation each due at sync per'
  + ' delete add to remove from if then else unknown for in where and or not implies since once previously old forall exists no count true false'
  + ' none call ret ignore').split(' '));
const isName = (t: string): boolean => /^[A-Za-z_]/.test(t) && !KEYWORDS.has(t);
const names = [...new Set([...texts.values()].join('\n').match(/[A-Za-z_][A-Za-z0-9_]*/g)!)].filter(isName).sort();
const OPERATORS = ['==', '!=', '<', '+', '-', 'and', 'or', 'not', 'in', '(', ')', '{', '}', '[', ']', ',', ':', ':=', '"x"', '0', 'none', 'true'];

const mutation = fc.record({
  file: fc.nat(files.length - 1),
  token: fc.nat(),
  // (a name put in a name's place mostly parses, so most runs reach the analysis; the others mostly do not)
  how: fc.constantFrom('name', 'name', 'name', 'name', 'operator', 'delete', 'insert'),
  pick: fc.nat(),
});

describe('analysis of mutated specs', () => {
  it('reports a wrong spec with placed diagnostics, or compiles it, and never throws', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
      const mutated = new Map(texts);
      for (const m of ms) {
        const path = `${DIR}/${files[m.file]!}`;
        const text = mutated.get(path)!;
        const tokens = codeTokens(text).filter((t) => m.how !== 'name' || isName(t[0]));
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
    }), { numRuns: 150, seed: 14 });
  });
});
