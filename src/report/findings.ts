/**
 * The verdicts as the pictures show them: plain data with the spec location resolved, the
 * violating event and the slice (the events that wrote the state the invariant read).
 */
import { spanLocation } from '../diag/render.js';
import { describeEvent } from '../checker/report.js';
import type { Verdict } from '../checker/engine.js';
import type { TraceEvent } from '../trace/event.js';

export interface FindingEvent {
  seq: number;
  pid: number;
  line: number | undefined;
  ts: number | undefined;
  text: string;
  notes: string[];
}

export interface Finding {
  kind: Verdict['kind'];
  invariant: string;
  message: string;
  /** The kernel rule the invariant states (its doc comment). */
  rule: string | undefined;
  /** `file:line:col` of the invariant in the spec. */
  spec: string;
  /** The violating event (pending: the event that opened the obligation), when known. */
  at: FindingEvent | undefined;
  call: FindingEvent | undefined;
  slice: FindingEvent[];
  tasks: Verdict['tasks'];
}

function eventOf(e: TraceEvent, notes: string[]): FindingEvent {
  return { seq: e.seq, pid: e.pid, line: e.line, ts: e.ts, text: describeEvent(e), notes };
}

export function findingOf(v: Verdict, sources: Map<string, string>): Finding {
  return {
    kind: v.kind,
    invariant: v.invariant,
    message: v.message,
    rule: v.doc,
    spec: spanLocation(v.specSpan, sources),
    at: v.event ? eventOf(v.event, []) : undefined,
    call: v.call ? eventOf(v.call, []) : undefined,
    slice: v.slice.map((s) => eventOf(s.ev, s.notes)),
    tasks: v.tasks,
  };
}
