/**
 * Named scenarios that race a case-insensitive lookup against the other users of the same
 * directory lock, spelled the way `vfs-locking-semantics.md` §2(d)/§2(e) tell their schedules.
 *
 * Why next to `SCENARIOS`: the bundled `pair` has the exact-case stat and the O_CREAT open, and
 * `trio` has two user-spelling stats and a creation; neither has an exact-case lookup together
 * with a shared holder and a queued writer, which is what the three-task ("even shared") variants
 * need, and neither spells §2(e)'s two-task schedule literally (stat of the user spelling "foo").
 * These have the same signature as `SCENARIOS`, so `{ ...SCENARIOS, ...CI_SCENARIOS }` makes them
 * reachable from `kinv sim --scenario` and `kinv explore --scenario`.
 *
 * All are on one ASCII case-insensitive directory I1 whose on-disk entry is "Foo"; dcache names
 * are case-sensitive, so "foo" (user spelling) and "Foo" (exact case) are different in-lookup names.
 */
import type { Op, Scenario, TaskSpec } from './model.js';
import type { Protocol } from './scenarios.js';

const DIR = 'I1';

function task(pid: number, kind: Op['kind'], name: string): TaskSpec {
  return { pid, comm: kind === 'stat' ? 'stat' : kind === 'mkdir' ? 'mkdir' : 'open', ops: [{ kind, dir: DIR, name }] };
}

function onCiDir(p: Protocol, tasks: TaskSpec[]): Scenario {
  return { ...p, handoff: true, faults: { allocFail: false, exactHashed: false }, dirs: [{ id: DIR, ci: true, entries: ['Foo'] }], tasks };
}

/**
 * - `ci-pair`: §2(e) schedule 1 as written — task 101 stats "foo" (through d_add_ci), task 102
 *   opens "foo" with O_CREAT (parent exclusive) and sleeps on 101's in-lookup "foo".
 * - `ci-trio-shared`: 101 stats the exact name "Foo", 102 stats "foo" (d_add_ci, parent shared),
 *   103 creates "bar" (queues for the parent exclusive). The three-task variants: §2(d) under the
 *   new order with the mainline shape, §2(e) in today's order with the fixed shape; with the draft
 *   shape, its early return E2 and the caller's up_read on a lock it no longer holds.
 * - `ci-trio-open`: 101 stats "foo", 102 opens "foo" with O_CREAT, 103 creates "bar": one
 *   case-insensitive lookup, one O_CREAT open of the same name and an exclusive third party.
 */
export const CI_SCENARIOS: Record<string, (p: Protocol) => Scenario> = {
  'ci-pair': (p) => onCiDir(p, [task(101, 'stat', 'foo'), task(102, 'open_creat', 'foo')]),
  'ci-trio-shared': (p) => onCiDir(p, [task(101, 'stat', 'Foo'), task(102, 'stat', 'foo'), task(103, 'mkdir', 'bar')]),
  'ci-trio-open': (p) => onCiDir(p, [task(101, 'stat', 'foo'), task(102, 'open_creat', 'foo'), task(103, 'mkdir', 'bar')]),
};
