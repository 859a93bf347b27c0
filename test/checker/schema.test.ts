/**
 * The schema check of records (SchemaValidator), whose per-event test is generated code, against
 * the plain reading of the event declarations: for random records of every declared event, with
 * arguments of every JSON type, missing or none, the same record is accepted or rejected for the
 * same argument with the same message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSpec, loadSpecText } from '../../src/analysis/load.js';
import type { TypedSpec } from '../../src/analysis/ir.js';
import type { Type } from '../../src/analysis/types.js';
import { SchemaValidator } from '../../src/checker/check.js';
import type { Scalar, TraceEvent } from '../../src/trace/event.js';

/** The declarations read literally: each field in order, required ones present and not none, values of the declared type. */
function reference(spec: TypedSpec, e: TraceEvent): { field: string; message: string } | undefined | 'unknown' {
  const isFn = e.ev === 'call' || e.ev === 'ret';
  const written = isFn ? e.fn ?? '' : e.ev;
  const decl = spec.events.get(written);
  if (!decl || (decl.kind === 'fn') !== isFn) {
    // Not declared as written: unknown, unless a declared name of the same kind but for case and '-'/'_'.
    const meant = [...spec.events.values()].find((d) => d.name.toLowerCase() === written.toLowerCase().replaceAll('-', '_'));
    if (meant === undefined || (meant.kind === 'fn') !== isFn) return 'unknown';
    const field = isFn ? 'fn' : 'ev';
    return { field, message: `${isFn ? 'function' : 'event'} '${written}' is not declared; '${meant.name}' is (names are exact)` };
  }
  const fields = e.ev === 'ret' ? decl.returns.filter((f) => f.name !== 'ret') : decl.fields;
  const name = isFn ? `${e.ev} ${e.fn}` : e.ev;
  if (e.ev === 'ret' && e.ret === undefined && decl.kind === 'fn' && decl.returns.some((f) => f.name === 'ret' && f.optional !== true)) {
    return { field: 'ret', message: `the return value 'ret' of '${name}' is missing, so what it returned is unknown (null is a NULL return)` };
  }
  for (const f of fields) {
    const v = e.args[f.name];
    const want = want0(f.type);
    if (v === undefined || v === null) {
      if (f.optional !== true) return { field: f.name, message: `argument '${f.name}' of '${name}' is ${v === null ? 'none (null)' : 'missing'}; it must be ${want}` };
      continue;
    }
    const ok = f.type.k === 'int' || f.type.k === 'task' ? Number.isSafeInteger(v)
      : f.type.k === 'time' ? typeof v === 'number'
      : f.type.k === 'bool' ? typeof v === 'boolean'
      : f.type.k === 'enum' ? typeof v === 'string' && f.type.members.includes(v)
      : typeof v === 'string';
    if (!ok) return { field: f.name, message: `argument '${f.name}' of '${name}' must be ${want}, got ${JSON.stringify(v)}` };
  }
  return undefined;
}

function want0(t: Type): string {
  if (t.k === 'int' || t.k === 'task') return 'an integer (at most 2^53 - 1 in magnitude)';
  if (t.k === 'time') return 'a number';
  if (t.k === 'bool') return 'true or false';
  if (t.k === 'enum') return `one of ${t.members.join(', ')}`;
  return 'a string';
}

const anyValue: fc.Arbitrary<Scalar | undefined> = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: false }),
  fc.constantFrom('R', 'W', 'N', 'E', 'try', 'blocking', 'I1', '', 'constructor'), fc.string({ maxLength: 4 }),
);

/** A value of type `t` (what a good record carries). */
function goodValue(t: Type): fc.Arbitrary<Scalar> {
  if (t.k === 'int' || t.k === 'task' || t.k === 'time') return fc.integer({ min: 0, max: 9 });
  if (t.k === 'bool') return fc.boolean();
  if (t.k === 'enum') return fc.constantFrom(...t.members);
  return fc.constantFrom('I1', 'x');
}

/** Records of each declared event (and of undeclared ones), their arguments mostly good, some of any type, missing or none. */
function recordArb(spec: TypedSpec): fc.Arbitrary<TraceEvent> {
  type Kind = { ev: string; fn: string | undefined; fields: { name: string; type: Type; optional?: boolean }[] };
  const kinds: Kind[] = [...spec.events.values()].flatMap((d): Kind[] => (d.kind === 'fn'
    ? [{ ev: 'call', fn: d.name, fields: d.fields }, { ev: 'ret', fn: d.name, fields: d.returns.filter((f) => f.name !== 'ret') }]
    : [{ ev: d.name, fn: undefined, fields: d.fields }]));
  kinds.push({ ev: 'no_such_event', fn: undefined, fields: [] }, { ev: 'call', fn: 'toString', fields: [] }, { ev: 'lookup', fn: undefined, fields: [] },
    { ev: 'ACQ', fn: undefined, fields: [] }, { ev: 'call', fn: 'acq', fields: [] }, { ev: 'ret', fn: 'D-Alloc', fields: [] }, { ev: 'call', fn: 'Lookup-Slow', fields: [] });
  return fc.constantFrom(...kinds).chain((k) => {
    const parts: Record<string, fc.Arbitrary<Scalar | undefined>> = {};
    for (const f of k.fields) parts[f.name] = fc.oneof({ weight: 6, arbitrary: goodValue(f.type) }, { weight: 1, arbitrary: anyValue });
    // A return's value: given (a dentry, or null for NULL) or left out.
    const ret = k.ev === 'ret' ? fc.oneof({ weight: 4, arbitrary: fc.constant<Scalar | undefined>('D1') }, fc.constant(null), fc.constant(undefined)) : fc.constant(undefined);
    return fc.tuple(fc.record(parts), ret).map(([o, r]): TraceEvent => {
      const args: Record<string, Scalar> = {};
      for (const [n, v] of Object.entries(o)) if (v !== undefined) args[n] = v as Scalar;
      return { seq: 0, pid: 1, ev: k.ev, ...(k.fn === undefined ? {} : { fn: k.fn }), args, ...(r === undefined ? {} : { ret: r }) };
    });
  });
}

describe('SchemaValidator', () => {
  it('judges random records of the bundled vocabulary as the declarations read literally', () => {
    const r = loadSpec([], {});
    if (!r.ok) throw new Error('bundled spec');
    const spec = r.value.spec;
    const v = new SchemaValidator(spec);
    let rejected = 0, accepted = 0;
    fc.assert(fc.property(recordArb(spec), (e) => {
      const want = reference(spec, e);
      if (typeof want === 'object') rejected++;
      else if (want === undefined) accepted++;
      expect(v.problem(e)).toEqual(want);
    }), { numRuns: 3000, seed: 2 });
    // Both answers are common: the comparison covers records that pass and records that fail.
    expect(rejected).toBeGreaterThan(300);
    expect(accepted).toBeGreaterThan(300);
  });

  it('checks enum members, and optional fields of every type absent, none or set', () => {
    const r = loadSpecText('enum Q { a, b }\nevent e(q: Q, n?: int, s?: str, b?: bool, t?: task)\n', 'q.kinv', {});
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    const v = new SchemaValidator(r.value.spec);
    const e = (args: Record<string, Scalar>): TraceEvent => ({ seq: 0, pid: 1, ev: 'e', args });
    expect(v.problem(e({ q: 'a' }))).toBeUndefined();
    expect(v.problem(e({ q: 'b', n: null, s: 'x', b: false, t: 4 }))).toBeUndefined();
    expect(v.problem(e({ q: 'c' }))).toEqual({ field: 'q', message: "argument 'q' of 'e' must be one of a, b, got \"c\"" });
    expect(v.problem(e({ q: 'a', b: 1 }))).toEqual({ field: 'b', message: "argument 'b' of 'e' must be true or false, got 1" });
    expect(v.problem(e({}))).toEqual({ field: 'q', message: "argument 'q' of 'e' is missing; it must be one of a, b" });
    expect(v.problem({ seq: 0, pid: 1, ev: 'f', args: {} })).toBe('unknown');
    expect(v.problem(e({ q: 'a', n: 1.5 }))).toEqual({ field: 'n', message: "argument 'n' of 'e' must be an integer (at most 2^53 - 1 in magnitude), got 1.5" });
    expect(v.problem(e({ q: 'a', t: 2 ** 64 }))).toEqual({ field: 't', message: "argument 't' of 'e' must be an integer (at most 2^53 - 1 in magnitude), got 18446744073709552000" });
    expect(v.problem(e({ q: 'a', n: -(2 ** 53 - 1) }))).toBeUndefined();
  });

  it('takes a return without the value its function declares as damage, not as a NULL return', () => {
    const r = loadSpec([], {});
    if (!r.ok) throw new Error('bundled spec');
    const v = new SchemaValidator(r.value.spec);
    const ret = (fn: string, args: Record<string, Scalar>, value?: Scalar): TraceEvent =>
      ({ seq: 0, pid: 1, ev: 'ret', fn, args, ...(value === undefined ? {} : { ret: value }) });
    for (const fn of ['d_alloc_parallel', 'd_alloc', 'd_splice_alias']) {
      const args: Record<string, Scalar> = fn === 'd_alloc_parallel' ? { outcome: 'N' } : {};
      expect(v.problem(ret(fn, args))).toEqual({ field: 'ret', message: `the return value 'ret' of 'ret ${fn}' is missing, so what it returned is unknown (null is a NULL return)` });
      expect(v.problem(ret(fn, args, null))).toBeUndefined();
      expect(v.problem(ret(fn, args, 'D1'))).toBeUndefined();
    }
    // Functions that declare no return value may leave it out.
    expect(v.problem(ret('lookup_slow', {}))).toBeUndefined();
  });

  it('leaves out a name the spec does not declare (or declares as the other kind), and takes a declared one written otherwise as damage', () => {
    const r = loadSpecText('event acq(lock: id)\nfn d_alloc(dir: id)\n', 'q.kinv', {});
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    const v = new SchemaValidator(r.value.spec);
    const rec = (ev: string, fn?: string): TraceEvent => ({ seq: 0, pid: 1, ev, ...(fn === undefined ? {} : { fn }), args: { lock: 'I1', dir: 'I1' } });
    expect(v.problem(rec('rel'))).toBe('unknown');
    expect(v.problem(rec('call', 'lookup'))).toBe('unknown');
    expect(v.problem(rec('ret', 'lookup'))).toBe('unknown');
    expect(v.unknownKey(rec('ret', 'lookup'))).toBe("function 'lookup'");
    expect(v.problem(rec('Acq'))).toEqual({ field: 'ev', message: "event 'Acq' is not declared; 'acq' is (names are exact)" });
    expect(v.problem(rec('call', 'D-ALLOC'))).toEqual({ field: 'fn', message: "function 'D-ALLOC' is not declared; 'd_alloc' is (names are exact)" });
    // A source's own record of a function the spec follows as a point event (`call lock_rename`), or the reverse.
    expect(v.problem(rec('d_alloc'))).toBe('unknown');
    expect(v.problem(rec('call', 'acq'))).toBe('unknown');
    expect(v.suggestion(rec('aqc'))).toBe("did you mean 'acq'?");
    expect(v.suggestion(rec('call', 'd_aloc'))).toBe("did you mean 'd_alloc'?");
  });
});
