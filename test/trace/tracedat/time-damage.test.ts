/**
 * A trace.dat whose times are damaged (a bit of an event's time delta flipped): the records whose
 * order the damage leaves unknown are taken as lost (a gap of every task), with one located KV315,
 * and the verdict is unknown (exit 3), never a violation the capture does not show. Undamaged files
 * read as before: no bundled trace.dat has a time out of the kernel's order.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { traceDatRecords } from '../../../src/trace/tracedat/read.js';
import { kinv } from '../../helpers/kinv.js';
import { deltaSites, flipDelta } from '../../helpers/tracedat-flip.js';

const specs = new SpecSet([], {});
const tmp = mkdtempSync(join(tmpdir(), 'kinv-tracedat-times-'));
const V6 = 'traces/tracedat/record-v6.dat';

async function check(path: string) {
  const diags: Diagnostic[] = [];
  const r = await checkTraceFile(path, specs, { all: true, onDiagnostic: (d) => diags.push(d) });
  return { r: r!, diags };
}

/** Every trace.dat under traces/. */
function bundled(dir = 'traces'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? bundled(p) : e.name.endsWith('.dat') ? [p] : [];
  });
}

describe('a flipped time delta in a trace.dat', () => {
  it('record-v6.dat, bit 24 of the delta of CPU 0\'s event at byte 52296: its page and the next are lost, one KV315 there, exit 3 (it was two violations)', async () => {
    const path = join(tmp, 'delta.dat');
    writeFileSync(path, flipDelta(readFileSync(V6), 52296, 24));
    const { r, diags } = await check(path);
    expect(r.violations).toBe(0);
    const errors = diags.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.span])).toEqual([['KV315', { source: path, start: 52296, end: 52297 }]]);
    expect(errors[0]!.message).toBe('trace.dat times out of the kernel\'s order: in CPU 0\'s ring-buffer page 2 (at byte 49152), the event at byte 52296 is later (16779720)'
      + ' than the next page\'s timestamp (2530): a time delta or a timestamp is damaged (or the kernel\'s clock or ring buffer stamped it wrong),'
      + ' so this page\'s records and the next page\'s cannot be'
      + ' ordered among the other CPUs\' and were taken as lost events (218 records in all; a gap of every task)');
    // (the 218 records are not read; a lost-events window of CPU 0 stands for them)
    expect(r.stats.records).toBe(1818 - 218);
    expect(r.gaps.filter((g) => g.reason === 'lost events').map((g) => [g.cpu, g.window])).toEqual([[0, 'opens'], [0, 'closes']]);
    const cli = await kinv(['check', path]);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain('error[KV315]: trace.dat times out of the kernel\'s order: in CPU 0\'s ring-buffer page 2 (at byte 49152)');
    expect(cli.stdout).not.toContain('violation[');
  });

  it('the last page of a CPU past the next page of nothing is read as it is; a damaged page before it is announced after the CPU\'s last record', async () => {
    // CPU 1's last page holds events; the page before it, flipped past its timestamp, and it are lost
    const bytes = readFileSync(V6);
    const sites = deltaSites(bytes).filter((s) => s.cpu === 1);
    const lastPage = Math.max(...sites.map((s) => s.page));
    const site = sites.find((s) => s.page === lastPage - 1)!;
    const path = join(tmp, 'before-last.dat');
    writeFileSync(path, flipDelta(bytes, site.at, 26));
    const t = traceDatRecords(readFileSync(path));
    for (const _ of t.chunks) { /* read */ }
    expect(t.timeDamage.map((d) => [d.cpu, d.pageIndex, d.kind])).toEqual([[1, lastPage - 1, 'past next page']]);
    const { r } = await check(path);
    expect(r.violations).toBe(0);
    // (no record of CPU 1 after the loss: the marker closes the window at the CPU's last record read)
    expect(r.gaps.filter((g) => g.reason === 'lost events').map((g) => g.cpu)).toEqual([1, 1]);
  });
});

describe('undamaged trace.dat files', () => {
  const files = bundled();

  it('are all found', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)('%s: no page out of the kernel\'s time order, no damage; no violation, exit 0', async (file) => {
    const t = traceDatRecords(readFileSync(file));
    for (const _ of t.chunks) { /* read */ }
    expect(t.timeDamage).toEqual([]);
    expect(t.problems).toEqual([]);
    const cli = await kinv(['check', file]);
    expect(cli.code).toBe(0);
    expect(cli.stderr).not.toContain('KV315');
  });
});

describe('random flips of time deltas', () => {
  // (a CPU's last page has no next page to bound its times: a flip there that keeps its times in
  // order is not seen, and may still reorder records: see the README's trace.dat section)
  it('in any page but a CPU\'s last: never a violation where the clean file has none (a damaged order is unknown, not a verdict)', async () => {
    const bytes = readFileSync(V6);
    expect((await check(V6)).r.violations).toBe(0);
    const all = deltaSites(bytes);
    const last = new Map<number, number>();
    for (const s of all) last.set(s.cpu, Math.max(last.get(s.cpu) ?? 0, s.page));
    const sites = all.filter((s) => s.page < last.get(s.cpu)!);
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.noBias(fc.nat(sites.length - 1)), fc.noBias(fc.integer({ min: 0, max: 26 })), async (i, bit) => {
      const path = join(tmp, `flip-${n++}.dat`);
      writeFileSync(path, flipDelta(bytes, sites[i]!.at, bit));
      const { r, diags } = await check(path);
      expect({ violations: r.violations, site: sites[i], bit }).toMatchObject({ violations: 0 });
      // (a flip that moved records across pages is said)
      if (r.stats.records < 1818) expect(diags.map((d) => d.code)).toContain('KV315');
    }), { numRuns: 40, seed: 20240 });
  });
});
