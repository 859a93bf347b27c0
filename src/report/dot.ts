/**
 * The cycles of the violations as Graphviz: one cluster per `lock_order_acyclic` violation (the
 * lock-order cycle over i_rwsems and in-lookup names) and per `no_deadlock` violation (the
 * wait-for cycle over tasks), each edge labelled with the event that added it.
 *
 * The cycle itself is the spec's own (its message names the path); the events come from the
 * verdict's slice (a lock-order edge is written by a slice event, or by the violating event: only
 * a new edge closes a cycle) and, for a wait-for edge, from the waits and holds of the timeline
 * at the violating event.
 */
import type { Finding, FindingEvent } from './findings.js';
import type { Span, Timeline } from './timeline.js';

export interface CycleEdge {
  from: string;
  to: string;
  /** What the edge means, in words. */
  why: string;
  /** The event that added the edge, when the trace shows it. */
  by: { seq: number; line: number | undefined; pid: number; text: string } | undefined;
}

export interface Cycle {
  invariant: 'lock_order_acyclic' | 'no_deadlock';
  message: string;
  at: FindingEvent;
  /** Node id → label. */
  nodes: Map<string, string>;
  edges: CycleEdge[];
}

const LOCK_ORDER = /^lock order cycle \{(.*)\}: task /;
const DEADLOCK = /^deadlock: ([\d ->]+) \(task -> task it waits for\)$/;

/** The cycles of the violations that have one, in verdict order. */
export function cyclesOf(findings: Finding[], timeline: Timeline): Cycle[] {
  const byPid = new Map<number, Span[]>();
  for (const s of timeline.spans) {
    if (s.kind === 'frame') continue;
    const list = byPid.get(s.pid);
    if (list) list.push(s); else byPid.set(s.pid, [s]);
  }
  const comms = new Map(timeline.tasks.map((t) => [t.pid, t.comm]));
  const out: Cycle[] = [];
  for (const f of findings) {
    if (f.kind !== 'violation' || !f.at) continue;
    if (f.invariant === 'lock_order_acyclic') {
      const m = LOCK_ORDER.exec(f.message);
      if (m) out.push(lockOrderCycle(f, f.at, m[1]!));
    } else if (f.invariant === 'no_deadlock') {
      const m = DEADLOCK.exec(f.message);
      if (m) out.push(waitForCycle(f, f.at, m[1]!.split(' -> ').map(Number), byPid, comms));
    }
  }
  return out;
}

function lockOrderCycle(f: Finding, at: FindingEvent, paths: string): Cycle {
  const nodes = new Map<string, string>();
  const edges: CycleEdge[] = [];
  for (const path of paths.split(', ')) {
    const names = path.split(' -> ');
    for (const n of names) nodes.set(n, n);
    for (let i = 0; i + 1 < names.length; i++) {
      const from = names[i]!;
      const to = names[i + 1]!;
      if (edges.some((e) => e.from === from && e.to === to)) continue;
      const note = `set lock_order: ${from} -> ${to}`;
      const writer = f.slice.find((e) => e.notes.includes(note));
      // Not in the slice: the violating event added it (only an edge new at this event is checked).
      const by = writer ?? at;
      edges.push({ from, to, why: `${to} taken while holding ${from}`, by: { seq: by.seq, line: by.line, pid: by.pid, text: by.text } });
    }
  }
  return { invariant: 'lock_order_acyclic', message: f.message, at, nodes, edges };
}

function covers(s: Span, seq: number): boolean {
  return s.start <= seq && (s.end >= seq || s.open);
}

function waitForCycle(f: Finding, at: FindingEvent, pids: number[], byPid: Map<number, Span[]>, comms: Map<number, string | undefined>): Cycle {
  const nodes = new Map<string, string>();
  for (const p of pids) nodes.set(String(p), `pid ${p}${comms.get(p) ? ` (${comms.get(p)})` : ''}`);
  const edges: CycleEdge[] = [];
  const seq = at.seq;
  for (let i = 0; i + 1 < pids.length; i++) {
    const t = pids[i]!;
    const u = pids[i + 1]!;
    const mine = (byPid.get(t) ?? []).filter((s) => covers(s, seq));
    const theirs = (byPid.get(u) ?? []).filter((s) => covers(s, seq));
    edges.push(waitEdge(t, u, mine, theirs));
  }
  return { invariant: 'no_deadlock', message: f.message, at, nodes, edges };
}

/** Why task t waits for task u at this point, and the later of the two events that made it so. */
function waitEdge(t: number, u: number, mine: Span[], theirs: Span[]): CycleEdge {
  const edge = (why: string, a: Span, b: Span): CycleEdge => {
    const later = b.start > a.start ? b : a;
    return { from: String(t), to: String(u), why, by: { seq: later.start, line: later.startLine, pid: later.pid, text: describeStart(later) } };
  };
  for (const w of mine) {
    if (w.kind === 'wait') {
      const hold = theirs.find((s) => s.kind === 'hold' && s.name === w.name);
      if (hold) return edge(`waits for ${w.name} (${w.mode}), held by ${u} (${hold.mode})`, w, hold);
      const queued = theirs.find((s) => s.kind === 'wait' && s.name === w.name && s.mode === 'W' && s.start < w.start);
      if (queued) return edge(`waits for ${w.name} (${w.mode}) behind ${u}'s queued write request`, w, queued);
    } else if (w.kind === 'ilwait') {
      const owned = theirs.find((s) => s.kind === 'inlookup' && s.name === w.name);
      if (owned) return edge(`sleeps on in-lookup ${w.name}, owned by ${u}`, w, owned);
    }
  }
  return { from: String(t), to: String(u), why: 'waits for (the trace shows no wait of this task here)', by: undefined };
}

function describeStart(s: Span): string {
  switch (s.kind) {
    case 'wait': return `acq_req(lock: ${s.name}, mode: ${s.mode})`;
    case 'hold': return `acq(lock: ${s.name}, mode: ${s.mode})`;
    case 'ilwait': return `il_wait_begin(dentry: ${s.name})`;
    case 'inlookup': return `ret d_alloc_parallel = ${s.name} {outcome: N}`;
    default: return `call ${s.name}`;
  }
}

/** A DOT string literal. */
function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function where(e: { seq: number; line: number | undefined }): string {
  return e.line !== undefined ? `line ${e.line}, seq ${e.seq}` : `seq ${e.seq}`;
}

/** The cycles as one Graphviz digraph, a cluster per violation. */
export function cyclesDot(cycles: Cycle[], title: string): string {
  const out = ['digraph kinv_cycles {', `  label=${q(`kinv: ${cycles.length} cycle${cycles.length === 1 ? '' : 's'} in ${title}`)};`, '  labelloc=t;',
    '  node [shape=box, fontname="monospace"];', '  edge [fontname="monospace", fontsize=10];'];
  cycles.forEach((c, i) => {
    out.push(`  subgraph cluster_${i} {`);
    out.push(`    label=${q(`${c.invariant} at ${where(c.at)} (pid ${c.at.pid})\n${c.message}`)};`);
    if (c.invariant === 'no_deadlock') out.push('    node [shape=ellipse];');
    for (const [id, label] of c.nodes) out.push(`    ${q(`c${i}:${id}`)} [label=${q(label)}];`);
    for (const e of c.edges) {
      const by = e.by ? `${where(e.by)}, pid ${e.by.pid}: ${e.by.text}` : 'not shown by the trace';
      out.push(`    ${q(`c${i}:${e.from}`)} -> ${q(`c${i}:${e.to}`)} [label=${q(`${by}\n${e.why}`)}];`);
    }
    out.push('  }');
  });
  out.push('}');
  return out.join('\n') + '\n';
}
