/**
 * The generated hot path (src/monitor/codegen.ts) against the closures it replaces: over random
 * traces of the bundled spec's whole vocabulary, and over tiny specs of the constructs it
 * generates, a spec compiled with generated code and one compiled with closures only give the
 * same report — every verdict with its message and explanation, and every counter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSpec, loadSpecText } from '../../src/analysis/load.js';
import type { TypedSpec } from '../../src/analysis/ir.js';
import type { Type } from '../../src/analysis/types.js';
import { checkEvents, CompiledSpec, type CheckReport } from '../../src/checker/check.js';
import type { Scalar, TraceEvent } from '../../src/trace/event.js';

function bundled(params: Record<string, string>): TypedSpec {
  const r = loadSpec([], { params });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.value.spec;
}

/** Everything a report says, in order, with explanations spelled out. */
function digest(r: CheckReport): unknown {
  return {
    verdicts: r.verdicts.map((v) => ({
      kind: v.kind, invariant: v.invariant, message: v.message, reason: v.reason, seq: v.event?.seq, call: v.call?.seq,
      slice: v.slice.map((s) => [s.ev.seq, s.notes]), tasks: v.tasks, related: v.related.map((x) => [x.invariant, x.event.seq, x.shared.seq]),
    })),
    evaluated: r.evaluated, unknown: r.unknown, undecided: r.undecided, vacuous: r.vacuous, stats: r.stats, gaps: r.gaps.length,
  };
}

// Small pools, so that random records hit the same objects and the rules' conditions both hold and fail.
const IDS = ['I1', 'I2', 'D1', 'D2', 'D3'];
const NAMES = ['a', 'A', 'b'];
const RETS: Scalar[] = ['D1', 'D2', 'D3', '0x0', 'ERR:-12', null];

function valueArb(t: Type): fc.Arbitrary<Scalar> {
  switch (t.k) {
    case 'enum': return fc.constantFrom(...t.members);
    case 'int': return fc.constantFrom(0, 1048576, 0x100001, 3);
    case 'bool': return fc.boolean();
    case 'task': return fc.constantFrom(1, 2, 3);
    case 'id': return fc.constantFrom(...IDS);
    default: return fc.constantFrom(...NAMES, ...IDS);
  }
}

function fieldsArb(fields: { name: string; type: Type; optional?: boolean }[]): fc.Arbitrary<Record<string, Scalar>> {
  const parts: Record<string, fc.Arbitrary<Scalar | undefined>> = {};
  for (const f of fields) {
    const v = valueArb(f.type);
    parts[f.name] = f.optional ? fc.option(v, { nil: undefined, freq: 3 }) : v;
  }
  return fc.record(parts).map((o) => {
    const out: Record<string, Scalar> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
    return out;
  });
}

/** One record of the spec's vocabulary: a point event, a call or a return, by one of three tasks. */
function recordArb(spec: TypedSpec): fc.Arbitrary<TraceEvent> {
  const kinds: fc.Arbitrary<TraceEvent>[] = [];
  for (const e of spec.events.values()) {
    const pid = fc.constantFrom(1, 2, 3);
    if (e.kind === 'event') {
      kinds.push(fc.tuple(pid, fieldsArb(e.fields)).map(([p, args]) => ({ seq: 0, pid: p, ev: e.name, args })));
    } else {
      kinds.push(fc.tuple(pid, fieldsArb(e.fields)).map(([p, args]) => ({ seq: 0, pid: p, ev: 'call', fn: e.name, args })));
      const extra = e.returns.filter((f) => f.name !== 'ret');
      kinds.push(fc.tuple(pid, fieldsArb(extra), fc.constantFrom(...RETS)).map(([p, args, r]) => ({ seq: 0, pid: p, ev: 'ret', fn: e.name, args, ret: r })));
    }
  }
  return fc.oneof(...kinds);
}

function traceArb(spec: TypedSpec): fc.Arbitrary<TraceEvent[]> {
  return fc.array(recordArb(spec), { minLength: 1, maxLength: 80 }).map((es) => es.map((e, i) => ({ ...e, seq: i })));
}

describe('generated monitor code agrees with the closures', () => {
  const paramSets: Record<string, string>[] = [{}, { order: 'new' }, { source: 'ftrace' }, { lookup_shared: 'false' }];
  for (const params of paramSets) {
    it(`on random traces of the bundled spec (${JSON.stringify(params)})`, () => {
      const spec = bundled(params);
      const generated = new CompiledSpec(spec);
      const closures = new CompiledSpec(spec, { generated: false });
      fc.assert(fc.property(traceArb(spec), fc.boolean(), (events, all) => {
        const a = checkEvents(generated, events, { all });
        const b = checkEvents(closures, events, { all });
        expect(digest(a)).toEqual(digest(b));
      }), { numRuns: 300, seed: 14 });
    });
  }

  it('the bundled spec really runs generated code: rules and invariant tests are not the closures', () => {
    const spec = bundled({});
    const generated = new CompiledSpec(spec);
    const handlers = [...generated.handlers.values()].filter((h) => h.rules.length > 0);
    expect(handlers.length).toBeGreaterThan(10);
    const invariants = [...generated.handlers.values()].flatMap((h) => [...h.on, ...h.after]);
    expect(invariants.filter((i) => i.test.body === i.body)).toEqual([]);
    const closures = new CompiledSpec(spec, { generated: false });
    expect([...closures.handlers.values()].flatMap((h) => [...h.on, ...h.after]).every((i) => i.test.body === i.body)).toBe(true);
  });

  it('with generated code, the closures only an explanation reads are made on first read, and once', () => {
    const generated = new CompiledSpec(bundled({}));
    const invariants = [...generated.handlers.values()].flatMap((h) => [...h.on, ...h.after]);
    const worded = invariants.find((i) => i.ir.message !== null && i.ir.guard !== null)!;
    expect(worded).toBeDefined();
    expect(typeof worded.body).toBe('function');
    expect(worded.body).toBe(worded.body);
    expect(worded.guard).toBe(worded.guard);
    expect(typeof worded.message).toBe('function');
    expect(worded.message).toBe(worded.message);
    const unworded = invariants.find((i) => i.ir.message === null);
    if (unworded) expect(unworded.message).toBeUndefined();
    const rule = [...generated.handlers.values()].flatMap((h) => h.rules).find((r) => r.body.length > 0)!;
    expect(rule.body.every((st) => typeof st === 'function')).toBe(true);
    expect(rule.body).toBe(rule.body);
  });

  const TINY = `enum Mode { R, W }
event put(k: id, n: int, s: str)
event drop(k: id)
event tick()
state m: map[id] -> int
state pair: map[id, str] -> str
state three: map[id, str, int] -> int
state seen: set[id]
state edges: rel[str]
state last: var str
def twice(x: int): int = x * 2
def label(k: id, s: str): str = "k " + k + "/" + s
def bump(k: id): int = if k in m then m[k] + 1 else 1
def tag(k: id, n: int): str = "{k}#{n}"
def path2(k: id, s: str): str = label(k, s) + "/" + label(s, k)
state tags: set[str]
on put {
  m[k] := bump(k)
  pair[k, s] := label(k, s)
  three[k, s, n] := n % 3
  add k to seen
  add (label(k, s), s) to edges
  last := "{k}:{n & 6}:{-n}:{n / 2}:{n - 1}"
  add tag(k, n) to tags
  add path2(k, s) to tags
}
on drop when k in seen {
  remove k from seen
  delete m[k]
  for (a, b) in edges where b == "x" { remove (a, b) from edges }
  for (a, b) in pair where a == k { delete pair[a, b] }
}
invariant small after put: m[k] <= 2 else "{k} put {m[k]} times"
invariant doubled on put: twice(n) != 6 and (k, s) not in pair or pair[k, s] == label(k, s)
invariant labelled after put: (label(k, s), s) in edges and three[k, s, n] == n % 3
invariant single after put: (forall (a, b) in pair where a == k: b == s) or (no (a, b) in pair where a == k: b == "y")
invariant found on drop: (exists (a, b) in pair where a == k: pair[a, b] != none) or k not in m
invariant tagged after put: tag(k, n) in tags and path2(k, s) in tags and tag(k, n - 1) not in tags else "{tag(k, n - 1)} and {path2(k, s)}"
invariant ordered after drop: not reaches(edges, k, k) and last != none
on tick {
  for (a, b) in pair { if b != "x" { delete pair[a, b] } }
  for a in seen { if a == "K2" { remove a from seen } }
}
invariant whole after tick: (forall a in seen: a in m or a == "K2") and (no (a, b) in pair: b == "y") and (exists a in m: m[a] > 1)
state cnt: map[id] -> int
state before: map[id] -> int
state after: map[id] -> int
on put when cnt[k] != n {
  before[k] := cnt[k]
  cnt[k] := n
  after[k] := cnt[k] + twice(cnt[k])
}
on drop {
  for a in seen where a == k and cnt[a] != none {
    before[a] := cnt[a] + 1
    cnt[a] := before[a] * 2
    after[a] := cnt[a] + before[a]
  }
}
invariant reread after put, drop: k not in after or after[k] == cnt[k] + (if k in m and before[k] != none then before[k] else twice(cnt[k])) else "{after[k]} {cnt[k]} {before[k]}"
`;

  it('on the constructs it generates (defs, remembered defs of strings, arithmetic, templates, keys of one to three parts, relations, indexed and whole-store loops and quantifiers, lookups read again after a write)', () => {
    const r = loadSpecText(TINY, 'tiny.kinv', {});
    if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message} ${JSON.stringify(d.span)} ${d.hint ?? ""}`).join('\n'));
    const generated = new CompiledSpec(r.value.spec);
    const closures = new CompiledSpec(r.value.spec, { generated: false });
    const rec = fc.oneof(
      fc.record({ pid: fc.constantFrom(1, 2), k: fc.constantFrom('K1', 'K2'), n: fc.integer({ min: -4, max: 9 }), s: fc.constantFrom('x', 'y') })
        .map(({ pid, k, n, s }): TraceEvent => ({ seq: 0, pid, ev: 'put', args: { k, n, s } })),
      fc.record({ pid: fc.constantFrom(1, 2), k: fc.constantFrom('K1', 'K2') }).map(({ pid, k }): TraceEvent => ({ seq: 0, pid, ev: 'drop', args: { k } })),
      fc.constant<TraceEvent>({ seq: 0, pid: 1, ev: 'tick', args: {} }),
    );
    let violations = 0;
    fc.assert(fc.property(fc.array(rec, { maxLength: 40 }), (es) => {
      const events = es.map((e, i) => ({ ...e, seq: i }));
      const a = checkEvents(generated, events, { all: true });
      violations += a.violations;
      expect(digest(a)).toEqual(digest(checkEvents(closures, events, { all: true })));
    }), { numRuns: 300, seed: 7 });
    // The invariants fail on some traces: the comparison covers failing evaluations and their messages.
    expect(violations).toBeGreaterThan(0);
  });
});
