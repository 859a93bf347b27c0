/** `kinv explore` reduces task-local interleavings by default; `--no-por` searches them all, to the same findings. */
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

interface Line { kind: string; invariant?: string; depth?: number; replay?: string; distinct?: number; counterexamples?: string[] }

async function explore(extra: string[]): Promise<Line[]> {
  const r = await kinv(['explore', '--scenario', 'pair', '--d-add-ci', 'fixed', '--order', 'current', '-f', 'json', ...extra]);
  expect(r.code).toBe(1);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
}

describe('kinv explore --no-por', () => {
  it('explores more states and finds the same counterexamples at the same depths', async () => {
    const reduced = await explore([]);
    const full = await explore(['--no-por']);
    const summary = (ls: Line[]) => ls.find((l) => l.kind === 'summary')!;
    expect(summary(full).distinct).toBeGreaterThan(summary(reduced).distinct!);
    const found = (ls: Line[]) => ls.filter((l) => l.kind !== 'summary').map((l) => `${l.invariant} ${l.depth}`).sort();
    expect(found(reduced)).toEqual(found(full));
    expect(found(full).length).toBeGreaterThan(0);
  });
});
