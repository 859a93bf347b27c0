/**
 * The search's fast paths (a step with one outcome taken in place on a candidate the search made
 * for that step, the observation taken again copying where that fails; a session removed in place;
 * a copy that shares the other tasks' states; dedupe's part-by-part comparison of candidates with
 * the same number) give what the general path gives, where every step is taken on a deep copy and
 * candidates are compared by their JSON forms: the same report, verdicts, failing event, candidate
 * descriptions and expectations, on random simulator runs, on excerpts of real captures, and on
 * damaged copies of both.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { checkSharedParts, clone, type Candidate } from '../../src/conform/search.js';
import { conformTraceFile, SHAPES, type ConformReport } from '../../src/conform/conform.js';
import { choicesArb, scenarioArb } from '../../src/sim/arbitraries.js';
import { damaged } from './helpers.js';
import { listChooser } from '../../src/sim/chooser.js';
import { toNdjsonLine } from '../../src/sim/ndjson-writer.js';
import { simulate } from '../../src/sim/simulate.js';
import type { DAddCiShape, LockOrder, TaskState } from '../../src/sim/state.js';

const specs = new SpecSet([bundledSpecDir()], {});
const dir = mkdtempSync(join(tmpdir(), 'kinv-fast-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// What copies of a candidate share and replace where it changes (the dcache records, the lists of
// the tasks' parts) is frozen when a copy is made: a change made in place fails the run (search.ts, clone).
beforeAll(() => checkSharedParts(true));
afterAll(() => checkSharedParts(false));

async function both(path: string, order: LockOrder): Promise<{ fast: ConformReport; general: ConformReport }> {
  const run = async (generalOnly: boolean): Promise<ConformReport> => {
    const r = await conformTraceFile(path, specs, { shapes: SHAPES, order, limits: { generalOnly } });
    if (r === undefined) throw new Error(`${path} unreadable`);
    return r;
  };
  return { fast: await run(false), general: await run(true) };
}

let file = 0;

describe('kinv conform: fast paths agree with the general path', () => {
  it('on random simulator runs of every shape and order, whole and damaged', async () => {
    const verdicts = new Set<string>();
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<DAddCiShape>(...SHAPES), fc.constantFrom<LockOrder>('current', 'new'),
      fc.record({ kind: fc.constantFrom('none', 'drop', 'move'), at: fc.nat(), by: fc.nat() }),
      fc.integer({ min: 0, max: 1_000_000 }),
      async (shape, order, damage, seed) => {
        const sc = fc.sample(scenarioArb({ dAddCi: shape, order, maxTasks: 3, maxOps: 2 }), { seed, numRuns: 1 })[0]!;
        const choices = fc.sample(choicesArb(), { seed: seed + 1, numRuns: 1 })[0]!;
        const run = simulate(sc, listChooser(choices), { maxSteps: 400 });
        const lines = damaged(run.events.map(toNdjsonLine), damage);
        // Whole, and cut at two points with an event no state can take after the cut: its failure
        // describes the whole candidate set there (count, first states, what could come next).
        for (const cut of [lines.length, Math.floor(lines.length / 3), Math.floor((2 * lines.length) / 3)]) {
          const path = join(dir, `run-${file++}.ndjson`);
          const tail = cut === lines.length ? [] : [JSON.stringify({ pid: 999, ev: 'acq', args: { lock: 'I1', mode: 'W' } })];
          writeFileSync(path, [...lines.slice(0, cut), ...tail].join('\n') + '\n');
          const { fast, general } = await both(path, order);
          for (const r of general.results) verdicts.add(r.verdict);
          expect(fast).toEqual(general);
        }
      },
    ), { numRuns: 60, seed: 15 });
    // The property held on conforming runs and on runs that do not conform (failure descriptions compared).
    expect([...verdicts]).toEqual(expect.arrayContaining(['conforms', 'does not conform']));
  }, 300_000);

  it('on excerpts of real captures, whole, with an event dropped, and with one moved', async () => {
    // The stock capture's steps branch where taken in place (writers that may set the hand-off
    // bit), so the candidates are rebuilt there; the draft's and the fixed kernel's have contended d_add_ci.
    const verdicts = new Set<string>();
    for (const [capture, from] of [['traces/kernel/trace.gz', 20_000], ['traces/kernel-buggy/trace.gz', 60_000], ['traces/kernel-fixed/trace.gz', 80_000]] as const) {
      const lines = gunzipSync(readFileSync(capture)).toString('latin1').split('\n');
      // The header (less its count of entries, which an excerpt does not hold), then a stretch of the capture from `from` on.
      const excerpt = [...lines.slice(0, 12).filter((l) => !l.includes('entries-in-buffer')), ...lines.slice(from, from + 4000)];
      for (const damage of [{ kind: 'none', at: 0, by: 0 }, { kind: 'drop', at: 1500, by: 0 }, { kind: 'move', at: 2700, by: 2 }] as const) {
        const path = join(dir, `excerpt-${file++}.txt`);
        writeFileSync(path, damaged(excerpt, damage).join('\n') + '\n', 'latin1');
        const { fast, general } = await both(path, 'current');
        for (const r of general.results) verdicts.add(r.verdict);
        expect(fast, `${capture} ${damage.kind}`).toEqual(general);
      }
    }
    expect([...verdicts]).toEqual(expect.arrayContaining(['conforms', 'does not conform']));
  }, 300_000);

  it('on a busy directory: over a thousand candidates, tasks woken and granted by others\' steps', async () => {
    // 6.1-wild before its peak: tasks queued behind writers, each request decided now or later.
    const lines = gunzipSync(readFileSync('traces/kernel-programs/6.1-wild/trace.gz')).toString('latin1').split('\n');
    const excerpt = [...lines.slice(0, 12).filter((l) => !l.includes('entries-in-buffer')), ...lines.slice(159_999, 161_045)];
    const seen: string[] = [];
    for (const damage of [{ kind: 'none', at: 0, by: 0 }, { kind: 'drop', at: 1041, by: 0 }] as const) {
      const path = join(dir, `busy-${file++}.txt`);
      writeFileSync(path, damaged(excerpt, damage).join('\n') + '\n', 'latin1');
      const { fast, general } = await both(path, 'current');
      expect(fast, damage.kind).toEqual(general);
      seen.push(fast.results.map((r) => `${r.verdict} ${r.failure?.line ?? ''} ${r.failure?.candidateCount ?? ''}`).join(', '));
    }
    // Whole, it conforms; without the ->lookup call of its line 1042 (6.1-wild:161030), every shape fails at the d_add_ci
    // after it, with hundreds of candidates (the first eight described, in the order dedupe keeps them; the rwsem's
    // readers a set, so that states that differ only in the order they were granted are one).
    expect(seen).toEqual(['conforms  , conforms  , conforms  ', 'does not conform 1043 341, does not conform 1043 341, does not conform 1043 341']);
  }, 300_000);

  it('on the bundled kprobe frames and simulator traces', async () => {
    for (const path of ['traces/ftrace/kprobe-draft-d_add_ci.txt', 'traces/ftrace/kprobe-fixed-d_add_ci.txt', 'traces/sim/draft-current-E2.ndjson',
      'traces/sim/ci-trio-shared-draft-new-mutex.ndjson']) {
      for (const order of ['current', 'new'] as const) {
        const { fast, general } = await both(path, order);
        expect(fast, `${path} ${order}`).toEqual(general);
      }
    }
  }, 300_000);

  it('share with a copy only what is replaced where it changes: a change made in place to it fails where it is made', () => {
    const t: TaskState = { pid: 7, comm: 'a', op: 0, pc: 'task:start', v: {}, stack: [], status: 'run', waitLock: null, waitMode: null, waitDentry: null,
      granted: false };
    const c: Candidate = {
      sc: { dirs: [{ id: 'I1', ci: false, entries: [] }], tasks: [{ pid: 7, comm: 'a', ops: [{ kind: 'stat', dir: 'I1', name: 'x' }] }], dAddCi: 'mainline',
        order: 'current', faults: { allocFail: false, exactHashed: false }, handoff: true },
      s: { locks: { I1: { writer: null, readers: [], queue: [], handoff: false } }, hashed: {}, inLookup: {}, dentryKey: {}, tasks: [t], nextId: 100, seq: 0 },
      kind: ['stat'], held: [false], pend: [[]], req: [0],
    };
    const d = clone(c, 0);
    // The copy's own parts may change in place...
    d.s.tasks[0]!.pc = 'lookup_slow:dap';
    d.s.locks.I1!.readers.push(7);
    expect(c.s.tasks[0]!.pc).toBe('task:start');
    expect(c.s.locks.I1!.readers).toEqual([]);
    // ... what it shares may not.
    expect(() => { d.req[0] = 1; }).toThrow(TypeError);
    expect(() => { d.pend[0] = []; }).toThrow(TypeError);
    expect(() => { d.s.hashed['I1/x'] = 'D1'; }).toThrow(TypeError);
    expect(() => { d.s.inLookup['I1/x'] = { dentry: 'D1', owner: 7 }; }).toThrow(TypeError);
    expect(c.req).toEqual([0]);
    expect(c.s.hashed).toEqual({});
  });
});
