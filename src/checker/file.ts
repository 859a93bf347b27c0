/**
 * Checks one trace file or stream, whatever its format: opens it, picks its format (named, or
 * sniffed from its first bytes by the registry of src/trace/registry.ts), and runs the compiled
 * spec over what the format's reader yields. Shared by `kinv check`, `kinv examples` and library users.
 */
import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { ProbeCoverage, ProbeDefinition } from '../trace/coverage.js';
import { emptyStats, isGap, type SourceStats, type TraceGap, type TraceItem } from '../trace/event.js';
import type { KernelSymbols } from '../trace/ftrace/sites.js';
import { isRegularFile, openInput, type OpenedInput } from '../trace/input.js';
import { sniffTraceFormat, traceFormat, traceFormatNames } from '../trace/registry.js';
import { isTraceDat, openTraceDat } from '../trace/tracedat/input.js';
import { runCheck, SchemaValidator, type CheckReport, type CompiledSpec } from './check.js';
import type { SpecSet } from './spec-set.js';
import type { Verdict } from './engine.js';

export interface CheckFileOptions {
  /**
   * A format's name or alias (`ndjson`, `ftrace` or `perf`, `itf`, or one given to
   * `registerTraceFormat`), or `auto` (the default): sniffed. `itf` is never sniffed: it is JSON like NDJSON.
   */
  from?: string;
  all?: boolean;
  /** Steps one evaluation of an invariant may take (see EngineOptions.evaluationBudget). */
  evaluationBudget?: number;
  params?: Record<string, string>;
  onDiagnostic?: (d: Diagnostic) => void;
  onVerdict?: (v: Verdict) => void;
  onGap?: (g: TraceGap) => void;
  onBatch?: (s: SourceStats) => void;
  /** Told the lines read so far while an ftrace capture is read ahead of being judged (a pass over the whole of it first). */
  onReadAhead?: (lines: number) => void;
  /** Called for each event and gap read, in trace order, before the checker sees its batch (pictures of the trace). */
  onItem?: (item: TraceItem) => void;
  /** ftrace: the capture's probe definitions (its `kprobe_events`), so that coverage is known from the first record. */
  probes?: ProbeDefinition[];
  /** ftrace: the traced kernel's functions (`available_filter_functions`, kallsyms): variants it lacks need no probe. */
  kernelFunctions?: Iterable<string>;
  /** ftrace: the traced kernel's text symbols by address (`/proc/kallsyms` of the same boot), for bare-address probe sites. */
  kernelSymbols?: KernelSymbols;
}

export interface FileReport extends CheckReport {
  file: string;
  /** The name of the format it was read as. */
  format: string;
}

/** A trace opened for reading: its items in batches, as the checker reads them, and the input's accounting. */
export interface ReadTrace {
  file: string;
  /** The name of the format it is read as. */
  format: string;
  source: AsyncIterable<TraceItem[]>;
  stats: SourceStats;
  coverage: ProbeCoverage | undefined;
  /** The capture starts mid-run: no task's state is known until the spec's synchronising events. */
  tasksStartUnknown: boolean;
  compiled: CompiledSpec;
  /** Once the source is read: why its compressed stream cannot vouch for the text it gave (damaged, not merely cut short), if so. */
  damaged: () => string | undefined;
  /** Decoded from a compressed stream: whether it is damaged is known only once it is read whole (`damaged`). */
  compressed: boolean;
}

/**
 * Opens a trace file or stream the way `kinv check` reads it — its format named or sniffed, a
 * capture's own offsets inferred, its records mapped by the spec's `map`s, gaps where history is
 * missing — without judging it (`kinv conform` and other readers).
 * `undefined` when the input cannot be read at all (the diagnostic went to onDiagnostic).
 */
export async function readTraceFile(path: string, specs: SpecSet, opts: CheckFileOptions = {}): Promise<ReadTrace | undefined> {
  const diag = opts.onDiagnostic ?? (() => {});
  const from = opts.from ?? 'auto';
  const named = from === 'auto' ? undefined : traceFormat(from);
  if (from !== 'auto' && named === undefined) {
    const known = [...traceFormatNames(), 'auto'].join(', ');
    diag({ code: 'KV309', severity: 'error', message: `cannot read trace '${path}': no trace format is named '${from}' (${known})` });
    return undefined;
  }
  let input;
  try {
    input = await openInput(path);
  } catch (e) {
    diag({ code: 'KV309', severity: 'error', message: (e as Error).message });
    return undefined;
  }
  // trace-cmd's binary trace.dat is read as the tracefs text of its records.
  const traceDat = isTraceDat(input.head);
  if (traceDat && named !== undefined && named.events !== 'ftrace') {
    const not = named.name === 'ndjson' ? 'NDJSON' : named.name;
    diag(error('KV306', `'${input.name}' is a trace.dat (binary), not ${not}`, { at: { source: input.name, line: 1, column: 1 } },
      'leave --from out (or use --from ftrace): a trace.dat is read as the ftrace text of its records'));
    return undefined;
  }
  if (traceDat) {
    const text = await openTraceDat(input, diag);
    if (text === undefined) return undefined;
    input = text;
  }
  const format = named ?? sniffTraceFormat(input.head);
  const stats = emptyStats();
  // (standard input, a pipe and a trace.dat held in memory are not opened again: see FormatContext.again)
  const again = path === '-' || traceDat || !isRegularFile(path) ? undefined : (): Promise<OpenedInput> => openInput(path);
  const reader = await format.open(input, {
    file: input.name, again, onDiagnostic: diag, stats, params: opts.params ?? {},
    capture: { probes: opts.probes, kernelFunctions: opts.kernelFunctions, kernelSymbols: opts.kernelSymbols }, onReadAhead: opts.onReadAhead,
  });
  if (reader === undefined) return undefined;
  // The spec as this input needs it (its source, what the input suggests) may fail to load where
  // the base loaded: its diagnostics are this file's.
  const known = specs.diagnostics.length;
  const ready = specs.for(format.events, reader.inferred);
  if (!ready) { for (const d of specs.diagnostics.slice(known)) diag(d); return undefined; }
  const schema = new SchemaValidator(ready.spec);
  const opened = reader.read(ready.spec, (e) => schema.problem(e));
  if (opened === undefined) return undefined;
  return {
    file: input.name, format: format.name, source: endsWithCut(inSeqOrder(opened.source, stats, diag), input, stats, diag), stats,
    coverage: opened.coverage, tasksStartUnknown: opened.tasksStartUnknown === true, compiled: ready.compiled,
    damaged: () => (input.cut?.damaged === true ? input.cut.message : undefined),
    compressed: input.compression !== undefined,
  };
}

/** `undefined` when the input cannot be read at all (the diagnostic went to onDiagnostic). */
export async function checkTraceFile(path: string, specs: SpecSet, opts: CheckFileOptions = {}): Promise<FileReport | undefined> {
  const opened = await readTraceFile(path, specs, opts);
  if (opened === undefined) return undefined;
  let source = opened.source;
  if (opts.onItem !== undefined) source = tapped(source, opts.onItem);
  // A compressed stream's verdicts are held to its end: were it damaged, a violation already
  // reported (a line of JSON a script acts on) could not be taken back.
  const held: Verdict[] | undefined = opened.compressed && opts.onVerdict !== undefined ? [] : undefined;
  const report = await runCheck(opened.compiled, source, opened.stats, {
    all: opts.all,
    evaluationBudget: opts.evaluationBudget,
    tasksStartUnknown: opened.tasksStartUnknown,
    onDiagnostic: opts.onDiagnostic,
    onVerdict: held !== undefined ? (v) => held.push(v) : opts.onVerdict,
    onGap: opts.onGap,
    onBatch: opts.onBatch,
    coverage: opened.coverage,
  });
  distrustDamaged(report, opened.damaged(), opened.file, opts.onDiagnostic ?? (() => {}));
  if (held !== undefined) for (const v of held) opts.onVerdict!(v);
  return { ...report, file: opened.file, format: opened.format };
}

/**
 * A compressed stream that fails to decode part-way or fails its checksum (not one merely cut
 * short) gave text that may be garbled anywhere before the failure showed: deflate decodes a
 * changed literal on without a word, and only the checksum at the stream's end finds it. A
 * violation found in that text may be the damage's own (a flipped bit in a trace.gz of a correct
 * kernel read as a d_alloc_parallel returning NULL with outcome N): every violation of the file
 * is taken back as unknown, and one error says so. (They were reported as found: verdicts stream.)
 */
/** What a damaged compressed stream's text is worth (`ReadTrace.damaged`'s reason, completed): `kinv check` and `kinv conform` say it alike. */
export const DAMAGED_TEXT = ', and the text decoded before that may be damaged anywhere (a compressed stream\'s checksum covers it whole)';

export function damagedText(damage: string): string {
  return damage + DAMAGED_TEXT;
}

function distrustDamaged(report: CheckReport, damage: string | undefined, file: string, diag: (d: Diagnostic) => void): void {
  if (damage === undefined || report.violations === 0) return;
  const n = report.violations;
  for (const v of report.verdicts) {
    if (v.kind !== 'violation') continue;
    v.kind = 'unknown';
    v.reason = 'the compressed stream fails to decode or to match its checksum further on: the text this violation was found in may be damaged';
    report.undecided[v.invariant] = (report.undecided[v.invariant] ?? 0) + 1;
    // (the per-invariant table says the same: a failed evaluation it cannot confirm)
    const row = report.coverage.find((c) => c.invariant === v.invariant);
    if (row !== undefined) row.undecided++;
  }
  report.violations = 0;
  diag(error('KV305', `${n === 1 ? 'the violation' : `the ${n} violations`} found in ${file} cannot be trusted: ${damagedText(damage)}; taken as unknown`,
  { at: { source: file, line: report.stats.lines + 1, column: 1 } }, 'decompress the file to see where it is damaged, or take the capture again'));
}

async function* tapped(source: AsyncIterable<TraceItem[]>, onItem: (item: TraceItem) => void): AsyncGenerator<TraceItem[]> {
  for await (const batch of source) {
    for (const item of batch) onItem(item);
    yield batch;
  }
}

/**
 * The source with each event whose `seq` is not after the one before it taken as damage: a
 * diagnostic, and a gap of its task in its place (in the batch as it came). A record's `seq` is its
 * place in the trace, and the spec compares them (a queue's order); one out of order contradicts
 * the order the records came in. For every reader of a trace file: `kinv check` and `kinv conform`.
 */
async function* inSeqOrder(source: AsyncIterable<TraceItem[]>, stats: SourceStats, diag: (d: Diagnostic) => void): AsyncGenerator<TraceItem[]> {
  let last = -Infinity;
  for await (const batch of source) {
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      if (isGap(e)) continue;
      if (e.seq > last) { last = e.seq; continue; }
      const at = e.file !== undefined && e.line !== undefined ? { at: { source: e.file, line: e.line, column: 1 } } : {};
      diag(error('KV302', `'seq' ${e.seq} is not after the ${last} of the record before it: the trace's order and its positions disagree`, at,
        'the task is taken as having lost this event: its state is unknown until it syncs'));
      stats.malformed++;
      batch[i] = { kind: 'gap', reason: 'record out of order', pids: [e.pid], seq: e.seq, file: e.file, line: e.line };
    }
    yield batch;
  }
}

/**
 * The source, then, when the compressed input was cut short, a located diagnostic and a gap of
 * every task: whatever followed the cut is lost, for any task.
 */
async function* endsWithCut(source: AsyncIterable<TraceItem[]>, input: OpenedInput, stats: SourceStats,
  diag: (d: Diagnostic) => void): AsyncGenerator<TraceItem[]> {
  yield* source;
  const cut = input.cut;
  if (cut === undefined) return;
  const line = stats.lines + 1;
  diag(error('KV305', cut.message, { at: { source: input.name, line, column: 1 } },
    'the records before the cut were checked; every task is unknown from there'));
  stats.gaps++;
  yield [{ kind: 'gap', reason: 'compressed stream cut short', seq: stats.records, file: input.name, line }];
}
