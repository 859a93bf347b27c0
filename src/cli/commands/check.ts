/**
 * `kinv check [--spec F]... [--param k=v]... [--format text|json] [--from ndjson|ftrace|perf|itf|auto] [--all] TRACE...`
 * Exit codes (Contract 4): 0 all hold, 1 a violation, 2 usage or spec error, 3 trace unreadable or verdict unknown.
 */
import type { CheckReport } from '../../checker/check.js';
import { SpecSet } from '../../checker/spec-set.js';
import { DEFAULT_EVALUATION_BUDGET, type Verdict } from '../../checker/engine.js';
import { describeEvent } from '../../checker/report.js';
import { parseLockdep } from '../../lockdep/parse.js';
import { matchLockdep } from '../../lockdep/match.js';
import { openInput } from '../../trace/input.js';
import { checkTraceFile } from '../../checker/file.js';
import { boundHeapGrowth } from '../../checker/heap.js';
import { gapJson, renderSummary, renderVerdict, summarize, verdictJson, type Summary } from '../../checker/report.js';
import { diagnosticJson, renderDiagnostic, styleFor } from '../../diag/render.js';
import type { Diagnostic } from '../../diag/diagnostic.js';
import { traceFormatNames } from '../../trace/registry.js';
import { intOf, oneOf, parse, paramsOf, positive, UsageError } from '../args.js';
import { DiagnosticCap } from '../diagnostic-cap.js';
import { COMMANDS } from '../options.js';
import { jsonLine } from '../json.js';
import { Progress } from '../progress.js';
import { nowMs } from '../../values/clock.js';
import { expandTraces, noTraceFileIn, skippedNote } from '../trace-files.js';
import { terminalText } from '../../diag/terminal.js';
import { TimelineBuilder } from '../../report/timeline.js';
import { isGap, type TraceGap } from '../../trace/event.js';
import { discardPictures, preparePictures, wantsPictures, writePictures, type VisualTargets } from '../visual-out.js';
import { checkFilesInParallel, type FileSink } from '../check-parallel.js';
import { readCaptureFacts, type CaptureFacts } from '../capture-facts.js';
import { workersFor } from '../file-workers.js';

export interface CheckCliOptions {
  specs: string[];
  params: Record<string, string>;
  format: 'text' | 'json';
  /** A trace format's name or alias (src/trace/registry.ts), or auto. */
  from: string;
  all: boolean;
  /** Diagnostics shown per code before they are only counted. */
  maxDiagnostics: number;
  /** Steps one evaluation of an invariant may take (see EngineOptions.evaluationBudget). */
  evalBudget: number;
  /** A dmesg log whose lockdep reports are lined up with the verdicts. */
  lockdep: string | undefined;
  /** ftrace: the capture's probe definitions (`kprobe_events`). */
  probes: string[];
  /** ftrace: the traced kernel's function list (`available_filter_functions` or `/proc/kallsyms`). */
  functions: string[];
  traces: string[];
  /** Pictures of the checked trace (one trace only). */
  pictures: VisualTargets;
  /** Files checked at once on worker threads (1: in this thread); undefined: chosen by the files' size. */
  jobs: number | undefined;
}

/**
 * With `--jobs` unset, a worker is started only for this many bytes of trace or more: each loads
 * its own modules and spec and warms its own JIT, while the main thread alone reuses one warm-up
 * for every file. Measured on 2 idle cores (`npm run bench -- --only parallel`): four 7 MB files
 * took 0.79x the time of one thread on two workers, four 69 MB files 1.34x less.
 */
const BYTES_PER_WORKER = 48 << 20;

export function parseCheckArgs(argv: string[]): CheckCliOptions {
  const { values, positionals } = parse(argv, COMMANDS.check.options);
  if (positionals.length === 0) throw new UsageError('kinv check needs at least one TRACE (a file, a folder, or - for standard input)');
  return {
    specs: (values.spec as string[] | undefined) ?? [],
    params: paramsOf(values.param as string[] | undefined),
    format: oneOf('format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    // The formats of the registry, by name or alias (`perf` names the trace-text reader, which tells
    // tracefs, trace-cmd report and perf script lines apart by their shape).
    from: oneOf('from', values.from as string | undefined, [...traceFormatNames(), 'auto'], 'auto'),
    all: values.all === true,
    maxDiagnostics: intOf('max-diagnostics', values['max-diagnostics'] as string | undefined, 20),
    evalBudget: intOf('eval-budget', values['eval-budget'] as string | undefined, DEFAULT_EVALUATION_BUDGET),
    lockdep: values.lockdep as string | undefined,
    probes: (values.probes as string[] | undefined) ?? [],
    functions: (values.functions as string[] | undefined) ?? [],
    traces: positionals,
    pictures: { perfetto: values.perfetto as string | undefined, dot: values.dot as string | undefined, html: values.html as string | undefined },
    jobs: values.jobs === undefined ? undefined : positive('jobs', intOf('jobs', values.jobs as string, 1)),
  };
}

export async function check(argv: string[]): Promise<number> {
  const o = parseCheckArgs(argv);
  boundHeapGrowth();
  const st = styleFor(process.stderr);
  const out = styleFor(process.stdout);
  const specs = new SpecSet(o.specs, o.params);
  // The spec's problems and the input's alike (in JSON, objects of the stream; a spec's with its location).
  const show = (d: Diagnostic): void => {
    if (o.format === 'json') process.stdout.write(jsonLine(diagnosticJson(d, specs.sources)));
    else process.stderr.write(renderDiagnostic(d, specs.sources, st) + '\n\n');
  };
  for (const d of specs.diagnostics) show(d);
  if (!specs.base) return 2;
  const loaded = { sources: specs.sources };
  const capture = readCaptureFacts(o.probes, o.functions);
  const started = nowMs();
  const reports: CheckReport[] = [];
  const expanded = expandTraces(o.traces);
  const files = expanded.files;
  let unreadable = false;
  let inputErrors = 0;
  const cap = new DiagnosticCap(o.maxDiagnostics, show);
  /** Whether a reader left records unjudged for naming no task (KV337): the unmapped count holds them too. */
  let untasked = false;
  const onDiagnostic = (d: Diagnostic): void => {
    if (d.severity === 'error') inputErrors++;
    if (d.code === 'KV337') untasked = true;
    cap.take(d);
  };
  for (const s of expanded.skipped) onDiagnostic(skippedNote(s));
  for (const u of expanded.unreadable) {
    unreadable = true;
    onDiagnostic({ code: 'KV309', severity: 'error', message: `cannot read trace '${u.path}': ${u.why}` });
  }
  const verdicts: Verdict[] = [];
  const pictured = wantsPictures(o.pictures);
  // A picture is of one trace: tasks of two captures would share pids and clocks.
  if (pictured && files.length > 1) {
    throw new UsageError(`--perfetto, --dot and --html draw one trace, and ${o.traces.join(' ')} holds ${files.length} trace files: name one`);
  }
  if (pictured) preparePictures(o.pictures, files);
  const timeline = pictured ? new TimelineBuilder() : undefined;
  // Traces that held no record (an empty file, blank lines, a header alone), by name.
  const emptyFiles: string[] = [];
  const finishFile = (file: string) => (r: CheckReport | undefined): void => {
    if (r === undefined) unreadable = true;
    else {
      reports.push(r);
      if (r.stats.records === 0 && r.stats.malformed === 0) emptyFiles.push(file);
    }
  };
  const jobs = workersFor(files, o.jobs, BYTES_PER_WORKER);
  if (jobs > 1) {
    const setup = {
      specs: o.specs,
      check: {
        from: o.from, all: o.all, evaluationBudget: o.evalBudget, params: o.params, probes: capture.probes,
        kernelFunctions: capture.kernelFunctions && [...capture.kernelFunctions], kernelSymbols: capture.kernelSymbols,
      },
    };
    await checkFilesInParallel(files, jobs, setup, (i) => fileSink(files[i]!, o, specs, onDiagnostic, out, verdicts, finishFile(files[i]!)));
  } else {
    for (const file of files) finishFile(file)(await checkOne(file, o, specs, onDiagnostic, out, verdicts, capture, timeline));
  }
  // Among traces that hold records, one named that holds none (a capture that came out empty, a
  // folder of sidecars) is no pass either: said per trace, as an unreadable one is. (When no trace
  // holds a record, the one KV314 below says so.)
  if (emptyFiles.length < files.length) {
    for (const f of emptyFiles) onDiagnostic({ code: 'KV314', severity: 'error', message: `nothing to judge: no trace record in ${terminalText(f)}` });
    for (const d of expanded.emptyFolders) onDiagnostic(noTraceFileIn(d));
  }
  if (timeline && unreadable) {
    discardPictures(o.pictures);
    process.stderr.write('kinv: no picture written: the trace could not be read\n');
  } else if (timeline && !writePictures(o.pictures, timeline.finish(), verdicts, loaded.sources, files[0] ?? '')) unreadable = true;
  process.stderr.write(cap.untold());
  if (o.lockdep !== undefined) {
    const ok = await lockdepSection(o.lockdep, verdicts, o.format, out);
    if (!ok) unreadable = true;
  }
  const summary = summarize(files, reports, (nowMs() - started) / 1000);
  const evaluatedAny = Object.values(summary.evaluated).some((n) => n > 0);
  const noRecords = reports.every((r) => r.stats.records === 0);
  // (records, but no rule had an event of its own among them: a function trace names calls
  // without their arguments, a trace of another vocabulary names none of these events; an
  // evaluation over a state that never held anything judged nothing either)
  const nothingJudged = unreadable || inputErrors > 0 || noRecords || !evaluatedAny;
  const code = summary.violations > 0 ? 1 : nothingJudged || summary.undecided > 0 || summary.skippedAfterLoss > 0 ? 3 : 0;
  // Why the verdict is unknown, when it is: on stderr after the summary, or in JSON as diagnostic
  // objects before it (the summary is the last object), as every other diagnostic.
  const why: Diagnostic[] = [];
  if (code === 3 && !nothingJudged) {
    if (summary.undecided > 0) {
      const message = `verdict unknown: ${summary.undecided} evaluation${summary.undecided === 1 ? '' : 's'} failed`
        + ' where the capture cannot tell whether the rule was broken'
        + ' (see the unknown[...] verdicts: each says why, and which probes would decide it)';
      why.push({ code: 'KV402', severity: 'error', message });
    }
    if (summary.skippedAfterLoss > 0) why.push(lossDiagnostic(summary));
  } else if (code === 3 && noRecords && !unreadable && inputErrors === 0) {
    const what = files.length === 0
      ? `no trace file in ${o.traces.join(', ')}`
      : `no trace record in ${files.length === 1 ? files[0] : `${files.length} files`}`;
    why.push({ code: 'KV314', severity: 'error', message: `nothing to judge: ${terminalText(what)}` });
    if (files.length > 0) for (const d of expanded.emptyFolders) why.push(noTraceFileIn(d));
  } else if (code === 3 && !unreadable && inputErrors === 0) {
    // (no rule fell in a span of unknown state: those whose domain was empty aside, none had an event to judge)
    const spans = Object.values(summary.coverage).some((c) => c.status === 'unknown');
    const statuses = Object.values(summary.coverage).map((c) => c.status);
    const message = statuses.length === 0
      ? 'verdict unknown: the spec declares no invariant, so nothing was judged'
      : spans
        ? 'verdict unknown: every invariant evaluation fell in a span of unknown task state (capture started mid-run or lost events)'
        : statuses.includes('not exercised')
          ? 'verdict unknown: no invariant was evaluated: the events they are judged on occurred, but none met an invariant\'s condition'
            + ' (the table\'s \'not exercised\' rows)'
          : untasked
            ? `verdict unknown: no rule was judged: ${summary.unmapped} of ${summary.records} records gave no event to judge: records that name`
              + ' no task are not judged (KV337: function_graph prints each line\'s task only with funcgraph-proc on), nor calls a function_graph or'
              + ' function trace names without their arguments; the table says which probes would produce each rule\'s events'
            : `verdict unknown: no rule was judged: the capture holds none of the events the rules read (${summary.unmapped} of ${summary.records} `
              + 'records map to no event of the spec: a function_graph or function trace names calls without their arguments; the table says '
              + 'which probes would produce each rule\'s events)';
    why.push({ code: 'KV401', severity: 'error', message });
  }
  if (o.format === 'json') {
    for (const d of why) process.stdout.write(jsonLine(diagnosticJson(d, loaded.sources)));
    process.stdout.write(jsonLine(summary));
  // "no violation" on stdout would read as a pass to whoever greps it: with nothing judged, the
  // accounting goes to stderr under a headline that says so.
  } else if (code === 3 && nothingJudged) process.stderr.write('\n' + renderSummary(summary, st).replace(/^.*? — /, 'no verdict — ') + '\n');
  else process.stdout.write('\n' + renderSummary(summary, out) + '\n');
  if (o.format !== 'json') for (const d of why) process.stderr.write(renderDiagnostic(d, loaded.sources, st) + '\n');
  return code;
}

/** What is printed of one file's check, wherever it ran (this thread or a worker). */
function fileSink(
  file: string, o: CheckCliOptions, specs: SpecSet, onDiagnostic: (d: Diagnostic) => void, out: ReturnType<typeof styleFor>, verdicts: Verdict[],
  finish: (r: CheckReport | undefined) => void,
): FileSink {
  const progress = new Progress(file === '-' ? '<stdin>' : terminalText(file), process.stderr);
  const sources = specs.sources;
  return {
    onDiagnostic: (d) => { progress.clear(); onDiagnostic(d); },
    onBatch: (lines, events) => progress.update(lines, events),
    onReadAhead: (lines) => progress.ahead(lines),
    onVerdict: (v) => {
      verdicts.push(v);
      progress.clear();
      if (o.format === 'json') process.stdout.write(jsonLine(verdictJson(v, sources)));
      else process.stdout.write(renderVerdict(v, sources, out) + '\n\n');
    },
    onGap: (g: TraceGap) => { if (o.format === 'json') process.stdout.write(jsonLine(gapJson(g))); },
    finish: (r) => { progress.clear(); finish(r); },
  };
}

async function checkOne(
  file: string, o: CheckCliOptions, specs: SpecSet, onDiagnostic: (d: Diagnostic) => void, out: ReturnType<typeof styleFor>, verdicts: Verdict[],
  capture: CaptureFacts, timeline: TimelineBuilder | undefined,
): Promise<CheckReport | undefined> {
  let report: CheckReport | undefined;
  const sink = fileSink(file, o, specs, onDiagnostic, out, verdicts, (r) => { report = r; });
  const r = await checkTraceFile(file, specs, {
    from: o.from,
    all: o.all,
    evaluationBudget: o.evalBudget,
    params: o.params,
    probes: capture.probes,
    kernelFunctions: capture.kernelFunctions,
    kernelSymbols: capture.kernelSymbols,
    onDiagnostic: sink.onDiagnostic,
    onBatch: (s) => sink.onBatch(s.lines, s.events),
    onReadAhead: sink.onReadAhead,
    onVerdict: sink.onVerdict,
    onGap: sink.onGap,
    ...(timeline ? { onItem: (item) => { if (isGap(item)) timeline.gap(item); else timeline.add(item); } } : {}),
  });
  sink.finish(r);
  return report;
}

/** `--lockdep dmesg.txt`: the kernel's reports next to kinv's verdicts. */
async function lockdepSection(path: string, verdicts: Verdict[], format: 'text' | 'json', st: ReturnType<typeof styleFor>): Promise<boolean> {
  let text = '';
  try {
    const input = await openInput(path);
    for await (const c of input.chunks) text += Buffer.from(c).toString('latin1');
    // (a compressed log cut short: what decoded is read, and the cut is said, as for a trace)
    if (input.cut !== undefined) process.stderr.write(`kinv: --lockdep ${terminalText(path)}: ${input.cut.message}; the reports before the cut are read\n`);
  } catch (e) {
    process.stderr.write(`kinv: --lockdep: ${(e as Error).message.replace(/^cannot read trace /, 'cannot read ')}\n`);
    return false;
  }
  // A kernel log is text (an ESC of its colours aside): binary data is no log (a report in it would be missed unseen).
  // eslint-disable-next-line no-control-regex -- the control bytes are what it looks for
  if (/[\x00-\x08\x0e-\x1a\x1c-\x1f]/.test(text.slice(0, 65536))) {
    process.stderr.write(`kinv: --lockdep ${terminalText(path)}: binary data, not a kernel log (dmesg text)\n`);
    return false;
  }
  const reports = parseLockdep(text);
  const p = matchLockdep(reports, verdicts);
  const where = (v: Verdict): string => (v.event ? `${terminalText(v.event.file ?? '?')}:${v.event.line}` : '?');
  if (format === 'json') {
    for (const e of p.explained) {
      process.stdout.write(jsonLine({
        kind: 'lockdep', status: 'explained', report: e.report, invariant: e.verdict.invariant,
        file: e.verdict.event?.file ?? null, line: e.verdict.event?.line ?? null, sameTask: e.sameTask, sameLock: e.sameLock,
      }));
    }
    for (const r of p.unexplained) process.stdout.write(jsonLine({ kind: 'lockdep', status: 'unexplained', report: r }));
    process.stdout.write(jsonLine({
      kind: 'lockdep', status: 'summary', reports: reports.length, explained: p.explained.length, unexplained: p.unexplained.length,
      missedByLockdep: p.missed.length,
    }));
    return true;
  }
  process.stdout.write(`\n${st.bold(`lockdep (${terminalText(path)})`)}: ${reports.length} report${reports.length === 1 ? '' : 's'},`
    + ` ${p.explained.length} explained by kinv,`
    + ` ${p.unexplained.length} not; ${p.missed.length} kinv finding${p.missed.length === 1 ? '' : 's'} lockdep did not report\n`);
  for (const e of p.explained) {
    const who = e.report.comm ? ` (${terminalText(e.report.comm, 32)}/${e.report.pid})` : '';
    const at = e.report.at ? ` at ${terminalText(e.report.at)}` : '';
    process.stdout.write(`  ${terminalText(path)}:${e.report.line}  ${terminalText(e.report.headline)}${who}${at}\n`);
    const link = e.sameTask ? '' : e.sameLock ? ` (task ${e.verdict.event?.pid}, the same lock)` : ` (task ${e.verdict.event?.pid})`;
    process.stdout.write(`    = kinv ${e.verdict.invariant} at ${where(e.verdict)}${link}: ${terminalText(e.verdict.message, 600)}\n`);
    for (const r of e.verdict.related) {
      process.stdout.write(`      first at ${r.event.file}:${r.event.line}: ${r.invariant} (${terminalText(describeEvent(r.event), 400)})\n`);
    }
  }
  for (const r of p.unexplained) {
    const who = r.comm ? ` (${terminalText(r.comm, 32)}/${r.pid})` : '';
    process.stdout.write(`  ${terminalText(path)}:${r.line}  ${terminalText(r.headline)}${who}: no kinv verdict explains it\n`);
  }
  return true;
}

/**
 * The verdict is unknown because events were lost: rules went unjudged where the trace had events
 * for them (the tasks' state was unknown from the loss until each synchronised), so "no violation"
 * would claim what the capture cannot show.
 */
function lossDiagnostic(summary: Summary): Diagnostic {
  const n = summary.skippedAfterLoss;
  const first = summary.firstLoss;
  const what = first === undefined ? 'events were lost'
    : first.reason === 'lost events'
      ? `CPU ${first.cpu ?? '?'} lost ${first.lost === undefined ? 'events' : `${first.lost} event${first.lost === 1 ? '' : 's'}`}`
      : first.reason === 'return missing'
        // (KV312 says which of the two, per function, once the capture is read)
        ? 'a probed call\'s return is missing (its kretprobe ran out of instances, or the return was among records the capture lost, '
          + 'or the capture has no return probe on that function: give the capture\'s kprobe_events with --probes and a function without one misses nothing)'
        : `events were lost (${first.reason})`;
  return {
    code: 'KV403', severity: 'error',
    message: `verdict unknown: ${what}, and ${n} evaluation${n === 1 ? '' : 's'} of the rules fell where the tasks' state was unknown after it, `
      + 'until each synchronised (the "skipped" column): the capture cannot tell whether the rules held there',
    ...(first?.file !== undefined && first.line !== undefined ? { at: { source: first.file, line: first.line, column: 1 } } : {}),
  };
}
