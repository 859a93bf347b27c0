/**
 * What a gap may have changed, read through every form of expression (src/checker/lost-state.ts):
 * each trace here has a violation only because a gap of task 2 hid what its lost events did; the
 * same trace with those events shown could hold, so the verdict is unknown (or, for a task the
 * gap may have touched, none).
 */
import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceGap } from '../../src/trace/event.js';
import { call, compileText, ev, gap, ret, run, verdicts } from '../helpers/run.js';

const SPEC = compileText(`enum Mode { R, W }
event acq(lock: id, mode: Mode)
event rel(lock: id, mode: Mode)
event hash(name: str)
event unhash(name: str)
event pin(name: str)
event use(name: str)
event link(a: id, b: id)
event linked(a: id, b: id)
event check(t: task, lock: id)
event anyheld(lock: id)
event get(obj: id)
event put(obj: id)
event free(obj: id)
event exit()
event first()
event second()
fn f(name: str)
state held: map[task, id] -> Mode
state hashed: set[str]
state pinned: set[str]
state order: rel[id]
state refs: map[id] -> int
on acq { held[pid, lock] := mode }
on rel { delete held[pid, lock] }
on hash { add name to hashed }
on unhash { remove name from hashed }
on pin { add name to pinned }
on link { add (a, b) to order }
on get { refs[obj] := (if obj in refs then refs[obj] else 0) + 1 }
on put { refs[obj] := refs[obj] - 1 }
invariant rel_held on rel: (pid, lock) in held
invariant some_hashed on use: exists n in hashed: n == name + ""
invariant counted on use: count n in hashed >= 1
invariant in_order on linked: (a, b) in order
invariant reach_order on linked: reaches(order, a, b)
invariant holder on check: (t, lock) in held
invariant somebody on anyheld: exists (t, l) in held: l == lock
invariant stable on ret f: old(name in hashed) == (name in hashed)
invariant unreferenced on free: refs[obj] == 0
invariant prev on second: not previously first()
obligation unhashed: each n in hashed due at exit where n not in pinned
`);

const judged = (items: (TraceEvent | TraceGap)[], inv: string): [string, string, number | null][] =>
  verdicts(run(SPEC, items, { all: true })).filter((v) => v[1] === inv);
const reason = (items: (TraceEvent | TraceGap)[], inv: string): string | undefined =>
  run(SPEC, items, { all: true }).verdicts.find((v) => v.invariant === inv)?.reason;
const on = (cpu: number, e: TraceEvent): TraceEvent => ({ ...e, cpu });

describe('a gap makes every read it may have changed unknown, whatever the expression form', () => {
  it('a quantifier over a whole state that found no witness: a lost event may have added one', () => {
    expect(judged([gap([2]), ev(3, 'use', { name: 'a' })], 'some_hashed')).toEqual([['unknown', 'some_hashed', 0]]);
    expect(judged([ev(3, 'use', { name: 'a' })], 'some_hashed')).toEqual([['violation', 'some_hashed', 0]]);
  });

  it('a count over a whole state: a lost event may have added to it', () => {
    expect(judged([gap([2]), ev(3, 'use', { name: 'a' })], 'counted')).toEqual([['unknown', 'counted', 0]]);
    expect(reason([gap([2]), ev(3, 'use', { name: 'a' })], 'counted')).toBe('the trace lost events of task 2 (test), which may have added an entry of hashed');
  });

  it('an edge of a relation the gap emptied: membership and reachability', () => {
    const trace = [ev(1, 'link', { a: 'A', b: 'B' }), gap([2]), ev(1, 'linked', { a: 'A', b: 'B' })];
    expect(judged(trace, 'in_order')).toEqual([['unknown', 'in_order', 1]]);
    expect(judged(trace, 'reach_order')).toEqual([['unknown', 'reach_order', 1]]);
    expect(reason(trace, 'in_order')).toBe('the trace lost events of task 2 (test); order starts over at a gap, so order: A -> B may be missing only because of it');
    expect(judged([gap([2]), ev(1, 'link', { a: 'A', b: 'B' }), ev(1, 'linked', { a: 'A', b: 'B' })], 'in_order')).toEqual([]);
  });

  it('task-owned state of a task the gap touched: its entries were forgotten, not released', () => {
    expect(judged([ev(2, 'acq', { lock: 'A', mode: 'R' }), gap([2]), ev(1, 'check', { t: 2, lock: 'A' })], 'holder')).toEqual([['unknown', 'holder', 1]]);
    expect(reason([ev(2, 'acq', { lock: 'A', mode: 'R' }), gap([2]), ev(1, 'check', { t: 2, lock: 'A' })], 'holder'))
      .toBe('the trace lost events of task 2 (test), which may have set held[2, A]');
    expect(judged([ev(2, 'acq', { lock: 'A', mode: 'R' }), gap([2]), ev(1, 'anyheld', { lock: 'A' })], 'somebody')).toEqual([['unknown', 'somebody', 1]]);
    // the same of a task the gap did not touch stays judged
    expect(judged([ev(3, 'acq', { lock: 'A', mode: 'R' }), ev(3, 'rel', { lock: 'A', mode: 'R' }), gap([2]), ev(1, 'check', { t: 3, lock: 'A' })], 'holder'))
      .toEqual([['violation', 'holder', 2]]);
  });

  it('an old(...) captured after a gap from state the gap may have changed', () => {
    const trace = [ev(3, 'hash', { name: 'a' }), gap([2]), call(1, 'f', { name: 'a' }), ev(3, 'unhash', { name: 'a' }), ret(1, 'f')];
    expect(judged(trace, 'stable')).toEqual([['unknown', 'stable', 3]]);
    expect(reason(trace, 'stable')).toBe('the trace lost events of task 2 (test) after hashed[a] = true was written: they may have changed it (before the call\'s old(...) read it)');
    // captured before the gap, the value is what the state was
    expect(judged([ev(3, 'hash', { name: 'a' }), call(1, 'f', { name: 'a' }), gap([2]), ev(3, 'unhash', { name: 'a' }), ret(1, 'f')], 'stable'))
      .toEqual([['violation', 'stable', 3]]);
  });

  it('an entry written after the gap from one written before it (a count): its value rests on what was lost', () => {
    expect(judged([ev(1, 'get', { obj: 'X' }), gap([2]), ev(1, 'get', { obj: 'X' }), ev(1, 'free', { obj: 'X' })], 'unreferenced'))
      .toEqual([['unknown', 'unreferenced', 2]]);
    expect(reason([ev(1, 'get', { obj: 'X' }), gap([2]), ev(1, 'get', { obj: 'X' }), ev(1, 'free', { obj: 'X' })], 'unreferenced'))
      .toBe('refs[X] = 2 was computed from state that may be out of date: the trace lost events of task 2 (test) after refs[X] = 1 was written: they may have changed it');
  });

  it('previously across a gap: the event before may have been a lost one', () => {
    expect(judged([ev(1, 'first'), gap([2]), ev(1, 'second')], 'prev')).toEqual([['unknown', 'prev', 1]]);
    expect(reason([ev(1, 'first'), gap([2]), ev(1, 'second')], 'prev')).toBe('the trace lost events of task 2 (test) after the event before this one: one of them came between');
    expect(judged([gap([2]), ev(1, 'first'), ev(1, 'second')], 'prev')).toEqual([['violation', 'prev', 1]]);
  });

  it('an obligation\'s where clause that read state a lost event may have set', () => {
    expect(judged([gap([2]), ev(1, 'hash', { name: 'a' }), ev(1, 'exit')], 'unhashed')).toEqual([['unknown', 'unhashed', 1]]);
  });

  it('a gap of one CPU: a task seen on another CPU before may have run on it in the lost span', () => {
    const trace = [on(0, ev(1, 'hash', { name: 'b' })), { kind: 'gap', reason: 'lost events', cpu: 1, seq: 0 } as TraceGap, on(1, ev(1, 'rel', { lock: 'A', mode: 'R' }))];
    // A loss of one CPU makes every task unknown (any may have run there in the lost span): task 1 is not judged.
    expect(judged(trace, 'rel_held')).toEqual([]);
    expect(judged([on(0, ev(1, 'hash', { name: 'b' })), on(1, ev(1, 'rel', { lock: 'A', mode: 'R' }))], 'rel_held')).toEqual([['violation', 'rel_held', 1]]);
  });
});

describe('a gap in the clauses around the body, and in clones', () => {
  const spec = compileText(`event hash(name: str)
event pin(name: str)
event use(name: str)
event exit()
event see(t: task, lock: id)
state hashed: set[str]
state pinned: set[str]
state held: map[task, id] -> bool
on hash { add name to hashed }
on pin { add name to pinned }
sync exit
invariant guarded on use when name in hashed: name == "b"
invariant excused on exit: 1 == 2
  unknown when "a" in pinned
    "a is pinned"
invariant holds on see: (t, lock) in held
`);

  it('a when clause that read state a gap may have changed', () => {
    expect(verdicts(run(spec, [ev(1, 'hash', { name: 'a' }), gap([2]), ev(1, 'use', { name: 'a' })], { all: true }))).toEqual([['unknown', 'guarded', 1]]);
    expect(verdicts(run(spec, [gap([2]), ev(1, 'hash', { name: 'a' }), ev(1, 'use', { name: 'a' })], { all: true }))).toEqual([['violation', 'guarded', 1]]);
  });

  it('an unknown-when clause that read state a gap may have changed: a lost pin would have excused it', () => {
    expect(verdicts(run(spec, [gap([2]), ev(1, 'exit')], { all: true }))).toEqual([['unknown', 'excused', 0]]);
    expect(verdicts(run(spec, [ev(1, 'exit')], { all: true }))).toEqual([['violation', 'excused', 0]]);
  });

  it('a clone is not told what another clone saw: task 2 synchronised in one, not in the other', () => {
    const e = spec.start({ all: true });
    e.gap({ kind: 'gap', reason: 'test', seq: 0, pids: [2] });
    const a = e.clone();
    const b = e.clone();
    a.step({ seq: 1, pid: 2, ev: 'exit', args: {} });
    expect(a.step({ seq: 2, pid: 1, ev: 'see', args: { t: 2, lock: 'L' } }).map((v) => v.kind)).toEqual(['violation']);
    expect(b.step({ seq: 2, pid: 1, ev: 'see', args: { t: 2, lock: 'L' } }).map((v) => v.kind)).toEqual(['unknown']);
  });
});

// What a rule that read out-of-date state would have written or removed had it taken the other way
// (src/checker/rules-after-gap.ts): the entries it could have reached, by the keys of the writes
// not made, and only where such a write would have changed something.
describe('a rule a gap may have made fire otherwise', () => {
  const spec = compileText(`event hash(name: str)
event mark(name: str)
event remark(name: str)
event unhash(name: str)
event unlink(name: str)
event adopt(name: str, dir: str)
event check(name: str)
event open(lock: id)
event acq(lock: id)
event rel(lock: id)
event drop(lock: id)
event exit()
state hashed: set[str]
state opened: set[id]
state marked: set[str]
state parent: map[str] -> str
state held: map[task, id] -> bool
on hash { add name to hashed }
on mark, remark { add name to marked }
on unhash { if name in hashed { remove name from marked } }
on adopt { parent[name] := dir }
on unlink { if name in hashed { remove parent[name] from marked } }
on open { add lock to opened }
on acq { if lock in opened { held[pid, lock] := true } }
on drop { if lock not in opened { delete held[pid, lock] } }
sync exit
invariant unmarked on check: name not in marked
invariant rel_held on rel: (pid, lock) in held
`);
  const judged = (items: (TraceEvent | TraceGap)[]): [string, string, number | null][] => verdicts(run(spec, items, { all: true }));

  it('an entry written again since (even by a write that changed nothing) is judged', () => {
    expect(judged([gap([2]), ev(1, 'mark', { name: 'a' }), ev(1, 'unhash', { name: 'a' }), ev(1, 'remark', { name: 'a' }), ev(3, 'check', { name: 'a' })]))
      .toEqual([['violation', 'unmarked', 3]]);
  });

  it('a key that rests on out-of-date state may be any key: every entry written before is unknown, none written after', () => {
    // parent[a] is absent, and a lost adopt may have set it: the unlink may have removed any mark
    expect(judged([gap([2]), ev(1, 'mark', { name: 'b' }), ev(1, 'unlink', { name: 'a' }), ev(3, 'check', { name: 'b' })]))
      .toEqual([['unknown', 'unmarked', 2]]);
    expect(judged([gap([2]), ev(1, 'unlink', { name: 'a' }), ev(1, 'mark', { name: 'b' }), ev(3, 'check', { name: 'b' })]))
      .toEqual([['violation', 'unmarked', 2]]);
    // parent[a] set after the gap: the unlink could have removed c's mark only
    const adopted = [gap([2]), ev(1, 'adopt', { name: 'a', dir: 'c' }), ev(1, 'mark', { name: 'b' }), ev(1, 'mark', { name: 'c' }), ev(1, 'unlink', { name: 'a' })];
    expect(judged([...adopted, ev(3, 'check', { name: 'b' }), ev(3, 'check', { name: 'c' })])).toEqual([['violation', 'unmarked', 4], ['unknown', 'unmarked', 5]]);
  });

  it('the reason names the rule that did not write, and why', () => {
    const r = run(spec, [gap([2]), ev(1, 'mark', { name: 'a' }), ev(1, 'unhash', { name: 'a' }), ev(3, 'check', { name: 'a' })], { all: true });
    expect(r.verdicts[0]!.reason).toBe('marked[a] = true may be out of date: the unhash (event 1) did not remove marked[a] only because of what it read:'
      + ' the trace lost events of task 2 (test), which may have set hashed[a]');
  });

  it('a write that changed nothing and that a read of out-of-date state led to does not end a mark', () => {
    // the drop deletes held[1, L] only because L is not in opened, which a lost open may have changed
    expect(judged([gap([2]), ev(1, 'acq', { lock: 'L' }), ev(1, 'drop', { lock: 'L' }), ev(1, 'rel', { lock: 'L' })])).toEqual([['unknown', 'rel_held', 2]]);
  });

  it('a mark of task-owned state ends when its task synchronises', () => {
    expect(judged([gap([2]), ev(1, 'acq', { lock: 'L' }), ev(1, 'exit'), ev(1, 'rel', { lock: 'L' })])).toEqual([['violation', 'rel_held', 2]]);
  });

  it('an entry written after the gap that a rule reading out-of-date state would have removed', () => {
    // a lost hash of a by task 2 would have made the unhash remove the mark
    expect(verdicts(run(spec, [gap([2]), ev(1, 'mark', { name: 'a' }), ev(1, 'unhash', { name: 'a' }), ev(3, 'check', { name: 'a' })], { all: true })))
      .toEqual([['unknown', 'unmarked', 2]]);
    // marked after the unhash: judged
    expect(verdicts(run(spec, [gap([2]), ev(1, 'unhash', { name: 'a' }), ev(1, 'mark', { name: 'a' }), ev(3, 'check', { name: 'a' })], { all: true })))
      .toEqual([['violation', 'unmarked', 2]]);
  });

  it('task-owned state a rule reading out-of-date state may have written: of that task only', () => {
    // a lost open of L by task 2 would have let task 1 take it
    expect(verdicts(run(spec, [gap([2]), ev(1, 'acq', { lock: 'L' }), ev(1, 'rel', { lock: 'L' })], { all: true }))).toEqual([['unknown', 'rel_held', 1]]);
    expect(verdicts(run(spec, [gap([2]), ev(1, 'acq', { lock: 'L' }), ev(3, 'rel', { lock: 'L' })], { all: true }))).toEqual([['violation', 'rel_held', 1]]);
  });
});
