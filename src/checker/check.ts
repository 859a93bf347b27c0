/**
 * Runs a compiled spec over a trace source: validates each event against the spec's event
 * declarations at the boundary, feeds the monitor, and accounts for everything (events, gaps,
 * diagnostics, how often each invariant was evaluated). Library entry for `kinv check`.
 */
import type { TypedSpec } from '../analysis/ir.js';
import { didYouMean } from '../diag/suggest.js';
import type { Type } from '../analysis/types.js';
import { error, warning, type Diagnostic } from '../diag/diagnostic.js';
import { emptyStats, isGap, type Scalar, type SourceStats, type TraceEvent, type TraceGap, type TraceItem } from '../trace/event.js';
import { coverageOf, type InvariantCoverage } from './coverage-report.js';
import { CompiledSpec, dispatchKey, type Engine, type EngineOptions, type Verdict } from './engine.js';

export interface CheckOptions extends EngineOptions {
  /** Called for each ingest diagnostic (bad line, schema mismatch). */
  onDiagnostic?: (d: Diagnostic) => void;
  /** Called for each gap the source reports. */
  onGap?: (g: TraceGap) => void;
  /** Called after each batch (progress display). */
  onBatch?: (stats: SourceStats) => void;
}

export interface CheckReport {
  verdicts: Verdict[];
  gaps: TraceGap[];
  diagnostics: Diagnostic[];
  stats: SourceStats;
  evaluated: Record<string, number>;
  /** Evaluations skipped because the task's history was incomplete. */
  unknown: Record<string, number>;
  /** Failed evaluations the trace cannot confirm (the invariant's `unknown when` held): unknown verdicts. */
  undecided: Record<string, number>;
  /** Evaluations over a domain that never held anything (not counted in `evaluated`). */
  vacuous: Record<string, number>;
  /** Of the skipped evaluations (`unknown`), those a loss of events caused: the verdict is unknown if any. */
  skippedAfterLoss: number;
  /** Violations not reported as repeats of one already reported (same invariant, same object; none with `--all`). */
  repeats: number;
  /** Per invariant: evaluated, or why not. */
  coverage: InvariantCoverage[];
  violations: number;
  pending: number;
}

type FieldCheck = { name: string; want: string; required: boolean; type: Type };

/** What is wrong with a record, and which argument (for the column of a diagnostic). */
export interface SchemaProblem { field: string; message: string }

/**
 * A name one slip from a declared one (`SchemaValidator.misspelt`): damage when the record's
 * arguments are among that one's fields (its return values for a `ret`), else a name of its own.
 */
interface Misspelt extends SchemaProblem {
  fields?: ReadonlySet<string>;
  returns?: ReadonlySet<string>;
}

/** A name without case or `-`/`_` difference, to tell a misspelt record of a declared event. */
function spelling(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/** What a value of type `t` must be, for messages. */
function wantOf(t: Type): string {
  switch (t.k) {
    case 'int': case 'task': return 'an integer (at most 2^53 - 1 in magnitude)';
    case 'time': return 'a number';
    case 'bool': return 'true or false';
    case 'enum': return `one of ${t.members.join(', ')}`;
    default: return 'a string';
  }
}

/** JavaScript that is true when `v` (neither undefined nor null) is not a value of type `t`. */
function notOfType(t: Type, v: string): string {
  switch (t.k) {
    // A fraction, or an integer past 2^53 (JSON.parse rounds it to a neighbour), is no value of
    // the declared integer: flags 1.5 or 2^64 - 1 would be tested bit by bit as something else.
    case 'int': case 'task': return `!Number.isSafeInteger(${v})`;
    case 'time': return `typeof ${v} !== "number"`;
    case 'bool': return `typeof ${v} !== "boolean"`;
    case 'enum': return `(typeof ${v} !== "string" || (${t.members.map((m) => `${v} !== ${JSON.stringify(m)}`).join(' && ') || 'true'}))`;
    default: return `typeof ${v} !== "string"`;
  }
}

/**
 * One event's argument checks as a generated function of its arguments: the index of the first
 * check that fails, or -1. It runs at every record, so it reads each argument by its name, with
 * no closure per check; the failing check's message is made by `problem` from the list.
 */
function firstFailing(checks: FieldCheck[]): (args: Record<string, Scalar>) => number {
  const body = checks.map((c, i) => {
    const absent = c.required ? `return ${i};` : '';
    return `v = a[${JSON.stringify(c.name)}];\n  if (v === undefined || v === null) { ${absent} } else if (${notOfType(c.type, 'v')}) return ${i};`;
  });
  return new Function('a', `"use strict";\n  let v;\n  ${body.join('\n  ')}\n  return -1;`) as (args: Record<string, Scalar>) => number;
}

/** An event's checks: the list (for messages) and the generated test. */
interface EventChecks { list: FieldCheck[]; failing: (args: Record<string, Scalar>) => number }

function eventChecks(fields: { name: string; type: Type; optional?: boolean }[]): EventChecks {
  const list = fields.map((f) => ({ name: f.name, want: wantOf(f.type), required: f.optional !== true, type: f.type }));
  return { list, failing: firstFailing(list) };
}

/** Per event (and phase) the declared argument types, so bad records are caught before the monitor. */
export class SchemaValidator {
  /** By event name, and for call/ret by function name: no key string is built per event. */
  private readonly events = new Map<string, EventChecks>();
  private readonly calls = new Map<string, EventChecks>();
  private readonly rets = new Map<string, EventChecks>();
  /**
   * Functions that declare a return value `ret` not marked optional. A `ret` record of one without
   * `ret` does not say what the call returned (Contract 1: `ret` is given when known; `null` is a
   * NULL return): read as none, d_alloc_parallel's outcome N would look inconsistent with it and
   * d_splice_alias would look as if it bound the dentry it was given.
   */
  private readonly retRequired = new Set<string>();
  /** By what names the trace left out of the vocabulary were written: an event's name, or `function 'f'`. */
  readonly unknownEvents = new Map<string, { count: number; first: TraceEvent }>();
  /** Declared names by their spelling without case or `-`/`_` difference: what a misspelt record meant. */
  private readonly spellings = new Map<string, { name: string; fn: boolean }>();

  constructor(private readonly spec: TypedSpec) {
    for (const ev of spec.events.values()) {
      this.spellings.set(spelling(ev.name), { name: ev.name, fn: ev.kind === 'fn' });
      if (ev.kind === 'fn') {
        this.calls.set(ev.name, eventChecks(ev.fields));
        this.rets.set(ev.name, eventChecks(ev.returns.filter((f) => f.name !== 'ret')));
        if (ev.returns.some((f) => f.name === 'ret' && f.optional !== true)) this.retRequired.add(ev.name);
      } else {
        this.events.set(ev.name, eventChecks(ev.fields));
      }
    }
  }

  private checksOf(e: TraceEvent): EventChecks | undefined {
    const kind = e.ev;
    if (kind === 'call') return this.calls.get(e.fn ?? '');
    if (kind === 'ret') return this.rets.get(e.fn ?? '');
    return this.events.get(kind);
  }

  /** undefined = fine; a string = what is wrong; 'unknown' = not in the vocabulary. */
  validate(e: TraceEvent): string | undefined | 'unknown' {
    const p = this.problem(e);
    if (p === undefined || p === 'unknown') return p;
    const raw = e.unread?.[p.field];
    return raw === undefined ? p.message : `${p.message}: ${raw}`;
  }

  /**
   * Like `validate`, with the argument at fault. A required argument that is absent or none is a
   * damaged record, never a value to judge: `rel` of lock none would read as a release of a lock
   * nobody holds.
   */
  problem(e: TraceEvent): SchemaProblem | undefined | 'unknown' {
    const checks = this.checksOf(e);
    if (!checks) return this.undeclared(e);
    if (e.ret === undefined && e.ev === 'ret' && this.retRequired.has(e.fn ?? '')) {
      return { field: 'ret', message: `the return value 'ret' of '${this.nameOf(e)}' is missing, so what it returned is unknown (null is a NULL return)` };
    }
    const i = checks.failing(e.args);
    if (i < 0) return undefined;
    const c = checks.list[i]!;
    const v = e.args[c.name];
    if (v === undefined || v === null) {
      return { field: c.name, message: `argument '${c.name}' of '${this.nameOf(e)}' is ${v === null ? 'none (null)' : 'missing'}; it must be ${c.want}` };
    }
    return { field: c.name, message: `argument '${c.name}' of '${this.nameOf(e)}' must be ${c.want}, got ${JSON.stringify(v)}` };
  }

  /** The declared name closest to an undeclared one, for a hint. */
  suggestion(e: TraceEvent): string | undefined {
    const isFn = e.ev === 'call' || e.ev === 'ret';
    return didYouMean(isFn ? e.fn ?? '' : e.ev, [...this.spellings.values()].filter((d) => d.fn === isFn).map((d) => d.name));
  }

  /** What the name a record is filed under (`unknownEvents`) when the spec does not declare it. */
  unknownKey(e: TraceEvent): string {
    return e.ev === 'call' || e.ev === 'ret' ? `function '${e.fn ?? ''}'` : `event '${e.ev}'`;
  }

  /**
   * A record the vocabulary has no declaration for. A spec may declare a part of the vocabulary,
   * so a name it does not know is left out (reported once, KV303), whether event or function. A
   * name that is a declared one of the same kind but for case, `-` or `_` is a record of the
   * vocabulary written wrong: left out, it would read as an event that never happened (an `ACQ`
   * dropped makes its `rel` unheld), so it is damage, and its task's state is unknown from there.
   */
  private undeclared(e: TraceEvent): SchemaProblem | 'unknown' {
    const isFn = e.ev === 'call' || e.ev === 'ret';
    const name = isFn ? e.fn ?? '' : e.ev;
    const seen = isFn ? this.undeclaredFns : this.undeclaredEvents;
    let found = seen.get(name);
    if (found === undefined) { found = this.misspelt(name, isFn); seen.set(name, found); }
    if (found === 'unknown' || found.fields === undefined) return found;
    // A record of the name it resembles has only that one's arguments (a `ret` its return values).
    const fields = e.ev === 'ret' ? found.returns! : found.fields;
    for (const k in e.args) if (!fields.has(k)) return 'unknown';
    return found;
  }

  /** Undeclared names met so far, by kind, with what they were taken for (a record repeats its name). */
  private readonly undeclaredEvents = new Map<string, Misspelt | 'unknown'>();
  private readonly undeclaredFns = new Map<string, Misspelt | 'unknown'>();

  /**
   * A name one typing slip from a declared one of the same kind (a letter left out, added, changed,
   * or two neighbours swapped: `rle` for `rel`, `lookup_slwo`) is a record of the vocabulary
   * written wrong, as a name that differs only in case is: left out, its task would lose an event
   * unseen (a `rel` dropped leaves its lock held at the task's exit). Any other name is a record
   * the spec does not follow (reported once, KV303): a source's own events (`syscall_entry`) are
   * no damage.
   */
  private misspelt(name: string, isFn: boolean): Misspelt | 'unknown' {
    const field = isFn ? 'fn' : 'ev';
    const what = isFn ? 'function' : 'event';
    const meant = this.spellings.get(spelling(name));
    // A record of the other kind is a source's own record of a kernel function the spec follows as
    // a point event (a `call lock_rename` beside the spec's `lock_rename` event), not damage.
    if (meant !== undefined) {
      if (meant.fn !== isFn) return 'unknown';
      return { field, message: `${what} '${name}' is not declared; '${meant.name}' is (names are exact)` };
    }
    const near = name.length < 3 ? undefined
      : [...this.spellings.values()].find((d) => d.fn === isFn && d.name.length >= 3 && oneSlipApart(name, d.name))?.name;
    if (near === undefined) return 'unknown';
    const decl = this.spec.events.get(near)!;
    return {
      field, message: `${what} '${name}' is not declared; '${near}' is, with these arguments (a misspelt name: the record is taken as lost)`,
      fields: new Set(decl.fields.map((f) => f.name)), returns: new Set(decl.kind === 'fn' ? decl.returns.map((f) => f.name) : []),
    };
  }

  private nameOf(e: TraceEvent): string {
    return e.ev === 'call' || e.ev === 'ret' ? dispatchKey(e.ev, e.fn ?? '') : e.ev;
  }
}

/** Checks one trace (a stream of batches) and returns the full report. */
export async function runCheck(compiled: CompiledSpec, source: AsyncIterable<TraceItem[]>, stats: SourceStats, opts: CheckOptions = {}): Promise<CheckReport> {
  const engine = compiled.start(opts);
  const validator = new SchemaValidator(compiled.spec);
  const report: CheckReport = { verdicts: [], gaps: [], diagnostics: [], stats, evaluated: {}, unknown: {}, undecided: {}, vacuous: {},
    skippedAfterLoss: 0, repeats: 0,
    coverage: [],
    violations: 0, pending: 0 };
  const diag = (d: Diagnostic): void => { report.diagnostics.push(d); opts.onDiagnostic?.(d); };
  for await (const batch of source) {
    for (const item of batch) {
      if (isGap(item)) {
        report.gaps.push(item);
        opts.onGap?.(item);
        engine.gap(item);
        continue;
      }
      stepValidated(engine, validator, item, report, diag);
    }
    opts.onBatch?.(stats);
  }
  finishCheck(engine, validator, report, diag);
  return report;
}

/** Validates and steps one event (shared by runCheck and the in-memory API). */
export function stepValidated(engine: Engine, validator: SchemaValidator, e: TraceEvent, report: CheckReport, diag: (d: Diagnostic) => void): void {
  const problem = validator.validate(e);
  if (problem === undefined && (e.ev !== 'ret' || e.fn === undefined || !engine.followsCallsOf(e.pid) || engine.returnsInnermost(e.pid, e.fn))) {
    // The common case, without the diagnostics' allocations.
    report.stats.events++;
    const vs = engine.step(e);
    if (vs.length) report.verdicts.push(...vs);
    return;
  }
  // Column 1: the record as a whole (each record is one line of its file).
  const at = e.file !== undefined && e.line !== undefined ? { at: { source: e.file, line: e.line, column: 1 } } : {};
  if (problem === 'unknown') {
    const key = validator.unknownKey(e);
    const u = validator.unknownEvents.get(key);
    if (u) u.count++;
    else validator.unknownEvents.set(key, { count: 1, first: e });
    return;
  }
  if (problem !== undefined) {
    diag(error('KV302', problem, at));
    report.stats.malformed++;
    const g: TraceGap = { kind: 'gap', reason: 'record does not fit the schema', pids: [e.pid], seq: e.seq, file: e.file, line: e.line };
    report.gaps.push(g);
    engine.gap(g);
    return;
  }
  if (e.ev === 'ret' && e.fn !== undefined && engine.followsCallsOf(e.pid)) {
    if (!engine.hasOpenCall(e.pid, e.fn)) {
      diag(error('KV304', `'ret ${e.fn}' of task ${e.pid} has no matching 'call ${e.fn}'`, at));
      const g: TraceGap = { kind: 'gap', reason: 'return without a call', pids: [e.pid], seq: e.seq, file: e.file, line: e.line };
      report.gaps.push(g);
      engine.gap(g);
      return;
    }
    const skipped = engine.callsAbove(e.pid, e.fn);
    if (skipped.length) {
      const open = skipped.map((c) => `'call ${c.fn}'${c.line !== undefined ? ` (line ${c.line})` : ''}`).join(', ');
      const d = warning('KV308', `'ret ${e.fn}' closes its call while ${open} is still open`, at);
      diag(d);
    }
  }
  report.stats.events++;
  const vs = engine.step(e);
  if (vs.length) report.verdicts.push(...vs);
}

export function finishCheck(engine: Engine, validator: SchemaValidator, report: CheckReport, diag: (d: Diagnostic) => void): void {
  for (const [name, u] of validator.unknownEvents) {
    const at = u.first.file !== undefined && u.first.line !== undefined ? { at: { source: u.first.file, line: u.first.line, column: 1 } } : {};
    diag(warning('KV303', `unknown ${name} (${u.count} record${u.count === 1 ? '' : 's'}) ignored: the spec does not declare it`, at,
      validator.suggestion(u.first)));
    report.stats.unmapped += u.count;
  }
  const pending = engine.finish();
  report.verdicts.push(...pending);
  report.evaluated = engine.counters.evaluated;
  report.unknown = engine.counters.unknown;
  report.undecided = engine.counters.undecided;
  report.vacuous = engine.counters.vacuous;
  report.skippedAfterLoss = engine.counters.skippedAfterLoss;
  report.repeats = engine.counters.repeats;
  const observed = engine.opts.coverage;
  report.coverage = coverageOf(engine.compiled.spec, engine.counters, (phase, name) => engine.seen(phase, name), engine.compiled.spec.mappings.length > 0,
    observed ? (fn) => observed.hasEntry(fn) : undefined);
  report.violations = report.verdicts.filter((v) => v.kind === 'violation').length;
  report.pending = pending.length;
  report.stats.gaps = report.gaps.length;
}

/** In-memory check of a list of events: the library API for users' own tests. */
export function checkEvents(compiled: CompiledSpec, events: Iterable<TraceEvent | TraceGap>, opts: CheckOptions = {}): CheckReport {
  const engine = compiled.start(opts);
  const validator = new SchemaValidator(compiled.spec);
  const stats = emptyStats();
  const report: CheckReport = { verdicts: [], gaps: [], diagnostics: [], stats, evaluated: {}, unknown: {}, undecided: {}, vacuous: {},
    skippedAfterLoss: 0, repeats: 0,
    coverage: [],
    violations: 0, pending: 0 };
  const diag = (d: Diagnostic): void => { report.diagnostics.push(d); opts.onDiagnostic?.(d); };
  let seq = 0;
  for (const item of events) {
    if (isGap(item)) { report.gaps.push(item); engine.gap(item); continue; }
    stats.records++;
    stepValidated(engine, validator, { ...item, seq: item.seq ?? seq }, report, diag);
    seq++;
  }
  finishCheck(engine, validator, report, diag);
  return report;
}

export { CompiledSpec };

/** Whether `a` becomes `b` by one edit: a character left out, added or changed, or two neighbours swapped. */
export function oneSlipApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length < b.length ? a.slice(i) === b.slice(i + 1) : a.slice(i + 1) === b.slice(i);
}
