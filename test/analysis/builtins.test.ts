/**
 * The builtins table: a builtin is one entry (signature and implementation together), a spec can
 * call a builtin added in that one place, and an entry whose implementation does not take its
 * listed arguments is rejected when the table is defined.
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS, defineBuiltins, graphBuiltin, parseAddress, valueBuiltin } from '../../src/analysis/builtins.js';
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

describe('address builtins: the canonical-text fast paths give what 64-bit arithmetic gives', () => {
  const MASK = (1n << 64n) - 1n;
  const call = (name: 'ptr' | 'ptr_sub' | 'ptr_add' | 'is_error', ...args: (string | number)[]): unknown =>
    (BUILTINS[name] as { impl: (...a: unknown[]) => unknown }).impl(...args, {});
  // Addresses as captures print them (canonical), with leading zeros, upper case, near 0, near 2^64 and near digit carries.
  const samples = (): string[] => {
    const out: string[] = [];
    let s = 0x9e3779b9;
    const next = (): bigint => { s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0; return BigInt(s); };
    for (let i = 0; i < 400; i++) {
      const hi = next(), lo = next();
      const kind = i % 8;
      let v = kind < 3 ? (hi << 32n) | lo : kind === 3 ? lo & 0xfffn : kind === 4 ? MASK - (lo & 0x1fffn) : kind === 5 ? (hi << 32n) | 0xffffffffn : kind === 6 ? hi << 32n : lo;
      v &= MASK;
      const hex = v.toString(16);
      out.push('0x' + hex);
      if (i % 5 === 0) out.push('0x00' + hex, '0X' + hex.toUpperCase(), hex);
    }
    out.push('0x0', '0x', '0xg1', '0xffffffffffffffff', '0xfffffffffffff000', '0xfffffffffffff001', '0x10000000000000000', '-12', '12');
    return out;
  };
  const parse = (t: string): bigint | undefined => {
    if (/^-?\d+$/.test(t)) return BigInt(t) & MASK;
    const h = /^0x/i.test(t) ? t.slice(2) : t;
    return /^[0-9a-f]+$/i.test(h) ? BigInt('0x' + h) & MASK : undefined;
  };

  it('hex gives the number 64-bit arithmetic gives, rounded to a double', () => {
    const hex = (v: string): unknown => (BUILTINS.hex as { impl: (...a: unknown[]) => unknown }).impl(v, {});
    for (const a of [...samples(), '0xffffffffffffffff1', 'ff'.repeat(9), '-0x1', 'fff ', '0x1p']) {
      // (what hex read before its fast path: hex digits with or without 0x, else as parseAddress reads the text)
      const b = parseAddress(a.startsWith('0x') ? a : /^[0-9a-f]+$/i.test(a) ? '0x' + a : a);
      expect([a, hex(a)]).toEqual([a, b === undefined ? null : Number(b)]);
    }
  });

  it('ptr, ptr_sub, ptr_add and is_error', () => {
    for (const a of samples()) {
      const b = parse(a);
      expect([a, call('ptr', a)]).toEqual([a, b === undefined ? null : '0x' + b.toString(16)]);
      expect([a, call('is_error', a)]).toEqual([a, b !== undefined && b >= MASK - 4094n]);
      for (const off of [0, 1, 0xa0, 0x1000, 0xfffff, 0x100000]) {
        expect([a, off, call('ptr_sub', a, off)]).toEqual([a, off, b === undefined ? null : '0x' + ((b - BigInt(off)) & MASK).toString(16)]);
        expect([a, off, call('ptr_add', a, off)]).toEqual([a, off, b === undefined ? null : '0x' + ((b + BigInt(off)) & MASK).toString(16)]);
      }
    }
  });
});
