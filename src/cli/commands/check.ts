/**
 * `kinv check [--spec F]... [--param k=v]... [--format text|json] [--from ndjson|ftrace|auto] [--all] TRACE...`
 * Exit codes (Contract 4): 0 all hold, 1 a violation, 2 usage or spec error, 3 trace unreadable or verdict unknown.
 */
import type { CheckReport } from '../../checker/check.js';
import { SpecSet } from '../../checker/spec-set.js';
import type { Verdict } from '../../checker/engine.js';
import { describeEvent } from '../../checker/report.js';
import { parseLockdep } from '../../lockdep/parse.js';
import { matchLockdep } from '../../lockdep/match.js';
import { openInput } from '../../trace/input.js';
import { checkTraceFile } from '../../checker/file.js';
import { gapJson, renderSummary, renderVerdict, summarize, verdictJson } from '../../checker/report.js';
import { diagnosticJson, renderDiagnostic, styleFor } from '../../diag/render.js';
import type { Diagnostic } from '../../diag/diagnostic.js';
import type { TraceFormat } from '../../trace/input.js';
import { oneOf, parse, paramsOf, UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { expandTraces } from '../trace-files.js';
import { terminalText } from '../../diag/terminal.js';

export interface CheckCliOptions {
  specs: string[];
  params: Record<string, string>;
  format: 'text' | 'json';
  from: TraceFormat | 'auto';
  all: boolean;
  /** Diagnostics shown per code before they are only counted. */
  maxDiagnostics: number;
  /** A dmesg log whose lockdep reports are lined up with the verdicts. */
  lockdep: string | undefined;
  traces: string[];
}

export function parseCheckArgs(argv: string[]): CheckCliOptions {
  const { values, positionals } = parse(argv, {
    spec: { type: 'string', multiple: true },
    param: { type: 'string', multiple: true },
    format: { type: 'string' },
    from: { type: 'string' },
    all: { type: 'boolean' },
    'max-diagnostics': { type: 'string' },
    lockdep: { type: 'string' },
  });
  if (positionals.length === 0) throw new UsageError('kinv check needs at least one TRACE (a file, a folder, or - for standard input)');
  return {
    specs: (values.spec as string[] | undefined) ?? [],
    params: paramsOf(values.param as string[] | undefined),
    format: oneOf('format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    from: oneOf('from', values.from as string | undefined, ['ndjson', 'ftrace', 'auto'] as const, 'auto'),
    all: values.all === true,
    maxDiagnostics: Number(values['max-diagnostics'] ?? 20),
    lockdep: values.lockdep as string | undefined,
    traces: positionals,
  };
}

export async function check(argv: string[]): Promise<number> {
  const o = parseCheckArgs(argv);
  const st = styleFor(process.stderr);
  const out = styleFor(process.stdout);
  const specs = new SpecSet(o.specs, o.params);
  for (const d of specs.diagnostics) process.stderr.write(renderDiagnostic(d, specs.sources, st) + '\n\n');
  if (!specs.base) return 2;
  const loaded = { sources: specs.sources };
  const started = performance.now();
  const reports: CheckReport[] = [];
  const expanded = expandTraces(o.traces);
  const files = expanded.files;
  let unreadable = false;
  let inputErrors = 0;
  const shown = new Map<string, number>();
  const onDiagnostic = (d: Diagnostic): void => {
    if (d.severity === 'error') inputErrors++;
    const n = (shown.get(d.code) ?? 0) + 1;
    shown.set(d.code, n);
    if (n > o.maxDiagnostics) return;
    if (o.format === 'json') process.stdout.write(JSON.stringify(diagnosticJson(d, loaded.sources)) + '\n');
    else process.stderr.write(renderDiagnostic(d, loaded.sources, st) + '\n\n');
  };
  for (const s of expanded.skipped) {
    onDiagnostic({ code: 'KV313', severity: 'note', message: `${s.dir}: ${s.names.length} file${s.names.length === 1 ? '' : 's'} beside the traces not checked (${s.names.join(', ')})`, hint: 'name a file on the command line to check it anyway' });
  }
  for (const u of expanded.unreadable) {
    unreadable = true;
    onDiagnostic({ code: 'KV309', severity: 'error', message: `cannot read trace '${u.path}': ${u.why}` });
  }
  const verdicts: Verdict[] = [];
  for (const file of files) {
    const r = await checkOne(file, o, specs, onDiagnostic, out, verdicts);
    if (r === 'unreadable') { unreadable = true; continue; }
    reports.push(r);
  }
  for (const [code, n] of shown) if (n > o.maxDiagnostics) process.stderr.write(`(${n - o.maxDiagnostics} more ${code} diagnostics not shown; --max-diagnostics N to see more)\n`);
  if (o.lockdep !== undefined) {
    const ok = await lockdepSection(o.lockdep, verdicts, o.format, out);
    if (!ok) unreadable = true;
  }
  const summary = summarize(files, reports, (performance.now() - started) / 1000);
  if (o.format === 'json') process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stdout.write('\n' + renderSummary(summary, out) + '\n');
  if (summary.violations > 0) return 1;
  if (unreadable || inputErrors > 0) return 3;
  if (reports.every((r) => r.stats.records === 0)) {
    const what = files.length === 0 ? `no trace file in ${o.traces.join(', ')}` : `no trace record in ${files.length === 1 ? files[0] : `${files.length} files`}`;
    process.stderr.write(renderDiagnostic({ code: 'KV314', severity: 'error', message: `nothing to judge: ${what}` }, loaded.sources, st) + '\n');
    return 3;
  }
  const evaluatedAny = Object.values(summary.evaluated).some((n) => n > 0);
  const skippedAny = Object.values(summary.unknown).some((n) => n > 0);
  if (!evaluatedAny && skippedAny) {
    process.stderr.write(renderDiagnostic({ code: 'KV401', severity: 'error', message: 'verdict unknown: every invariant evaluation fell in a span of unknown task state (capture started mid-run or lost events)' }, loaded.sources, st) + '\n');
    return 3;
  }
  return 0;
}

async function checkOne(file: string, o: CheckCliOptions, specs: SpecSet, onDiagnostic: (d: Diagnostic) => void, out: ReturnType<typeof styleFor>, verdicts: Verdict[]): Promise<CheckReport | 'unreadable'> {
  const progress = new Progress(file === "-" ? "<stdin>" : terminalText(file), process.stderr);
  const loaded = { sources: specs.sources };
  const report = await checkTraceFile(file, specs, {
    from: o.from,
    all: o.all,
    params: o.params,
    onDiagnostic: (d) => { progress.clear(); onDiagnostic(d); },
    onBatch: (s) => progress.update(s.lines, s.events),
    onVerdict: (v) => {
      verdicts.push(v);
      progress.clear();
      if (o.format === 'json') process.stdout.write(JSON.stringify(verdictJson(v, loaded.sources)) + '\n');
      else process.stdout.write(renderVerdict(v, loaded.sources, out) + '\n\n');
    },
    onGap: (g) => { if (o.format === 'json') process.stdout.write(JSON.stringify(gapJson(g)) + '\n'); },
  });
  progress.clear();
  return report ?? 'unreadable';
}

/** `--lockdep dmesg.txt`: the kernel's reports next to kinv's verdicts. */
async function lockdepSection(path: string, verdicts: Verdict[], format: 'text' | 'json', st: ReturnType<typeof styleFor>): Promise<boolean> {
  let text = '';
  try {
    const input = await openInput(path);
    for await (const c of input.chunks) text += Buffer.from(c).toString('latin1');
  } catch (e) {
    process.stderr.write(`kinv: ${(e as Error).message}\n`);
    return false;
  }
  const reports = parseLockdep(text);
  const p = matchLockdep(reports, verdicts);
  const where = (v: Verdict): string => (v.event ? `${terminalText(v.event.file ?? '?')}:${v.event.line}` : '?');
  if (format === 'json') {
    for (const e of p.explained) process.stdout.write(JSON.stringify({ kind: 'lockdep', status: 'explained', report: e.report, invariant: e.verdict.invariant, file: e.verdict.event?.file ?? null, line: e.verdict.event?.line ?? null, sameTask: e.sameTask, sameLock: e.sameLock }) + '\n');
    for (const r of p.unexplained) process.stdout.write(JSON.stringify({ kind: 'lockdep', status: 'unexplained', report: r }) + '\n');
    process.stdout.write(JSON.stringify({ kind: 'lockdep', status: 'summary', reports: reports.length, explained: p.explained.length, unexplained: p.unexplained.length, missedByLockdep: p.missed.length }) + '\n');
    return true;
  }
  process.stdout.write(`\n${st.bold(`lockdep (${terminalText(path)})`)}: ${reports.length} report${reports.length === 1 ? '' : 's'}, ${p.explained.length} explained by kinv, ${p.unexplained.length} not; ${p.missed.length} kinv finding${p.missed.length === 1 ? '' : 's'} lockdep did not report\n`);
  for (const e of p.explained) {
    process.stdout.write(`  ${terminalText(path)}:${e.report.line}  ${terminalText(e.report.headline)}${e.report.comm ? ` (${terminalText(e.report.comm, 32)}/${e.report.pid})` : ''}${e.report.at ? ` at ${terminalText(e.report.at)}` : ''}\n`);
    const link = e.sameTask ? '' : e.sameLock ? ` (task ${e.verdict.event?.pid}, the same lock)` : ` (task ${e.verdict.event?.pid})`;
    process.stdout.write(`    = kinv ${e.verdict.invariant} at ${where(e.verdict)}${link}: ${terminalText(e.verdict.message, 600)}\n`);
    for (const r of e.verdict.related) process.stdout.write(`      first at ${r.event.file}:${r.event.line}: ${r.invariant} (${terminalText(describeEvent(r.event), 400)})\n`);
  }
  for (const r of p.unexplained) process.stdout.write(`  ${terminalText(path)}:${r.line}  ${terminalText(r.headline)}${r.comm ? ` (${terminalText(r.comm, 32)}/${r.pid})` : ''}: no kinv verdict explains it\n`);
  return true;
}
