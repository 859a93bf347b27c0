/**
 * `kinv conform --d-add-ci mainline|draft|fixed|auto [--order current|new] [options] TRACE...`
 * Exit codes: 0 the trace is a behaviour of the model with that shape (auto: of some shape), 1 it
 * is not (auto: of none), 2 usage or spec error, 3 it cannot tell (unreadable input, a gap, a bound).
 */
import { setFlagsFromString } from 'node:v8';
import { SpecSet } from '../../checker/spec-set.js';
import { DAMAGED_TEXT } from '../../checker/file.js';
import { conformTraceFile, SHAPES, type ConformProgress, type ConformReport, type NonConformance, type ShapeResult } from '../../conform/conform.js';
import { DEFAULT_LIMITS } from '../../conform/search.js';
import { diagnosticJson, renderDiagnostic, styleFor } from '../../diag/render.js';
import type { Diagnostic } from '../../diag/diagnostic.js';
import type { DAddCiShape, LockOrder } from '../../sim/state.js';
import { intOf, oneOf, parse, paramsOf, positive, UsageError } from '../args.js';
import { DiagnosticCap } from '../diagnostic-cap.js';
import { Status } from '../progress.js';
import { jsonLine } from '../json.js';
import { COMMANDS } from '../options.js';
import { expandTraces, noTraceFileIn, skippedNote } from '../trace-files.js';
import { terminalText } from '../../diag/terminal.js';
import { readCaptureFacts } from '../capture-facts.js';
import { conformFilesInParallel, type ConformSetup } from '../conform-parallel.js';
import { workersFor } from '../file-workers.js';

/**
 * With `--jobs` unset, a worker is started only for this much trace or more (a compressed capture
 * counts as its text, file-workers.ts): conformance costs more per byte than a check, so a worker
 * pays for its start on less. Measured on 2 idle cores: two 27 MB captures (1.8 MB compressed
 * each) took 0.91x the wall time of one thread on two workers, and 1.25x the CPU time (each
 * process already keeps a second core half busy compiling and collecting); two 3 MB ones 1.2x
 * the wall time. Bench: `npm run bench -- --only conform`.
 */
const BYTES_PER_WORKER = 16 << 20;

/**
 * V8's budget for a function inlined into one being optimized, in bytecode bytes (its default:
 * 460). A conformance run is short (a capture of 100-400 K events takes 1-4 s) and its code is
 * large and full of paths a capture takes rarely: V8 optimizes ~440 functions, recompiles the
 * biggest (the first pass, the search's steps) up to seven times as rare paths deoptimize them,
 * and its optimizing compiler is busy for longer than the run's main thread is. A smaller budget
 * makes each compilation cheaper at a small cost to the code it makes: the whole command 3-10%
 * less wall time on the bundled captures of up to 160 K events, and the same on the one of 367 K.
 * (Not for `check`: a 4 M-event NDJSON check, which runs long enough for compiled code to matter
 * more than compiling it, took 5% more.)
 */
const INLINE_BUDGET = 100;

export async function conform(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMANDS.conform.options);
  setFlagsFromString(`--max-inlined-bytecode-size=${INLINE_BUDGET}`);
  if (positionals.length === 0) throw new UsageError('kinv conform needs at least one TRACE (a file, a folder, or - for standard input)');
  if (values['d-add-ci'] === undefined) throw new UsageError('kinv conform needs --d-add-ci mainline|draft|fixed|auto: the shape the trace is held against');
  const shape = oneOf('d-add-ci', values['d-add-ci'] as string, ['mainline', 'draft', 'fixed', 'auto'] as const, 'auto');
  const order: LockOrder = oneOf('order', values.order as string | undefined, ['current', 'new'] as const, 'current');
  const format = oneOf('format', values.format as string | undefined, ['text', 'json'] as const, 'text');
  const from = oneOf('from', values.from as string | undefined, ['ndjson', 'ftrace', 'perf', 'auto'] as const, 'auto');
  const maxStates = intOf('max-states', values['max-states'] as string | undefined, DEFAULT_LIMITS.maxStates);
  const maxDiagnostics = intOf('max-diagnostics', values['max-diagnostics'] as string | undefined, 20);
  const jobsAsked = values.jobs === undefined ? undefined : positive('jobs', intOf('jobs', values.jobs as string, 1));
  const capture = readCaptureFacts((values.probes as string[] | undefined) ?? [], (values.functions as string[] | undefined) ?? []);
  const shapes: DAddCiShape[] = shape === 'auto' ? SHAPES : [shape];
  const st = styleFor(process.stderr);
  const specPaths = (values.spec as string[] | undefined) ?? [];
  const params = paramsOf(values.param as string[] | undefined);
  const specs = new SpecSet(specPaths, params);
  // The spec's problems and the input's alike (in JSON, objects of the stream; a spec's with its location).
  const show = (d: Diagnostic): void => {
    if (format === 'json') process.stdout.write(jsonLine(diagnosticJson(d, specs.sources)));
    else process.stderr.write(renderDiagnostic(d, specs.sources, st) + '\n\n');
  };
  for (const d of specs.diagnostics) show(d);
  if (!specs.base) return 2;
  const expanded = expandTraces(positionals);
  let worst = 0;
  for (const u of expanded.unreadable) {
    process.stderr.write(`kinv conform: ${u.path}: ${u.why}\n`);
    worst = 3;
  }
  // Every diagnostic is shown, as `check` shows them: a warning says how the reading judged the
  // input (records re-merged across CPUs, a ring buffer that overwrote events), which the verdict rests on.
  const cap = new DiagnosticCap(maxDiagnostics, show);
  const onDiagnostic = cap.take;
  for (const s of expanded.skipped) onDiagnostic(skippedNote(s));
  const options = {
    shapes, order, from: from === 'perf' ? 'ftrace' : from, limits: { maxStates },
    probes: capture.probes, kernelFunctions: capture.kernelFunctions && [...capture.kernelFunctions], kernelSymbols: capture.kernelSymbols,
  };
  const finish = (r: ConformReport | undefined): void => {
    if (r === undefined) { worst = Math.max(worst, 3); return; }
    if (format === 'json') for (const x of r.results) process.stdout.write(jsonLine(resultJson(r, x, order)));
    else process.stdout.write(renderReport(r, order));
    worst = Math.max(worst, exitOf(r.results, shape === 'auto'));
  };
  const files = expanded.files;
  const jobs = workersFor(files, jobsAsked, BYTES_PER_WORKER);
  if (jobs > 1) {
    const setup: ConformSetup = { specs: specPaths, params, conform: options };
    await conformFilesInParallel(files, jobs, setup, { onDiagnostic, finish });
  } else {
    for (const file of files) {
      // (on a terminal: how far the reading and the judging are, cleared before anything is printed)
      const status = new Status(process.stderr);
      const label = file === '-' ? '<stdin>' : terminalText(file);
      const r = await conformTraceFile(file, specs, {
        ...options,
        onDiagnostic: (d) => { status.clear(); onDiagnostic(d); },
        onProgress: (p) => status.show(() => `${label}: ${conformProgress(p)}`),
      });
      status.clear();
      finish(r);
    }
  }
  // (a folder of sidecars only, or an empty one: nothing conformed is no verdict)
  if (files.length === 0 && expanded.unreadable.length === 0) {
    onDiagnostic({ code: 'KV314', severity: 'error', message: `nothing to judge: no trace file in ${terminalText(positionals.join(', '))}` });
    worst = 3;
  } else if (files.length > 0 && expanded.emptyFolders.length > 0) {
    // Named beside traces that were judged, a folder without one is no verdict either: said per folder, as `check` says it.
    for (const d of expanded.emptyFolders) onDiagnostic(noTraceFileIn(d));
    worst = 3;
  }
  process.stderr.write(cap.untold());
  return worst;
}

/** A conformance's progress line (after the file's name). */
function conformProgress(p: ConformProgress): string {
  switch (p.phase) {
    case 'ahead': return `reading ahead (what holds throughout the capture), ${p.lines.toLocaleString()} lines`;
    case 'read': return `reading, ${p.events.toLocaleString()} events`;
    case 'judge': return `judging, ${Math.floor((100 * p.steps) / Math.max(1, p.of))}% of ${p.of.toLocaleString()} steps`;
  }
}

/** One shape: its verdict. auto: 0 when some shape explains the trace, else 3 if one cannot tell, else 1. */
export function exitOf(results: ShapeResult[], auto: boolean): number {
  const code = (r: ShapeResult): number => (r.verdict === 'conforms' ? 0 : r.verdict === 'does not conform' ? 1 : 3);
  if (!auto) return code(results[0]!);
  if (results.some((r) => r.verdict === 'conforms')) return 0;
  return results.some((r) => r.verdict === 'unknown') ? 3 : 1;
}

function resultJson(r: ConformReport, x: ShapeResult, order: LockOrder): object {
  return {
    kind: 'conformance', file: r.file, shape: x.shape, order, verdict: x.verdict,
    events: r.events, judged: r.judged, directories: r.directories, unobservedAcquisitions: r.unobservedAcquisitions,
    unknownTaskEvents: r.unknownTaskEvents, unreleasedLocks: r.unreleasedLocks,
    ...(r.unshownLookupDirs > 0 ? { unshownLookupDirs: r.unshownLookupDirs } : {}),
    ...(r.lookupOneHoldEvents > 0 ? { lookupOneHoldEvents: r.lookupOneHoldEvents } : {}),
    ...(r.primingReaddirEvents > 0 ? { primingReaddirEvents: r.primingReaddirEvents } : {}), dAddCiCalls: r.dAddCiCalls, gaps: r.gaps,
    ...(x.failure ? { failure: x.failure } : {}), ...(x.unknown ? { unknown: x.unknown } : {}), ...(x.afterGap ? { afterGap: x.afterGap } : {}),
  };
}

/** `n thing` or `n things`. */
function count(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? '' : 's'}`;
}

function renderReport(r: ConformReport, order: LockOrder): string {
  const lines: string[] = [];
  const explained = r.results.filter((x) => x.verdict === 'conforms').map((x) => x.shape);
  for (const x of r.results) {
    const said = x.verdict === 'conforms' ? 'conforms to' : x.verdict === 'does not conform' ? 'does not conform to' : 'cannot tell whether it conforms to';
    lines.push(`${r.file}: ${said}`
      + ` the model with d_add_ci ${x.shape}, order ${order}`);
    if (x.failure) lines.push(...renderFailure(x.failure));
    if (x.unknown) lines.push(`  unknown: ${x.unknown}`);
    const where = x.unknown?.startsWith('no candidate state takes') ? 'with states missing'
      : x.unknown?.startsWith('the capture\'s records are filtered') ? 'with records filtered out'
        : x.unknown?.startsWith('the capture does not probe') ? 'with steps unprobed'
          : x.unknown?.endsWith(DAMAGED_TEXT) ? 'in text that may be damaged' : 'after the gap';
    if (x.afterGap) lines.push(`  ${where}, no state took:`,
      ...renderFailure(x.afterGap).map((l) => `  ${l}`));
  }
  // No shape explains the trace only when each was judged: a shape it cannot tell about may.
  const untold = r.results.filter((x) => x.verdict === 'unknown').map((x) => x.shape);
  const by = explained.length ? explained.join(', ') : untold.length ? `no shape it could judge (cannot tell for ${untold.join(', ')})` : 'no shape';
  if (r.results.length > 1) lines.push(`${r.file}: explained by ${by}`);
  // The shapes differ only inside d_add_ci: say why a capture is explained by more than one.
  if (explained.length > 1) {
    lines.push(r.dAddCiCalls === 0
      ? '  no d_add_ci call where the capture is judged: the shapes differ only inside d_add_ci, so it cannot tell them apart'
      : `  ${count(r.dAddCiCalls, 'd_add_ci call')} judged, none where the capture shows ${explained.join(', ')} to differ`);
  }
  lines.push(`  ${r.events} events, ${r.judged} judged on ${r.directories} director${r.directories === 1 ? 'y' : 'ies'}`
    + `; ${count(r.unknownTaskEvents, 'event')} of tasks unknown there`
    + `; ${count(r.unobservedAcquisitions, 'release')} of acquisitions the capture does not show`
    + (r.unreleasedLocks > 0 ? `; ${count(r.unreleasedLocks, 'lock')} never released, not followed` : '')
    + (r.unshownLookupDirs > 0
      ? `; ${r.unshownLookupDirs} director${r.unshownLookupDirs === 1 ? 'y' : 'ies'} whose ->lookup the capture does not show, not followed` : '')
    + (r.lookupOneHoldEvents > 0
      ? `; ${count(r.lookupOneHoldEvents, 'event')} of exclusive holds that look names up (lookup_one), which the model has not, not judged` : '')
    + (r.primingReaddirEvents > 0
      ? `; ${count(r.primingReaddirEvents, 'event')} of readdirs that allocate in-lookup dentries under their shared hold (readdirplus)`
        + ', which the model has not, not judged' : '')
    + `; ${count(r.gaps, 'gap')}`);
  return lines.join('\n') + '\n';
}

function renderFailure(f: NonConformance): string[] {
  const at = f.line !== undefined ? `${f.file ?? ''}:${f.line}` : `event ${f.index}`;
  return [
    `  first event no model state can take: ${f.event} by task ${f.pid} on directory ${f.dir}`,
    `    --> ${at}  (event ${f.index}, seq ${f.seq})`,
    `  the model could have done instead: ${f.expected.length ? f.expected.join('; ') : 'nothing'}`,
    `  ${f.candidateCount} candidate state${f.candidateCount === 1 ? '' : 's'} before it`
      + `${f.candidateCount > f.candidates.length ? ` (first ${f.candidates.length})` : ''}:`,
    ...f.candidates.map((c) => `    ${c}`),
  ];
}
