/**
 * Semantics of the spec language's constructs, each on a tiny spec: past-time operators,
 * quantifiers (indexed and not), frames and old(), relations and reachability, obligations
 * (violated vs pending), and unknown task state after gaps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { call, compileText, ev, gap, ret, run, verdicts } from '../helpers/run.js';

const EVENTS = `enum Mode { R, W }
event acq(lock: id, mode: Mode)
event rel(lock: id, mode: Mode)
event fail(lock: id)
event exit()
fn f(dir: id)
state held: map[task, id] -> Mode
on acq { held[pid, lock] := mode }
on rel { delete held[pid, lock] }
`;

describe('past-time operators', () => {
  const spec = compileText(EVENTS + `
invariant since_fail on rel: not ((not acq(pid: pid, lock: lock)) since fail(pid: pid, lock: lock))
invariant once_acq on rel: once acq(lock: lock)
invariant prev_acq after rel when lock == "P": previously acq(pid: pid, lock: lock)
`);
  it('since: a fail with no acquisition after it', () => {
    const r = run(spec, [ev(1, 'fail', { lock: 'A' }), ev(1, 'rel', { lock: 'A', mode: 'R' }), ev(1, 'fail', { lock: 'A' }), ev(1, 'acq', { lock: 'A', mode: 'R' }), ev(1, 'rel', { lock: 'A', mode: 'R' })], { all: true });
    expect(verdicts(r).filter((v) => v[1] === 'since_fail')).toEqual([['violation', 'since_fail', 1]]);
  });
  it('once: keyed by the pattern\'s fields only', () => {
    const r = run(spec, [ev(1, 'acq', { lock: 'A', mode: 'R' }), ev(2, 'rel', { lock: 'A', mode: 'R' }), ev(2, 'rel', { lock: 'B', mode: 'R' })], { all: true });
    expect(verdicts(r).filter((v) => v[1] === 'once_acq')).toEqual([['violation', 'once_acq', 2]]);
  });
  it('previously: the step just before, evaluated after the current event', () => {
    const r = run(spec, [ev(1, 'acq', { lock: 'P', mode: 'R' }), ev(1, 'rel', { lock: 'P', mode: 'R' }), ev(1, 'acq', { lock: 'P', mode: 'R' }), ev(1, 'acq', { lock: 'Q', mode: 'R' }), ev(1, 'rel', { lock: 'P', mode: 'R' })], { all: true });
    expect(verdicts(r).filter((v) => v[1] === 'prev_acq')).toEqual([['violation', 'prev_acq', 4]]);
  });
  it('an object that died (retire) has no past: its id names a new object', () => {
    const dies = compileText(EVENTS + `event retire(obj: id)
invariant once_acq on rel: once acq(lock: lock)
`);
    const trace = (retired: string) => [ev(1, 'acq', { lock: 'A', mode: 'R' }), ev(1, 'acq', { lock: 'B', mode: 'R' }), ev(2, 'retire', { obj: retired }),
      ev(1, 'rel', { lock: 'A', mode: 'R' }), ev(1, 'rel', { lock: 'B', mode: 'R' })];
    expect(verdicts(run(dies, trace('A'), { all: true }))).toEqual([['violation', 'once_acq', 3]]);
    expect(verdicts(run(dies, trace('B'), { all: true }))).toEqual([['violation', 'once_acq', 4]]);
    expect(verdicts(run(dies, trace('C'), { all: true }))).toEqual([]);
  });
});

describe('arithmetic', () => {
  it('a division or remainder by zero is none, as a missing value is: stored, it deletes; compared, it equals none only', () => {
    const spec = compileText(EVENTS + `state n: map[task] -> int
state z: map[task] -> int
on acq { z[pid] := 0  n[pid] := 10 / z[pid] }
invariant div_none after acq: n[pid] == none and (pid in n) == false
invariant mod_none after acq: 7 % z[pid] == none
invariant mod_by_some after acq: 7 % 2 == 1 and -7 / 2 == -3
`);
    expect(verdicts(run(spec, [ev(1, 'acq', { lock: 'A', mode: 'R' })], { all: true }))).toEqual([]);
  });
});

describe('quantifiers', () => {
  // The same property through an indexed domain (filter pins a key) and a full scan must agree.
  const spec = compileText(EVENTS + `
invariant indexed after acq: no (t, l) in held where l == lock: t != pid and mode == W
invariant scanned after acq: no (t, l) in held where t != pid: l == lock and mode == W
invariant counted after acq: count (t, l) in held where l == lock <= 1 or mode == R
`);
  it('indexed, scanned and counted forms agree on random traces', () => {
    const evArb = fc.record({ pid: fc.integer({ min: 1, max: 3 }), rel: fc.boolean(), lock: fc.constantFrom('A', 'B'), mode: fc.constantFrom('R', 'W') });
    fc.assert(fc.property(fc.array(evArb, { maxLength: 30 }), (es) => {
      const r = run(spec, es.map((e) => ev(e.pid, e.rel ? 'rel' : 'acq', { lock: e.lock, mode: e.mode })), { all: true });
      const at = (name: string) => r.verdicts.filter((v) => v.invariant === name).map((v) => v.event!.seq);
      expect(at('indexed')).toEqual(at('scanned'));
      expect(at('counted')).toEqual(at('indexed'));
    }));
  });
});

describe('frames', () => {
  const spec = compileText(EVENTS + `
invariant balanced on ret f: held[pid, dir] == old(held[pid, dir]) else "{dir}: {old(held[pid, dir])} -> {held[pid, dir]}"
`);
  it('compares the return with its own call, across nesting and other tasks', () => {
    const r = run(spec, [
      ev(1, 'acq', { lock: 'A', mode: 'R' }), call(1, 'f', { dir: 'A' }), call(2, 'f', { dir: 'A' }), call(1, 'f', { dir: 'A' }),
      ev(1, 'rel', { lock: 'A', mode: 'R' }), ret(1, 'f'), ev(1, 'acq', { lock: 'A', mode: 'R' }), ret(1, 'f'), ret(2, 'f'),
    ]);
    expect(verdicts(r)).toEqual([['violation', 'balanced', 5]]);
    expect(r.verdicts[0]!.message).toBe('A: R -> none');
    expect(r.verdicts[0]!.call?.seq).toBe(3);
  });
  it('a return without a call is a diagnostic, not a verdict', () => {
    const r = run(spec, [ret(1, 'f')]);
    expect(r.verdicts).toEqual([]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['KV304']);
  });
});

describe('relations', () => {
  const spec = compileText(EVENTS + `
state order: rel[str]
on acq { for (t, l) in held where t == pid and l != lock { add (l, lock) to order } }
invariant acyclic after acq: not reaches(order, lock, lock) else "{path(order, lock, lock)}"
`);
  it('finds the first acquisition that closes a cycle, with the path', () => {
    const r = run(spec, [
      ev(1, 'acq', { lock: 'A', mode: 'R' }), ev(1, 'acq', { lock: 'B', mode: 'R' }), ev(1, 'rel', { lock: 'B', mode: 'R' }), ev(1, 'rel', { lock: 'A', mode: 'R' }),
      ev(2, 'acq', { lock: 'B', mode: 'R' }), ev(2, 'acq', { lock: 'C', mode: 'R' }), ev(2, 'rel', { lock: 'C', mode: 'R' }), ev(2, 'rel', { lock: 'B', mode: 'R' }),
      ev(3, 'acq', { lock: 'C', mode: 'R' }), ev(3, 'acq', { lock: 'A', mode: 'R' }),
    ]);
    expect(verdicts(r)).toEqual([['violation', 'acyclic', 9]]);
    expect(r.verdicts[0]!.message).toBe('A -> B -> C -> A');
  });
  it('explains a cycle by the edges on it, not by every edge the search looked at', () => {
    // A -> X, A -> Y and X -> Z are explored from A too, but the cycle is A -> B -> A.
    const r = run(spec, [
      ev(1, 'acq', { lock: 'A', mode: 'R' }), ev(1, 'acq', { lock: 'X', mode: 'R' }), ev(1, 'acq', { lock: 'Y', mode: 'R' }),
      ev(2, 'acq', { lock: 'X', mode: 'R' }), ev(2, 'acq', { lock: 'Z', mode: 'R' }),
      ev(1, 'acq', { lock: 'B', mode: 'R' }), ev(1, 'rel', { lock: 'B', mode: 'R' }), ev(1, 'rel', { lock: 'A', mode: 'R' }),
      ev(3, 'acq', { lock: 'B', mode: 'R' }), ev(3, 'acq', { lock: 'A', mode: 'R' }),
    ]);
    expect(verdicts(r)).toEqual([['violation', 'acyclic', 9]]);
    // (B -> A is the violating event's own edge, shown as the violation itself)
    expect(r.verdicts[0]!.slice.map((s) => [s.ev.seq, s.notes])).toEqual([[5, ['set order: A -> B']]]);
  });
});

describe('obligations', () => {
  const spec = compileText(EVENTS + `
obligation released: each (t, l) in held due at exit where t == pid else "{t} holds {l}"
`);
  it('is violated at a due point and pending at the end of the trace', () => {
    const r = run(spec, [ev(1, 'acq', { lock: 'A', mode: 'R' }), ev(2, 'acq', { lock: 'B', mode: 'W' }), ev(1, 'exit')]);
    expect(verdicts(r)).toEqual([['violation', 'released', 2], ['pending', 'released', 1]]);
    expect(r.verdicts.map((v) => v.message)).toEqual(['1 holds A', '2 holds B (trace ended first)']);
  });
});

describe('unknown task state', () => {
  const spec = compileText(EVENTS + `
sync exit
invariant rel_held on rel: (pid, lock) in held
`);
  it('after a gap the task\'s state is dropped and not judged until it synchronises', () => {
    const r = run(spec, [ev(1, 'acq', { lock: 'A', mode: 'R' }), gap([1]), ev(1, 'rel', { lock: 'A', mode: 'R' }), ev(1, 'exit'), ev(1, 'rel', { lock: 'A', mode: 'R' })]);
    expect(verdicts(r)).toEqual([['violation', 'rel_held', 3]]);
    expect(r.unknown.rel_held).toBe(1);
    expect(r.evaluated.rel_held).toBe(1);
  });
  it('tasks of a capture that starts mid-run are unknown until their first sync', () => {
    const r = run(spec, [ev(1, 'rel', { lock: 'A', mode: 'R' }), ev(1, 'exit'), ev(1, 'rel', { lock: 'A', mode: 'R' })], { tasksStartUnknown: true });
    expect(verdicts(r)).toEqual([['violation', 'rel_held', 2]]);
  });
});

describe('count with a where-chain, compared without parentheses', () => {
  const spec = compileText(EVENTS + `
invariant one_writer after acq: count (t, l) in held where l == lock and held[t, l] == W <= 1
`);
  it('counts the entries the whole chain selects, then compares', () => {
    const r = run(spec, [ev(1, 'acq', { lock: 'A', mode: 'W' }), ev(2, 'acq', { lock: 'B', mode: 'W' }), ev(3, 'acq', { lock: 'A', mode: 'R' }), ev(4, 'acq', { lock: 'A', mode: 'W' })]);
    expect(verdicts(r)).toEqual([['violation', 'one_writer', 3]]);
  });
});
