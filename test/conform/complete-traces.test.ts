/**
 * Complete traces (NDJSON: every event of every task, from the first): a directory is in scope from
 * its first event, so the new order's d_alloc_parallel before the lock is judged; a lock never
 * released is held at the end (a deadlock), not a filtered release; a trace with nothing judged
 * conforms to nothing. Before, a new-order run's tasks were all unknown (they were inside a lookup
 * when the directory's first lock event came) and every shape "conformed" with nothing judged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { conformTraceFile, SHAPES } from '../../src/conform/conform.js';
import { choicesArb, scenarioArb } from '../../src/sim/arbitraries.js';
import { listChooser } from '../../src/sim/chooser.js';
import { toNdjsonLine } from '../../src/sim/ndjson-writer.js';
import { simulate } from '../../src/sim/simulate.js';
import type { DAddCiShape, LockOrder } from '../../src/sim/state.js';
import { kinv } from '../helpers/kinv.js';
import { conform, conformBothPaths, verdicts } from './helpers.js';

const specs = new SpecSet([bundledSpecDir()], {});

describe('a directory whose ->lookup calls d_add_ci', () => {
  // The trace names the filesystem "xfs", not the ftrace mapping's "xfs-ci": its d_add_ci call is
  // what shows the directory case-insensitive. Before, the model never entered d_add_ci there, and
  // every shape failed at that call (the bundled draft E2 fixture too).
  it("is case-insensitive whatever the trace calls its filesystem: the draft's E2 run is the draft shape only", async () => {
    const r = await conformBothPaths('traces/ndjson/draft-d_add_ci-E2.ndjson');
    expect(verdicts(r)).toEqual({
      mainline: ['does not conform', 7, 8, 'rel R', 101],
      draft: ['conforms'],
      fixed: ['does not conform', 10, 11, 'ret d_add_ci', 101],
    });
  });

  it('a mainline d_add_ci (its d_alloc_parallel under the lock, d_splice_alias of the exact name) is the mainline shape only', async () => {
    const r = await conformBothPaths('test/conform/fixtures/mainline-d_add_ci-xfs.ndjson');
    expect(verdicts(r)).toEqual({
      mainline: ['conforms'],
      draft: ['does not conform', 7, 8, 'call d_alloc_parallel Foo', 101],
      fixed: ['does not conform', 7, 8, 'call d_alloc_parallel Foo', 101],
    });
  });
});

describe('a complete trace under the new order', () => {
  it('the draft\'s E2 run is the draft shape only: mainline at the release inside d_add_ci, fixed at its return without the relock', async () => {
    const r = await conformBothPaths('traces/sim/draft-new-E2.ndjson', undefined, 'new');
    expect(verdicts(r)).toEqual({
      mainline: ['does not conform', 10, 11, 'rel W', 102],
      draft: ['conforms'],
      fixed: ['does not conform', 19, 20, 'ret d_add_ci', 102],
    });
    expect([r.judged, r.unknownTaskEvents, r.dAddCiCalls]).toEqual([21, 0, 1]);
    expect(r.results[2]!.failure!.expected).toEqual(['acq_req W']);
  });

  it('held against today\'s order, it fails every shape at its first d_alloc_parallel, taken before the lock', async () => {
    const r = await conformBothPaths('traces/sim/draft-new-E2.ndjson');
    for (const shape of ['mainline', 'draft', 'fixed']) expect(verdicts(r)[shape]).toEqual(['does not conform', 1, 2, 'call d_alloc_parallel Foo', 101]);
    expect(r.results[0]!.failure!.expected).toEqual(['acq_req R', 'acq_req W']);
  });

  it('a run that ends in the new order\'s ABBA deadlock (its locks never released) is judged to its end', async () => {
    const r = await conformBothPaths('traces/sim/mainline-new-abba.ndjson', undefined, 'new');
    // (the draft and fixed shapes release the lock inside d_add_ci before its d_alloc_parallel)
    expect(verdicts(r)).toEqual({
      mainline: ['conforms'], draft: ['does not conform', 11, 12, 'call d_alloc_parallel Foo', 102], fixed: ['does not conform', 11, 12, 'call d_alloc_parallel Foo', 102],
    });
    expect([r.judged, r.unreleasedLocks]).toEqual([11, 0]);
  });
});

describe('what a report says when it cannot tell the shapes apart', () => {
  it('a d_add_ci that finds the exact name hashed takes no path where the shapes differ', async () => {
    const r = await kinv(['conform', '--d-add-ci', 'auto', 'traces/sim/mainline-current-clean.ndjson']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('explained by mainline, draft, fixed\n  1 d_add_ci call judged, none where the capture shows mainline, draft, fixed to differ\n');
  });

  it('a trace with nothing in the model\'s scope is unknown (exit 3), not a behaviour of every shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinv-complete-'));
    const f = join(dir, 'no-lookup.ndjson');
    writeFileSync(f, '{"pid":7,"ev":"call","fn":"lookup_slow","args":{"dir":"I1","name":"x","flags":0}}\n'
      + '{"pid":7,"ev":"ret","fn":"lookup_slow","ret":"D1"}\n{"pid":7,"ev":"syscall_exit"}\n');
    const r = await kinv(['conform', '--d-add-ci', 'auto', f]);
    expect(r.code).toBe(3);
    expect(r.stdout.match(/unknown: no event of the trace was judged/g)).toHaveLength(3);
    expect(r.stdout).toContain('explained by no shape it could judge (cannot tell for mainline, draft, fixed)');
  });
});

describe('the model\'s own runs are behaviours of the model', () => {
  it('every simulator run of every shape and order conforms to that shape and order, and is judged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinv-own-runs-'));
    let n = 0;
    let judged = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<DAddCiShape>(...SHAPES), fc.constantFrom<LockOrder>('current', 'new'), fc.integer({ min: 0, max: 1_000_000 }),
      async (shape, order, seed) => {
        const sc = fc.sample(scenarioArb({ dAddCi: shape, order, maxTasks: 3, maxOps: 2 }), { seed, numRuns: 1 })[0]!;
        const choices = fc.sample(choicesArb(), { seed: seed + 1, numRuns: 1 })[0]!;
        const run = simulate(sc, listChooser(choices), { maxSteps: 400 });
        const path = join(dir, `run-${n++}.ndjson`);
        writeFileSync(path, run.events.map(toNdjsonLine).join('\n') + '\n');
        const r = await conform(path, [shape], order);
        expect(r.results[0]!.verdict, `${shape}/${order} seed ${seed}: ${JSON.stringify(r.results[0])}`).toBe('conforms');
        expect(r.unknownTaskEvents).toBe(0);
        judged += r.judged;
      },
    ), { numRuns: 150, seed: 7 });
    expect(judged).toBeGreaterThan(0);
  }, 300_000);
});

describe('bounds', () => {
  it('a complete trace shows every lock event: d_alloc_parallel with no lock taken does not conform under today\'s order', async () => {
    // Before, a trace with no lock event made the model's lock events unseen: its sessions showed
    // nothing, followed each other without end, and ran out of memory.
    const r = await conform('traces/ndjson/dap_outcome_consistent.ndjson', ['mainline']);
    expect(verdicts(r)).toEqual({ mainline: ['does not conform', 0, 1, 'call d_alloc_parallel foo', 101] });
    expect(r.results[0]!.failure!.expected).toEqual(['acq_req R', 'acq_req W']);
    // Under the new order a lookup begins with d_alloc_parallel.
    expect(verdicts(await conform('traces/ndjson/dap_outcome_consistent.ndjson', ['mainline'], 'new')).mainline![0]).not.toBe('unknown');
  });

  it('once a bound cut a directory\'s candidates short, an event none takes is no verdict', async () => {
    // A fixed-shape run's d_add_ci (unlock, d_alloc_parallel, relock), then an acquisition by a task no state can place.
    const path = 'test/conform/fixtures/cut-candidates.ndjson';
    const cut = await conformTraceFile(path, specs, { shapes: ['fixed'], order: 'current', limits: { maxStates: 2 } });
    expect(cut!.results[0]!.verdict).toBe('unknown');
    expect(cut!.results[0]!.unknown).toBe(`no candidate state takes ${path}:13, but the candidate states were incomplete after `
      + `more than 2 model states in the internal steps of task 101 at ${path}:9`);
    expect(cut!.results[0]!.afterGap!.line).toBe(13);
    // Uncut, the same event is a non-conformance.
    expect(verdicts(await conform(path, ['fixed']))).toEqual({ fixed: ['does not conform', 12, 13, 'acq W', 999] });
  });
});

describe('killable shared holds: a readdir that primes the dcache, or a lookup', () => {
  it('a killable shared hold under which the task calls d_add_ci is a lookup, judged whole: the bogus d_add_ci is caught', async () => {
    // mainline-current-clean with task 101's down_read killable and a d_add_ci + d_alloc_parallel of FOO inserted under its hold.
    const r = await conform('test/conform/fixtures/killable-hold-bogus-d_add_ci.ndjson');
    expect(verdicts(r)).toEqual({
      mainline: ['does not conform', 9, 10, 'il_end', 101],
      draft: ['does not conform', 8, 9, 'call d_alloc_parallel FOO', 101],
      fixed: ['does not conform', 8, 9, 'call d_alloc_parallel FOO', 101],
    });
  });

  it('a killable lookup that re-takes the lock inside d_add_ci is judged as the blocking one is', async () => {
    const killable = await conform('test/conform/fixtures/killable-hold-ci-pair.ndjson');
    const blocking = await conform('traces/sim/ci-pair-fixed-current-2e.ndjson');
    expect(verdicts(killable)).toEqual(verdicts(blocking));
    expect(verdicts(killable).fixed).toEqual(['conforms']);
  });
});
