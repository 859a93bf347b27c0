/**
 * The case-insensitive race traces in traces/sim/ (ci-*.ndjson): each is exactly what the
 * simulator produces from its sidecar's choice list, and read back through the NDJSON reader it
 * gives exactly the verdicts of ci-expected.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { listChooser } from '../../src/sim/chooser.js';
import { buildCiTrace, CI_TRACE_CASES } from '../../src/sim/ci-traces.js';
import { toNdjsonLine } from '../../src/sim/ndjson-writer.js';
import { CI_SCENARIOS } from '../../src/sim/scenarios-ci.js';
import { simulate } from '../../src/sim/simulate.js';

const DIR = join(process.cwd(), 'traces', 'sim');
const expected = JSON.parse(readFileSync(join(DIR, 'ci-expected.json'), 'utf8')) as Record<string, { params: Record<string, string>; verdicts: unknown[] }>;

describe('traces/sim/ci-*', () => {
  it('lists every case in ci-expected.json, and nothing else', () => {
    expect(Object.keys(expected).filter((k) => !k.startsWith('//')).sort()).toEqual(CI_TRACE_CASES.map((c) => `${c.file}.ndjson`).sort());
  });

  for (const c of CI_TRACE_CASES) {
    it(`${c.file}: regenerates byte for byte, replays from its sidecar, and gives its expected verdicts`, async () => {
      const ndjson = readFileSync(join(DIR, `${c.file}.ndjson`), 'utf8');
      const meta = JSON.parse(readFileSync(join(DIR, `${c.file}.meta.json`), 'utf8')) as { choices: number[] };
      const built = buildCiTrace(c);
      expect(built.ndjson).toBe(ndjson);
      expect(built.meta).toBe(readFileSync(join(DIR, `${c.file}.meta.json`), 'utf8'));
      const replay = simulate(CI_SCENARIOS[c.scenario]!({ dAddCi: c.dAddCi, order: c.order }), listChooser(meta.choices));
      expect(replay.events.map((e) => toNdjsonLine(e)).join('\n') + '\n').toBe(ndjson);

      const exp = expected[`${c.file}.ndjson`]!;
      const report = await checkTraceFile(join(DIR, `${c.file}.ndjson`), new SpecSet([], exp.params), { params: exp.params });
      expect(report?.verdicts.map((v) => [v.kind, v.invariant, v.event?.seq ?? null])).toEqual(exp.verdicts);
      expect(built.verdicts).toEqual(exp.verdicts);
    });
  }
});
