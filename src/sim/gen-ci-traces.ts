/**
 * Writes the case-insensitive race traces into traces/sim/ (ci-*.ndjson, a ci-*.meta.json sidecar
 * each with the choice list that replays it, and ci-expected.json with the bundled spec's
 * verdicts, to be reviewed in the diff). Run from the repository root:
 *   node --import tsx src/sim/gen-ci-traces.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCiTrace, CI_TRACE_CASES, ciExpectedJson } from './ci-traces.js';

const dir = join(process.cwd(), 'traces', 'sim');
mkdirSync(dir, { recursive: true });
const built = CI_TRACE_CASES.map((c) => buildCiTrace(c));
for (const t of built) {
  writeFileSync(join(dir, `${t.file}.ndjson`), t.ndjson);
  writeFileSync(join(dir, `${t.file}.meta.json`), t.meta);
  process.stdout.write(`${t.file}: ${t.ndjson.split('\n').length - 1} events, ${t.verdicts.length} verdicts\n`);
}
writeFileSync(join(dir, 'ci-expected.json'), ciExpectedJson(built));
