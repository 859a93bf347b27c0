/**
 * A trace.dat of a machine up for long: its clock past 2^53 (nanoseconds since a boot 104 days
 * before, or a 3 GHz TSC 35 days after its reset) is read from a time base taken off every time,
 * so that times stay exact numbers, and added back in the stamps. The same capture with its clock
 * 105 days later gives the same records, verdicts and summary, its stamps 105 days later, and its
 * damage the same diagnostic with the clock's own values. It was a KV305 ("damaged or cut short
 * ... a page timestamp beyond 2^53 (not supported)"), no record read.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { strtoll } from '../../../src/trace/tracedat/file.js';
import { traceDatText } from '../../../src/trace/tracedat/read.js';
import { timeBaseOf } from '../../../src/trace/tracedat/ring.js';
import { addOption, flipDelta, renameClock, shiftClock } from '../../helpers/tracedat-flip.js';

const specs = new SpecSet([], {});
const tmp = mkdtempSync(join(tmpdir(), 'kinv-tracedat-base-'));
const V6 = readFileSync('traces/tracedat/record-v6.dat');
/** 105 days of nanoseconds: past 2^53 (9,007,199,254,740,992). */
const DAYS_105 = 105n * 86_400n * 1_000_000_000n;

async function check(name: string, bytes: Uint8Array) {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  const diags: Diagnostic[] = [];
  const r = (await checkTraceFile(path, specs, { all: true, onDiagnostic: (d) => diags.push(d) }))!;
  return { r, diags, path };
}

/** Each record line's stamp column, as the reader renders the file. */
function stamps(bytes: Uint8Array): string[] {
  let text = '';
  for (const c of traceDatText(bytes).chunks) text += c.toString('latin1');
  return [...text.matchAll(/^ *\S.*?-\d+ +\[\d{3}\] \S+ +(\d+(?:\.\d+)?): /gm)].map((m) => m[1]!);
}

describe('the time base', () => {
  it('is 0 while every CPU\'s first stamp is below 2^52, else the earliest down to a whole second', () => {
    expect(timeBaseOf([])).toBe(0n);
    expect(timeBaseOf([45_000_000_123n, 2n ** 52n - 1n])).toBe(0n);
    expect(timeBaseOf([2n ** 53n + 7_999_999_999n, 2n ** 52n + 5n])).toBe(((2n ** 52n + 5n) / 1_000_000_000n) * 1_000_000_000n);
  });

  for (const clock of ['counter', 'local'] as const) {
    it(`record-v6.dat with its ${clock} clock 105 days later: the same records, verdicts and summary, every stamp 105 days later`, async () => {
      const before = clock === 'counter' ? V6 : renameClock(V6, 'local');
      const after = shiftClock(before, DAYS_105);
      const a = await check(`${clock}-before.dat`, before);
      const b = await check(`${clock}-after.dat`, after);
      expect(b.diags.map((d) => d.code)).toEqual(a.diags.map((d) => d.code));
      expect(b.r.stats).toEqual(a.r.stats);
      expect(b.r.violations).toBe(a.r.violations);
      expect(b.r.stats.records).toBe(1818);
      const was = stamps(before);
      const now = stamps(after);
      expect(now.length).toBe(1818);
      const value = (s: string): bigint => (clock === 'counter' ? BigInt(s) : BigInt(s.replace('.', '')));
      expect(now.map((s, i) => value(s) - value(was[i]!))).toEqual(now.map(() => DAYS_105));
      // nanosecond stamps keep nine digits, the seconds past 2^53 ns exact
      if (clock === 'local') expect(now[0]).toMatch(/^9072\d{3}\.\d{9}$/);
    });
  }

  it('an OFFSET option (trace-cmd record --ts-offset) is read as trace-cmd reads it, and added exactly past 2^53', async () => {
    expect([strtoll('1700000000000000000'), strtoll(' -0x100000 '), strtoll('0100000'), strtoll('0'), strtoll('+12'), strtoll('12abc'), strtoll('')])
      .toEqual([1700000000000000000n, -0x100000n, 0o100000n, 0n, 12n, undefined, undefined]);
    const local = renameClock(V6, 'local');
    const was = stamps(local);
    for (const [text, offset] of [['1700000000000000000', 1_700_000_000_000_000_000n], ['9007199254740000', 9_007_199_254_740_000n], ['0100000', 0o100000n]] as const) {
      const now = stamps(addOption(local, 7, text));
      expect(now.map((s, i) => BigInt(s.replace('.', '')) - BigInt(was[i]!.replace('.', '')))).toEqual(now.map(() => offset));
    }
    const a = await check('offset-before.dat', local);
    const b = await check('offset-after.dat', addOption(local, 7, '1700000000000000000'));
    expect(b.r.stats).toEqual(a.r.stats);
    expect(b.diags.map((d) => d.code)).toEqual(a.diags.map((d) => d.code));
  });

  it('a damaged time in the shifted file: the same KV315 at the same byte, its times the clock\'s own (105 days later)', async () => {
    const a = await check('damaged-before.dat', flipDelta(V6, 52296, 24));
    const b = await check('damaged-after.dat', flipDelta(shiftClock(V6, DAYS_105), 52296, 24));
    const kv315 = (ds: Diagnostic[]) => ds.filter((d) => d.code === 'KV315').map((d) => d.message);
    expect(kv315(a.diags)[0]).toContain('is later (16779720) than the next page\'s timestamp (2530)');
    expect(kv315(b.diags)).toEqual(kv315(a.diags).map((m) => m.replace('(16779720)', `(${16779720n + DAYS_105})`).replace('(2530)', `(${2530n + DAYS_105})`)));
    expect(b.r.stats).toEqual(a.r.stats);
  });
});
