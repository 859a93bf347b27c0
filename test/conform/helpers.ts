/** What the conform tests share: the bundled spec, a conformance run of each shape, its verdicts in brief. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { conformTraceFile, SHAPES, type ConformReport, type ShapeResult } from '../../src/conform/conform.js';
import type { DAddCiShape, LockOrder } from '../../src/sim/state.js';

const specs = new SpecSet([bundledSpecDir()], {});

/** `kinv conform` of `path` with each of `shapes`, `params` the `--param` values given. */
export async function conform(path: string, shapes: DAddCiShape[] = SHAPES, order: LockOrder = 'current',
  params: Record<string, string> = {}): Promise<ConformReport> {
  const r = await conformTraceFile(path, Object.keys(params).length === 0 ? specs : new SpecSet([bundledSpecDir()], params), { shapes, order, params });
  if (r === undefined) throw new Error(`${path} unreadable`);
  return r;
}

/** As `conform`, and the search's general path (every step taken on a copy) must give the same report. */
export async function conformBothPaths(path: string, shapes: DAddCiShape[] = SHAPES, order: LockOrder = 'current'): Promise<ConformReport> {
  const fast = await conform(path, shapes, order);
  const general = await conformTraceFile(path, specs, { shapes, order, limits: { generalOnly: true } });
  expect(general, `${path}: the general path`).toEqual(fast);
  return fast;
}

/** Each shape's verdict, with the first failing event's index, line and comparison key when it has one. */
export function verdicts(r: ConformReport): Record<string, unknown[]> {
  return Object.fromEntries(r.results.map((x: ShapeResult) => [x.shape, x.failure
    ? [x.verdict, x.failure.index, x.failure.line, x.failure.event, x.failure.pid] : [x.verdict]]));
}

/** The run's NDJSON lines, damaged as asked: an event dropped, or one moved later. */
export function damaged(lines: string[], damage: { kind: 'none' | 'drop' | 'move'; at: number; by: number }): string[] {
  if (damage.kind === 'none' || lines.length < 2) return lines;
  const out = lines.slice();
  const at = damage.at % out.length;
  const [line] = out.splice(at, 1);
  if (damage.kind === 'move') out.splice(Math.min(out.length, at + 1 + (damage.by % 4)), 0, line!);
  return out;
}

/** The header of a capture (less its count of entries), then lines `from` to `to`. */
export function excerpt(capture: string, from: number, to: number): string[] {
  const lines = gunzipSync(readFileSync(capture)).toString('latin1').split('\n');
  return [...lines.slice(0, 12).filter((l) => !l.includes('entries-in-buffer')), ...lines.slice(from, to)];
}
