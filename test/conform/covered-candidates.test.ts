/**
 * The search's reductions of its candidates are exact: a candidate another covers is dropped
 * (dropCovered: the same with fewer waiters undecided), and a reader that takes the lock at its
 * request is left undecided in one candidate (DirSearch.undecided). After every observation the
 * candidates stand for the same model states as without either reduction (SearchLimits.keepCovered,
 * grantsDecided), and the reports are the same, on random simulator runs with many tasks (whole,
 * damaged and cut) and on busy excerpts of real captures; covers() holds only where every state of
 * the covered candidate is one of the other's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { conformTraceFile, SHAPES, type ConformReport } from '../../src/conform/conform.js';
import { covers, DirSearch, jsonStateKey, type SearchLimits } from '../../src/conform/search.js';
import type { Obs } from '../../src/conform/project.js';
import { choicesArb, scenarioArb } from '../../src/sim/arbitraries.js';
import { listChooser } from '../../src/sim/chooser.js';
import { toNdjsonLine } from '../../src/sim/ndjson-writer.js';
import { simulate } from '../../src/sim/simulate.js';
import type { DAddCiShape, LockOrder } from '../../src/sim/state.js';
import { damaged, excerpt } from './helpers.js';

const specs = new SpecSet([bundledSpecDir()], {});
const dir = mkdtempSync(join(tmpdir(), 'kinv-covered-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => { vi.restoreAllMocks(); });
let file = 0;

const UNREDUCED: Partial<SearchLimits> = { keepCovered: true, grantsDecided: true };

/** What a run's searches took: per observation taken (in order), its directory, and the model states its candidates stand for. */
interface Took { dir: string; index: number; states: string[]; candidates: number }

/** Pairs of candidates found where one covers the other (covers), over the runs that keep them (UNREDUCED). */
let coveredPairs = 0;

/**
 * The report of a conformance run, and the states after each observation of every search that is
 * not the eager replay of a report (DirSearch.take, watched).
 */
async function watched(path: string, order: LockOrder, shapes: DAddCiShape[], limits: Partial<SearchLimits>): Promise<{ report: ConformReport; took: Took[] }> {
  const took: Took[] = [];
  const take = DirSearch.prototype.take;
  const spy = vi.spyOn(DirSearch.prototype, 'take').mockImplementation(function (this: DirSearch, o: Obs) {
    const r = take.call(this, o);
    if ((this as unknown as { limits: SearchLimits }).limits.eager !== true) {
      const states = new Set<string>();
      const of = r.next.map((c) => new Set(this.statesOf(c).map(jsonStateKey)));
      for (const ss of of) for (const k of ss) states.add(k);
      // Where one candidate covers another, every state of the covered one is one of the other's.
      if (r.next.length <= 200) {
        for (let a = 0; a < r.next.length; a++) {
          for (let b = 0; b < r.next.length; b++) {
            if (a === b || !covers(r.next[b]!, r.next[a]!, this.dir)) continue;
            coveredPairs++;
            for (const k of of[a]!) expect(of[b]!.has(k), `a candidate covered at event ${o.index}: ${k}`).toBe(true);
          }
        }
      }
      took.push({ dir: this.dir, index: o.index, states: [...states].sort(), candidates: r.next.length });
    }
    return r;
  });
  try {
    const report = await conformTraceFile(path, specs, { shapes, order, limits });
    if (report === undefined) throw new Error(`${path} unreadable`);
    return { report, took };
  } finally {
    spy.mockRestore();
  }
}

/** Both runs, reduced and not: the same report, and after each observation the same states. */
async function compare(path: string, order: LockOrder, shapes: DAddCiShape[]): Promise<{ reduced: Took[]; unreduced: Took[]; report: ConformReport }> {
  const reduced = await watched(path, order, shapes, {});
  const unreduced = await watched(path, order, shapes, UNREDUCED);
  expect(reduced.report, path).toEqual(unreduced.report);
  expect(reduced.took.length, path).toBe(unreduced.took.length);
  for (let k = 0; k < reduced.took.length; k++) {
    const a = reduced.took[k]!;
    const b = unreduced.took[k]!;
    expect([a.dir, a.index], `${path}: observation ${k}`).toEqual([b.dir, b.index]);
    expect(a.states, `${path}: the states after event ${a.index} on ${a.dir}`).toEqual(b.states);
    // The reductions never add a candidate.
    expect(a.candidates, `${path}: event ${a.index}`).toBeLessThanOrEqual(b.candidates);
  }
  return { reduced: reduced.took, unreduced: unreduced.took, report: reduced.report };
}

describe('kinv conform: covered candidates and undecided grants', () => {
  it('stand for the unreduced search\'s states after every observation of random runs of many tasks, whole, damaged and cut', async () => {
    const verdicts = new Set<string>();
    let fewer = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<DAddCiShape>(...SHAPES), fc.constantFrom<LockOrder>('current', 'new'), fc.boolean(),
      fc.record({ kind: fc.constantFrom('none', 'drop', 'move'), at: fc.nat(), by: fc.nat() }), fc.boolean(), fc.integer({ min: 0, max: 1_000_000 }),
      async (shape, order, writerSpin, damage, cut, seed) => {
        // Up to eight tasks with two operations each: waiters queue behind writers, releases wake them, readers steal.
        const sc = fc.sample(scenarioArb({ dAddCi: shape, order, maxTasks: 8, maxOps: 2, writerSpin }), { seed, numRuns: 1 })[0]!;
        const choices = fc.sample(choicesArb(120), { seed: seed + 1, numRuns: 1 })[0]!;
        const lines = damaged(simulate(sc, listChooser(choices), { maxSteps: 600 }).events.map(toNdjsonLine), damage);
        const path = join(dir, `many-${file++}.ndjson`);
        writeFileSync(path, (cut ? lines.slice(0, Math.floor(lines.length / 2)) : lines).join('\n') + '\n');
        const { reduced, unreduced, report } = await compare(path, order, [shape]);
        for (const r of report.results) verdicts.add(r.verdict);
        if (reduced.some((t, k) => t.candidates < unreduced[k]!.candidates)) fewer++;
      },
    ), { numRuns: 120, seed: 31 });
    // Runs that conform and runs that do not; on some, the reduced search kept fewer candidates; and
    // the unreduced one kept candidates another covered.
    expect([...verdicts]).toEqual(expect.arrayContaining(['conforms', 'does not conform']));
    expect(fewer).toBeGreaterThan(0);
    expect(coveredPairs).toBeGreaterThan(0);
  }, 600_000);

  it('stand for the unreduced search\'s states where a writer may steal the lock from readers a wake-up granted, beside a reader that took it at its request', async () => {
    // 10 holds the lock; 11 and 12 queue; 10's release grants both; 14 then takes the lock at its request (or
    // has not yet decided), while 15's request is undecided. After 11's release only a writer's steal from 12
    // (granted, not yet running) lets 15 in before 12 and 14 show their acquisitions: in the states where
    // 14 has not taken the lock (its request undecided), and in no other.
    const events: [number, string, 'R' | 'W'][] = [[10, 'acq_req', 'W'], [10, 'acq', 'W'], [11, 'acq_req', 'R'], [12, 'acq_req', 'R'],
      [15, 'acq_req', 'W'], [10, 'rel', 'W'], [14, 'acq_req', 'R'], [11, 'acq', 'R'], [11, 'rel', 'R'], [15, 'acq', 'W'], [15, 'rel', 'W'],
      [12, 'acq', 'R'], [14, 'acq', 'R'], [12, 'rel', 'R'], [14, 'rel', 'R']];
    const lines = events.map(([pid, ev, mode]) => JSON.stringify({ pid, comm: `t${pid}`, ev, args: { lock: 'I1', mode, ...(ev === 'acq_req' ? { kind: 'blocking' } : {}) } }));
    for (const variant of [lines, lines.slice(0, 10), lines.filter((_, k) => k !== 8)]) {
      const path = join(dir, `steal-${file++}.ndjson`);
      writeFileSync(path, variant.join('\n') + '\n');
      const { report } = await compare(path, 'current', ['mainline']);
      expect(report.results[0]!.verdict, path).toBe(variant === lines ? 'conforms' : variant.length === 10 ? 'conforms' : 'does not conform');
    }
  }, 60_000);

  it('stand for the unreduced search\'s states on busy excerpts of real captures, whole and with an event dropped', async () => {
    // 6.1-wild's case-insensitive directory where six readers and three writers queue behind a writer
    // (its peak was 1,672 candidates at line 161142), and the churn capture's readers preempted inside down_read.
    const peaks: number[][] = [];
    for (const [capture, from, to, drop] of [['traces/kernel-programs/6.1-wild/trace.gz', 159_999, 161_160, 1041],
      ['traces/kernel-churn/trace.gz', 6_000, 9_500, 2_000]] as const) {
      const lines = excerpt(capture, from, to);
      for (const variant of [lines, lines.filter((_, k) => k !== drop)]) {
        const path = join(dir, `busy-${file++}.txt`);
        writeFileSync(path, variant.join('\n') + '\n', 'latin1');
        const { reduced, unreduced } = await compare(path, 'current', ['mainline']);
        peaks.push([Math.max(...reduced.map((t) => t.candidates)), Math.max(...unreduced.map((t) => t.candidates))]);
      }
    }
    // The wild excerpt's peak: fewer candidates, the same states.
    expect(peaks[0]![0]).toBeLessThan(peaks[0]![1]!);
  }, 600_000);
});
