/**
 * Checks one trace file or stream, whatever its format: opens it, sniffs NDJSON vs ftrace text
 * (unless forced), and runs the compiled spec over it. Shared by `kinv check`, `kinv examples`
 * and library users.
 */
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { ProbeCoverage, type ProbeDefinition } from '../trace/coverage.js';
import { emptyStats, type SourceStats, type TraceGap, type TraceItem } from '../trace/event.js';
import { openFtraceSource } from '../trace/ftrace-source.js';
import { inferIrwsemOffset, inferParLookupBit } from '../trace/ftrace/infer.js';
import { entriesShortfall, type EntriesPromise } from '../trace/ftrace/promise.js';
import { ProbeSites, type KernelSymbols } from '../trace/ftrace/sites.js';
import { openInput, sniffFormat, type OpenedInput, type TraceFormat } from '../trace/input.js';
import type { DecodedChunk } from '../trace/ftrace/decoded.js';
import { isTraceDat, openTraceDat, type OpenedTraceDat } from '../trace/tracedat/input.js';
import { HEAD_TEXT_BYTES } from '../trace/tracedat/read.js';
import { readItf } from '../trace/itf.js';
import { readNdjson } from '../trace/ndjson.js';
import { runCheck, SchemaValidator, type CheckReport } from './check.js';
import type { SpecSet } from './spec-set.js';
import type { Verdict } from './engine.js';

export interface CheckFileOptions {
  /** `itf`: an ITF trace (Apalache, Quint, kinv --itf), never sniffed: it is JSON like NDJSON. */
  from?: TraceFormat | 'itf' | 'auto';
  all?: boolean;
  /** Steps one evaluation of an invariant may take (see EngineOptions.evaluationBudget). */
  evaluationBudget?: number;
  params?: Record<string, string>;
  onDiagnostic?: (d: Diagnostic) => void;
  onVerdict?: (v: Verdict) => void;
  onGap?: (g: TraceGap) => void;
  onBatch?: (s: SourceStats) => void;
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
  format: TraceFormat | 'itf';
}

/** `undefined` when the input cannot be read at all (the diagnostic went to onDiagnostic). */
export async function checkTraceFile(path: string, specs: SpecSet, opts: CheckFileOptions = {}): Promise<FileReport | undefined> {
  const diag = opts.onDiagnostic ?? (() => {});
  let input: OpenedInput;
  try {
    input = await openInput(path);
  } catch (e) {
    diag({ code: 'KV309', severity: 'error', message: (e as Error).message });
    return undefined;
  }
  // trace-cmd's binary trace.dat is read as the tracefs text of its records.
  const traceDat = isTraceDat(input.head);
  if (traceDat && (opts.from === 'ndjson' || opts.from === 'itf')) {
    const not = opts.from === 'itf' ? 'ITF' : 'NDJSON';
    diag(error('KV306', `'${input.name}' is a trace.dat (binary), not ${not}`, { at: { source: input.name, line: 1, column: 1 } },
      'leave --from out (or use --from ftrace): a trace.dat is read as the ftrace text of its records'));
    return undefined;
  }
  // (a trace.dat's chunks are text, then its records decoded: read as ftrace only)
  let src: OpenedTraceDat = input;
  if (traceDat) {
    const dat = await openTraceDat(input, diag);
    if (dat === undefined) return undefined;
    src = dat;
  }
  const sniffed = sniffFormat(src.head);
  const from = opts.from ?? 'auto';
  if (from === 'itf') return checkItf(input, specs, opts, diag);
  const format: TraceFormat = from === 'auto' ? (sniffed === 'empty' ? 'ndjson' : sniffed) : from;
  // An ftrace capture names its own kernel's layout: infer the i_rwsem offset and the
  // DCACHE_PAR_LOOKUP bit from its first chunk, unless the user gave them.
  let extra: Record<string, string> | undefined;
  let chunks: AsyncIterable<Uint8Array | DecodedChunk> = src.chunks;
  const given = opts.params ?? {};
  let head: string | undefined;
  // A `trace` file that holds fewer records than its header promises lost them at an unknown
  // place: known before judging, every task is unknown throughout (a second read of the file,
  // done before the first read starts: an xz stream is decoded by one decoder per process at a time).
  const short = format === 'ftrace' && path !== '-' && !traceDat ? await shortfall(path) : undefined;
  if (format === 'ftrace') {
    // (a trace.dat gives this much as text before its records come decoded)
    const peeked = await peek(src.chunks, HEAD_TEXT_BYTES);
    chunks = peeked.all;
    head = Buffer.concat(peeked.head).toString('latin1');
  }
  if (format === 'ftrace' && head !== undefined && !('i_rwsem_offset' in given && 'dcache_par_lookup' in given)) {
    const text = head;
    extra = {};
    const off = 'i_rwsem_offset' in given ? undefined : inferIrwsemOffset(text);
    if (off !== undefined) extra.i_rwsem_offset = String(off);
    const bit = 'dcache_par_lookup' in given ? undefined : inferParLookupBit(text);
    if (bit !== undefined) extra.dcache_par_lookup = String(bit);
  }
  const ready = specs.for(format, extra);
  if (!ready) return undefined;
  const { spec, compiled } = ready;
  const stats = emptyStats();
  let source: AsyncIterable<TraceItem[]>;
  let coverage: ProbeCoverage | undefined;
  if (format === 'ndjson') {
    const schema = new SchemaValidator(spec);
    source = readNdjson(input.chunks, { file: input.name, onDiagnostic: diag, stats, validate: (e) => schema.problem(e) });
  } else {
    coverage = new ProbeCoverage();
    if (opts.kernelFunctions !== undefined) coverage.setPresent(opts.kernelFunctions);
    const opened = openFtraceSource(chunks, {
      file: input.name, spec, onDiagnostic: (d) => { if (d.code !== 'KV316' || (short === undefined && src.cut === undefined)) diag(d); },
      stats, params: opts.params ?? {}, coverage, probes: opts.probes, head, probeSites: new ProbeSites(opts.probes, opts.kernelSymbols),
    });
    if (!opened.ok) {
      for (const d of opened.diagnostics) diag(d);
      return undefined;
    }
    source = opened.source;
  }
  if (short !== undefined) {
    const n = short.promised - short.counted;
    diag(error('KV316', `the header promises ${short.promised} entries, but the log holds at most ${short.counted} record lines: `
      + `${n} ${n === 1 ? 'is' : 'are'} missing from an unknown place, so no task's state is known anywhere in this file`,
      { at: { source: input.name, line: short.line, column: 1 } }, 'check a complete copy of the capture'));
    source = startsWithLoss(source, { kind: 'gap', reason: 'entries missing', lost: n, lasting: true, seq: 0, file: input.name, line: short.line }, stats);
  }
  if (opts.onItem !== undefined) source = tapped(source, opts.onItem);
  const report = await runCheck(compiled, endsWithCut(source, src, stats, diag), stats, {
    all: opts.all,
    evaluationBudget: opts.evaluationBudget,
    tasksStartUnknown: format === 'ftrace',
    onDiagnostic: diag,
    onVerdict: opts.onVerdict,
    onGap: opts.onGap,
    onBatch: opts.onBatch,
    coverage,
  });
  return { ...report, file: input.name, format };
}

/** An ITF trace holds canonical events: the spec as for NDJSON. */
async function checkItf(input: OpenedInput, specs: SpecSet, opts: CheckFileOptions, diag: (d: Diagnostic) => void): Promise<FileReport | undefined> {
  const ready = specs.for('ndjson');
  if (!ready) return undefined;
  const stats = emptyStats();
  const schema = new SchemaValidator(ready.spec);
  let source: AsyncIterable<TraceItem[]> = readItf(input.chunks, { file: input.name, onDiagnostic: diag, stats, validate: (e) => schema.problem(e) });
  if (opts.onItem !== undefined) source = tapped(source, opts.onItem);
  const report = await runCheck(ready.compiled, endsWithCut(source, input, stats, diag), stats, {
    all: opts.all, onDiagnostic: diag, onVerdict: opts.onVerdict, onGap: opts.onGap, onBatch: opts.onBatch,
  });
  return { ...report, file: input.name, format: 'itf' };
}

async function shortfall(path: string): Promise<EntriesPromise | undefined> {
  try {
    const again = await openInput(path);
    const short = await entriesShortfall(again.chunks);
    // A cut compressed stream lost its end, a known place: reported where it is cut.
    return again.cut === undefined ? short : undefined;
  } catch {
    return undefined; // the main read reports what is wrong with the file
  }
}

async function* tapped(source: AsyncIterable<TraceItem[]>, onItem: (item: TraceItem) => void): AsyncGenerator<TraceItem[]> {
  for await (const batch of source) {
    for (const item of batch) onItem(item);
    yield batch;
  }
}

async function* startsWithLoss(source: AsyncIterable<TraceItem[]>, gap: TraceGap, stats: SourceStats): AsyncGenerator<TraceItem[]> {
  stats.gaps++;
  yield [gap];
  yield* source;
}

/**
 * The source, then, when the compressed input was cut short, a located diagnostic and a gap of
 * every task: whatever followed the cut is lost, for any task.
 */
async function* endsWithCut(source: AsyncIterable<TraceItem[]>, input: Pick<OpenedInput, 'cut' | 'name'>, stats: SourceStats,
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

/** Reads at least `bytes` from the front of a stream, and returns them with the whole stream again. */
async function peek(stream: AsyncIterable<Uint8Array | DecodedChunk>, bytes: number,
): Promise<{ head: Uint8Array[]; all: AsyncIterable<Uint8Array | DecodedChunk> }> {
  const it = stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let n = 0;
  let done = false;
  // (decoded records, after a trace.dat's text: not part of the text head)
  let decoded: DecodedChunk | undefined;
  while (n < bytes) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    if (!(r.value instanceof Uint8Array)) { decoded = r.value; break; }
    head.push(r.value);
    n += r.value.length;
  }
  async function* all(): AsyncGenerator<Uint8Array | DecodedChunk> {
    yield* head;
    if (decoded !== undefined) yield decoded;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, all: all() };
}
