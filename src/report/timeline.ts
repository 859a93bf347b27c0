/**
 * A trace as spans per task, for the pictures (Perfetto, HTML, Graphviz): call frames, lock holds,
 * lock and in-lookup waits, in-lookup ownership. Built one event at a time beside the checker, it
 * keeps spans, not events, so a capture of hundreds of thousands of events stays small.
 *
 * Positions are event seqs; `ts` (seconds) is kept beside them when the trace has it, so a
 * picture can use the trace's own clock.
 */
import type { Scalar, TraceEvent, TraceGap } from '../trace/event.js';

/** `wait`: for an rwsem (acq_req to acq/acq_fail); `ilwait`: asleep on another task's in-lookup dentry. */
export type SpanKind = 'frame' | 'hold' | 'wait' | 'ilwait' | 'inlookup';

export interface Span {
  kind: SpanKind;
  pid: number;
  /** frame: the function; hold/wait: the lock; ilwait/inlookup: the dentry. */
  name: string;
  /** hold and lock waits: R or W. */
  mode?: string | undefined;
  /** What else a reader wants to see: the frame's arguments, the in-lookup dentry's dir/name, the wait's outcome. */
  detail: string;
  /** Nesting depth of a frame in its task's stack (0 = outermost). */
  depth: number;
  start: number;
  /** The closing event's seq; for a span still open at the end of the trace, the last seq. */
  end: number;
  /** The span was still open when the trace ended (or was cut by a gap). */
  open: boolean;
  startTs?: number | undefined;
  endTs?: number | undefined;
  /** 1-based lines of the opening and closing records, when read from a file. */
  startLine?: number | undefined;
  endLine?: number | undefined;
}

export interface TaskInfo {
  pid: number;
  comm: string | undefined;
  first: number;
  last: number;
  events: number;
}

export interface GapMark {
  seq: number;
  ts: number | undefined;
  reason: string;
  pids: number[] | undefined;
  line: number | undefined;
}

export interface Timeline {
  tasks: TaskInfo[];
  spans: Span[];
  gaps: GapMark[];
  firstSeq: number;
  lastSeq: number;
  events: number;
  /** The trace carries a clock (from its first event on): it can be the time axis. */
  timed: boolean;
  /** Events without a timestamp of their own, placed at the previous event's time. */
  untimed: number;
}

interface OpenSpan { span: Span }

function fmt(v: Scalar | undefined): string {
  if (v === undefined || v === null) return 'none';
  return typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(6) : String(v);
}

function argsText(args: Record<string, Scalar>): string {
  return Object.entries(args).map(([k, v]) => `${k}: ${k === 'flags' && typeof v === 'number' ? '0x' + v.toString(16) : fmt(v)}`).join(', ');
}

/** Builds a Timeline from events in trace order. */
export class TimelineBuilder {
  private readonly tasks = new Map<number, TaskInfo>();
  private readonly spans: Span[] = [];
  private readonly gaps: GapMark[] = [];
  private readonly frames = new Map<number, OpenSpan[]>();
  /** pid → lock → open holds (a lock taken twice by one task is two holds). */
  private readonly holds = new Map<number, Map<string, OpenSpan[]>>();
  private readonly lockWaits = new Map<number, OpenSpan>();
  private readonly ilWaits = new Map<number, OpenSpan>();
  /** dentry → its in-lookup ownership (whoever ends it, owner or not). */
  private readonly inLookup = new Map<string, OpenSpan>();
  /** pid → the args of its open d_alloc_parallel calls, to name the dentry its ret returns. */
  private readonly dapCalls = new Map<number, Record<string, Scalar>[]>();
  private firstSeq = Number.POSITIVE_INFINITY;
  private lastSeq = Number.NEGATIVE_INFINITY;
  private lastTs: number | undefined;
  private events = 0;
  private timed = true;
  /** Events that took the previous event's time. */
  private untimed = 0;

  add(e: TraceEvent): void {
    this.events++;
    if (e.seq < this.firstSeq) this.firstSeq = e.seq;
    if (e.seq > this.lastSeq) this.lastSeq = e.seq;
    // An event without a clock of its own (one the importer made up) happened at the last known time.
    if (e.ts === undefined) { if (this.lastTs === undefined) this.timed = false; else this.untimed++; } else this.lastTs = e.ts;
    let t = this.tasks.get(e.pid);
    if (!t) { t = { pid: e.pid, comm: e.comm, first: e.seq, last: e.seq, events: 0 }; this.tasks.set(e.pid, t); }
    t.events++;
    t.last = e.seq;
    if (e.comm !== undefined) t.comm = e.comm;
    switch (e.ev) {
      case 'call': this.call(e); break;
      case 'ret': this.ret(e); break;
      case 'acq_req': {
        this.closeLockWait(e, 'replaced by a new request');
        this.lockWaits.set(e.pid, this.open(e, 'wait', String(e.args.lock), `${e.args.kind ?? 'blocking'} ${e.args.mode === 'W' ? 'down_write' : 'down_read'}`,
          0, e.args.mode));
        break;
      }
      case 'acq': {
        this.closeLockWait(e, 'acquired');
        const lock = String(e.args.lock);
        let byLock = this.holds.get(e.pid);
        if (!byLock) { byLock = new Map(); this.holds.set(e.pid, byLock); }
        let list = byLock.get(lock);
        if (!list) { list = []; byLock.set(lock, list); }
        list.push(this.open(e, 'hold', lock, `held ${e.args.mode === 'W' ? 'exclusive' : 'shared'}`, 0, e.args.mode));
        break;
      }
      case 'acq_fail': this.closeLockWait(e, 'failed'); break;
      case 'rel': {
        const list = this.holds.get(e.pid)?.get(String(e.args.lock));
        const h = list?.pop();
        if (h) this.close(h, e);
        break;
      }
      case 'il_wait_begin': this.ilWaits.set(e.pid, this.open(e, 'ilwait', String(e.args.dentry), 'sleeps on in-lookup', 0, undefined)); break;
      case 'il_wait_end': {
        const w = this.ilWaits.get(e.pid);
        if (w) { this.close(w, e); this.ilWaits.delete(e.pid); }
        break;
      }
      case 'il_end': {
        const d = String(e.args.dentry);
        const o = this.inLookup.get(d);
        if (o) { this.close(o, e); this.inLookup.delete(d); }
        break;
      }
      default: break;
    }
  }

  gap(g: TraceGap): void {
    this.gaps.push({ seq: g.seq, ts: this.lastTs, reason: g.reason, pids: g.pids, line: g.line });
  }

  private call(e: TraceEvent): void {
    const fn = e.fn ?? '?';
    let stack = this.frames.get(e.pid);
    if (!stack) { stack = []; this.frames.set(e.pid, stack); }
    stack.push(this.open(e, 'frame', fn, argsText(e.args), stack.length, undefined));
    if (fn === 'd_alloc_parallel') {
      let calls = this.dapCalls.get(e.pid);
      if (!calls) { calls = []; this.dapCalls.set(e.pid, calls); }
      calls.push(e.args);
    }
  }

  private ret(e: TraceEvent): void {
    const fn = e.fn ?? '?';
    const stack = this.frames.get(e.pid);
    if (stack) {
      // A ret closes the innermost open call of its function (Contract 1); calls above it never returned in the trace.
      let i = stack.length - 1;
      while (i >= 0 && stack[i]!.span.name !== fn) i--;
      if (i >= 0) {
        for (let j = stack.length - 1; j > i; j--) { stack[j]!.span.open = true; this.close(stack[j]!, e); }
        const f = stack[i]!;
        if (e.ret !== undefined) f.span.detail += ` → ${fmt(e.ret)}`;
        this.close(f, e);
        stack.length = i;
      }
    }
    if (fn === 'd_alloc_parallel') {
      const args = this.dapCalls.get(e.pid)?.pop();
      if (e.args.outcome === 'N' && typeof e.ret === 'string') {
        const d = e.ret;
        const prior = this.inLookup.get(d);
        if (prior) { prior.span.open = true; this.close(prior, e); }
        const where = args ? `${fmt(args.dir)}/${fmt(args.name)}` : '?';
        this.inLookup.set(d, this.open(e, 'inlookup', d, `in-lookup ${where}`, 0, undefined));
      }
    }
  }

  private closeLockWait(e: TraceEvent, how: string): void {
    const w = this.lockWaits.get(e.pid);
    if (!w) return;
    w.span.detail += ` (${how})`;
    this.close(w, e);
    this.lockWaits.delete(e.pid);
  }

  private open(e: TraceEvent, kind: SpanKind, name: string, detail: string, depth: number, mode: Scalar | undefined): OpenSpan {
    const span: Span = { kind, pid: e.pid, name, mode: mode === undefined || mode === null ? undefined : String(mode), detail, depth, start: e.seq, end: e.seq,
      open: false, startTs: e.ts ?? this.lastTs, startLine: e.line };
    this.spans.push(span);
    return { span };
  }

  private close(o: OpenSpan, e: TraceEvent): void {
    o.span.end = e.seq;
    o.span.endTs = e.ts ?? this.lastTs;
    o.span.endLine = e.line;
  }

  /** The timeline; spans still open run to the end of the trace, marked open. */
  finish(): Timeline {
    const end = (o: OpenSpan): void => { o.span.open = true; o.span.end = this.lastSeq; o.span.endTs = this.lastTs; };
    for (const stack of this.frames.values()) stack.forEach(end);
    for (const byLock of this.holds.values()) for (const list of byLock.values()) list.forEach(end);
    this.lockWaits.forEach(end);
    this.ilWaits.forEach(end);
    this.inLookup.forEach(end);
    this.frames.clear(); this.holds.clear(); this.lockWaits.clear(); this.ilWaits.clear(); this.inLookup.clear();
    const empty = this.events === 0;
    return {
      tasks: [...this.tasks.values()].sort((a, b) => a.first - b.first || a.pid - b.pid),
      spans: this.spans,
      gaps: this.gaps,
      firstSeq: empty ? 0 : this.firstSeq,
      lastSeq: empty ? 0 : this.lastSeq,
      events: this.events,
      timed: this.timed && !empty,
      untimed: this.untimed,
    };
  }
}

/** A timeline of events in memory (the simulator's counterexamples, tests). */
export function timelineOf(items: Iterable<TraceEvent | TraceGap>): Timeline {
  const b = new TimelineBuilder();
  for (const x of items) {
    if ((x as TraceGap).kind === 'gap') b.gap(x as TraceGap);
    else b.add(x as TraceEvent);
  }
  return b.finish();
}
