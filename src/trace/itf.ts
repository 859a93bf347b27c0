/**
 * Reads ITF, the Informal Trace Format of Apalache and Quint: one JSON object
 * `{"#meta": …, "vars": […], "states": [{"#meta": {"index": i}, VAR: VALUE, …}, …]}`, values
 * encoded as `{"#bigint": "…"}`, `{"#set": […]}`, `{"#map": [[k, v], …]}`, `{"#tup": […]}`,
 * records as objects and variants as `{"tag": …, "value": …}`.
 *
 * Each state after the first is one event of the vocabulary, taken either from
 *  - a state variable `event`: a record `{pid, ev, fn, args, ret}` (`args` a record, or a map from
 *    names to values; an empty `fn` is absent, and an empty or `None` ret of a return is the NULL
 *    it returned, null, as a model's string-typed ret writes it) — what `kinv … --itf` writes and
 *    what a model can keep; or
 *  - the action taken, as Quint's model-based testing records it: `mbt::actionTaken` names the
 *    event (`acq_req`, or `call_FN` / `ret_FN`) and `mbt::nondetPicks` holds `pid`, `ret` and the
 *    arguments (`Some(v)` or `None`; a return's `None` ret is null, a NULL return).
 * A state whose event is `init` (or whose action is `init`) is the initial state and carries none.
 * Each event's seq is its state's index; its line is where the state starts in the file.
 */
import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { Scalar, SourceStats, TraceEvent, TraceItem } from './event.js';
import type { TraceFormat } from './format.js';

export interface ItfOptions {
  file: string;
  onDiagnostic: (d: Diagnostic) => void;
  stats: SourceStats;
  /** The spec's schema, as for NDJSON: a rejected event is reported and becomes a gap of its task. */
  validate?: (e: TraceEvent) => { field: string; message: string } | undefined | 'unknown';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Why a value is not a scalar of the vocabulary, or the scalar (undefined: absent, as None). */
type Decoded = { ok: true; v: Scalar | undefined } | { ok: false; why: string };

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An ITF value as an event field: strings, integers (`#bigint` or plain), booleans; `Some(v)` is v, `None` absent. */
export function decodeScalar(v: Json | undefined): Decoded {
  if (v === undefined) return { ok: true, v: undefined };
  if (typeof v === 'string' || typeof v === 'boolean') return { ok: true, v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { ok: true, v } : { ok: false, why: `${v} is not an integer` };
  if (isObject(v)) {
    if (typeof v['#bigint'] === 'string') {
      const s = v['#bigint'];
      if (!/^-?\d+$/.test(s)) return { ok: false, why: `{"#bigint": ${JSON.stringify(s)}} is not an integer` };
      const n = Number(s);
      return Number.isSafeInteger(n) ? { ok: true, v: n } : { ok: false, why: `${s} is beyond 2^53 − 1` };
    }
    if (v.tag === 'None') return { ok: true, v: undefined };
    if (v.tag === 'Some') return decodeScalar(v.value);
    const kind = ['#set', '#map', '#tup', '#unserializable'].find((k) => k in v);
    return { ok: false, why: kind ? `a ${kind.slice(1)} is not an event field` : 'a record is not an event field' };
  }
  return { ok: false, why: Array.isArray(v) ? 'a JSON array is not an ITF value' : 'null is not an ITF value' };
}

/** The 1-based line and column of each state's `{` in the text (a JSON parser gives no positions). */
export function stateStarts(text: string): { line: number; column: number }[] {
  const out: { line: number; column: number }[] = [];
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let key1: string | undefined;
  let inStates = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) { line++; lineStart = i + 1; continue; }
    if (c === 34) { // a string: skip it, remembering it as the key when it is one at depth 1
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      if (depth === 1) key1 = text.slice(i + 1, j);
      i = j;
      continue;
    }
    if (c === 123 || c === 91) {
      if (depth === 1 && c === 91 && key1 === 'states') inStates = true;
      else if (depth === 2 && c === 123 && inStates) out.push({ line, column: i - lineStart + 1 });
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
      if (depth === 1) inStates = false;
    }
  }
  return out;
}

/**
 * Where JSON text first goes wrong (JSON.parse does not always say): a syntax-only scan of one
 * value, returning the offset of the first character that cannot continue it.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => { while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++; };
  const value = (): boolean => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++; ws();
      if (text[i] === close) { i++; return true; }
      for (;;) {
        if (c === '{') { ws(); if (text[i] !== '"' || !str()) return false; ws(); if (text[i] !== ':') return false; i++; }
        if (!value()) return false;
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === close) { i++; return true; }
        return false;
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  const str = (): boolean => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) return false;
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) return false;
    i++;
    return true;
  };
  if (value()) ws();
  return i;
}

function lineColumnOf(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  return { line, column: pos - lineStart + 1 };
}

type EventOrProblem = { event: TraceEvent } | { problem: string; pid?: number } | 'initial';

function fromEventVar(v: Json, seq: number, file: string, line: number): EventOrProblem {
  if (!isObject(v)) return { problem: "the state variable 'event' is not a record" };
  const ev = decodeScalar(v.ev);
  if (!ev.ok || typeof ev.v !== 'string' || ev.v === '') return { problem: "'event.ev' must be the event's name (a string)" };
  if (ev.v === 'init') return 'initial';
  const pid = decodeScalar(v.pid);
  if (!pid.ok || typeof pid.v !== 'number') return { problem: "'event.pid' must be an integer" };
  const fn = decodeScalar(v.fn);
  if (!fn.ok || (fn.v !== undefined && typeof fn.v !== 'string')) return { problem: "'event.fn' must be a string", pid: pid.v };
  const ret = decodeScalar(v.ret);
  if (!ret.ok) return { problem: `'event.ret': ${ret.why}`, pid: pid.v };
  const args: Record<string, Scalar> = {};
  const raw = v.args;
  let pairs: [Json, Json][] = [];
  if (isObject(raw) && Array.isArray(raw['#map'])) pairs = raw['#map'].map((p) => (Array.isArray(p) ? [p[0] ?? null, p[1] ?? null] : [null, null]));
  else if (isObject(raw)) pairs = Object.entries(raw);
  else if (raw !== undefined) return { problem: "'event.args' must be a record or a map", pid: pid.v };
  for (const [k, x] of pairs) {
    if (typeof k !== 'string') return { problem: "'event.args' keys must be strings", pid: pid.v };
    const d = decodeScalar(x);
    if (!d.ok) return { problem: `'event.args.${k}': ${d.why}`, pid: pid.v };
    if (d.v !== undefined) args[k] = d.v;
  }
  const comm = decodeScalar(v.comm);
  const e: TraceEvent = { seq, pid: pid.v, ev: ev.v, args, file, line };
  if (typeof fn.v === 'string' && fn.v !== '') e.fn = fn.v;
  if (ret.v !== undefined && !(typeof ret.v === 'string' && ret.v === '')) e.ret = ret.v;
  else if (ev.v === 'ret') e.ret = null;
  if (comm.ok && typeof comm.v === 'string' && comm.v !== '') e.comm = comm.v;
  return { event: e };
}

function fromAction(action: string, picks: Json | undefined, seq: number, file: string, line: number): EventOrProblem {
  if (action === 'init') return 'initial';
  const m = /^(call|ret)_(.+)$/.exec(action);
  const ev = m ? m[1]! : action;
  if (!isObject(picks)) return { problem: "'mbt::nondetPicks' must be a record (pid and the event's arguments)" };
  const pid = decodeScalar(picks.pid);
  if (!pid.ok || typeof pid.v !== 'number') return { problem: "'mbt::nondetPicks.pid' must be Some(an integer)" };
  const args: Record<string, Scalar> = {};
  let ret: Scalar | undefined;
  for (const [k, x] of Object.entries(picks)) {
    if (k === 'pid') continue;
    const d = decodeScalar(x);
    if (!d.ok) return { problem: `'mbt::nondetPicks.${k}': ${d.why}`, pid: pid.v };
    // A return's None is the NULL it returned (Contract 1's null), not a value left unknown.
    if (d.v === undefined) { if (k === 'ret' && ev === 'ret') ret = null; continue; }
    if (k === 'ret') ret = d.v;
    else args[k] = d.v;
  }
  const e: TraceEvent = { seq, pid: pid.v, ev, args, file, line };
  if (m) e.fn = m[2]!;
  if (ret !== undefined) e.ret = ret;
  return { event: e };
}

/** Reads a whole ITF trace (ITF files are one JSON document, of a model's short run) as one batch. */
export async function* readItf(input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: ItfOptions): AsyncGenerator<TraceItem[]> {
  const parts: string[] = [];
  for await (const c of input) parts.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
  const text = parts.join('');
  const { stats, file } = opts;
  stats.lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const fail = (message: string, at: { line: number; column: number }, hint?: string): void => {
    stats.malformed++;
    opts.onDiagnostic(error('KV318', message, { at: { source: file, ...at } }, hint));
  };
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    const at = jsonErrorOffset(text);
    const near = at >= text.length ? 'the text ends too soon' : `unexpected ${JSON.stringify(text.slice(at, at + 12))}`;
    fail(`not valid JSON: ${near}`, lineColumnOf(text, at), `${(e as Error).message.slice(0, 120)}`);
    return;
  }
  if (!isObject(doc) || !Array.isArray(doc.states)) {
    fail("not an ITF trace: expected an object with a 'states' array", { line: 1, column: 1 },
      'kinv reads ITF as Apalache and Quint write it (quint run --out-itf FILE)');
    return;
  }
  const starts = stateStarts(text);
  const batch: TraceItem[] = [];
  // Seqs count the states that stand for events, from 0, as NDJSON's line order does: an exported
  // trace read back has the seqs of the trace it came from.
  let seq = 0;
  doc.states.forEach((state, i) => {
    const at = starts[i] ?? { line: 1, column: 1 };
    stats.records++;
    if (!isObject(state)) {
      fail(`state ${i} is not an object`, at);
      batch.push({ kind: 'gap', reason: 'unreadable ITF state', seq: seq++, file, line: at.line });
      stats.gaps++;
      return;
    }
    let r: EventOrProblem;
    if ('event' in state) r = fromEventVar(state.event!, i, file, at.line);
    else if (typeof state['mbt::actionTaken'] === 'string') r = fromAction(state['mbt::actionTaken'], state['mbt::nondetPicks'], i, file, at.line);
    else if (i === 0) r = 'initial';
    else r = { problem: "neither a state variable 'event' nor an action taken ('mbt::actionTaken')" };
    if (r === 'initial') { stats.skipped++; return; }
    r = 'event' in r ? { event: { ...r.event, seq } } : r;
    const atSeq = seq++;
    if ('problem' in r) {
      fail(`state ${i}: ${r.problem}`, at, 'the task is taken as having lost this event: its state is unknown until it syncs');
      stats.gaps++;
      batch.push({ kind: 'gap', reason: 'unreadable ITF state', pids: r.pid === undefined ? undefined : [r.pid], seq: atSeq, file, line: at.line });
      return;
    }
    const p = opts.validate?.(r.event);
    if (p !== undefined && p !== 'unknown') {
      stats.malformed++;
      stats.gaps++;
      opts.onDiagnostic(error('KV302', `state ${i}: ${p.message}`, { at: { source: file, ...at } },
        'the task is taken as having lost this event: its state is unknown until it syncs'));
      batch.push({ kind: 'gap', reason: 'record does not fit the schema', pids: [r.event.pid], seq: atSeq, file, line: at.line });
      return;
    }
    batch.push(r.event);
  });
  if (batch.length) yield batch;
}

/** ITF as a trace format (see registry.ts). It is JSON like NDJSON, so it is never sniffed: `--from itf` names it. */
export const itfFormat: TraceFormat = {
  name: 'itf',
  events: 'ndjson',
  open: (input, ctx) => ({
    read: (_spec, validate) => ({ source: readItf(input.chunks, { file: ctx.file, onDiagnostic: ctx.onDiagnostic, stats: ctx.stats, validate }) }),
  }),
};
