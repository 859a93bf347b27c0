/**
 * Scenarios: the small named ones exploration uses, and random ones for `kinv sim`.
 */
import { prng } from './chooser.js';
import type { DAddCiShape, LockOrder, Op, Scenario } from './model.js';

export interface Protocol { dAddCi: DAddCiShape; order: LockOrder }

/**
 * Named scenarios, all on one ASCII case-insensitive directory I1 whose on-disk entry is "Foo":
 * - `pair`: task 101 stats the exact name "Foo" while task 102 opens "foo" with O_CREAT (its
 *   ->lookup goes through d_add_ci with the parent held exclusive) — the two-task ABBA of the new
 *   order, and the fixed d_add_ci's cycle in today's order;
 * - `trio`: tasks 101 and 102 stat "foo" (both through d_add_ci) while 103 creates "bar" (an
 *   exclusive waiter whose hand-off bit can stop reader stealing) — the three-task shared variant;
 * - `mkdir`: one task creates "foo" through lookup_one_qstr_excl's plain d_alloc, so d_add_ci
 *   takes its d_alloc branch (the draft's early return E3 on allocation failure).
 */
export const SCENARIOS: Record<string, (p: Protocol) => Scenario> = {
  pair: (p) => ({
    ...p, handoff: true, faults: { allocFail: false, exactHashed: false },
    dirs: [{ id: 'I1', ci: true, entries: ['Foo'] }],
    tasks: [
      { pid: 101, comm: 'stat', ops: [{ kind: 'stat', dir: 'I1', name: 'Foo' }] },
      { pid: 102, comm: 'open', ops: [{ kind: 'open_creat', dir: 'I1', name: 'foo' }] },
    ],
  }),
  trio: (p) => ({
    ...p, handoff: true, faults: { allocFail: false, exactHashed: false },
    dirs: [{ id: 'I1', ci: true, entries: ['Foo'] }],
    tasks: [
      { pid: 101, comm: 'stat', ops: [{ kind: 'stat', dir: 'I1', name: 'foo' }] },
      { pid: 102, comm: 'stat', ops: [{ kind: 'stat', dir: 'I1', name: 'foo' }] },
      { pid: 103, comm: 'mkdir', ops: [{ kind: 'mkdir', dir: 'I1', name: 'bar' }] },
    ],
  }),
  mkdir: (p) => ({
    ...p, handoff: false, faults: { allocFail: true, exactHashed: false },
    dirs: [{ id: 'I1', ci: true, entries: ['Foo'] }],
    tasks: [{ pid: 103, comm: 'mkdir', ops: [{ kind: 'mkdir', dir: 'I1', name: 'foo' }] }],
  }),
  single: (p) => ({
    ...p, handoff: false, faults: { allocFail: true, exactHashed: true },
    dirs: [{ id: 'I1', ci: true, entries: ['Foo'] }],
    tasks: [{ pid: 101, comm: 'stat', ops: [{ kind: 'stat', dir: 'I1', name: 'foo' }] }],
  }),
};

export interface RandomScenarioOptions extends Protocol {
  tasks: number;
  dirs: number;
  /** Distinct names per directory (each with several case spellings). */
  names: number;
  ops: number;
  /** Fraction of operations that are open(O_CREAT); another fraction are creations (mkdir). */
  creat: number;
  mkdir: number;
  /** Fraction of directories that are case-insensitive. */
  ci: number;
  seed: number;
  allocFail: boolean;
  exactHashed: boolean;
  /** Whether every directory's filesystem has ->d_revalidate, as vfat's does (no random draw: seeds keep their scenarios). */
  revalidates?: boolean;
}

export const DEFAULT_RANDOM: Omit<RandomScenarioOptions, 'dAddCi' | 'order'> = {
  tasks: 4, dirs: 2, names: 3, ops: 4, creat: 0.2, mkdir: 0.05, ci: 0.5, seed: 1, allocFail: false, exactHashed: false,
};

const SPELL = [(s: string) => s, (s: string) => s.toUpperCase(), (s: string) => s[0]!.toUpperCase() + s.slice(1)];

/** A random scenario: directories with on-disk names, and tasks doing lookups in all case spellings. */
export function randomScenario(o: RandomScenarioOptions): Scenario {
  const rand = prng(o.seed ^ 0x9e3779b9);
  const dirs = Array.from({ length: o.dirs }, (_, i) => ({
    id: `I${i + 1}`,
    ci: rand() < o.ci,
    entries: Array.from({ length: o.names }, (_, k) => SPELL[2]!(`name${k}`)),
  }));
  for (const d of dirs) if (o.revalidates === true) Object.assign(d, { revalidates: true });
  const tasks = Array.from({ length: o.tasks }, (_, t) => {
    const ops: Op[] = Array.from({ length: o.ops }, () => {
      const d = dirs[Math.floor(rand() * dirs.length)]!;
      const base = `name${Math.floor(rand() * o.names)}`;
      const name = SPELL[Math.floor(rand() * SPELL.length)]!(base);
      const r = rand();
      return { kind: r < o.creat ? 'open_creat' : r < o.creat + o.mkdir ? 'mkdir' : 'stat', dir: d.id, name };
    });
    return { pid: 1000 + t, comm: ['stat', 'find', 'ls', 'touch'][t % 4]!, ops };
  });
  return { dAddCi: o.dAddCi, order: o.order, dirs, tasks, handoff: true, faults: { allocFail: o.allocFail, exactHashed: o.exactHashed } };
}
