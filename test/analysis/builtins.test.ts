/**
 * The builtins table: a builtin is one entry (signature and implementation together), a spec can
 * call a builtin added in that one place, and an entry whose implementation does not take its
 * listed arguments is rejected when the table is defined.
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS, defineBuiltins, graphBuiltin, valueBuiltin } from '../../src/analysis/builtins.js';
import { loadSpecText } from '../../src/analysis/load.js';
import { INT, STR } from '../../src/analysis/types.js';
import { CompiledSpec } from '../../src/checker/check.js';
import { ev, run, verdicts } from '../helpers/run.js';

const SPEC = `event acq(lock: id, depth: int)
invariant shallow on acq: twice(depth) < 10
`;

describe('adding a builtin', () => {
  // The whole of a new builtin: its signature and its implementation, in one entry.
  const table = defineBuiltins({
    ...BUILTINS,
    twice: valueBuiltin({ params: [INT], result: INT, doc: 'twice an integer', impl: (n) => (typeof n === 'number' ? 2 * n : null) }),
  });

  it('is callable from a spec analysed with the extended table, and runs its implementation', () => {
    const r = loadSpecText(SPEC, 'twice.kinv', { builtins: table });
    expect(r.diagnostics).toEqual([]);
    if (!r.ok) return;
    const report = run(new CompiledSpec(r.value.spec), [ev(1, 'acq', { lock: 'A', depth: 4 }), ev(1, 'acq', { lock: 'A', depth: 5 })]);
    expect(verdicts(report)).toEqual([['violation', 'shallow', 1]]);
  });

  it('is type-checked from its signature like every builtin', () => {
    const r = loadSpecText(SPEC.replace('twice(depth)', 'twice(lock)'), 'twice.kinv', { builtins: table });
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['KV201', "argument 1 of 'twice' is int, got id"]]);
  });

  it('is unknown to a spec analysed with the language\'s own table', () => {
    const r = loadSpecText(SPEC, 'twice.kinv');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['KV101']);
  });
});

describe('defineBuiltins', () => {
  it('rejects an implementation that takes fewer arguments than the signature lists', () => {
    // The type checker accepts a function with fewer parameters; the table does not.
    const bad = valueBuiltin({ params: [STR, INT], result: STR, doc: 'a prefix', impl: (s) => s });
    expect(() => defineBuiltins({ prefix: bad })).toThrow("builtin 'prefix' lists 2 parameters but its implementation takes 1");
  });

  it('accepts an implementation that also takes the context', () => {
    const b = valueBuiltin({ params: [STR], result: STR, doc: 'the call record\'s field', impl: (n, ctx) => (typeof n === 'string' ? ctx.call?.args[n] ?? null : null) });
    expect(Object.keys(defineBuiltins({ field_of: b, reaches: BUILTINS.reaches }))).toEqual(['field_of', 'reaches']);
  });

  it('rejects a name the language cannot call', () => {
    expect(() => defineBuiltins({ 'no-dash': graphBuiltin({ result: STR, doc: '', fromPath: () => null }) })).toThrow("builtin 'no-dash'");
  });

  it('every builtin of the language passes its own check', () => {
    expect(() => defineBuiltins({ ...BUILTINS })).not.toThrow();
    for (const [name, b] of Object.entries(BUILTINS)) expect([name, b.doc.length > 0]).toEqual([name, true]);
  });
});

// A signature and an implementation that disagree do not compile (checked by `npm run typecheck`):
// @ts-expect-error the implementation takes a third argument besides the context, where the signature lists two
valueBuiltin({ params: [STR, INT], result: STR, doc: '', impl: (s, n, _ctx, extra: string) => String(s) + String(n) + extra });
