/**
 * A probe's event name is the user's choice: defined without one, the kernel names it after its
 * function (`p_down_read_0`, `r_d_alloc_parallel_0`); `perf probe` and other tools name it their
 * way. kinv tells a probe by the function it probes, also where it reads the capture's layout
 * (the i_rwsem offset, the DCACHE_PAR_LOOKUP bit) off the capture itself.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/trace/ftrace/read-ahead.js';
import { captureLines, checkWithCapture, found, PROGRAMS, writeLog } from '../helpers/programs-capture.js';

/** Each kprobe event of capture `capture` (by its kprobe_events) renamed as the kernel names a probe defined without a name. */
function autoNamed(capture: string): string[] {
  const fnOf = new Map<string, string>();
  for (const def of readFileSync(join(PROGRAMS, capture, 'kprobe_events'), 'latin1').split('\n')) {
    const m = /^([pr])\d*:(?:[^/\s]+\/)?(\S+)\s+(\S+)/.exec(def);
    if (m) fnOf.set(m[2]!, `${m[1]}_${m[3]}_0`);
  }
  return captureLines(capture).map((l) => l.replace(/^(.*?\d: )(\w+)(: \()/, (all, a: string, name: string, b: string) => {
    const auto = fnOf.get(name);
    return auto === undefined ? all : a + auto + b;
  }));
}

async function* chunksOf(lines: string[]): AsyncGenerator<Uint8Array> { yield Buffer.from(lines.join('\n') + '\n', 'latin1'); }

describe('probes named otherwise than the reference set (6.12-wild, every kprobe event auto-named)', () => {
  const lines = autoNamed('6.12-wild');

  it('renames every probe record, and the layout is still read off the whole capture', async () => {
    expect(lines.some((l) => / r_down_read_trylock_0: \(/.test(l))).toBe(true);
    expect(lines.some((l) => / (dr|lkslow|dap_ret|fs_lookup_ext4): \(/.test(l))).toBe(false);
    const named = await readAhead(chunksOf(captureLines('6.12-wild')));
    const auto = await readAhead(chunksOf(lines));
    expect(named.irwsemOffset).toBe(152);
    expect([auto.irwsemOffset, auto.parLookupBit, auto.slowLookups, auto.dapReturns])
      .toEqual([named.irwsemOffset, named.parLookupBit, named.slowLookups, named.dapReturns]);
  });

  it('gets the verdicts of the capture as recorded: none (6.1\'s offset named no lock a directory and gave 3 false lock-order cycles)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kinv-names-'));
    const errors: string[] = [];
    const before = await checkWithCapture(join(PROGRAMS, '6.12-wild', 'trace.gz'), undefined, errors);
    const after = await checkWithCapture(writeLog(tmp, 'auto.txt', lines), undefined, errors);
    expect(errors).toEqual([]);
    expect(found(after)).toEqual(found(before));
    expect(after.violations).toBe(0);
    expect(after.evaluated).toEqual(before.evaluated);
  });
});
