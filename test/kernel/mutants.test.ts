/**
 * Mutants of a real capture (traces/kernel/trace.gz, a stock 6.1 kernel under the reference probe
 * set): each mutation is reported where it happens, by the bundled spec and mapping; the stock
 * capture itself gives no violation.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/analysis/load.js';
import { CompiledSpec, runCheck } from '../../src/checker/check.js';
import { emptyStats } from '../../src/trace/event.js';
import { openFtraceSource } from '../../src/trace/ftrace-source.js';
import { ProbeCoverage } from '../../src/trace/coverage.js';

const loaded = loadSpec([], { params: { source: 'ftrace' } });
if (!loaded.ok) throw new Error('bundled spec');
const spec = loaded.value.spec;
const compiled = new CompiledSpec(spec);
const original = gunzipSync(readFileSync('traces/kernel/trace.gz')).toString('latin1').split('\n');

/**
 * `observed`: read the capture as `kinv check` does, learning from its records what it probes (a
 * rule due only where some function is probed, like renames or unhashes, is then not judged on a
 * capture without them). Without it the log is taken as complete, which the lock mutants need: on
 * this legacy probe set a release in the wrong mode would otherwise be unknown.
 */
async function check(lines: string[], observed = false) {
  const stats = emptyStats();
  const coverage = observed ? new ProbeCoverage() : undefined;
  const src = openFtraceSource(Readable.from([Buffer.from(lines.join('\n'), 'latin1')]), { file: 'cap.txt', spec, onDiagnostic: () => {}, stats, coverage });
  if (!src.ok) throw new Error('no source');
  const r = await runCheck(compiled, src.source, stats, { tasksStartUnknown: true, coverage });
  return r.verdicts.filter((v) => v.kind === 'violation').map((v) => ({ inv: v.invariant, line: v.event?.line, pid: v.event?.pid }));
}

const pidOf = (l: string): number => Number(/-(\d+)\s+\[/.exec(l)?.[1] ?? -1);
const parsed = original.map((l) => {
  const m = /^\s*.+?-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):/.exec(l);
  return m === null ? undefined : { pid: Number(m[1]), cpu: Number(m[2]), ts: m[3]! };
});
/**
 * The tasks of each stamp at which the log shows two tasks on ascending CPUs (as ftrace prints a
 * tie of full stamps, whatever ran first): the reader makes them unknown there (ReorderWindow).
 */
const tiedAt = new Map<string, Set<number>>();
{
  // the records of one stamp, consecutive in the log, cut where a CPU comes after a higher one
  let run: { pid: number; cpu: number; ts: string }[] = [];
  const close = (): void => {
    const tasks = new Set(run.filter((x) => x.pid > 0).map((x) => x.pid));
    if (new Set(run.map((x) => x.cpu)).size > 1 && tasks.size > 1) {
      const s = tiedAt.get(run[0]!.ts) ?? new Set<number>();
      for (const p of tasks) s.add(p);
      tiedAt.set(run[0]!.ts, s);
    }
    run = [];
  };
  for (const p of parsed) {
    if (p === undefined) continue;
    const last = run[run.length - 1];
    if (last !== undefined && (last.ts !== p.ts || p.cpu < last.cpu)) close();
    run.push(p);
  }
  close();
}
/** Lines of `probe` by tasks that already returned to user space once since they were last unknown (their state is known). */
function known(probe: string): number[] {
  const synced = new Set<number>();
  const out: number[] = [];
  original.forEach((l, i) => {
    const p = parsed[i];
    if (p !== undefined && tiedAt.get(p.ts)?.has(p.pid) === true) { synced.delete(p.pid); return; }
    if (l.includes(' sys_exit: ')) { if (p === undefined || !tiedAt.has(p.ts)) synced.add(pidOf(l)); }
    else if (l.includes(` ${probe}: (`) && synced.has(pidOf(l))) out.push(i);
  });
  return out;
}
const pick = (xs: number[], k: number): number => xs[Math.floor((xs.length * k) / 4)]!;
/**
 * Whether the task of line `i` showed an acquisition since it last synchronised after such a tie:
 * a release with none shown while it was known is no rel_held (its acquisitions may be filtered out).
 */
function acquiredSinceTie(i: number): boolean {
  const pid = parsed[i]!.pid;
  let acquired = false;
  for (let j = i - 1; j >= 0; j--) {
    const p = parsed[j];
    if (p?.pid !== pid) continue;
    if (tiedAt.get(p.ts)?.has(pid) === true) return false;
    if (/ d[rw]k?: \(/.test(original[j]!)) acquired = true;
    else if (original[j]!.includes(' sys_exit: ') && acquired) return true;
  }
  return false;
}
/** Whether the task of line `i` stays out of such ties from there to its next syscall exit (what it does there is judged). */
function untiedToExit(i: number): boolean {
  const pid = parsed[i]!.pid;
  for (let j = i + 1; j < original.length; j++) {
    const p = parsed[j];
    if (p?.pid !== pid) continue;
    if (tiedAt.get(p.ts)?.has(pid) === true) return false;
    if (original[j]!.includes(' sys_exit: ')) return true;
  }
  return true;
}

describe('mutants of a real kernel capture', () => {
  it('the stock capture has no violation', async () => {
    expect(await check(original, true)).toEqual([]);
    // Taken as complete, it has none of the lock rules either (the rules that need unhashes or
    // renames the legacy set does not probe, such as no_new_while_hashed, are not the mutants' concern).
    expect((await check(original)).filter((v) => v.inv !== 'no_new_while_hashed')).toEqual([]);
  });

  for (const k of [1, 2, 3]) {
    it(`an up_read turned into up_write is rel_mode at that line (sample ${k})`, async () => {
      const i = pick(known('ur'), k);
      const lines = [...original];
      lines[i] = lines[i]!.replace('ur: (up_read', 'uw: (up_write');
      expect(await check(lines)).toContainEqual({ inv: 'rel_mode', line: i + 1, pid: pidOf(original[i]!) });
    });

    it(`a removed directory up_read is reported at the task's next checked line (sample ${k})`, async () => {
      const i = pick(known('ur'), k);
      const lines = original.filter((_, j) => j !== i);
      const pid = pidOf(original[i]!);
      const mine = (await check(lines)).filter((v) => v.pid === pid);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine[0]!.line).toBeGreaterThanOrEqual(i + 1);
      expect(['no_locks_at_exit', 'no_recursive_acq']).toContain(mine[0]!.inv);
    });

    it(`a removed down_read leaves the release unbalanced (sample ${k})`, async () => {
      const i = pick(known('dr').filter((j) => untiedToExit(j) && acquiredSinceTie(j)), k);
      const lines = original.filter((_, j) => j !== i);
      const pid = pidOf(original[i]!);
      const mine = (await check(lines)).filter((v) => v.pid === pid);
      expect(mine.map((v) => v.inv)).toContain('rel_held');
      expect(mine[0]!.line).toBeGreaterThanOrEqual(i + 1);
    });
  }
});
