/**
 * Simulator and exploration figures for `npm run bench`: simulator events/s on a large random
 * scenario, exploration states/s on the two- and three-task scenarios in every d_add_ci shape and
 * lock order (with the ratio to Spin's 300-450 K states/s), fuzzing runs/s, and the wall and CPU
 * time from a cold start (a new process) to the first counterexample of the draft d_add_ci.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { distIsFresh } from './fresh.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The compiled build when it is fresh (what the CLI runs), else the sources. */
const fromDist = distIsFresh(ROOT, 'sim/simulate.js');
async function lib<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(ROOT, fromDist ? 'dist' : 'src', path + (fromDist ? '.js' : '.ts'))).href)) as T;
}
const { bundledChecker } = await lib<typeof import('../src/checker/incremental.js')>('checker/incremental');
const { seededChooser } = await lib<typeof import('../src/sim/chooser.js')>('sim/chooser');
const { explore } = await lib<typeof import('../src/sim/explore.js')>('sim/explore');
const { fuzz } = await lib<typeof import('../src/sim/fuzz.js')>('sim/fuzz');
const { DEFAULT_RANDOM, randomScenario, SCENARIOS } = await lib<typeof import('../src/sim/scenarios.js')>('sim/scenarios');
const { simulate } = await lib<typeof import('../src/sim/simulate.js')>('sim/simulate');

/**
 * Four tasks on the case-insensitive directory of the named scenarios: stat of the exact name
 * "Foo", stat of "foo", open("foo", O_CREAT) and a creation of "bar" (not a named scenario: the
 * tests walk every named one whole, and this space is hundreds of thousands of states).
 */
function quartet(p: { dAddCi: 'mainline' | 'draft' | 'fixed'; order: 'current' | 'new' }) {
  const trio = SCENARIOS.trio!(p);
  const dir = trio.dirs[0]!.id;
  return {
    ...trio,
    tasks: [
      { pid: 101, comm: 'stat', ops: [{ kind: 'stat' as const, dir, name: 'Foo' }] },
      { pid: 102, comm: 'stat', ops: [{ kind: 'stat' as const, dir, name: 'foo' }] },
      { pid: 103, comm: 'open', ops: [{ kind: 'open_creat' as const, dir, name: 'foo' }] },
      { pid: 104, comm: 'mkdir', ops: [{ kind: 'mkdir' as const, dir, name: 'bar' }] },
    ],
  };
}

/** CPU seconds (user + system) of this process's waited-for children so far, from /proc (Linux); undefined elsewhere. */
function childrenCpu(): number | undefined {
  try {
    // After the command name (which may hold spaces, so split after its closing parenthesis):
    // fields 16 and 17 of stat(5), cutime and cstime, in clock ticks (100 per second on Linux).
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

const best = (xs: number[]): number => Math.min(...xs);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall seconds and children's CPU seconds (undefined off Linux) of one process run to its end. */
function timed(args: string[]): { wall: number; cpu: number | undefined; stdout: string } {
  const t = performance.now();
  const c0 = childrenCpu();
  const p = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const c1 = childrenCpu();
  const wall = Number(((performance.now() - t) / 1000).toFixed(3));
  return { wall, cpu: c0 !== undefined && c1 !== undefined ? Number((c1 - c0).toFixed(2)) : undefined, stdout: p.stdout };
}

/** Best and median of wall and CPU seconds over runs. */
function figures(runs: { wall: number; cpu: number | undefined }[]): Record<string, unknown> {
  const wall = runs.map((r) => r.wall);
  const cpu = runs.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu]));
  return {
    seconds: wall, best: best(wall), median: median(wall),
    ...(cpu.length ? { cpuSeconds: cpu, cpuBest: best(cpu), cpuMedian: median(cpu) } : {}),
  };
}

/**
 * Wall and CPU times of ten fresh `kinv explore --first` processes on the draft shape (CPU to a
 * clock tick, 10 ms): a start is ~0.1-0.3 s, so the machine's load moves single runs by tens of ms.
 * Each is paired with an empty Node start (`node -e 0`) run just before it, the floor under any
 * command line on this Node and machine at that moment: kinv's own share is the difference.
 */
export function coldStart(scenario: string): Record<string, unknown> {
  const bin = join(ROOT, 'bin', 'kinv.js');
  const kinv: { wall: number; cpu: number | undefined }[] = [];
  const floor: { wall: number; cpu: number | undefined }[] = [];
  for (let i = 0; i < 10; i++) {
    floor.push(timed(['-e', '0']));
    const r = timed([bin, 'explore', '--d-add-ci', 'draft', '--order', 'new', '--scenario', scenario, '--first', '--format', 'json']);
    if (!r.stdout.includes('d_add_ci_parent_lock_balanced')) throw new Error(`explore found no draft counterexample in ${scenario}`);
    kinv.push(r);
  }
  return { ...figures(kinv), emptyNode: figures(floor), loadAverage: Number(loadavg()[0]!.toFixed(2)) };
}

/** States per second as a share of Spin 6.5's 300-450 K states/s on its coarse model of the protocol. */
function spinRatio(statesPerSecond: number): string {
  return `${(statesPerSecond / 450_000).toFixed(3)}-${(statesPerSecond / 300_000).toFixed(3)} x Spin`;
}

export async function benchSim(): Promise<Record<string, unknown>> {
  // Simulator throughput: 64 tasks × 400 operations over 16 directories.
  const sc = randomScenario({ ...DEFAULT_RANDOM, dAddCi: 'mainline', order: 'current', tasks: 64, dirs: 16, names: 8, ops: 400, seed: 3 });
  // Best of five runs: the first ones pay for JIT warm-up and heap growth.
  let r = simulate(sc, seededChooser(1));
  let simSeconds = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    r = simulate(sc, seededChooser(2));
    simSeconds = Math.min(simSeconds, (performance.now() - t0) / 1000);
  }

  const scenario = (name: string, p: { dAddCi: 'mainline' | 'draft' | 'fixed'; order: 'current' | 'new' }) => (name === 'quartet' ? quartet(p) : SCENARIOS[name]!(p));
  const cell = (name: string, dAddCi: 'mainline' | 'draft' | 'fixed', order: 'current' | 'new', por = false, maxStates = 2_000_000, abstractMonitor = true) => {
    const cpu0 = process.cpuUsage();
    const x = explore(scenario(name, { dAddCi, order }), { monitor: bundledChecker({ order }), maxStates, por, abstractMonitor });
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      states: x.distinct, seconds: Number(x.seconds.toFixed(2)), cpuSeconds: Number(cpuSeconds.toFixed(2)), statesPerSecond: Math.round(x.explored / x.seconds),
      statesPerCpuSecond: Math.round(x.explored / cpuSeconds), found: x.counterexamples.map((c) => `${c.invariant} (${c.depth})`), cut: x.cut ?? null,
    };
  };
  /** Every shape and order of a scenario, reduced as `kinv explore` is by default, with states per CPU second against Spin's. */
  const grid = (name: string, maxStates?: number) => {
    const out: Record<string, unknown> = {};
    let explored = 0;
    let cpu = 0;
    for (const dAddCi of ['mainline', 'draft', 'fixed'] as const) {
      for (const order of ['current', 'new'] as const) {
        const c = cell(name, dAddCi, order, true, maxStates);
        explored += c.statesPerCpuSecond * c.cpuSeconds;
        cpu += c.cpuSeconds;
        out[`${dAddCi}/${order}`] = { ...c, spinRatio: spinRatio(c.statesPerCpuSecond) };
      }
    }
    out.all = { statesPerCpuSecond: Math.round(explored / cpu), spinRatio: spinRatio(explored / cpu) };
    return out;
  };

  const fz = fuzz({ dAddCi: 'fixed', order: 'new', runs: 3000, seed: 1, monitor: bundledChecker({ order: 'new' }) });
  // One task (the fault choices reach E1/E2) and the two-task scenario (E2 by a concurrent lookup).
  const single = coldStart('single');
  const pair = coldStart('pair');
  return {
    code: fromDist ? 'dist (compiled)' : 'src (through tsx)',
    simulator: { events: r.events.length, steps: r.steps, seconds: Number(simSeconds.toFixed(3)), eventsPerSecond: Math.round(r.events.length / simSeconds), of: 'best of 5 runs', target: '>= 1,000,000 events/s' },
    explore: {
      pair: grid('pair'),
      trio: grid('trio'),
      // The whole space of every shape and order (100-400 K states each, monitors in the product).
      quartet: grid('quartet'),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    // The yardstick (Spin 6.5 on a coarse Promela model of the protocol: 300-450 K states/s), full and reduced.
    exploreTrio: {
      'mainline/current full': (() => { const c = cell('trio', 'mainline', 'current'); return { ...c, spinRatio: spinRatio(c.statesPerCpuSecond) }; })(),
      'mainline/current full --exact-monitor': (() => { const c = cell('trio', 'mainline', 'current', false, undefined, false); return { ...c, spinRatio: spinRatio(c.statesPerCpuSecond) }; })(),
      'mainline/current --por': (() => { const c = cell('trio', 'mainline', 'current', true); return { ...c, spinRatio: spinRatio(c.statesPerCpuSecond) }; })(),
      target: '>= 0.1 x Spin (30-45 K states/s)',
    },
    fuzz: { protocol: 'fixed/new', runs: fz.runs, seconds: Number(fz.seconds.toFixed(2)), runsPerSecond: Math.round(fz.runs / fz.seconds), findings: fz.findings.length },
    coldStartToDraftCounterexample: {
      target: '<= 0.2 s',
      oneTask: single,
      twoTasks: pair,
      build: existsSync(join(ROOT, 'dist', 'cli', 'main.js')) ? 'dist (when fresh)' : 'sources via tsx',
    },
  };
}
