/**
 * What a gap may have changed (src/checker/lost-state.ts): a verdict that read state written
 * before a gap, other than state only its own task writes, is unknown, with the gap named; the
 * same trace without the gap, or with the state written after it, is judged.
 */
import { describe, expect, it } from 'vitest';
import type { TraceGap } from '../../src/trace/event.js';
import { compileText, ev, gap, run, verdicts } from '../helpers/run.js';

const SPEC = compileText(`enum Mode { R, W }
event acq(lock: id, mode: Mode)
event rel(lock: id, mode: Mode)
event hash(name: str)
event unhash(name: str)
event create(name: str)
event use(name: str)
event exit()
state held: map[task, id] -> Mode
state hashed: set[str]
on acq { held[pid, lock] := mode }
on rel { delete held[pid, lock] }
on hash { add name to hashed }
on unhash { remove name from hashed }
invariant rel_held on rel: (pid, lock) in held
invariant fresh on create: name not in hashed else "{name} is hashed"
invariant known_name on use: name in hashed
invariant acquired_once on rel: once acq(lock: lock)
obligation unhashed: each n in hashed due at exit
`);

const reasons = (r: ReturnType<typeof run>): (string | undefined)[] => r.verdicts.map((v) => v.reason);

describe('a gap makes state it may have changed unknown to the verdicts that read it', () => {
  it('an entry of object-keyed state written before a gap of another task: unknown, naming the gap and the write', () => {
    const r = run(SPEC, [ev(1, 'hash', { name: 'a' }), gap([2]), ev(3, 'create', { name: 'a' })], { all: true });
    expect(verdicts(r)).toEqual([['unknown', 'fresh', 1], ['unknown', 'unhashed', 0]]);
    expect(reasons(r)[0]).toMatch(/^the trace lost events of task 2 \(test\) after hashed\[a\] = true was written: they may have changed it$/);
    // the same without the gap, or with the write after it: a violation
    expect(verdicts(run(SPEC, [ev(1, 'hash', { name: 'a' }), ev(3, 'create', { name: 'a' })], { all: true }))).toEqual([['violation', 'fresh', 1], ['pending', 'unhashed', 0]]);
    expect(verdicts(run(SPEC, [gap([2]), ev(1, 'hash', { name: 'a' }), ev(3, 'create', { name: 'a' })], { all: true }))).toEqual([['violation', 'fresh', 1], ['pending', 'unhashed', 0]]);
  });

  it('a deletion before the gap may have been undone by it; an entry never written may have been written', () => {
    const deleted = run(SPEC, [ev(1, 'hash', { name: 'a' }), ev(1, 'unhash', { name: 'a' }), gap([2]), ev(3, 'use', { name: 'a' })], { all: true });
    expect(verdicts(run(SPEC, [ev(1, 'hash', { name: 'a' }), ev(1, 'unhash', { name: 'a' }), ev(3, 'use', { name: 'a' })], { all: true })))
      .toEqual([['violation', 'known_name', 2]]);
    expect(verdicts(deleted)).toEqual([['unknown', 'known_name', 2]]);
    expect(reasons(deleted)[0]).toMatch(/after hashed\[a\] was deleted: they may have set it again$/);
    const never = run(SPEC, [gap([2]), ev(3, 'use', { name: 'a' })], { all: true });
    expect(verdicts(never)).toEqual([['unknown', 'known_name', 0]]);
    expect(reasons(never)[0]).toMatch(/^the trace lost events of task 2 \(test\), which may have set hashed\[a\]$/);
    expect(verdicts(run(SPEC, [ev(3, 'use', { name: 'a' })], { all: true }))).toEqual([['violation', 'known_name', 0]]);
  });

  it('state only its own task writes stays judged for the tasks the gap did not touch', () => {
    const r = run(SPEC, [ev(1, 'acq', { lock: 'A', mode: 'R' }), gap([2]), ev(1, 'rel', { lock: 'B', mode: 'R' })], { all: true });
    expect(verdicts(r).filter((v) => v[1] === 'rel_held')).toEqual([['violation', 'rel_held', 1]]);
  });

  it('a past-time match a gap may have lost', () => {
    const r = run(SPEC, [ev(1, 'acq', { lock: 'A', mode: 'R' }), gap([2]), ev(1, 'rel', { lock: 'B', mode: 'R' })], { all: true });
    expect(verdicts(r).filter((v) => v[1] === 'acquired_once')).toEqual([['unknown', 'acquired_once', 1]]);
    expect(r.verdicts.find((v) => v.invariant === 'acquired_once')!.reason).toMatch(/which may have matched the past-time pattern this reads$/);
    const noGap = run(SPEC, [ev(1, 'acq', { lock: 'A', mode: 'R' }), ev(1, 'rel', { lock: 'B', mode: 'R' })], { all: true });
    expect(verdicts(noGap).filter((v) => v[1] === 'acquired_once')).toEqual([['violation', 'acquired_once', 1]]);
  });

  it('an obligation item opened before the gap: unknown when it falls due, and at the end of the trace', () => {
    expect(verdicts(run(SPEC, [ev(1, 'hash', { name: 'a' }), gap([2]), ev(1, 'exit')], { all: true }))).toEqual([['unknown', 'unhashed', 1]]);
    expect(verdicts(run(SPEC, [ev(1, 'hash', { name: 'a' }), ev(1, 'exit')], { all: true }))).toEqual([['violation', 'unhashed', 1]]);
    expect(verdicts(run(SPEC, [ev(1, 'hash', { name: 'a' }), gap([2])], { all: true }))).toEqual([['unknown', 'unhashed', 0]]);
    expect(verdicts(run(SPEC, [ev(1, 'hash', { name: 'a' })], { all: true }))).toEqual([['pending', 'unhashed', 0]]);
  });

  it('a loss of no known place: state written after it may be stale too', () => {
    const anywhere: TraceGap = { kind: 'gap', reason: 'entries missing', seq: 0, lasting: true, pids: [2] };
    const r = run(SPEC, [anywhere, ev(1, 'hash', { name: 'a' }), ev(3, 'create', { name: 'a' })], { all: true });
    expect(verdicts(r)).toEqual([['unknown', 'fresh', 1], ['unknown', 'unhashed', 0]]);
    expect(verdicts(run(SPEC, [gap([2]), ev(1, 'hash', { name: 'a' }), ev(3, 'create', { name: 'a' })], { all: true }))[0]).toEqual(['violation', 'fresh', 1]);
  });
});
