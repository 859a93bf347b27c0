/**
 * `kinv fuzz`: fast-check hunts interleavings and faults that break the spec for one protocol
 * combination, shrinks each finding to a minimal story, and prints it like `kinv check` does,
 * with the seed and path that replay it exactly.
 */
import { CompiledSpec } from '../../checker/check.js';
import { incrementalChecker } from '../../checker/incremental.js';
import { renderVerdict, verdictJson } from '../../checker/report.js';
import { renderDiagnostic, styleFor } from '../../diag/render.js';
import { describeScenario } from '../../sim/arbitraries.js';
import { fuzz, type FuzzFindingReport } from '../../sim/fuzz.js';
import { intOf, oneOf, parse, positive, UsageError } from '../args.js';
import { jsonLine } from '../json.js';
import { COMMANDS } from '../options.js';
import { Status } from '../progress.js';
import { shellQuote, specFlags } from '../trace-out.js';
import { modelSpec } from '../model-spec.js';
import { didYouMean } from '../../diag/suggest.js';
import { counterexampleTargets, writeCounterexample } from '../counterexample-out.js';

function list(v: string | undefined): Set<string> | undefined {
  return v === undefined ? undefined : new Set(v.split(',').map((x) => x.trim()).filter(Boolean));
}

export async function fuzzCmd(argv: string[]): Promise<number> {
  const { values } = parse(argv, COMMANDS.fuzz.options);
  const dAddCi = oneOf('d-add-ci', values['d-add-ci'] as string | undefined, ['mainline', 'draft', 'fixed'] as const, 'mainline');
  const order = oneOf('order', values.order as string | undefined, ['current', 'new'] as const, 'current');
  const format = oneOf('format', values.format as string | undefined, ['text', 'json'] as const, 'text');
  const phase = values.phase === undefined ? undefined : oneOf('phase', values.phase as string, ['observed', 'predicted'] as const, 'observed');
  const seed = intOf('seed', values.seed as string | undefined, Math.floor(Math.random() * 2 ** 31));
  const replay = values.replay as string | undefined;
  if (replay !== undefined && !/^\d+(:\d+)*$/.test(replay)) throw new UsageError(`--replay expects a fast-check path like 17:1:3, got '${replay}'`);
  const specs = (values.spec as string[] | undefined) ?? [];
  const params = (values.param as string[] | undefined) ?? [];
  const loaded = modelSpec(specs, params, order);
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) process.stderr.write(renderDiagnostic(d, loaded.sources, styleFor(process.stderr)) + '\n');
    return 2;
  }
  const only = list(values.only as string | undefined);
  const exclude = list(values.exclude as string | undefined);
  const maxTasks = positive('tasks', intOf('tasks', values.tasks as string | undefined, 3));
  const maxOps = positive('ops', intOf('ops', values.ops as string | undefined, 2));
  const targets = counterexampleTargets(values, true);
  const compiled = new CompiledSpec(loaded.value.spec);
  // A name the spec has no rule of would make "nothing found" a pass of no rule at all.
  const names = new Set(compiled.invariantNames);
  for (const [flag, set] of [['only', only], ['exclude', exclude]] as const) {
    if (set === undefined) continue;
    if (set.size === 0) throw new UsageError(`--${flag} expects invariant names, comma-separated`);
    const unknown = [...set].filter((n) => !names.has(n));
    if (unknown.length > 0) {
      throw new UsageError(`--${flag}: the spec has no invariant ${unknown.map((n) => `'${n}'`).join(', ')}`
        + `${didYouMean(unknown[0]!, names) ? ` (${didYouMean(unknown[0]!, names)})` : ''}`);
    }
  }
  if (only !== undefined && exclude !== undefined && [...only].some((n) => exclude.has(n))) {
    throw new UsageError(`--only and --exclude both name ${[...only].filter((n) => exclude.has(n)).join(', ')}`);
  }
  const status = new Status(process.stderr);
  const report = fuzz({
    dAddCi, order, maxTasks, maxOps, writerSpin: values['writer-spin'] === true, seed,
    runs: intOf('runs', values.runs as string | undefined, replay ? 1 : 2000),
    monitor: incrementalChecker(compiled),
    ...(only ? { only } : {}), ...(exclude ? { exclude } : {}), ...(phase ? { phase } : {}), ...(replay ? { path: replay } : {}),
    onProgress: (n) => status.show(() => `kinv fuzz: ${n.toLocaleString()} runs, ${Math.round(n / status.seconds).toLocaleString()} runs/s`),
  });
  status.clear();
  const first = report.findings[0]?.finding;
  if (first && !writeCounterexample(targets, first.events, compiled, first.verdict ? [first.verdict] : [], loaded.sources, `kinv fuzz --seed ${seed}`)) {
    return 3;
  }
  // Every option that shaped the run, so the printed line reproduces the finding exactly.
  const base = ['kinv', 'fuzz', '--d-add-ci', dAddCi, '--order', order, '--tasks', String(maxTasks), '--ops', String(maxOps),
    ...(values['writer-spin'] === true ? ['--writer-spin'] : []), ...specFlags(specs, params)];
  const replayOf = (f: FuzzFindingReport): string => [
    ...base, '--seed', String(f.seed),
    ...(only ? ['--only', [...only].join(',')] : ['--phase', f.phase === 'predicted' ? 'predicted' : 'observed']),
    ...(f.excluded.length ? ['--exclude', f.excluded.join(',')] : []),
    '--replay', f.path ?? '',
  ].map(shellQuote).join(' ');
  const st = styleFor(process.stdout);
  for (const f of report.findings) {
    const story = describeScenario(f.finding.scenario);
    if (format === 'json') {
      process.stdout.write(jsonLine({
        ...(f.finding.verdict
          ? verdictJson(f.finding.verdict, loaded.sources)
          : { kind: 'violation', invariant: 'no_deadlock', message: `deadlock: ${f.finding.deadlock?.cycle?.join(' -> ') ?? 'every live task is blocked'}` }),
        phase: f.phase, scenario: story, choices: f.finding.choices, seed: f.seed, path: f.path, shrinks: f.shrinks, firstFailureSeconds: f.firstFailure,
        replay: replayOf(f),
      }));
      continue;
    }
    process.stdout.write(`${st.bold(`finding (${f.phase})`)}: ${story}; schedule and faults ${f.finding.choices.join(',') || '(all first choices)'}\n`);
    process.stdout.write(`  found after ${f.firstFailure?.toFixed(3)} s, shrunk in ${f.shrinks} steps; fast-check seed ${f.seed}, path ${f.path}\n`
      + `  replay: ${replayOf(f)}\n\n`);
    if (f.finding.verdict) process.stdout.write(renderVerdict(f.finding.verdict, loaded.sources, st) + '\n\n');
    else if (f.finding.deadlock) {
      const cycle = f.finding.deadlock.cycle ? `; wait-for cycle ${f.finding.deadlock.cycle.join(' -> ')}` : '';
      process.stdout.write(st.red(st.bold('violation[no_deadlock]')) + st.bold(`: every live task is blocked${cycle}`) + '\n');
      for (const w of f.finding.deadlock.waits) process.stdout.write(`  task ${w.pid} waits on ${w.on} for ${w.for.join(', ') || 'nobody'}\n`);
      process.stdout.write('\n');
    }
  }
  const rate = Math.round(report.runs / Math.max(report.seconds, 1e-9));
  const summary = {
    kind: 'summary', protocol: `--d-add-ci ${dAddCi} --order ${order}`, runs: report.runs, shrinks: report.shrinks, seconds: Number(report.seconds.toFixed(3)),
    runsPerSecond: rate, seed, findings: report.findings.map((f) => f.invariant),
  };
  if (format === 'json') process.stdout.write(jsonLine(summary));
  else {
    const found = report.findings.length
      ? st.red(st.bold(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}`)) + ` (${summary.findings.join(', ')})`
      : st.bold('nothing found');
    const shrinking = report.shrinks ? ` and ${report.shrinks} shrinking steps` : '';
    process.stdout.write(`${found}: ${report.runs} runs${shrinking} in ${report.seconds.toFixed(2)} s (${rate} runs/s), seed ${seed}\n`);
  }
  return report.findings.length ? 1 : 0;
}
