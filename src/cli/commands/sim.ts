/**
 * `kinv sim`: runs the lookup-path model and prints its trace as NDJSON (Contract 1).
 * `kinv explore`: searches every interleaving and fault of a small scenario against the spec.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { terminalText } from '../../diag/terminal.js';
import { loadSpec } from '../../analysis/load.js';
import { CompiledSpec } from '../../checker/check.js';
import { incrementalChecker } from '../../checker/incremental.js';
import { renderVerdict, verdictJson } from '../../checker/report.js';
import { renderDiagnostic, styleFor } from '../../diag/render.js';
import { exactListChooser, recording, ReplayMismatch, seededChooser } from '../../sim/chooser.js';
import { explore, type Counterexample } from '../../sim/explore.js';
import type { Scenario } from '../../sim/model.js';
import { DEFAULT_RANDOM, randomScenario, SCENARIOS as BASE_SCENARIOS } from '../../sim/scenarios.js';
import { CI_SCENARIOS } from '../../sim/scenarios-ci.js';

const SCENARIOS = { ...BASE_SCENARIOS, ...CI_SCENARIOS };
import { simulate } from '../../sim/simulate.js';
import { toNdjsonLine } from '../../sim/ndjson-writer.js';
import { intOf, oneOf, parse, positive, UsageError } from '../args.js';
import { COMMANDS } from '../options.js';
import { jsonLine } from '../json.js';
import { Status } from '../progress.js';
import { shellQuote, specFlags } from '../trace-out.js';
import { modelSpec } from '../model-spec.js';
import { counterexampleTargets, writeCounterexample } from '../counterexample-out.js';

interface ScenarioChoice { scenario: Scenario; describe: string[] }

function rate(flag: string, v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${flag} expects a probability between 0 and 1, got '${v}'`);
  return n;
}

/** The options that shape a random scenario only. */
const RANDOM_ONLY = ['tasks', 'dirs', 'names', 'ops', 'creat', 'mkdir', 'alloc-fail', 'exact-hashed'] as const;

/** The scenario named by the options, and the flags that reproduce it. */
export function scenarioFromArgs(values: Record<string, string | boolean | string[] | undefined>, random: boolean): ScenarioChoice {
  const dAddCi = oneOf('d-add-ci', values['d-add-ci'] as string | undefined, ['mainline', 'draft', 'fixed'] as const, 'mainline');
  const order = oneOf('order', values.order as string | undefined, ['current', 'new'] as const, 'current');
  const tasks = values.tasks as string | undefined;
  const named = (values.scenario as string | undefined)
    ?? (random ? undefined : tasks === '3' ? 'trio' : tasks === undefined || tasks === '2' ? 'pair' : undefined);
  const base = ['--d-add-ci', dAddCi, '--order', order];
  if (named !== undefined && named !== 'random') {
    const make = SCENARIOS[named];
    if (!make) throw new UsageError(`--scenario must be one of ${[...Object.keys(SCENARIOS), 'random'].join(', ')}, got '${named}'`);
    // A named scenario fixes its tasks, directories, names and faults: an option that shapes a
    // random one would be passed over without a word.
    const shaping = RANDOM_ONLY.filter((f) => values[f] !== undefined && !(f === 'tasks' && values.scenario === undefined));
    if (shaping.length > 0) {
      const flags = shaping.map((f) => `--${f}`).join(', ');
      throw new UsageError(`${flags} shape${shaping.length === 1 ? 's' : ''} a random scenario, and scenario '${named}' is fixed: `
        + 'drop them, or use --scenario random');
    }
    return { scenario: make({ dAddCi, order }), describe: [...base, '--scenario', named] };
  }
  const creat = values.creat === undefined ? DEFAULT_RANDOM.creat : rate('creat', values.creat as string);
  const mkdir = values.mkdir === undefined ? DEFAULT_RANDOM.mkdir : rate('mkdir', values.mkdir as string);
  if (creat + mkdir > 1) throw new UsageError(`--creat ${creat} and --mkdir ${mkdir} are shares of the operations: together at most 1`);
  const o = {
    ...DEFAULT_RANDOM, dAddCi, order,
    tasks: positive('tasks', intOf('tasks', tasks, DEFAULT_RANDOM.tasks)),
    dirs: positive('dirs', intOf('dirs', values.dirs as string | undefined, DEFAULT_RANDOM.dirs)),
    names: positive('names', intOf('names', values.names as string | undefined, DEFAULT_RANDOM.names)),
    ops: positive('ops', intOf('ops', values.ops as string | undefined, DEFAULT_RANDOM.ops)),
    creat,
    mkdir,
    seed: intOf('seed', values.seed as string | undefined, 1),
    allocFail: rate('alloc-fail', values['alloc-fail'] as string | undefined) > 0,
    exactHashed: rate('exact-hashed', values['exact-hashed'] as string | undefined) > 0,
  };
  const flags = [
    ...base, '--scenario', 'random', '--tasks', String(o.tasks), '--dirs', String(o.dirs), '--names', String(o.names), '--ops', String(o.ops),
    '--creat', String(o.creat), '--mkdir', String(o.mkdir), '--seed', String(o.seed),
  ];
  if (values['alloc-fail'] !== undefined) flags.push('--alloc-fail', String(values['alloc-fail']));
  if (values['exact-hashed'] !== undefined) flags.push('--exact-hashed', String(values['exact-hashed']));
  return { scenario: randomScenario(o), describe: flags };
}

export async function sim(argv: string[]): Promise<number> {
  const { values } = parse(argv, COMMANDS.sim.options);
  const replay = values.replay as string | undefined;
  const { scenario, describe } = scenarioFromArgs(values, replay === undefined && values.scenario === undefined);
  const seed = intOf('seed', values.seed as string | undefined, 1);
  let picks: number[] | undefined;
  if (replay !== undefined) {
    picks = replay === '' ? [] : replay.split(',').map((x) => Number(x));
    if (picks.some((p) => !Number.isInteger(p) || p < 0)) throw new UsageError(`--replay expects comma-separated choice numbers, got '${replay}'`);
  }
  const rates = {
    'alloc-fail': rate('alloc-fail', values['alloc-fail'] as string | undefined),
    'exact-hashed': rate('exact-hashed', values['exact-hashed'] as string | undefined),
  };
  const replayed = picks ? exactListChooser(picks) : undefined;
  const ch = recording(replayed ?? seededChooser(seed, rates));
  const maxSteps = intOf('max-steps', values['max-steps'] as string | undefined, 10_000_000);
  const notThisRun = ': the list is not a run of this scenario (replay it with the scenario options of the command that printed it)';
  let r: ReturnType<typeof simulate>;
  try {
    r = simulate(scenario, ch, { maxSteps });
  } catch (e) {
    if (e instanceof ReplayMismatch) throw new UsageError(`--replay: ${e.message}${notThisRun}`);
    throw e;
  }
  // A run that ended with choices left over is another run's list too (unless the step bound cut it).
  if (replayed && picks && !r.cut && replayed.used < picks.length) {
    throw new UsageError(`--replay gives ${picks.length} choices, but the run ended after ${replayed.used}${notThisRun}`);
  }
  // (made ready after the replay is known to fit: a refused list leaves an --itf file as it was)
  const targets = counterexampleTargets(values);
  // `-o -` is standard output, where the trace goes anyway.
  const outPath = values.out === '-' ? undefined : values.out as string | undefined;
  let fd: number | undefined;
  if (outPath !== undefined) {
    try {
      fd = openSync(outPath, 'w');
    } catch (e) {
      process.stderr.write(`kinv sim: cannot write '${terminalText(outPath)}': ${ioReason(e)}\n`);
      return 2;
    }
  }
  const write = (text: string): void => { if (fd === undefined) process.stdout.write(text); else writeSync(fd, text); };
  try {
    let buf = '';
    for (const e of r.events) {
      buf += toNdjsonLine(e) + '\n';
      if (buf.length > 1 << 20) { write(buf); buf = ''; }
    }
    write(buf);
  } catch (e) {
    process.stderr.write(`kinv sim: cannot write '${terminalText(outPath ?? '-')}': ${ioReason(e)}\n`);
    return 3;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const choices = ch.log.map((c) => c.pick).join(',');
  if (targets.itf !== undefined) {
    // The state variables are the bundled spec's, under the run's order.
    const judged = loadSpec([], { params: { order: scenario.order } });
    if (!judged.ok) return 70;
    const replay = `kinv sim ${describe.join(' ')} --replay ${choices}`;
    if (!writeCounterexample(targets, r.events, new CompiledSpec(judged.value.spec), [], judged.sources, replay)) return 3;
  }
  // A random scenario's flags name its seed already; a named one's do not.
  const seedFlag = picks || describe.includes('--seed') ? '' : ` --seed ${seed}`;
  process.stderr.write(`kinv sim: ${r.events.length} events in ${r.steps} steps (${describe.join(' ')}${seedFlag})\n`);
  if (r.deadlock) {
    const cycle = r.deadlock.cycle ? `; wait-for cycle ${r.deadlock.cycle.join(' -> ')}` : '';
    const waits = r.deadlock.waits.map((w) => `  task ${w.pid} waits on ${w.on} for ${w.for.join(', ') || 'nobody'}`).join('\n');
    process.stderr.write(`deadlock: every live task is blocked${cycle}\n${waits}\n`);
  }
  if (r.cut) process.stderr.write(`stopped at the step bound (--max-steps)\n`);
  process.stderr.write(`replay: kinv sim ${describe.join(' ')} --replay ${choices || "''"}\n`);
  return 0;
}

export function replayCommand(describe: string[], c: Counterexample): string {
  return `kinv sim ${describe.join(' ')} --replay ${c.choices.join(',') || "''"}`;
}

export async function exploreCmd(argv: string[]): Promise<number> {
  const { values } = parse(argv, COMMANDS.explore.options);
  const format = oneOf('format', values.format as string | undefined, ['text', 'json'] as const, 'text');
  const { scenario, describe } = scenarioFromArgs(values, false);
  if (values['writer-spin'] === true) { scenario.spin = true; describe.push('--writer-spin'); }
  const specs = (values.spec as string[] | undefined) ?? [];
  const params = (values.param as string[] | undefined) ?? [];
  const loaded = modelSpec(specs, params, scenario.order);
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) process.stderr.write(renderDiagnostic(d, loaded.sources, styleFor(process.stderr)) + '\n');
    return 2;
  }
  const targets = counterexampleTargets(values, true);
  const compiled = new CompiledSpec(loaded.value.spec);
  const status = new Status(process.stderr);
  const r = explore(scenario, {
    monitor: incrementalChecker(compiled),
    maxDepth: intOf('max-depth', values['max-depth'] as string | undefined, 200),
    maxStates: intOf('max-states', values['max-states'] as string | undefined, 500_000),
    first: values.first === true,
    por: values['no-por'] !== true,
    abstractMonitor: values['exact-monitor'] !== true,
    onProgress: (p) => status.show(() => `kinv explore: ${p.explored.toLocaleString()} states, ${p.distinct.toLocaleString()} distinct, depth ${p.depth}, `
      + `${Math.round(p.explored / status.seconds).toLocaleString()} states/s`),
  });
  status.clear();
  const first = r.counterexamples[0];
  if (first && !writeCounterexample(targets, first.events, compiled, first.verdict ? [first.verdict] : [], loaded.sources, replayCommand(describe, first))) {
    return 3;
  }
  const st = styleFor(process.stdout);
  // The spec that judged the run is part of the replay: the trace alone reproduces only the schedule.
  const judge = specs.length || params.length ? ` | kinv check ${specFlags(specs, params).map(shellQuote).join(' ')} -` : '';
  for (const c of r.counterexamples) {
    const replay = replayCommand(describe, c) + judge;
    if (format === 'json') {
      process.stdout.write(jsonLine({
        ...(c.verdict ? verdictJson(c.verdict, loaded.sources) : { kind: 'violation', invariant: c.invariant }),
        depth: c.depth, choices: c.choices, replay, deadlock: c.deadlock ?? null,
      }));
      continue;
    }
    process.stdout.write(`counterexample at depth ${c.depth} (${c.events.length} events); replay: ${replay}\n`);
    if (c.verdict) process.stdout.write(renderVerdict(c.verdict, loaded.sources, st) + '\n\n');
    else if (c.deadlock) {
      const cycle = c.deadlock.cycle ? `; wait-for cycle ${c.deadlock.cycle.join(' -> ')}` : '';
      process.stdout.write(st.red(st.bold('violation[no_deadlock]')) + st.bold(`: every live task is blocked${cycle}`) + '\n');
      for (const w of c.deadlock.waits) process.stdout.write(`  task ${w.pid} waits on ${w.on} for ${w.for.join(', ') || 'nobody'}\n`);
      process.stdout.write('\n');
    }
  }
  const rate2 = r.seconds > 0 ? Math.round(r.explored / r.seconds) : r.explored;
  const summary = {
    kind: 'summary', scenario: describe.join(' '), explored: r.explored, distinct: r.distinct, depth: r.depth, seconds: Number(r.seconds.toFixed(3)),
    statesPerSecond: rate2,
    cut: r.cut ?? null, counterexamples: r.counterexamples.map((c) => c.invariant),
  };
  if (format === 'json') process.stdout.write(jsonLine(summary));
  else {
    const n = r.counterexamples.length;
    // A search cut by a bound has not seen every interleaving: its silence is not a verdict.
    const found = n
      ? st.red(st.bold(`${n} invariant${n === 1 ? '' : 's'} violated`)) + ` (${r.counterexamples.map((c) => c.invariant).join(', ')})`
      : r.cut ? st.bold('no violation in the states explored') : st.bold('no violation in any interleaving');
    process.stdout.write(`${found}: ${r.explored} states explored, ${r.distinct} distinct, depth ${r.depth}, ${r.seconds.toFixed(2)} s (${rate2} states/s)`
      + ` — ${describe.join(' ')}\n`);
    if (r.cut) {
      process.stdout.write(`the search was cut by --max-${r.cut === 'depth' ? 'depth' : 'states'}: states beyond it were not explored`
        + `${n ? '' : ', so whether an invariant can be violated is unknown'}\n`);
    }
  }
  if (r.counterexamples.length) return 1;
  return r.cut ? 3 : 0;
}

function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such folder'
    : code === 'EACCES' ? 'permission denied'
      : code === 'EISDIR' ? 'is a folder'
        : code === 'ENOSPC' ? 'no space left'
          : (e as Error).message;
}
