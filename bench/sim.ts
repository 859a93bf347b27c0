/**
 * Simulator and exploration figures for `npm run bench`: simulator events/s on a large random
 * scenario, exploration states/s on the two- and three-task scenarios, fuzzing runs/s, and the
 * wall time from a cold start (a new process) to the first counterexample of the draft d_add_ci.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledChecker } from '../src/checker/incremental.js';
import { seededChooser } from '../src/sim/chooser.js';
import { explore } from '../src/sim/explore.js';
import { fuzz } from '../src/sim/fuzz.js';
import { DEFAULT_RANDOM, randomScenario, SCENARIOS } from '../src/sim/scenarios.js';
import { simulate } from '../src/sim/simulate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Wall times of three fresh `kinv explore --first` processes on the draft shape. */
function coldStart(scenario: string): number[] {
  const bin = join(ROOT, 'bin', 'kinv.js');
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const p = spawnSync(process.execPath, [bin, 'explore', '--d-add-ci', 'draft', '--order', 'new', '--scenario', scenario, '--first', '--format', 'json'], { encoding: 'utf8' });
    if (!p.stdout.includes('d_add_ci_parent_lock_balanced')) throw new Error(`explore found no draft counterexample in ${scenario}`);
    out.push(Number(((performance.now() - t) / 1000).toFixed(3)));
  }
  return out;
}

export async function benchSim(): Promise<Record<string, unknown>> {
  // Simulator throughput: 64 tasks × 400 operations over 16 directories.
  const sc = randomScenario({ ...DEFAULT_RANDOM, dAddCi: 'mainline', order: 'current', tasks: 64, dirs: 16, names: 8, ops: 400, seed: 3 });
  simulate(sc, seededChooser(1));
  const t0 = performance.now();
  const r = simulate(sc, seededChooser(2));
  const simSeconds = (performance.now() - t0) / 1000;

  const cell = (name: string, dAddCi: 'mainline' | 'draft' | 'fixed', order: 'current' | 'new') => {
    const x = explore(SCENARIOS[name]!({ dAddCi, order }), { monitor: bundledChecker({ order }) });
    return { states: x.distinct, seconds: Number(x.seconds.toFixed(2)), statesPerSecond: Math.round(x.explored / x.seconds), found: x.counterexamples.map((c) => c.invariant) };
  };

  const fz = fuzz({ dAddCi: 'fixed', order: 'new', runs: 3000, seed: 1, monitor: bundledChecker({ order: 'new' }) });
  // One task (the fault choices reach E1/E2) and the two-task scenario (E2 by a concurrent lookup).
  const single = coldStart('single');
  const pair = coldStart('pair');
  return {
    simulator: { events: r.events.length, steps: r.steps, seconds: Number(simSeconds.toFixed(3)), eventsPerSecond: Math.round(r.events.length / simSeconds), target: '>= 1,000,000 events/s' },
    explore: { 'pair fixed/current': cell('pair', 'fixed', 'current'), 'pair draft/new': cell('pair', 'draft', 'new'), 'trio fixed/new': cell('trio', 'fixed', 'new') },
    fuzz: { protocol: 'fixed/new', runs: fz.runs, seconds: Number(fz.seconds.toFixed(2)), runsPerSecond: Math.round(fz.runs / fz.seconds), findings: fz.findings.length },
    coldStartToDraftCounterexample: {
      target: '<= 0.3 s',
      oneTask: { seconds: single, best: Math.min(...single) },
      twoTasks: { seconds: pair, best: Math.min(...pair) },
      build: existsSync(join(ROOT, 'dist', 'cli', 'main.js')) ? 'dist (when fresh)' : 'sources via tsx',
    },
  };
}
