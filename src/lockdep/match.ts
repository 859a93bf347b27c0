/**
 * Lines up the kernel's lock-validator reports with kinv's verdicts: each report is explained by
 * the verdict of a matching invariant for the same task, else (for reports about another task's
 * damage) for the same lock, nearest in time; what is left over on either side is listed too.
 * lockdep turns itself off after its first report, so kinv usually finds much more than lockdep
 * printed. One verdict may explain several reports: a stray up_read is lockdep's "bad unlock
 * balance" for the task that did it, and later rwsem's count underflow for the next reader.
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

/**
 * A trace names a directory's i_rwsem by its inode's address; a report prints the rwsem's own
 * address, a field of that inode: it is the same lock when it lies this close above the id.
 */
const MAX_FIELD_OFFSET = 4096n;

export interface Pairing {
  explained: { report: LockdepReport; verdict: Verdict; sameTask: boolean; sameLock: boolean }[];
  unexplained: LockdepReport[];
  /** Violations no report matched (lockdep is off after its first report, or does not check it). */
  missed: Verdict[];
}

function hexValue(s: unknown): bigint | undefined {
  if (typeof s !== 'string' || !/^0x[0-9a-f]+$/i.test(s)) return undefined;
  return BigInt(s);
}

/** Whether the rwsem at `address` is the lock the verdict's event names. */
function sameLock(address: string | undefined, v: Verdict): boolean {
  const a = hexValue(address);
  const l = hexValue(v.event?.args.lock);
  if (a === undefined || l === undefined) return false;
  const d = a - l;
  return d >= 0n && d < MAX_FIELD_OFFSET;
}

export function matchLockdep(reports: LockdepReport[], verdicts: Verdict[]): Pairing {
  const used = new Set<Verdict>();
  const explained: Pairing['explained'] = [];
  const unexplained: LockdepReport[] = [];
  const order = new Map(verdicts.map((v, i) => [v, i]));
  for (const r of reports) {
    const kinds = EXPLAINS[r.kind];
    const candidates = verdicts.filter((v) => kinds.includes(v.invariant));
    const byTask = candidates.filter((v) => r.pid !== undefined && v.event?.pid === r.pid);
    const byLock = candidates.filter((v) => sameLock(r.address, v));
    // A DEBUG_RWSEMS warning or a hang may be about another task's damage: that lock, or any task.
    const pool = byTask.length ? byTask : byLock.length ? byLock : r.kind === 'rwsem_warn' || r.kind === 'hung_task' || r.kind === 'circular' ? candidates : [];
    // Nearest in time when both sides have times (a `counter` trace clock has none), then a
    // verdict no other report took, then the earliest.
    const distance = (v: Verdict): number => (r.time === undefined || v.event?.ts === undefined ? 0 : Math.abs(v.event.ts - r.time));
    const best = [...pool].sort((a, b) => distance(a) - distance(b) || Number(used.has(a)) - Number(used.has(b)) || order.get(a)! - order.get(b)!)[0];
    if (best) {
      used.add(best);
      explained.push({ report: r, verdict: best, sameTask: byTask.includes(best), sameLock: byLock.includes(best) });
    } else unexplained.push(r);
  }
  const missed = verdicts.filter((v) => v.kind === 'violation' && !used.has(v));
  return { explained, unexplained, missed };
}
