/**
 * Name and type checks: every error has a code and a span (asserted by the text under it), and
 * all errors of a spec are reported at once.
 */
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../../src/analysis/load.js';

const PRELUDE = `enum Mode { R, W }
enum Outcome { H, W, N, E }
event acq(lock: id, mode: Mode)
event rel(lock: id, mode: Mode)
fn f(dir: id) returns (ret: str, outcome: Outcome)
state held: map[task, id] -> Mode
`;

function diagnostics(body: string, params: Record<string, string> = {}): { code: string; at: string; message: string; hint?: string | undefined }[] {
  const text = PRELUDE + body;
  const r = loadSpecText(text, 't.kinv', { params });
  // (the specs here read states no rule fills: that warning, KV206, is unwritten-states.test.ts's)
  return r.diagnostics.filter((d) => d.code !== 'KV206')
    .map((d) => ({ code: d.code, at: d.span ? text.slice(d.span.start, d.span.end) : '', message: d.message, ...(d.hint !== undefined ? { hint: d.hint } : {}) }));
}

/** Where a span starts, as `line:column`, and its text. */
function lineCol(text: string, s: { start: number; end: number } | undefined): string {
  if (!s) return '';
  const before = text.slice(0, s.start).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1} ${text.slice(s.start, s.end)}`;
}

describe('analyze', () => {
  it('accepts a well-formed spec', () => {
    expect(diagnostics('on acq { held[pid, lock] := mode }\ninvariant i on rel: held[pid, lock] == mode\n')).toEqual([]);
  });

  it('refuses a whole state in a message (it printed as its name), and takes its size, an entry or a comprehension', () => {
    const ds = diagnostics('state seen: set[id]\ninvariant i on rel: lock == none else "{held} {seen} {tasks}"\n');
    expect(ds.map((d) => [d.code, d.at, d.message])).toEqual([
      ['KV201', 'held', "a message cannot show a whole state ('held'): interpolate an entry (held[...]), its size (size(held)) or a comprehension ({ ... | ... in held })"],
      ['KV201', 'seen', "a message cannot show a whole state ('seen'): interpolate its size (size(seen)) or a comprehension ({ ... | ... in seen })"],
      ['KV201', 'tasks', "a message cannot show a whole state ('tasks'): interpolate its size (size(tasks)) or a comprehension ({ ... | ... in tasks })"],
    ]);
    expect(diagnostics('state seen: set[id]\ninvariant i on rel: lock == none else "{held[pid, lock]} {size(seen)} { {l | l in seen} }"\n')).toEqual([]);
    // a var state is one value, and prints as it
    expect(diagnostics('state last: var id\non acq { last := lock }\ninvariant i on rel: lock == none else "{last}"\n')).toEqual([]);
  });

  it('refuses comparing an enum with a string none of its members is (always false, or always true)', () => {
    const ds = diagnostics('invariant i on rel: mode != "X" and "w" == mode and mode == "R"\n');
    expect(ds.map((d) => [d.code, d.at, d.message])).toEqual([
      ['KV201', '"X"', '"X" is no member of Mode (R, W): the comparison would be true whatever the value'],
      ['KV201', '"w"', '"w" is no member of Mode (R, W): the comparison would be false whatever the value'],
    ]);
  });

  it("says how to write 'nothing matching P since Q' where 'not P since Q' parsed as 'not (P since Q)'", () => {
    const ds = diagnostics('invariant i on rel: not acq(lock: lock) since rel(lock: lock)\n');
    expect(ds.map((d) => [d.code, d.at, d.hint])).toEqual([
      ['KV203', 'acq(lock: lock)', "'not' takes all of 'P since Q' after it: for nothing matching P since Q, write '(not P) since Q'"],
    ]);
    expect(diagnostics('invariant i on rel: (not acq(lock: lock)) since rel(lock: lock)\n')).toEqual([]);
  });

  it('reports unknown names with a suggestion', () => {
    const ds = diagnostics('invariant i on rel: hled[pid, lock] == mode\n');
    expect(ds.map((d) => [d.code, d.at])).toEqual([['KV101', 'hled']]);
  });

  it('reports unknown events and fields', () => {
    const ds = diagnostics('invariant i on acquire: true\ninvariant j on acq: once rel(lok: lock)\n');
    expect(ds.map((d) => [d.code, d.at])).toEqual([['KV103', 'acquire'], ['KV104', 'lok']]);
  });

  it('reports type mismatches and wrong arity, all at once', () => {
    const ds = diagnostics('invariant i on acq: held[pid] == 3\ninvariant j on acq: mode + 1 > 0\n');
    expect(ds.map((d) => d.code).sort()).toEqual(['KV201', 'KV201', 'KV202']);
  });

  it('resolves an enum member shared by two enums from the other side of ==', () => {
    expect(diagnostics('invariant i on acq: mode == W\ninvariant j on ret f: outcome == W\n')).toEqual([]);
    expect(diagnostics('invariant i always: W == W\n').map((d) => d.code)).toEqual(['KV101', 'KV101']);
  });

  it('allows old() only at a return, and only over the call\'s fields', () => {
    expect(diagnostics('invariant i on ret f: held[pid, dir] == old(held[pid, dir])\n')).toEqual([]);
    const ds = diagnostics('invariant i on acq: old(mode) == mode\ninvariant j on ret f: old(ret) == ret\n');
    expect(ds.map((d) => [d.code, d.at])).toEqual([['KV203', 'old(mode)'], ['KV101', 'ret']]);
  });

  it('restricts past-time operators to event patterns', () => {
    expect(diagnostics('invariant i on rel: not ((not acq(pid: pid, lock: lock)) since rel(pid: pid, lock: lock))\n')).toEqual([]);
    expect(diagnostics('invariant i on rel: once (mode == R)\n').map((d) => d.code)).toEqual(['KV203']);
  });

  it('reports unknown --param names, bad values and unused parameters', () => {
    expect(diagnostics('param p: int = 1\ninvariant i on acq: p > 0\n', { q: '1' }).map((d) => d.code)).toEqual(['KV105']);
    expect(diagnostics('param p: int = 1\ninvariant i on acq: p > 0\n', { p: 'x' }).map((d) => d.code)).toEqual(['KV106']);
    expect(diagnostics('param p: int = 1\n').map((d) => [d.code, d.at])).toEqual([['KV105', 'p']]);
  });

  it('rejects a bound name that hides a field, a state, a parameter or another binder', () => {
    // `forall (pid, l) in held: pid == pid` would compare the binder with itself, never with the event's task.
    expect(diagnostics('invariant i on acq: forall (pid, l) in held: pid == pid\n').map((d) => [d.code, d.at, d.message])).toEqual([
      ['KV102', 'pid', "'pid' hides the event's field 'pid': inside, 'pid' would mean the bound value only"],
    ]);
    expect(diagnostics('param p: int = 1\ninvariant i on acq: p > 0 and no (p, l) in held: l == lock\n').map((d) => [d.code, d.at])).toEqual([['KV102', 'p']]);
    expect(diagnostics('invariant i on acq: count (held, l) in held where l == lock < 2\n').map((d) => [d.code, d.at])).toEqual([['KV102', 'held']]);
    expect(diagnostics('invariant i on acq: forall (t, t) in held: true\n').map((d) => [d.code, d.at])).toEqual([['KV102', 't']]);
    expect(diagnostics('invariant i on acq: forall (t, l) in held: exists (u, l) in held: u == t\n').map((d) => [d.code, d.at])).toEqual([['KV102', 'l']]);
    expect(diagnostics('def d(held: int): int = held\ninvariant i on acq: d(1) > 0\n').map((d) => [d.code, d.at])).toEqual([['KV102', 'held']]);
    expect(diagnostics('on acq { for (t, l) in held where l == lock { delete held[t, l] } }\ninvariant i on acq: forall (t, _) in held: t != pid and size({ u | (u, _) in held }) > 0\n')).toEqual([]);
    expect(diagnostics('on rel { for (t, lock) in held where t == pid { delete held[t, lock] } }\n').map((d) => [d.code, d.at])).toEqual([['KV102', 'lock']]);
  });

  it('says why a field of a nearby record is not in scope: the return of a call, or a field some triggers lack', () => {
    const text = PRELUDE + 'event il_end(dentry: id)\ninvariant a on call f: ret == none and outcome != E\ninvariant b on acq, il_end: lock != none\n';
    expect(loadSpecText(text, 't.kinv').diagnostics.map((d) => [d.code, lineCol(text, d.span), d.message, d.hint])).toEqual([
      ['KV101', '8:24 ret', "unknown name 'ret'", "'ret' is a field of 'ret f', not of 'call f': the call has not returned yet"],
      ['KV101', '8:40 outcome', "unknown name 'outcome'", "'outcome' is a field of 'ret f', not of 'call f': the call has not returned yet"],
      ['KV101', '9:29 lock', "unknown name 'lock'", "'lock' is a field of 'acq' but not of 'il_end': a rule on several events sees only the fields they all have"],
    ]);
  });

  it('reports a mapping that leaves out a required field, at the mapping, not at every trace record it maps', () => {
    const text = PRELUDE + 'map kprobe up_read -> rel(lock: ptr(sem))\nmap kretprobe f -> ret f(ret: ptr(ret))\nmap kprobe down_read -> acq(lock: ptr(sem), mode: R)\n';
    expect(loadSpecText(text, 't.kinv').diagnostics.map((d) => [d.code, lineCol(text, d.span), d.message, d.hint])).toEqual([
      ['KV202', '7:23 rel(lock: ptr(sem))', "'rel' needs field 'mode': every record this maps would be an event without it, damaged",
        'give it a value, or declare it optional (mode?: Mode)'],
      ['KV202', '8:20 ret f(ret: ptr(ret))', "'ret f' needs field 'outcome': every record this maps would be an event without it, damaged",
        'give it a value, or declare it optional (outcome?: Outcome)'],
    ]);
  });

  it('takes entry()\'s field by name as text, and reports a bare field, which would read the return\'s own field', () => {
    const text = PRELUDE + 'map kretprobe down_read -> acq(lock: ptr(entry(sem)), mode: R)\nmap kretprobe up_read -> rel(lock: ptr(entry("sem")), mode: R)\n';
    expect(loadSpecText(text, 't.kinv').diagnostics.map((d) => [d.code, lineCol(text, d.span), d.message, d.hint])).toEqual([
      ['KV201', '7:48 sem', "'entry' takes the name of a field of the call record, as text: 'sem' here is this record's own field", 'write entry("sem")'],
    ]);
  });

  it('says where the state or parameter a binder hides is declared, which may be another file than the binder', () => {
    const text = PRELUDE + 'param lim: int = 2\nstate seen: set[id]\ndef d(seen: int): int = seen\ninvariant i on acq: d(lim) > 0 and forall (lim, _) in held: true\n';
    const r = loadSpecText(text, 't.kinv');
    const at = (s: { start: number; end: number } | undefined): string => lineCol(text, s);
    expect(r.diagnostics.map((d) => [d.code, at(d.span), d.message, d.notes?.map((n) => [n.message, at(n.span)])])).toEqual([
      ['KV102', '9:7 seen', "'seen' hides the state 'seen': inside, 'seen' would mean the bound value only", [["state 'seen' is declared here", '8:7 seen']]],
      ['KV102', '10:44 lim', "'lim' hides the parameter 'lim': inside, 'lim' would mean the bound value only", [["parameter 'lim' is declared here", '7:7 lim']]],
    ]);
  });

  it('says how to read a map\'s value when a binding names one more than its keys, and what replaces entry() outside a map', () => {
    const text = PRELUDE + 'state n: map[task] -> int\ninvariant i always: forall (t, c) in n: c >= 0\ninvariant j on ret f: entry(dir) == dir\n';
    const r = loadSpecText(text, 't.kinv');
    expect(r.diagnostics.map((d) => [d.code, text.slice(d.span!.start, d.span!.end), d.hint])).toEqual([
      ['KV202', '(t, c)', 'a map binds its keys: read the value as n[t]'],
      ['KV203', 'entry(dir)', "at 'ret f' the call's fields are in scope by name, and 'old(e)' reads e at the call"],
    ]);
  });

  it('reports a def that calls itself, at the call, with the def as a note', () => {
    const text = PRELUDE + 'def loop(n: int): int = loop(n)\ninvariant i on acq: loop(1) > 0\n';
    const r = loadSpecText(text, 't.kinv');
    expect(r.diagnostics.map((d) => [d.code, text.slice(d.span!.start, d.span!.end), d.message])).toEqual([
      ['KV204', 'loop(n)', "def 'loop' calls itself (loop -> loop): a def cannot recurse"],
    ]);
    expect(r.diagnostics[0]!.notes?.map((n) => text.slice(n.span!.start, n.span!.end))).toEqual(['loop']);
  });

  it('reports recursion through other defs and through a successor def of reaches()', () => {
    expect(diagnostics('def g(n: int): int = h(n) + 1\ndef h(n: int): int = g(n)\ninvariant i on acq: g(1) > 0\n').map((d) => [d.code, d.at, d.message]))
      .toEqual([['KV204', 'g(n)', "def 'g' calls itself through 'h' (g -> h -> g): a def cannot recurse"]]);
    expect(diagnostics('def s(x: id): set[id] = { y | (t, y) in held where reaches(s, x, y) }\ninvariant i on acq: reaches(s, lock, lock)\n')
      .map((d) => [d.code, d.at])).toEqual([['KV204', 's']]);
    expect(diagnostics('def a(n: int): int = n + 1\ndef b(n: int): int = a(a(n))\ninvariant i on acq: b(1) > 0\n')).toEqual([]);
  });

  it('types ts as a time: compared with times, never used as an int', () => {
    expect(diagnostics('state last: map[task] -> time\non acq { last[pid] := ts }\ninvariant i on acq: last[pid] == none or ts >= last[pid]\n')).toEqual([]);
    const ds = diagnostics('state n: map[task] -> int\non acq { n[pid] := ts }\ninvariant i on acq: ts > 5\ninvariant j on acq: ts + 1 > 0\n');
    expect(ds.map((d) => [d.code, d.at])).toEqual([['KV201', 'ts'], ['KV201', '5'], ['KV201', 'ts + 1']]);
  });

  it('reports duplicate declarations with the first one as a note', () => {
    const text = PRELUDE + 'state held: set[task]\n';
    const r = loadSpecText(text, 't.kinv');
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.code).toBe('KV102');
    expect(r.diagnostics[0]!.notes?.[0]?.span).toBeDefined();
  });

  it('the bundled spec declares every Contract 3 invariant', async () => {
    const { loadSpec } = await import('../../src/analysis/load.js');
    const r = loadSpec([]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const names = new Set([...r.value.spec.invariants.map((i) => i.name), ...r.value.spec.obligations.map((o) => o.name)]);
    for (const n of ['rel_held', 'rel_mode', 'mutual_exclusion', 'no_recursive_acq', 'failed_acq_holds_nothing', 'lookup_parent_lock_balanced',
      'd_add_ci_parent_lock_balanced', 'lookup_entry_locked', 'lookup_shared_flag', 'no_locks_at_exit', 'in_lookup_exclusive', 'in_lookup_unique',
      'dap_outcome_consistent', 'no_self_wait', 'no_final_put_in_lookup', 'in_lookup_ended', 'waiters_released', 'no_dap_under_dir_lock',
      'no_deadlock', 'lock_order_acyclic', 'waiter_holds_nothing_needed']) expect(names.has(n), n).toBe(true);
    for (const i of r.value.spec.invariants) expect(i.doc, `${i.name} has a one-line rule comment`).toBeTruthy();
  });
});
