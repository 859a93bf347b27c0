/**
 * A capture whose probe set cannot show every acquisition of a directory's i_rwsem: a variant it
 * does not probe (down_read_killable, which iterate_dir takes), or acquisitions probed by their
 * returns alone (a kretprobe-only set: the return carries no `sem`). A task that releases a lock,
 * takes it again through such a variant and releases it again shows two releases in a row, which
 * is no bug: overlayfs's readdir does it in one getdents, for each lower directory. Only a release
 * inside d_add_ci, where the relock is d_add_ci's own down_read or down_write, still excuses the
 * next one (the draft d_add_ci's early returns, judged in test/kernel/capture-more.test.ts on a
 * capture that probes no killable variant).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, checkWithCapture, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-unseen-acq-'));
// 6.12-layered (overlayfs over ext4 and tmpfs) as trace_pipe shows it: no header.
const whole = captureLines('6.12-layered').filter((l) => !l.startsWith('#'));
/** The capture without the records of `probes`, and where each kept line was in the whole. */
function without(probes: string[]): { lines: string[]; origin: number[] } {
  const origin = whole.flatMap((l, i) => (probes.some((p) => l.includes(` ${p}: (`)) ? [] : [i]));
  return { lines: origin.map((i) => whole[i]!), origin };
}

const task = (l: string): string | undefined => /^\s*\S+-(\d+)\s+\[/.exec(l)?.[1];
const sem = (l: string): string | undefined => /\bsem=(0x[0-9a-f]+)/.exec(l)?.[1];

/**
 * The lines (1-based) of up_read records that follow an up_read of the same lock by the same task
 * in one system call with no down_read of it between, by a task the capture shows acquiring some
 * lock: what a rule excusing any earlier release of the task's own would judge.
 */
function repeatedReleases(lines: string[]): number[] {
  const released = new Map<string, number>();
  const acquiring = new Set<string>();
  const out: number[] = [];
  lines.forEach((l, i) => {
    const t = task(l);
    if (t === undefined) return;
    if (l.includes(' sys_exit: ')) {
      for (const k of [...released.keys()]) if (k.startsWith(`${t} `)) released.delete(k);
      return;
    }
    const s = sem(l);
    if (s === undefined) return;
    const key = `${t} ${s}`;
    if (/ d[rw]: \(/.test(l)) { acquiring.add(t); released.delete(key); return; }
    if (!l.includes(' ur: (')) return;
    if (released.has(key) && acquiring.has(t)) out.push(i + 1);
    released.set(key, i + 1);
  });
  return out;
}

describe('a capture that does not probe down_read_killable (overlayfs readdir)', () => {
  const { lines, origin } = without(['drk', 'drk_ret']);

  it('gives no violation; the second release of a lower directory in one getdents is unknown, naming the variant', async () => {
    const r = await checkWithCapture(writeLog(tmp, 'no-drk.txt', lines), undefined, []);
    const repeated = repeatedReleases(lines);
    expect(repeated.length).toBeGreaterThan(0);
    expect(r.verdicts.filter((v) => v.kind === 'violation')).toEqual([]);
    const first = r.verdicts.find((v) => v.event?.line === repeated[0]);
    expect(first).toMatchObject({ kind: 'unknown', invariant: 'rel_held' });
    expect(first!.reason).toMatch(/^the capture lacks the entry or return probe of down_read_killable\b/);
    // The whole capture shows what came between the two releases: iterate_dir's down_read_killable.
    const at = repeated[0]! - 1;
    const pid = task(lines[at]!)!;
    const before = lines.slice(0, at).findLastIndex((l) => task(l) === pid && l.includes(' ur: (') && sem(l) === sem(lines[at]!));
    expect(whole.slice(origin[before]! + 1, origin[at]!).filter((l) => task(l) === pid).map((l) => /\(\S+ <- (\w+)\)/.exec(l)?.[1]))
      .toContain('down_read_killable');
  });
});

describe('a capture that probes acquisitions by their returns alone', () => {
  const { lines } = without(['dr', 'drk', 'dri', 'drt', 'dw', 'dwk', 'dwt']);

  it('gives no violation: a return without its entry names no lock, so the releases it explains are unknown', async () => {
    const r = await checkWithCapture(writeLog(tmp, 'returns-only.txt', lines), undefined, []);
    expect(r.verdicts.filter((v) => v.kind === 'violation')).toEqual([]);
    const unknown = r.verdicts.filter((v) => v.kind === 'unknown');
    expect(new Set(unknown.map((v) => v.invariant))).toEqual(new Set(['rel_held']));
    // downgrade_write is the one acquisition such a set shows: its tasks' releases are judged for
    // the acquisitions they lack, not excused for showing none.
    const downgrader = task(lines.find((l) => l.includes(' dgw: ('))!)!;
    const own = unknown.filter((v) => String(v.event?.args.lock ?? '') !== '' && task(lines[v.event!.line! - 1]!) === downgrader);
    expect(own.length).toBeGreaterThan(0);
    for (const v of own) {
      const mode = v.event!.args.mode === 'R' ? 'read' : 'write';
      expect(v.reason).toMatch(new RegExp(`^the capture lacks the entry or return probe of down_${mode} down_${mode}_killable\\b`));
    }
  });
});

describe('a capture that does not probe down_read, of spellings of one name racing on a case-insensitive XFS (6.1-wild)', () => {
  // A lookup's d_add_ci allocates the on-disk spelling while its task owns the user's, under the
  // directory's lock (lookup_slow's down_read): harmless in mainline, so lock_order_acyclic leaves
  // such orders out of its cycles. Without the down_read records the capture cannot show the lock
  // held: an order between two spellings of one name, each taken once as the on-disk name changed
  // (renames between the lookups), could still close a cycle in either direction.
  const lines61 = captureLines('6.1-wild').filter((l) => !l.startsWith('#'));

  it('claims no lock-order cycle of d_add_ci orders; each is unknown, naming the probe', async () => {
    const r = await checkWithCapture(writeLog(tmp, 'wild-no-dr.txt', lines61.filter((l) => !/ dr(_ret)?: \(/.test(l))), undefined, []);
    const order = r.verdicts.filter((v) => v.invariant === 'lock_order_acyclic');
    // (a task the capture shows taking no lock at all is said to be one; the others name the probe)
    const why = (reason: string | undefined): string => (/shows no lock acquisition by the task/.test(reason ?? '') ? 'no acquisition of its own'
      : /lacks the entry or return probe of down_read, with which the lookups that call d_add_ci take the lock/.test(reason ?? '') ? 'down_read' : reason ?? '');
    expect(order.map((v) => [v.kind, v.event?.pid, why(v.reason)])).toEqual([
      ['unknown', 1575, 'no acquisition of its own'], ['unknown', 1594, 'no acquisition of its own'],
      ['unknown', 1443, 'down_read'], ['unknown', 1443, 'down_read'],
    ]);
  }, 120_000);

  it('the whole capture shows the lock held: no cycle, and none unknown', async () => {
    const r = await checkWithCapture(writeLog(tmp, 'wild-whole.txt', lines61), undefined, []);
    expect(r.verdicts.filter((v) => v.invariant === 'lock_order_acyclic')).toEqual([]);
  }, 120_000);
});
