/**
 * Writes traces/sim/: each case of fixtures.ts as NDJSON with a `.meta.json` sidecar (scenario,
 * protocol and the choice list that replays it), and expected.json with the verdicts each case
 * declares. Uses the simulator only: no verdict here comes from kinv. Run from the repository
 * root: npm run gen:sim-traces
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFixture, CASES, expectedJson } from './fixtures.js';

const dir = join(process.cwd(), 'traces', 'sim');
mkdirSync(dir, { recursive: true });
const built = CASES.map((c) => buildFixture(c));
for (const b of built) {
  writeFileSync(join(dir, `${b.file}.ndjson`), b.ndjson);
  writeFileSync(join(dir, `${b.file}.meta.json`), b.meta);
  process.stdout.write(`${b.file}: ${b.ndjson.split('\n').length - 1} events, ${b.expected.length} expected verdicts\n`);
}
writeFileSync(join(dir, 'expected.json'), expectedJson(built));
