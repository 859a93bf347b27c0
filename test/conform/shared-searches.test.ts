/**
 * The shapes asked for are judged together, and a directory whose ->lookup is not a
 * case-insensitive XFS's (where the model never enters d_add_ci, the only routine that reads the
 * shape) is searched once for all of them. Each shape's result among the others is the one it
 * gets judged alone: verdict, failing event, candidates and expectations, unknowns, and the counts
 * of the report; on random simulator runs with case-insensitive directories, on excerpts of real
 * captures whose failures are in case-insensitive directories and others, and on damaged copies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { checkSharedParts } from '../../src/conform/search.js';
import { conformTraceFile, SHAPES, type ConformReport } from '../../src/conform/conform.js';
import { choicesArb, scenarioArb } from '../../src/sim/arbitraries.js';
import { damaged } from './helpers.js';
import { listChooser } from '../../src/sim/chooser.js';
import { toNdjsonLine } from '../../src/sim/ndjson-writer.js';
import { simulate } from '../../src/sim/simulate.js';
import type { LockOrder } from '../../src/sim/state.js';

const specs = new SpecSet([bundledSpecDir()], {});
const dir = mkdtempSync(join(tmpdir(), 'kinv-shared-searches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// (with what copies share frozen, as in fast-paths.test.ts)
beforeAll(() => checkSharedParts(true));
afterAll(() => checkSharedParts(false));

/** The report of every shape judged together, and the one each shape gets alone with its result in place. */
async function togetherAndAlone(path: string, order: LockOrder): Promise<{ together: ConformReport; alone: ConformReport }> {
  const run = async (shapes: typeof SHAPES): Promise<ConformReport> => {
    const r = await conformTraceFile(path, specs, { shapes, order });
    if (r === undefined) throw new Error(`${path} unreadable`);
    return r;
  };
  const together = await run(SHAPES);
  const each = await Promise.all(SHAPES.map((shape) => run([shape])));
  return { together, alone: { ...each[0]!, results: each.map((r) => r.results[0]!) } };
}

let file = 0;

describe('kinv conform: the shapes judged together', () => {
  it('give each shape its result alone, on random simulator runs with case-insensitive directories, whole and damaged', async () => {
    const verdicts = new Set<string>();
    let differ = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<LockOrder>('current', 'new'),
      fc.record({ kind: fc.constantFrom('none', 'drop', 'move'), at: fc.nat(), by: fc.nat() }),
      fc.integer({ min: 0, max: 1_000_000 }),
      async (order, damage, seed) => {
        const sc = fc.sample(scenarioArb({ dAddCi: SHAPES[seed % 3]!, order, maxTasks: 3, maxOps: 2 }), { seed, numRuns: 1 })[0]!;
        const choices = fc.sample(choicesArb(), { seed: seed + 1, numRuns: 1 })[0]!;
        const run = simulate(sc, listChooser(choices), { maxSteps: 400 });
        const path = join(dir, `run-${file++}.ndjson`);
        writeFileSync(path, damaged(run.events.map(toNdjsonLine), damage).join('\n') + '\n');
        const { together, alone } = await togetherAndAlone(path, order);
        for (const r of together.results) verdicts.add(r.verdict);
        if (new Set(together.results.map((r) => r.verdict)).size > 1) differ++;
        expect(together).toEqual(alone);
      },
    ), { numRuns: 80, seed: 23 });
    // Runs the shapes tell apart were met (the case-insensitive directories were judged), and failures compared.
    expect(differ).toBeGreaterThan(0);
    expect([...verdicts]).toEqual(expect.arrayContaining(['conforms', 'does not conform']));
  }, 180_000);

  it('give each shape its result alone, on excerpts of real captures, whole and damaged', async () => {
    const seen = new Set<string>();
    for (const [capture, from, count] of [['traces/kernel-buggy/trace.gz', 60_000, 4000], ['traces/kernel-fixed/trace.gz', 80_000, 4000],
      ['traces/kernel-programs/6.1-wild/trace.gz', 159_999, 1046]] as const) {
      const lines = gunzipSync(readFileSync(capture)).toString('latin1').split('\n');
      const excerpt = [...lines.slice(0, 12).filter((l) => !l.includes('entries-in-buffer')), ...lines.slice(from, from + count)];
      for (const damage of [{ kind: 'none', at: 0, by: 0 }, { kind: 'drop', at: 1041, by: 0 }, { kind: 'move', at: 700, by: 2 }] as const) {
        const path = join(dir, `excerpt-${file++}.txt`);
        writeFileSync(path, damaged(excerpt, damage).join('\n') + '\n', 'latin1');
        const { together, alone } = await togetherAndAlone(path, 'current');
        expect(together, `${capture} ${damage.kind}`).toEqual(alone);
        for (const r of together.results) seen.add(r.verdict);
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining(['conforms', 'does not conform']));
  }, 240_000);
});
