/** Test helper: `kinv check --format json ARGS...` run as a user would (the bin script, so the build when it is current), its output parsed. */
import { spawnSync } from 'node:child_process';

export interface CheckJson {
  status: number | null;
  /** Every JSON line kinv printed (verdicts, diagnostics, lockdep pairing, the summary). */
  objects: ({ kind: string } & Record<string, unknown>)[];
}

export function checkJson(args: string[]): CheckJson {
  const r = spawnSync(process.execPath, ['bin/kinv.js', 'check', '--format', 'json', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { status: r.status, objects: r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { kind: string } & Record<string, unknown>) };
}
