/**
 * The progress line of `kinv check` on a terminal: the read ahead's lines, then the events read
 * with their rate since the events began (not since the start, which the read ahead took), never
 * a line for a batch counted before its lines are.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../src/cli/progress.js';

/** A terminal that keeps what is written, and a clock the test moves (process.hrtime). */
function terminal() {
  const written: string[] = [];
  const stream = { isTTY: true, write: (s: string) => { written.push(s); return true; } } as unknown as NodeJS.WriteStream;
  let ms = 1_000_000;
  vi.spyOn(process, 'hrtime').mockImplementation((() => [Math.floor(ms / 1000), (ms % 1000) * 1e6]) as typeof process.hrtime);
  return { written, stream, advance: (by: number) => { ms += by; } };
}

afterEach(() => { vi.restoreAllMocks(); });

describe('Progress', () => {
  it('shows the read ahead, then the events at their own rate', () => {
    const t = terminal();
    const p = new Progress('trace.gz', t.stream);
    t.advance(600);
    p.ahead(100_000);
    t.advance(2_000);
    p.ahead(300_000);
    // The events begin 2.6 s after the start; a second later 50,000 events is 50,000 a second.
    p.update(0, 10);
    t.advance(1_000);
    p.update(80_000, 50_000);
    const shown = t.written.map((w) => w.replace('\r\x1b[K', ''));
    expect(shown).toEqual([
      'trace.gz: reading ahead (what holds throughout the capture), 100,000 lines',
      'trace.gz: reading ahead (what holds throughout the capture), 300,000 lines',
      'trace.gz: 80,000 lines, 50,000 events, 50,000 events/s',
    ]);
  });

  it('shows nothing off a terminal, and nothing in the first half second', () => {
    const t = terminal();
    // (on a terminal at 0 and 0.4 s, before half a second is up; off it at 0, 0.4 and 1.4 s)
    const onTerminal = new Progress('trace.gz', t.stream);
    const offTerminal = new Progress('trace.gz', { ...t.stream, isTTY: false } as NodeJS.WriteStream);
    for (const wait of [0, 400, 1_000]) {
      t.advance(wait);
      offTerminal.ahead(10);
      offTerminal.update(10, 10);
      if (wait < 1_000) onTerminal.ahead(10);
    }
    expect(t.written).toEqual([]);
  });
});
