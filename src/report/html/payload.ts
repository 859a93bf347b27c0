/**
 * The data the HTML report embeds: the timeline's spans as columns of numbers over one string
 * table (a capture of 300 K events has hundreds of thousands of spans, most naming the same few
 * functions and locks), the tasks, the gaps and the findings.
 */
import type { Finding } from '../findings.js';
import type { SpanKind, Timeline } from '../timeline.js';

export const KINDS: readonly SpanKind[] = ['frame', 'hold', 'wait', 'ilwait', 'inlookup'];

export interface Payload {
  title: string;
  timed: boolean;
  firstSeq: number;
  lastSeq: number;
  events: number;
  strings: string[];
  tasks: { pid: number; comm: string | null; first: number; last: number; events: number; depth: number }[];
  /** Column per field, one entry per span; strings as indexes into `strings`, mode as 0 none, 1 R, 2 W. */
  spans: {
    kind: number[]; task: number[]; name: number[]; mode: number[]; depth: number[];
    start: number[]; end: number[]; open: number[]; detail: number[]; line: number[];
    startTs: number[] | null; endTs: number[] | null;
  };
  gaps: { seq: number; reason: string; pids: number[] | null; line: number | null }[];
  findings: Finding[];
}

export function payloadOf(t: Timeline, findings: Finding[], title: string): Payload {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const str = (s: string): number => {
    let i = ids.get(s);
    if (i === undefined) { i = strings.length; strings.push(s); ids.set(s, i); }
    return i;
  };
  const taskIndex = new Map(t.tasks.map((task, i) => [task.pid, i]));
  const depth = new Array<number>(t.tasks.length).fill(0);
  const n = t.spans.length;
  const cols: Payload['spans'] = {
    kind: new Array<number>(n), task: new Array<number>(n), name: new Array<number>(n), mode: new Array<number>(n), depth: new Array<number>(n),
    start: new Array<number>(n), end: new Array<number>(n), open: new Array<number>(n), detail: new Array<number>(n), line: new Array<number>(n),
    startTs: t.timed ? new Array<number>(n) : null, endTs: t.timed ? new Array<number>(n) : null,
  };
  t.spans.forEach((s, i) => {
    const ti = taskIndex.get(s.pid) ?? 0;
    if (s.kind === 'frame' && s.depth > depth[ti]!) depth[ti] = s.depth;
    cols.kind[i] = KINDS.indexOf(s.kind);
    cols.task[i] = ti;
    cols.name[i] = str(s.name);
    cols.mode[i] = s.mode === 'R' ? 1 : s.mode === 'W' ? 2 : 0;
    cols.depth[i] = s.depth;
    cols.start[i] = s.start;
    cols.end[i] = s.end;
    cols.open[i] = s.open ? 1 : 0;
    cols.detail[i] = str(s.detail);
    cols.line[i] = s.startLine ?? 0;
    if (cols.startTs && cols.endTs) { cols.startTs[i] = s.startTs ?? 0; cols.endTs[i] = s.endTs ?? s.startTs ?? 0; }
  });
  return {
    title, timed: t.timed, firstSeq: t.firstSeq, lastSeq: t.lastSeq, events: t.events, strings,
    tasks: t.tasks.map((task, i) => ({ pid: task.pid, comm: task.comm ?? null, first: task.first, last: task.last, events: task.events, depth: depth[i]! })),
    spans: cols,
    gaps: t.gaps.map((g) => ({ seq: g.seq, reason: g.reason, pids: g.pids ?? null, line: g.line ?? null })),
    findings,
  };
}

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`. */
export function scriptJson(p: Payload): string {
  return JSON.stringify(p).replace(/</g, '\\u003c');
}
