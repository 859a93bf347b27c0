/**
 * The Quint model of the lookup path (spec/quint/lookup.qnt) run by Quint itself (`quint run
 * --out-itf`, its TypeScript simulator: no Java, no download), its ITF traces then judged by kinv:
 * the draft d_add_ci breaks the parent-lock balance whatever the schedule, the mainline never does.
 * Quint takes tens of seconds to start here, so this is in the exhaustive project; the quick suite
 * checks the committed traces it wrote (traces/itf/, itf.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-quint-'));
const quintCli = createRequire(import.meta.url).resolve('@informalsystems/quint/dist/src/cli.js');

function quintRun(init: string, steps: number, seed: number, out: string): void {
  const r = spawnSync(process.execPath, [quintCli, 'run', 'spec/quint/lookup.qnt', '--backend=typescript', '--max-samples=1', `--init=${init}`, '--step=step',
    `--max-steps=${steps}`, `--seed=${seed}`, `--out-itf=${out}`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

describe('Quint model, checked by kinv', () => {
  for (const seed of [1, 2, 3]) {
    it(`draft d_add_ci, schedule seed ${seed}: lookup_parent_lock_balanced, d_add_ci_parent_lock_balanced and rel_held`, async () => {
      const out = join(tmp, `draft-${seed}.itf.json`);
      quintRun('initDraft', 32, seed, out);
      const r = await kinv(['check', '--format', 'json', '--from', 'itf', out]);
      expect(r.code).toBe(1);
      const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; invariant?: string });
      const invariants = new Set(objects.filter((o) => o.kind === 'violation').map((o) => o.invariant));
      for (const inv of ['lookup_parent_lock_balanced', 'd_add_ci_parent_lock_balanced', 'rel_held']) expect(invariants).toContain(inv);
    });
  }

  it('mainline d_add_ci: no violation', async () => {
    const out = join(tmp, 'mainline.itf.json');
    quintRun('initMainline', 36, 4, out);
    const r = await kinv(['check', '--from', 'itf', out]);
    expect(r.stdout).toContain('no violation — 36 events');
    expect(r.code).toBe(0);
  });
});
