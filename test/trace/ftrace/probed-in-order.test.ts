/**
 * What a capture probes is learnt from its records as they come (past its first part and the
 * probe definitions given): an event is judged with the probes whose first record comes at or
 * before it, never with a later record of the same batch, so that the verdicts do not depend on
 * the pieces the input came in (a file read 1 MiB at a time, gzip's 16 KiB, a pipe's 64 KiB).
 * 6.12-wild gave 8,242, 8,052 and 8,043 evaluations of no_new_while_hashed read as a file, as .gz
 * and from standard input.
 */
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../src/analysis/load.js';
import type { TraceItem } from '../../../src/trace/event.js';
import { specMapping } from '../../../src/trace/ftrace-source.js';
import { readFtrace } from '../../../src/trace/ftrace/read.js';
import { captureLines } from '../../helpers/programs-capture.js';

const loaded = loadSpec([], { params: { source: 'ftrace' } });
if (!loaded.ok) throw new Error('bundled spec');
const mapping = specMapping(loaded.value.spec);

/** Each probe the reader notes, with the lines of the events handed out before it was noted and of the next one. */
async function notes(lines: string[], pieceLines: number): Promise<{ probe: string; before: number; lastBefore: number; nextAfter: number }[]> {
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < lines.length; i += pieceLines) yield Buffer.from(lines.slice(i, i + pieceLines).join('\n') + '\n', 'latin1');
  }
  const out: { probe: string; before: number; lastBefore: number; nextAfter: number }[] = [];
  const handed: TraceItem[] = [];
  const pending: typeof out = [];
  const lineOf = (it: TraceItem | undefined): number => it?.line ?? -1;
  for await (const batch of readFtrace(pieces(), mapping, {
    file: 'cap.txt', onDiagnostic: () => {},
    onProbed: (kind, fn) => { pending.push({ probe: `${kind} ${fn}`, before: handed.length, lastBefore: lineOf(handed.at(-1)), nextAfter: -1 }); },
  })) {
    for (const p of pending.splice(0)) { p.nextAfter = lineOf(batch[0]); out.push(p); }
    handed.push(...batch);
  }
  return out;
}

/** The line of the first record of each probed function (tracefs heads: `(fn+0x0/…)`, `(site <- fn)`). */
function firstRecords(lines: string[]): Map<string, number> {
  const first = new Map<string, number>();
  lines.forEach((l, i) => {
    const m = /: \((?:([A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+|[^()<]* <- ([A-Za-z_][\w.]*))\)/.exec(l);
    if (m === null) return;
    const key = m[1] !== undefined ? `kprobe ${m[1]}` : `kretprobe ${m[2]}`;
    if (!first.has(key)) first.set(key, i + 1);
  });
  return first;
}

describe('probes learnt from the records, in the order of the records', () => {
  const lines = captureLines('6.1-full').slice(0, 30_000);

  it('notes each probe between the events before its first record and the events from it on', async () => {
    const got = await notes(lines, 1 << 20);
    const first = firstRecords(lines);
    expect(got.length).toBeGreaterThan(20);
    for (const n of got) {
      const at = first.get(n.probe);
      expect(at, n.probe).toBeDefined();
      expect(n.lastBefore, n.probe).toBeLessThan(at!);
      expect(n.nextAfter === -1 || n.nextAfter >= at!, n.probe).toBe(true);
    }
  });

  it('notes them at the same events whatever pieces the input comes in', async () => {
    const whole = await notes(lines, 1 << 20);
    expect(await notes(lines, 1)).toEqual(whole);
    expect(await notes(lines, 333)).toEqual(whole);
  });
});
