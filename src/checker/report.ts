/**
 * Verdicts → text (a counterexample a kernel developer can read without knowing kinv) and JSON
 * (Contract 4: one object per verdict, then a summary).
 */
import { spanLocation, type Style } from '../diag/render.js';
import { terminalText } from '../diag/terminal.js';
import type { Scalar, SourceStats, TraceEvent, TraceGap } from '../trace/event.js';
import type { CheckReport } from './check.js';
import { describeCoverage, type CoverageStatus, type InvariantCoverage } from './coverage-report.js';
import { losesHistory, type Verdict } from './engine.js';

function fmtScalar(v: Scalar | undefined): string {
  if (v === undefined || v === null) return 'none';
  if (typeof v === 'string') return /^[A-Za-z0-9_.:\-/]+$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

/** `acq(lock: I1, mode: R)`, `call d_add_ci(dir: I1, ...)`, `ret d_alloc_parallel = D3 {outcome: N}`. */
export function describeEvent(e: TraceEvent): string {
  const args = Object.entries(e.args).map(([k, v]) => `${k}: ${k === 'flags' && typeof v === 'number' ? '0x' + v.toString(16) : fmtScalar(v)}`).join(', ');
  if (e.ev === 'call') return `call ${e.fn}(${args})`;
  if (e.ev === 'ret') return `ret ${e.fn}${e.ret !== undefined ? ` = ${fmtScalar(e.ret)}` : ''}${args ? ` {${args}}` : ''}`;
  return `${e.ev}(${args})`;
}

// Text output only: file and task names, messages and event arguments come from the trace.
const MESSAGE_MAX = 600;
const EVENT_MAX = 400;

function where(e: TraceEvent): string {
  // Events built in memory (library users, the simulator's callers) have no file to point into.
  if (e.file === undefined) return `(in-memory trace) seq ${e.seq}`;
  return `${terminalText(e.file)}:${e.line ?? '?'}`;
}

/** An event as data, for JSON output: the canonical trace fields plus where it was read. */
export function eventRecord(e: TraceEvent): Record<string, unknown> {
  const o: Record<string, unknown> = { pid: e.pid, ev: e.ev };
  if (e.fn !== undefined) o.fn = e.fn;
  o.args = e.args;
  if (e.ret !== undefined) o.ret = e.ret;
  o.seq = e.seq;
  o.file = e.file ?? null;
  o.line = e.line ?? null;
  if (e.comm !== undefined) o.comm = e.comm;
  if (e.ts !== undefined) o.ts = e.ts;
  if (e.cpu !== undefined) o.cpu = e.cpu;
  return o;
}

function task(e: TraceEvent): string {
  return `pid ${e.pid}${e.comm ? ` (${terminalText(e.comm, 32)})` : ''}`;
}

function shownEvent(e: TraceEvent): string {
  return terminalText(describeEvent(e), EVENT_MAX);
}

export function renderVerdict(v: Verdict, sources: Map<string, string>, st: Style): string {
  const out: string[] = [];
  const head = v.kind === 'violation' ? st.red(st.bold(`violation[${v.invariant}]`)) : st.yellow(st.bold(`${v.kind}[${v.invariant}]`));
  out.push(`${head}${st.bold(': ' + terminalText(v.message, MESSAGE_MAX))}`);
  if (v.event) out.push(`  ${st.cyan('-->')} ${where(v.event)}  (seq ${v.event.seq}, ${task(v.event)})`);
  if (v.kind === 'unknown') {
    const reason = terminalText(v.reason ?? 'the trace does not show enough', MESSAGE_MAX);
    out.push(`  ${st.cyan('=')} ${st.yellow('cannot tell')}: ${reason}`);
  }
  if (v.doc) out.push(`  ${st.cyan('=')} rule: ${v.doc.split('\n').join(' ')}`);
  out.push(`  ${st.cyan('=')} spec: ${spanLocation(v.specSpan, sources)}`);
  if (v.call) out.push(`  ${st.cyan('=')} frame: ${shownEvent(v.call)} at ${where(v.call)} (seq ${v.call.seq})`);
  for (const r of v.related) {
    out.push(`  ${st.cyan('=')} same cause as the earlier ${r.invariant} at ${where(r.event)}: both follow ${shownEvent(r.shared)} at ${where(r.shared)}`);
  }
  const rows = [...v.slice.map((s) => ({ ev: s.ev, notes: s.notes, mark: ' ' }))];
  if (v.event && v.kind !== 'pending') {
    const note = v.kind === 'violation' ? 'violates the invariant' : 'undecided here (see "cannot tell" above)';
    rows.push({ ev: v.event, notes: [note], mark: '>' });
  }
  if (rows.length) {
    out.push('');
    const heading = v.kind === 'violation' ? 'how it happened' : v.kind === 'unknown' ? 'what the trace shows' : 'still open';
    out.push(`  ${heading} (the events behind the state the invariant read):`);
    const w = Math.max(...rows.map((r) => where(r.ev).length));
    for (const r of rows) {
      const loc = where(r.ev).padEnd(w);
      const line = `  ${r.mark === '>' ? st.red('>') : ' '} ${st.dim(loc)}  seq ${String(r.ev.seq).padEnd(5)} ${task(r.ev).padEnd(16)} ${shownEvent(r.ev)}`;
      out.push(r.mark === '>' ? st.bold(line) : line);
      for (const n of r.notes.filter(Boolean)) out.push(`  ${' '.repeat(w + 3)}${st.dim('· ' + n)}`);
    }
  }
  for (const t of v.tasks) {
    out.push('');
    const who = `pid ${t.pid}${t.comm ? ` (${terminalText(t.comm, 32)})` : ''}`;
    const when = v.kind === 'pending' ? 'at the end' : 'at this point';
    // (the spec's own state, whatever it follows: locks and in-lookup dentries are the bundled spec's)
    if (t.state.length === 0) { out.push(`  no state of the spec names ${who} ${when}: it holds nothing the spec follows`); continue; }
    out.push(`  state naming ${who} ${when} (lockdep's "locks held" and more):`);
    for (const s of t.state) out.push(`     ${terminalText(s, EVENT_MAX)}`);
  }
  return out.join('\n');
}

export function verdictJson(v: Verdict, sources: Map<string, string>): Record<string, unknown> {
  const e = v.event;
  const ref = (x: TraceEvent): Record<string, unknown> => ({
    file: x.file ?? null, line: x.line ?? null, seq: x.seq, pid: x.pid, event: describeEvent(x), record: eventRecord(x),
  });
  return {
    kind: v.kind,
    invariant: v.invariant,
    pid: e?.pid ?? null,
    seq: e?.seq ?? null,
    file: e?.file ?? null,
    line: e?.line ?? null,
    message: v.message,
    ...(v.kind === 'unknown' ? { reason: v.reason ?? null } : {}),
    spec: spanLocation(v.specSpan, sources),
    rule: v.doc ?? null,
    event: e ? describeEvent(e) : null,
    record: e ? eventRecord(e) : null,
    call: v.call ? ref(v.call) : null,
    slice: v.slice.map((s) => ({ ...ref(s.ev), notes: s.notes })),
    related: v.related.map((r) => ({ invariant: r.invariant, ...ref(r.event), because: ref(r.shared) })),
    tasks: v.tasks,
  };
}

export function gapJson(g: TraceGap): Record<string, unknown> {
  return {
    kind: 'gap', reason: g.reason, file: g.file ?? null, line: g.line ?? null, seq: g.seq, cpu: g.cpu ?? null, pids: g.pids ?? null, lost: g.lost ?? null,
    // (a loss that may lie anywhere in a span: its two ends, present only then)
    ...(g.window === undefined ? {} : { window: g.window, ...(g.until === undefined ? {} : { until: g.until }) }),
  };
}

export interface Summary {
  kind: 'summary';
  files: string[];
  lines: number;
  records: number;
  events: number;
  malformed: number;
  unmapped: number;
  gaps: number;
  violations: number;
  pending: number;
  /** Failed evaluations the trace cannot confirm (unknown verdicts), in all. */
  undecided: number;
  /** Evaluations skipped (in `unknown`) because events were lost: rules left unjudged where the trace had something to judge. */
  skippedAfterLoss: number;
  /** Violations not shown as repeats of one shown (the same invariant and object; `--all` shows every one). */
  repeats: number;
  /** The first gap that lost events, where any did (for the message that names it). */
  firstLoss?: { reason: string; file?: string | undefined; line?: number | undefined; cpu?: number | undefined; lost?: number | undefined } | undefined;
  evaluated: Record<string, number>;
  unknown: Record<string, number>;
  /** Per invariant: failed evaluations the trace cannot confirm. */
  undecidedBy: Record<string, number>;
  /** Per invariant: evaluated, or why not (vacuous, unknown, not exercised, not observable). */
  coverage: Record<string, Omit<InvariantCoverage, 'invariant'>>;
  seconds: number;
}

/** Across files, the most informative status wins: one file that evaluated a rule evaluated it. */
const STATUS_RANK: CoverageStatus[] = ['evaluated', 'vacuous', 'unknown', 'not exercised', 'not observable'];

export function summarize(files: string[], reports: CheckReport[], seconds: number): Summary {
  const s: Summary = {
    kind: 'summary', files, lines: 0, records: 0, events: 0, malformed: 0, unmapped: 0, gaps: 0, violations: 0, pending: 0, undecided: 0,
    skippedAfterLoss: 0, repeats: 0, evaluated: {}, unknown: {}, undecidedBy: {}, coverage: {}, seconds,
  };
  for (const r of reports) {
    const st: SourceStats = r.stats;
    s.lines += st.lines; s.records += st.records; s.events += st.events; s.malformed += st.malformed; s.unmapped += st.unmapped; s.gaps += r.gaps.length;
    s.violations += r.violations; s.pending += r.pending;
    s.skippedAfterLoss += r.skippedAfterLoss;
    s.repeats += r.repeats;
    const loss = r.skippedAfterLoss > 0 ? r.gaps.find(losesHistory) : undefined;
    // (a loss that may lie anywhere back to the CPU's record before its marker is named at the marker)
    const line = loss?.window === 'opens' && loss.until !== undefined ? loss.until : loss?.line;
    if (loss !== undefined && s.firstLoss === undefined) s.firstLoss = { reason: loss.reason, file: loss.file, line, cpu: loss.cpu, lost: loss.lost };
    for (const [k, n] of Object.entries(r.evaluated)) s.evaluated[k] = (s.evaluated[k] ?? 0) + n;
    for (const [k, n] of Object.entries(r.unknown)) s.unknown[k] = (s.unknown[k] ?? 0) + n;
    for (const [k, n] of Object.entries(r.undecided)) { s.undecidedBy[k] = (s.undecidedBy[k] ?? 0) + n; s.undecided += n; }
    for (const c of r.coverage) {
      const { invariant, ...rest } = c;
      const have = s.coverage[invariant];
      if (have === undefined) { s.coverage[invariant] = rest; continue; }
      const best = STATUS_RANK.indexOf(c.status) < STATUS_RANK.indexOf(have.status) ? rest : have;
      s.coverage[invariant] = {
        ...best, evaluated: have.evaluated + c.evaluated, vacuous: have.vacuous + c.vacuous, skipped: have.skipped + c.skipped,
        undecided: have.undecided + c.undecided,
      };
    }
  }
  return s;
}

export function renderSummary(s: Summary, st: Style): string {
  const out: string[] = [];
  const verdict = s.violations ? st.red(st.bold(`${s.violations} violation${s.violations === 1 ? '' : 's'}`)) : st.bold('no violation');
  const repeats = s.repeats ? ` (and ${s.repeats} repeat${s.repeats === 1 ? '' : 's'} of the same invariant and object not shown: --all shows them)` : '';
  const undecided = s.undecided ? `, ${st.yellow(st.bold(`${s.undecided} unknown`))} (the capture cannot tell)` : '';
  const pending = s.pending ? `, ${s.pending} pending obligation${s.pending === 1 ? '' : 's'}` : '';
  const lost = s.skippedAfterLoss
    ? `, ${st.yellow(st.bold(`${s.skippedAfterLoss} not judged`))} (records missing)` : '';
  out.push(`${verdict}${repeats}${undecided}${lost}${pending} — ${s.events} events from ${s.records} records,`
    + ` ${s.lines} lines in ${s.files.length} file${s.files.length === 1 ? '' : 's'}`
    + ` (${s.malformed} malformed, ${s.unmapped} unmapped, ${s.gaps} gap${s.gaps === 1 ? '' : 's'}) in ${s.seconds.toFixed(2)} s`);
  const names = Object.keys(s.evaluated);
  const w = Math.max(...names.map((n) => n.length), 10);
  out.push(`  ${'invariant'.padEnd(w)}  evaluated   skipped  cannot tell`);
  for (const n of names) {
    const ev = s.evaluated[n] ?? 0;
    const un = s.unknown[n] ?? 0;
    const line = `  ${n.padEnd(w)}  ${String(ev).padStart(9)} ${String(un).padStart(9)} ${String(s.undecidedBy[n] ?? 0).padStart(12)}`;
    const cov = s.coverage[n];
    out.push(ev === 0 ? st.dim(`${line}   (${cov ? describeCoverage({ invariant: n, ...cov }) : 'not evaluated'})`) : line);
  }
  return out.join('\n');
}
