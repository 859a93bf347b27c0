/**
 * Lines up the kernel's lock-validator reports with kinv's verdicts: each report is explained by
 * the verdict of a matching invariant for the same task nearest in time (or, for reports about
 * another task's damage, any task); what is left over on either side is listed too. lockdep turns
 * itself off after its first report, so kinv usually finds much more than lockdep printed.
 */
import type { Verdict } from '../checker/engine.js';
import type { LockdepKind, LockdepReport } from './parse.js';

/** Which invariants state what each kind of report complains about. */
export const EXPLAINS: Record<LockdepKind, string[]> = {
  bad_unlock: ['rel_held', 'rel_mode'],
  rwsem_warn: ['rel_held', 'rel_mode', 'mutual_exclusion'],
  circular: ['lock_order_acyclic', 'no_deadlock'],
  recursive: ['no_recursive_acq'],
  held_at_return: ['no_locks_at_exit'],
  hung_task: ['no_deadlock', 'waiters_released', 'in_lookup_ended', 'no_locks_at_exit'],
};

export interface Pairing {
  explained: { report: LockdepReport; verdict: Verdict; sameTask: boolean }[];
  unexplained: LockdepReport[];
  /** Violations no report matched (lockdep is off after its first report, or does not check it). */
  missed: Verdict[];
}

export function matchLockdep(reports: LockdepReport[], verdicts: Verdict[]): Pairing {
  const used = new Set<Verdict>();
  const explained: Pairing['explained'] = [];
  const unexplained: LockdepReport[] = [];
  for (const r of reports) {
    const kinds = EXPLAINS[r.kind];
    const candidates = verdicts.filter((v) => kinds.includes(v.invariant) && !used.has(v));
    const distance = (v: Verdict): number => (r.time === undefined || v.event?.ts === undefined ? 0 : Math.abs(v.event.ts - r.time));
    const byTask = candidates.filter((v) => r.pid !== undefined && v.event?.pid === r.pid);
    // A DEBUG_RWSEMS warning or a hang may be about another task's damage: any task then.
    const pool = byTask.length ? byTask : r.kind === 'rwsem_warn' || r.kind === 'hung_task' || r.kind === 'circular' ? candidates : [];
    const best = pool.sort((a, b) => distance(a) - distance(b))[0];
    if (best) {
      used.add(best);
      explained.push({ report: r, verdict: best, sameTask: byTask.includes(best) });
    } else unexplained.push(r);
  }
  const missed = verdicts.filter((v) => v.kind === 'violation' && !used.has(v));
  return { explained, unexplained, missed };
}
