/**
 * The simulator traces in traces/sim/ (scripts/sim-fixtures/fixtures.ts): each file is exactly what
 * the simulator makes of its case, replays from its sidecar, and the checker gives exactly the
 * verdicts the case declares — expectations written by hand or derived from the scenario, never
 * from kinv's output, so a change in the checker or in the model shows here as a disagreement.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixture, CASES, deadlockLeftovers, draftEarlyReturn, expectedJson, first, scenarioOf, sortVerdicts } from '../../../scripts/sim-fixtures/fixtures.js';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import { listChooser } from '../../../src/sim/chooser.js';
import { initialState } from '../../../src/sim/model.js';
import { toNdjsonLine } from '../../../src/sim/ndjson-writer.js';
import { simulate } from '../../../src/sim/simulate.js';
import type { TraceEvent } from '../../../src/trace/event.js';

const DIR = join(import.meta.dirname, '../../../traces/sim');
const built = CASES.map((c) => buildFixture(c));

describe('traces/sim', () => {
  it('holds exactly the declared cases and their expected.json', () => {
    const files = readdirSync(DIR).filter((f) => !f.endsWith('.md')).sort();
    expect(files).toEqual([...CASES.flatMap((c) => [`${c.file}.meta.json`, `${c.file}.ndjson`]), 'expected.json'].sort());
    expect(readFileSync(join(DIR, 'expected.json'), 'utf8')).toBe(expectedJson(built));
  });

  for (const [k, c] of CASES.entries()) {
    const b = built[k]!;
    it(`${c.file}: regenerates byte for byte, replays from its sidecar, and the checker gives the declared verdicts`, async () => {
      const ndjson = readFileSync(join(DIR, `${c.file}.ndjson`), 'utf8');
      expect(b.ndjson).toBe(ndjson);
      const metaText = readFileSync(join(DIR, `${c.file}.meta.json`), 'utf8');
      expect(b.meta).toBe(metaText);
      const meta = JSON.parse(metaText) as { choices: number[] };
      const replay = simulate(scenarioOf(c), listChooser(meta.choices));
      expect(replay.events.map((e) => toNdjsonLine(e)).join('\n') + '\n').toBe(ndjson);

      const report = await checkTraceFile(join(DIR, `${c.file}.ndjson`), new SpecSet([], b.params), { params: b.params });
      const got = sortVerdicts(report!.verdicts.map((v): [string, string, number | null] => [v.kind, v.invariant, v.event?.seq ?? null]));
      expect(got).toEqual(b.expected);
    });
  }
});

describe('independence from the checker', () => {
  it('the generator and its cases import the simulator, never the checker, the spec or the monitors', () => {
    const root = resolve(import.meta.dirname, '../../..');
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '(\.[^']+)';/gm)) visit(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    };
    for (const f of ['fixtures.ts', 'generate.ts']) visit(join(root, 'scripts/sim-fixtures', f));
    const reached = [...seen].map((f) => f.slice(root.length + 1)).sort();
    expect(reached.filter((f) => /^src\/(checker|analysis|monitor|dsl|cli)\//.test(f))).toEqual([]);
    expect(reached).toContain('src/sim/model.ts');
  });
});

describe('derived expectations', () => {
  const ev = (pid: number, e: string, fn?: string): TraceEvent => ({ seq: 0, pid, ev: e, args: {}, ...(fn ? { fn } : {}) });
  const trace = [ev(7, 'call', 'd_add_ci'), ev(7, 'rel'), ev(7, 'ret', 'd_add_ci'), ev(7, 'ret', 'lookup'), ev(7, 'rel')];

  it('the draft\'s early return: in_lookup_parent_locked only in today\'s order and only for an in-lookup caller', () => {
    const at = (xs: ReturnType<typeof draftEarlyReturn>): [string, number | undefined][] => xs.map((x) => [x.invariant, x.at(trace)]);
    expect(at(draftEarlyReturn(7, { order: 'current', callerOwnsInLookup: true }))).toEqual([
      ['in_lookup_parent_locked', 1], ['d_add_ci_parent_lock_balanced', 2], ['lookup_parent_lock_balanced', 3], ['rel_held', 4],
    ]);
    expect(at(draftEarlyReturn(7, { order: 'current', callerOwnsInLookup: false })).map(([n]) => n)).not.toContain('in_lookup_parent_locked');
    expect(at(draftEarlyReturn(7, { order: 'new', callerOwnsInLookup: true })).map(([n]) => n)).not.toContain('in_lookup_parent_locked');
  });

  it('a finished run leaves nothing open but the deadlock itself; an event not in the trace is not found', () => {
    const sc = scenarioOf(CASES[0]!);
    expect(deadlockLeftovers(initialState(sc)).map((x) => x.invariant)).toEqual(['no_deadlock']);
    expect(first(8, 'rel')(trace)).toBeUndefined();
  });

  it('a case whose declared event is missing from its trace fails to build, naming the case', () => {
    const c = { ...CASES[0]!, violations: [{ kind: 'violation' as const, invariant: 'rel_held', at: first(999, 'rel'), why: 'no such release' }] };
    expect(() => buildFixture(c)).toThrow('mainline-current-clean: the trace has no event for the expected rel_held (no such release)');
  });
});
