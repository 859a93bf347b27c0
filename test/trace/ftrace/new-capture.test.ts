/**
 * Logs appended to one file (`cat trace >> log` between clears of the buffer, or two captures
 * joined): each begins with its own header, and what ran between the two is in neither. A second
 * header is a gap of every task, each capture's header counts its own entries, and the second
 * capture's clock may start over without its records being out of order.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, checkWithCapture, found, writeLog } from '../../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-new-capture-'));
const full = captureLines('6.1-full');
const names = captureLines('6.1-names');
const HEADER = 12;
const header = (lines: string[], entries: number): string[] =>
  lines.slice(0, HEADER).map((l) => l.replace(/entries-in-buffer\/entries-written: \d+\/\d+/, `entries-in-buffer/entries-written: ${entries}/${entries}`));
/** File lines a..b (1-based, inclusive) of a capture. */
const span = (lines: string[], a: number, b = lines.length): string[] => lines.slice(a - 1, b);

// 6.1-full: rm-911 takes its directory's lock (67011-67012) and releases it (67018); rm-913 takes
// it next (67434). The first dump ends holding it, the second begins after the release.
const first = span(full, HEADER + 1, 67012);
const second = span(full, 67019);

describe('a log of two captures, one after the other', () => {
  it('is a gap of every task at the second header: no task holds the lock into the second capture', async () => {
    expect(full[67012 - 1]).toContain('rm-911     [000] .....        67584: dw_ret: (do_unlinkat+');
    expect(full[67018 - 1]).toContain('rm-911     [000] .....        67590: uw: (up_write+0x0/0x40) sem=0xff4a519c436e89d8');
    const lines = [...header(full, first.length), ...first, ...header(full, second.length), ...second];
    const errors: string[] = [];
    const r = await checkWithCapture(writeLog(tmp, 'two.txt', lines), '6.1-full', errors);
    expect(errors).toEqual([]);
    expect(found(r).filter(([kind]) => kind === 'violation')).toEqual([]);
    expect(r.gaps.map((g) => [g.reason, g.cpu, g.pids, g.line])).toEqual([['a new capture begins', undefined, undefined, HEADER + first.length + 1]]);
  });

  it('read as one capture (the second header left out), the release between them is lost and the next task takes a lock rm-911 still holds', async () => {
    const lines = [...header(full, first.length + second.length), ...first, ...second];
    const r = await checkWithCapture(writeLog(tmp, 'one.txt', lines), '6.1-full', []);
    // (rm-912's shared hold of the same lock, original lines 67137-67138)
    const taken = lines.findIndex((l) => l.includes('rm-912     [000] .....        67711: dr_ret: (walk_component+')) + 1;
    expect(taken).toBe(HEADER + first.length + (67138 - 67019) + 1);
    expect(found(r).filter(([kind, inv]) => kind === 'violation' && inv === 'mutual_exclusion')[0]).toEqual(['violation', 'mutual_exclusion', taken]);
  });

  it('holds each capture to its own header count: the first one short is KV316 at its header', async () => {
    const lines = [...header(full, first.length + 5), ...first, ...header(full, second.length), ...second];
    const errors: string[] = [];
    const r = await checkWithCapture(writeLog(tmp, 'short.txt', lines), '6.1-full', errors);
    expect(errors).toEqual(['KV316 3']);
    expect(found(r).filter(([kind]) => kind === 'violation')).toEqual([]);
  });

  it('takes a second capture whose clock started over in file order, with no record out of order', async () => {
    // (6.1-names' counter starts lower than where this part of 6.1-full ends)
    const a = span(full, HEADER + 1, 40_000);
    const b = span(names, HEADER + 1, 30_000);
    const lines = [...header(full, a.length), ...a, ...header(names, b.length), ...b];
    const errors: string[] = [];
    const r = await checkWithCapture(writeLog(tmp, 'restart.txt', lines), '6.1-full', errors);
    expect(errors).toEqual([]);
    expect(r.gaps.map((g) => [g.reason, g.line])).toEqual([['a new capture begins', HEADER + a.length + 1]]);
    const alone = await checkWithCapture(writeLog(tmp, 'a.txt', [...header(full, a.length), ...a]), '6.1-full', []);
    const alone2 = await checkWithCapture(writeLog(tmp, 'b.txt', [...header(names, b.length), ...b]), '6.1-full', []);
    expect(r.stats.events).toBe(alone.stats.events + alone2.stats.events);
    expect(found(r).filter(([kind]) => kind === 'violation')).toEqual([]);
  });
});
