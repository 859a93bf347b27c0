/** `--out FILE`: a counterexample's events as an NDJSON trace that `kinv check` reads back. */
import { writeFileSync } from 'node:fs';
import { toNdjsonLine } from '../sim/ndjson-writer.js';
import type { TraceEvent } from '../trace/event.js';

export function writeTrace(path: string, events: readonly TraceEvent[]): void {
  writeFileSync(path, events.map((e) => toNdjsonLine(e) + '\n').join(''));
}

/** A command line argument as a POSIX shell reads it back. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** `--spec S... --param k=v...` as given, for replay lines. */
export function specFlags(specs: readonly string[], params: readonly string[]): string[] {
  return [...specs.flatMap((s) => ['--spec', s]), ...params.flatMap((p) => ['--param', p])];
}
