/** States the spec reads and no rule fills get a warning (KV206) at their declaration; others none. */
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../../src/analysis/load.js';

const PRELUDE = [
  'enum Mode { R, W }',
  'event acq(lock: id, mode: Mode)',
  'event rel(lock: id, mode: Mode)',
].join('\n') + '\n';

/** Each diagnostic as its code, severity, the text at its span and the text at its note's span. */
function diagnostics(body: string): [string, string, string, string][] {
  const text = PRELUDE + body;
  const r = loadSpecText(text, 'u.kinv');
  return r.diagnostics.map((d) => [d.code, d.severity, d.span ? text.slice(d.span.start, d.span.end) : '',
    d.notes?.[0]?.span ? text.slice(d.notes[0].span.start, d.notes[0].span.end) : '']);
}

describe('unwritten states', () => {
  it('warns at a map, set, relation or var that something reads and no rule assigns or adds to', () => {
    expect(diagnostics([
      'state held: map[task, id] -> Mode',
      'state seen: set[task, id]',
      'state order: rel[id]',
      'state last: var id',
      'invariant rel_held on rel: held[pid, lock] == mode',
      'on rel when (pid, lock) in seen { delete held[pid, lock] }',
      'invariant acyclic after acq: not reaches(order, lock, lock)',
      'invariant last_is on acq: last != lock',
    ].join('\n') + '\n')).toEqual([
      ['KV206', 'warning', 'held', 'held[pid, lock]'],
      ['KV206', 'warning', 'seen', 'seen'],
      ['KV206', 'warning', 'order', 'order'],
      ['KV206', 'warning', 'last', 'last'],
    ]);
    const r = loadSpecText(PRELUDE + 'state last: var id\ninvariant last_is on acq: last != lock\n', 'u.kinv');
    // a warning, not an error: the spec loads
    expect(r.ok).toBe(true);
    expect(r.diagnostics[0]!.message).toBe("state 'last' is read but no rule assigns it or adds to it: it is none at every event, so what reads it reads a constant");
    expect(r.diagnostics[0]!.notes![0]!.message).toBe("read by invariant 'last_is'");
    expect(r.diagnostics[0]!.hint).toBe('write it in a rule (`last := ...`), or read the state that is written');
  });

  it('names a written state of a close name: the slip of writing one and reading the other', () => {
    const r = loadSpecText(PRELUDE + [
      'state held: map[task, id] -> Mode',
      'state helds: map[task, id] -> Mode',
      'on acq { helds[pid, lock] := mode }',
      'invariant rel_held on rel: held[pid, lock] == mode',
    ].join('\n') + '\n', 'u.kinv');
    expect(r.diagnostics.map((d) => [d.code, d.hint])).toEqual([
      ['KV206', "did you mean 'helds', which rules write? Else write it in a rule (`held[k1, k2] := ...`)"],
    ]);
  });

  it('counts reads through a def only where the def is called, and through defs that call defs', () => {
    const spec = (uses: string): string => [
      'state want: map[task] -> id',
      'def wanted(t: task): id = want[t]',
      'def wants(t: task): bool = wanted(t) != none',
      uses,
    ].join('\n') + '\n';
    expect(diagnostics(spec('invariant i on acq: lock != none'))).toEqual([]);
    expect(diagnostics(spec('invariant i on acq: not wants(pid)'))).toEqual([['KV206', 'warning', 'want', 'want[t]']]);
    // a successor def given as a relation is called by the path search
    const graph = (write: string): string => [
      'state held: map[task, id] -> Mode',
      'state want: map[task] -> id',
      'on acq { held[pid, lock] := mode }',
      write,
      'def blockers(t: task): set[task] = { u | (u, l) in held where l == want[t] and u != t }',
      'invariant no_deadlock after acq: not reaches(blockers, pid, pid)',
    ].join('\n') + '\n';
    expect(diagnostics(graph(''))).toEqual([['KV206', 'warning', 'want', 'want[t]']]);
    expect(diagnostics(graph('on rel { want[pid] := lock }'))).toEqual([]);
  });

  it('says nothing of a state a rule fills, whichever way, or that nothing reads', () => {
    expect(diagnostics([
      'state held: map[task, id] -> Mode',
      'state seen: set[task, id]',
      'state order: rel[id]',
      'state last: var id',
      'state unread: set[id]',
      'on acq {',
      '  for (t, l) in held where t == pid { add (l, lock) to order }',
      '  held[pid, lock] := mode',
      '  last := lock',
      '  if lock != none { add (pid, lock) to seen }',
      '}',
      'on rel { delete held[pid, lock]  remove (pid, lock) from seen }',
      'invariant rel_held on rel: held[pid, lock] == mode and (pid, lock) in seen',
      'invariant acyclic after acq: not reaches(order, lock, lock) and last == lock',
    ].join('\n') + '\n')).toEqual([]);
  });

  it('takes a state assigned only from itself as never filled: none + 1 is none, so a counter that starts none stays none', () => {
    const text = PRELUDE + [
      'state n: var int',
      'state per: map[task] -> int',
      'state by: map[task] -> int',
      'state depth: map[task] -> int',
      'state ok: var int',
      'on acq {',
      '  n := n + 1',
      '  per[pid] := if mode == R then -per[pid] else per[pid] * 2',
      '  by[by[pid]] := 1',
      '  depth[pid] := if pid in depth then depth[pid] + 1 else 1',
      '  ok := if ok == none then 1 else ok + 1',
      '}',
      'invariant few after acq: n < 5 and per[pid] < 3 and by[pid] == none and depth[pid] < 9 and ok < 9',
    ].join('\n') + '\n';
    const r = loadSpecText(text, 'u.kinv');
    const at = (s: { start: number; end: number } | undefined): string => (s ? text.slice(s.start, s.end) : '');
    expect(r.diagnostics.map((d) => [d.code, at(d.span), d.notes?.map((x) => [x.message, at(x.span)]), d.hint])).toEqual([
      ['KV206', 'n', [['assigned from itself here', 'n + 1']], 'give it a value where it is none, as `n := if n == none then 1 else n + 1`'],
      ['KV206', 'per', [['assigned from itself here', 'if mode == R then -per[pid] else per[pid] * 2']],
        'give it a value where it is none, as `per[k1] := if k1 in per then per[k1] + 1 else 1`'],
      // (keyed by its own entry: while it is empty the key is none, and the assignment writes nothing)
      ['KV206', 'by', [['keyed by its own entry here (none while it is empty)', 'by[pid]']],
        'give it a value where it is none, as `by[k1] := if k1 in by then by[k1] + 1 else 1`'],
    ]);
    expect(r.diagnostics[0]!.message).toBe("state 'n' is assigned only from itself: every value assigned to it is none while it is none,"
      + ' and it starts none, so it is none at every event and what reads it reads a constant');
    expect(r.diagnostics[1]!.message).toBe("state 'per' is assigned only from itself: every key or value assigned to it is none while it is empty,"
      + ' and it starts empty, so it is empty at every event and what reads it reads a constant');
  });

  it('gives a counter\'s start as the hint for an int only: a state of ids taken from itself needs a first value of its own', () => {
    const r = loadSpecText(PRELUDE + [
      'state last: var id',
      'state up: map[id] -> id',
      'on acq { last := up[last]  up[lock] := if mode == R then up[lock] else up[up[lock]] }',
      'invariant i after acq: last != lock and up[lock] != lock',
    ].join('\n') + '\n', 'u.kinv');
    expect(r.diagnostics.map((d) => [d.code, d.hint])).toEqual([
      // (`up[last]` is keyed by none while `last` is none: a lookup by none is none)
      ['KV206', 'give it a value not taken from itself where it is none, as `last := if last == none then <a first value> else ...`'],
      ['KV206', 'give it a value not taken from itself where it is none, as `up[k1] := if k1 in up then ... else <a first value>`'],
    ]);
    const v = loadSpecText(PRELUDE + 'state last: var id\non acq { last := if mode == R then last else up[last] }\nstate up: map[id] -> id\non rel { up[lock] := lock }\ninvariant i after acq: last != lock\n', 'u.kinv');
    expect(v.diagnostics.map((d) => d.hint)).toEqual(['give it a value not taken from itself where it is none, as `last := if last == none then <a first value> else ...`']);
  });

  it('takes a state only ever deleted from as never filled', () => {
    expect(diagnostics([
      'state held: map[task, id] -> Mode',
      'on rel { delete held[pid, lock] }',
      'invariant rel_held on rel: held[pid, lock] == mode',
    ].join('\n') + '\n')).toEqual([['KV206', 'warning', 'held', 'held[pid, lock]']]);
  });
});
