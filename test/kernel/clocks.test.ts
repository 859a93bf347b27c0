/**
 * Captures with the trace clocks users have (traces/kernel-programs/*-local, *-global: `npm run
 * capture -- --trace-clock local|global`): every other bundled capture of a stock kernel stamps its
 * records with the `counter` clock, one count shared by all CPUs; ftrace's default, `local`, stamps
 * each CPU's records with its own clock, printed to the microsecond, and `global` with one clock
 * read by all. Records of two CPUs then share stamps (thousands here), and the order across CPUs
 * is the stamps'. The kernels are stock and their dmesg is clean, and count-locks.mjs (counts.json)
 * finds every release of a tracked lock matched by an acquisition in its task: kinv must report
 * nothing, and say that ties leave the order within them to the log (KV311).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { checkWithCapture, expectCleanStockCapture, PROGRAMS } from '../helpers/programs-capture.js';

/** Each capture, its clock as its metadata names it, and how many records tie with another CPU's record before them. */
const CAPTURES: [capture: string, clock: string, ties: number][] = [
  ['6.1-wild-local', 'local', 4389],
  ['6.12-wild-local', 'local', 5007],
  ['6.12-layered-global', 'global', 2608],
];

describe('captures stamped by the local and global trace clocks: no violation', () => {
  for (const [capture, clock, ties] of CAPTURES) {
    it(`${capture} (clock ${clock}): nothing violated, every release matched (counts.json), the lock rules judged; KV311 counts the ties`, async () => {
      const r = await expectCleanStockCapture(capture);
      expect(r.evaluated.rel_held).toBeGreaterThan(2500);
      expect(r.evaluated.mutual_exclusion).toBeGreaterThan(2500);
      expect(r.verdicts.filter((v) => v.kind === 'unknown')).toEqual([]);
      // Without the probe definitions as well (what a user who passes only the log gets).
      const notes: Diagnostic[] = [];
      const bare = await checkWithCapture(join(PROGRAMS, capture, 'trace.gz'), undefined, [], (d) => { if (d.code === 'KV311') notes.push(d); });
      expect(bare.violations).toBe(0);
      expect(notes.map((d) => /^(\d+) records share a timestamp with the record before, from another CPU/.exec(d.message)?.[1])).toEqual([String(ties)]);
    }, 240_000);
  }
});
