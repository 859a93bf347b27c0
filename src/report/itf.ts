/**
 * A counterexample as ITF (the Informal Trace Format of Apalache and Quint): state 0 is the spec's
 * initial state, and state i the spec's state variables after event i, with the event itself as
 * the state variable `event` and as the action taken (`mbt::actionTaken`, `mbt::nondetPicks`, as
 * Quint's model-based testing writes them). `kinv check --from itf` reads it back (trace/itf.ts).
 */
import type { CompiledSpec } from '../checker/engine.js';
import { KeyedStore, Relation } from '../monitor/store.js';
import type { Scalar, TraceEvent } from '../trace/event.js';

export type ItfValue = string | boolean | { '#bigint': string } | { '#set': ItfValue[] } | { '#map': [ItfValue, ItfValue][] } | { '#tup': ItfValue[] }
  | { tag: string; value: ItfValue } | { [field: string]: ItfValue };

export interface ItfTrace {
  '#meta': Record<string, string>;
  vars: string[];
  states: Record<string, ItfValue | { index: number }>[];
}

const NONE: ItfValue = { tag: 'None', value: { '#tup': [] } };

function scalar(v: Scalar | undefined): ItfValue {
  if (v === undefined || v === null) return NONE;
  if (typeof v === 'number') return Number.isInteger(v) ? { '#bigint': String(v) } : String(v);
  return v;
}

function key(ks: readonly Scalar[]): ItfValue {
  return ks.length === 1 ? scalar(ks[0]) : { '#tup': ks.map(scalar) };
}

type Store = KeyedStore | Relation | { v: Scalar; prov: TraceEvent | undefined };

/** A store of the spec as an ITF value: a set of keys, a map, a set of pairs (relations), or the value. */
function storeValue(s: Store, isSet: boolean): ItfValue {
  if (s instanceof KeyedStore) {
    const entries = [...s.entries()];
    return isSet ? { '#set': entries.map((e) => key(e.key())) } : { '#map': entries.map((e) => [key(e.key()), scalar(e.v)] as [ItfValue, ItfValue]) };
  }
  if (s instanceof Relation) {
    const pairs: ItfValue[] = [];
    for (const [from, m] of s.succ) for (const to of m.keys()) pairs.push({ '#tup': [scalar(from), scalar(to)] });
    return { '#set': pairs };
  }
  return scalar(s.v);
}

/** The event as a record (`fn` empty and `ret` None when absent: every state has the same fields). */
function eventRecord(e: TraceEvent | undefined): ItfValue {
  if (!e) return { pid: { '#bigint': '0' }, ev: 'init', fn: '', args: {}, ret: NONE };
  const args: Record<string, ItfValue> = {};
  for (const [k, v] of Object.entries(e.args)) if (v !== null) args[k] = scalar(v);
  return { pid: { '#bigint': String(e.pid) }, ev: e.ev, fn: e.fn ?? '', args, ret: e.ret === undefined ? NONE : scalar(e.ret) };
}

function action(e: TraceEvent | undefined): string {
  if (!e) return 'init';
  return e.ev === 'call' || e.ev === 'ret' ? `${e.ev}_${e.fn ?? ''}` : e.ev;
}

function picks(e: TraceEvent | undefined): ItfValue {
  const some = (v: Scalar | undefined): ItfValue => (v === undefined || v === null ? NONE : { tag: 'Some', value: scalar(v) });
  if (!e) return {};
  const p: Record<string, ItfValue> = { pid: some(e.pid) };
  for (const [k, v] of Object.entries(e.args)) p[k] = some(v);
  if (e.ev === 'ret') p.ret = some(e.ret);
  return p;
}

/** Replays the events through a fresh monitor of the spec, recording its state variables after each. */
export function itfOf(events: readonly TraceEvent[], compiled: CompiledSpec, source: string): ItfTrace {
  const engine = compiled.start({ all: true });
  const names = compiled.stateList.map((s) => s.name);
  const sets = compiled.stateList.map((s) => s.type.k === 'set');
  const snapshot = (i: number, e: TraceEvent | undefined): Record<string, ItfValue | { index: number }> => {
    const st: Record<string, ItfValue | { index: number }> = { '#meta': { index: i }, 'mbt::actionTaken': action(e), 'mbt::nondetPicks': picks(e),
      event: eventRecord(e) };
    engine.rt.stores.forEach((s, k) => { st[names[k]!] = storeValue(s as Store, sets[k]!); });
    return st;
  };
  const states = [snapshot(0, undefined)];
  events.forEach((e, i) => {
    engine.step(e);
    states.push(snapshot(i + 1, e));
  });
  return {
    '#meta': { format: 'ITF', source, description: 'written by kinv: the spec state after each event' },
    vars: ['mbt::actionTaken', 'mbt::nondetPicks', 'event', ...names],
    states,
  };
}

/** The file's text: one state per line, so a diagnostic's line names the state. */
export function itfJson(t: ItfTrace): string {
  return `{"#meta":${JSON.stringify(t['#meta'])},"vars":${JSON.stringify(t.vars)},"states":[\n${t.states.map((s) => JSON.stringify(s)).join(',\n')}\n]}\n`;
}
