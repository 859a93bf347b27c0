/**
 * What a verdict says beyond its condition, and which verdicts are the same. Explanation: the
 * earlier events behind the state the failed condition read (a slice of the trace), each involved
 * task's per-task state, and earlier violations of the same task that share a cause. De-duplication:
 * one key per invariant and object (`verdictKey`), so each is reported once unless `--all`.
 */
import type { StateIR, TypedSpec } from '../analysis/ir.js';
import type { Span } from '../diag/diagnostic.js';
import { formatValue, type Env, type Read, type Runtime } from '../monitor/compile.js';
import { KeyedStore } from '../monitor/store.js';
import type { TraceEvent } from '../trace/event.js';
import { entriesNaming } from './task-state.js';

/** Per state and task, the entries an explanation lists (the latest); more are counted. */
const STATE_ENTRIES_SHOWN = 12;

/** What a violation or pending obligation says, as data. Rendering is elsewhere. */
export interface Verdict {
  /**
   * `unknown`: the invariant's condition failed, but its `unknown when` clause says the trace
   * cannot tell whether the rule was broken (`reason` says why): never counted as a violation.
   */
  kind: 'violation' | 'pending' | 'unknown';
  /** For `unknown`: why the trace cannot tell. */
  reason?: string;
  invariant: string;
  /** One-line kernel rule the invariant states (its doc comment). */
  doc: string | undefined;
  specSpan: Span;
  message: string;
  /** The violating event (for pending: the event that opened the obligation, if known). */
  event: TraceEvent | undefined;
  /** For frame properties: the matching call. */
  call: TraceEvent | undefined;
  /** Earlier events that explain the verdict, in trace order, each with what it did to the state read. */
  slice: { ev: TraceEvent; notes: string[] }[];
  /** Per involved task: its locks and other per-task state at the violation. */
  tasks: { pid: number; comm: string | undefined; state: string[] }[];
  /** Earlier violations of the same task that share an event of the slice: the likely root cause first. */
  related: { invariant: string; event: TraceEvent; shared: TraceEvent }[];
}

/**
 * The one key of a verdict for de-duplication: the invariant (prefixed `?` for an unknown verdict)
 * and the formatted parts of the object it is about. The engine, its end-of-trace report and the
 * exploration fingerprint all compare these strings.
 */
export function verdictKey(invariant: string, parts: readonly string[]): string {
  return invariant + '\u0002' + parts.join('\u0001');
}

/**
 * The object a violation is about: the invariant's `per` values when it names them, else the
 * event's id-typed arguments (locks, dentries), else its task.
 */
export function objectParts(spec: TypedSpec, env: Env, per: ((env: Env) => unknown)[] | undefined): string[] {
  if (per) return per.map((p) => formatValue(p(env) as never));
  const ev = env.ev;
  const schema = spec.events.get(ev.ev === 'call' || ev.ev === 'ret' ? ev.fn ?? '' : ev.ev);
  const ids = schema ? schema.fields.filter((f) => f.type.k === 'id').map((f) => formatValue((env.call ?? ev).args[f.name] ?? null)) : [];
  return ids.length ? ids : [`pid ${ev.pid}`];
}

/** What the explainer reads of the engine. */
export interface ExplainContext {
  readonly rt: Runtime;
  readonly stateList: readonly StateIR[];
  comm(pid: number): string | undefined;
  isKnown(pid: number): boolean;
}

/** The call a return matched, and the state its `old(...)` captures read. */
export interface CallFrame {
  call: TraceEvent;
  oldReads: Read[] | undefined;
}

/** Builds the explanation parts of verdicts; remembers each task's recent violations. */
export class Explainer {
  /** Recent violations per task, to link a violation to an earlier one with the same cause. */
  private recent = new Map<number, Verdict[]>();
  /** `recent` is shared with other explainers (`copyFrom`): copied before it changes. */
  private sharedRecent = false;

  constructor(private readonly ctx: ExplainContext) {}

  relate(pid: number, slice: Verdict['slice']): Verdict['related'] {
    const mine = new Set(slice.map((s) => s.ev));
    const out: Verdict['related'] = [];
    for (const earlier of this.recent.get(pid) ?? []) {
      // The latest shared event is the nearest common cause (e.g. the release inside d_add_ci).
      const shared = earlier.slice.filter((s) => mine.has(s.ev) && s.ev.ev !== 'call').at(-1);
      if (shared && earlier.event) out.push({ invariant: earlier.invariant, event: earlier.event, shared: shared.ev });
    }
    return out;
  }

  remember(pid: number, v: Verdict): void {
    this.ownRecent();
    let list = this.recent.get(pid);
    if (!list) { list = []; this.recent.set(pid, list); }
    list.push(v);
    if (list.length > 8) list.shift();
  }

  /** The events behind `reads` (and the matching call's), in trace order, but `current`, with what each did. */
  slice(reads: Read[], frame: CallFrame | undefined, current: TraceEvent): Verdict['slice'] {
    const byEv = new Map<TraceEvent, string[]>();
    const add = (ev: TraceEvent | undefined, note: string | undefined): void => {
      if (!ev || ev === current) return;
      let notes = byEv.get(ev);
      if (!notes) { notes = []; byEv.set(ev, notes); }
      if (note && !notes.includes(note)) notes.push(note);
    };
    if (frame) add(frame.call, 'the matching call');
    for (const r of frame?.oldReads ?? []) add(r.ev, r.how === 'set' ? `${r.what} at the call` : undefined);
    for (const r of reads) {
      if (r.how === 'set') add(r.ev, `set ${r.what}`);
      else if (r.how === 'deleted') add(r.ev, `made ${r.what}`);
      else if (r.how === 'temporal') add(r.ev, undefined);
    }
    return [...byEv].map(([ev, notes]) => ({ ev, notes })).sort((a, b) => a.ev.seq - b.ev.seq);
  }

  /** Per task: the entries of per-task state that name it (locks held, dentries owned, ...), the latest of each state. */
  involvedTasks(pids: number[]): Verdict['tasks'] {
    const out: Verdict['tasks'] = [];
    for (const pid of [...new Set(pids)]) {
      const lines: string[] = [];
      this.ctx.stateList.forEach((st, i) => {
        if (st.taskPositions.length === 0) return;
        const store = this.ctx.rt.stores[i];
        if (!(store instanceof KeyedStore)) return;
        const entries = entriesNaming(store, st.taskPositions, pid);
        // A capture that cannot show a state end (an unprobed release) lets a task's entries pile
        // up: the latest few say what it holds now; the rest are only counted.
        const shown = new Set([...entries].sort((a, b) => (b.prov?.seq ?? -1) - (a.prov?.seq ?? -1)).slice(0, STATE_ENTRIES_SHOWN));
        for (const e of entries) {
          if (!shown.has(e)) continue;
          const key = `${st.name}[${e.key().map((k) => formatValue(k)).join(', ')}]`;
          const origin = e.prov ? ` (line ${e.prov.line ?? '?'}, seq ${e.prov.seq})` : '';
          lines.push(st.type.k === 'set' ? `${key}${origin}` : `${key} = ${formatValue(e.v)}${origin}`);
        }
        if (entries.length > STATE_ENTRIES_SHOWN) {
          lines.push(`... ${entries.length - STATE_ENTRIES_SHOWN} earlier ${st.name}[...] entries naming this task not shown`);
        }
      });
      if (!this.ctx.isKnown(pid)) lines.unshift('(state unknown: history incomplete)');
      out.push({ pid, comm: this.ctx.comm(pid), state: lines });
    }
    return out;
  }

  /** The task is gone: its recent violations go too. */
  forget(pid: number): void {
    if (!this.recent.has(pid)) return;
    this.ownRecent();
    this.recent.delete(pid);
  }

  /**
   * The same recent violations as `other` (an engine's clone): shared by the two until either
   * changes them, since a search clones engines far more often than they find violations.
   */
  copyFrom(other: Explainer): void {
    this.recent = other.recent;
    this.sharedRecent = true;
    other.sharedRecent = true;
  }

  private ownRecent(): void {
    if (!this.sharedRecent) return;
    const copy = new Map<number, Verdict[]>();
    for (const [p, l] of this.recent) copy.set(p, [...l]);
    this.recent = copy;
    this.sharedRecent = false;
  }
}
