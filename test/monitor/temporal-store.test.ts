/**
 * Past-time histories are forgotten with what they name: a task that exited, an object that died
 * (`retire`). Checked against a plain model (every key with its task and objects, filtered on each
 * forget) through random records and forgets, clones included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TemporalStore } from '../../src/monitor/store.js';
import type { TraceEvent } from '../../src/values/event.js';

type Op =
  | { k: 'record'; task: number | undefined; objects: string[] }
  | { k: 'task'; task: number }
  | { k: 'object'; obj: string }
  | { k: 'clone' };

const task = fc.integer({ min: 1, max: 3 });
const obj = fc.constantFrom('I1', 'I2', 'D1');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('record' as const), task: fc.option(task, { nil: undefined }), objects: fc.uniqueArray(obj, { maxLength: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('task' as const), task }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('object' as const), obj }) },
  { weight: 1, arbitrary: fc.constant({ k: 'clone' as const }) },
);

const ev = (seq: number): TraceEvent => ({ seq, pid: 1, ev: 'x', args: {} }) as TraceEvent;

/** What a store should hold: each key's last and previous match, its task and objects. */
type Model = Map<string, { idx: number; prevIdx: number; task: number | undefined; objects: string[] }>;

/** Applies a record or forget to a store and to its model alike (a clone is the caller's). */
function apply(store: TemporalStore, model: Model, o: Op, idx: number): void {
  if (o.k === 'record') {
    const key = `${o.task ?? '-'}|${o.objects.join(',')}`;
    if (store.record(key, idx, ev(idx), o.task)) store.nameObjects(key, o.objects);
    const m = model.get(key);
    if (m) { m.prevIdx = m.idx; m.idx = idx; } else model.set(key, { idx, prevIdx: -1, task: o.task, objects: o.objects });
  } else if (o.k === 'task') {
    store.forgetTask(o.task);
    for (const [k, m] of model) if (m.task === o.task) model.delete(k);
  } else if (o.k === 'object') {
    store.forgetObject(o.obj);
    for (const [k, m] of model) if (m.objects.includes(o.obj)) model.delete(k);
  }
}

describe('TemporalStore forgetting', () => {
  it('keeps exactly the keys whose task is alive and whose objects never died since they were recorded', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      let store = new TemporalStore();
      const model: Model = new Map();
      ops.forEach((o, idx) => {
        if (o.k === 'clone') store = store.clone();
        else apply(store, model, o, idx);
        expect(new Map([...store.last].map(([k, e]) => [k, e.idx]))).toEqual(new Map([...model].map(([k, m]) => [k, m.idx])));
      });
    }), { numRuns: 300 });
  });

  it('a store and its clone, sharing their histories, each change on their own (match indexes included)', () => {
    const seen = (store: TemporalStore) => new Map([...store.last].map(([k, e]) => [k, [e.idx, e.prevIdx, e.ev.seq]]));
    const expected = (model: Model) => new Map([...model].map(([k, m]) => [k, [m.idx, m.prevIdx, m.idx]]));
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), op), { maxLength: 80 }), (ops) => {
      const stores = [new TemporalStore()];
      const models: Model[] = [new Map()];
      ops.forEach(([second, o], idx) => {
        if (o.k === 'clone') {
          // The newest store is cloned: the two then share every entry and key set.
          const from = stores.length - 1;
          stores.push(stores[from]!.clone());
          models.push(new Map([...models[from]!].map(([k, m]) => [k, { ...m }])));
          return;
        }
        const i = second && stores.length > 1 ? stores.length - 2 : stores.length - 1;
        apply(stores[i]!, models[i]!, o, idx);
        stores.forEach((s, j) => expect(seen(s)).toEqual(expected(models[j]!)));
      });
    }), { numRuns: 1500 });
  });

  it('a clone forgets on its own', () => {
    const a = new TemporalStore();
    if (a.record('k', 0, ev(0), 1)) a.nameObjects('k', ['I1']);
    const b = a.clone();
    b.forgetObject('I1');
    expect([...a.last.keys()]).toEqual(['k']);
    expect([...b.last.keys()]).toEqual([]);
    a.forgetTask(1);
    expect([...a.last.keys()]).toEqual([]);
  });
});
