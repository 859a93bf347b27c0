/**
 * A checked trace as Chrome trace-event JSON (the format Perfetto and chrome://tracing open): a
 * track per task, call frames as complete slices, lock holds, waits and in-lookup ownership as
 * async slices in the task that has them (a track per lock or dentry), violations and gaps as
 * instant events carrying the message and the spec location.
 *
 * Time: the trace's own clock (`ts`, seconds → microseconds) when every event has one; else one
 * microsecond per seq, so the picture still shows the order.
 */
import type { Finding } from './findings.js';
import type { Span, Timeline } from './timeline.js';

/** One trace event of the Chrome format (the fields this exporter uses). */
export interface ChromeEvent {
  name: string;
  ph: 'X' | 'b' | 'e' | 'i' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: string;
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ns' | 'ms';
  otherData: Record<string, string>;
}

/** Microseconds, rounded to the nanosecond so the file stays short and exact. */
function micros(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e3;
}

export function perfettoTrace(t: Timeline, findings: Finding[], title: string): ChromeTrace {
  const clock = !t.timed ? 'event seq (1 µs per event)'
    : t.untimed ? `trace timestamps (${t.untimed} events without one at the previous event's time)` : 'trace timestamps';
  const at = (seq: number, ts: number | undefined): number => (t.timed && ts !== undefined ? micros(ts) : seq);
  const out: ChromeEvent[] = [];
  for (const task of t.tasks) {
    const name = task.comm ? `${task.comm} ${task.pid}` : `pid ${task.pid}`;
    out.push({ name: 'process_name', ph: 'M', pid: task.pid, tid: task.pid, args: { name } });
    out.push({ name: 'thread_name', ph: 'M', pid: task.pid, tid: task.pid, args: { name } });
  }
  let asyncId = 0;
  for (const s of t.spans) {
    const start = at(s.start, s.startTs);
    // On the seq axis an event takes one unit: a span still open at the last event is drawn through it.
    const end = Math.max(start, at(s.end, s.endTs) + (s.open && !t.timed ? 1 : 0));
    const args = spanArgs(s);
    if (s.kind === 'frame') {
      out.push({ name: s.name, cat: 'call', ph: 'X', pid: s.pid, tid: s.pid, ts: start, dur: end - start, args });
      continue;
    }
    const id = `0x${(++asyncId).toString(16)}`;
    const name = asyncName(s);
    out.push({ name, cat: s.kind, ph: 'b', pid: s.pid, tid: s.pid, ts: start, id, args });
    out.push({ name, cat: s.kind, ph: 'e', pid: s.pid, tid: s.pid, ts: end, id });
  }
  for (const f of findings) {
    if (!f.at) continue;
    out.push({
      name: `${f.kind}[${f.invariant}]`, cat: f.kind, ph: 'i', s: 't', pid: f.at.pid, tid: f.at.pid, ts: at(f.at.seq, f.at.ts),
      args: { message: f.message, spec: f.spec, rule: f.rule ?? null, seq: f.at.seq, line: f.at.line ?? null, event: f.at.text,
        slice: f.slice.map((e) => `seq ${e.seq} pid ${e.pid}: ${e.text}`) },
    });
  }
  for (const g of t.gaps) {
    out.push({ name: `gap: ${g.reason}`, cat: 'gap', ph: 'i', s: 'g', pid: 0, tid: 0, ts: at(g.seq, g.ts), args: { seq: g.seq, line: g.line ?? null,
      pids: g.pids ?? 'all' } });
  }
  return { traceEvents: out, displayTimeUnit: 'ns', otherData: { source: title, clock } };
}

/** Async slice names group into one track per name in Perfetto: one per lock (mode shown) or dentry. */
function asyncName(s: Span): string {
  switch (s.kind) {
    case 'hold': return `hold ${s.name} (${s.mode ?? '?'})`;
    case 'wait': return `wait ${s.name} (${s.mode ?? '?'})`;
    case 'ilwait': return `sleep on in-lookup ${s.name}`;
    default: return `in-lookup ${s.name}`;
  }
}

function spanArgs(s: Span): Record<string, unknown> {
  const a: Record<string, unknown> = { detail: s.detail, seq: s.start, endSeq: s.end };
  if (s.startLine !== undefined) a.line = s.startLine;
  if (s.endLine !== undefined) a.endLine = s.endLine;
  if (s.open) a.open = 'still open where the trace ends';
  return a;
}

/** The file's text: one event per line, so a diff of two exports reads event by event. */
export function perfettoJson(trace: ChromeTrace): string {
  const head = `{"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)},"otherData":${JSON.stringify(trace.otherData)},"traceEvents":[\n`;
  return `${head}${trace.traceEvents.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
}
