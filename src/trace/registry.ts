/**
 * The trace formats kinv reads, in one list that `--from`, sniffing and `checkTraceFile` consult.
 * A format is one module that exports a `TraceFormat` (format.ts); adding one is that module and
 * its line in BUILTIN_FORMATS, or, for a library user, one `registerTraceFormat` call.
 *
 * Two layers sit below the formats and are not formats themselves: compression (gzip, xz, zstd:
 * input.ts) and trace-cmd's binary trace.dat, a container decoded to the trace text of its records
 * before a format is chosen (tracedat/).
 */
import type { TraceFormat } from './format.js';
import { ftraceFormat } from './ftrace-source.js';
import { itfFormat } from './itf.js';
import { ndjsonFormat } from './ndjson.js';

/** Sniffing asks them in this order: trace text last, as it takes any text. */
const BUILTIN_FORMATS: readonly TraceFormat[] = [ndjsonFormat, ftraceFormat, itfFormat];

/** Registered formats, newest first: each is asked before the built-in ones. */
const registered: TraceFormat[] = [];

function all(): TraceFormat[] {
  return [...registered, ...BUILTIN_FORMATS];
}

function namesOf(f: TraceFormat): string[] {
  return [f.name, ...(f.aliases ?? [])];
}

/**
 * Adds a trace format: `--from NAME` reads it, and sniffing asks it before the built-in formats.
 * Returns a function that removes it again. A name taken already, or `auto`, is refused.
 */
export function registerTraceFormat(format: TraceFormat): () => void {
  for (const n of namesOf(format)) {
    if (!/^[a-z][a-z0-9-]*$/.test(n)) throw new Error(`trace format name '${n}': lower-case letters, digits and '-', starting with a letter`);
    if (n === 'auto' || traceFormat(n) !== undefined) throw new Error(`trace format name '${n}' is taken`);
  }
  registered.unshift(format);
  return () => {
    const i = registered.indexOf(format);
    if (i >= 0) registered.splice(i, 1);
  };
}

/** The format a name or alias names. */
export function traceFormat(name: string): TraceFormat | undefined {
  return all().find((f) => namesOf(f).includes(name));
}

/** Every name `--from` takes (names and aliases, built-in formats first), without `auto`. */
export function traceFormatNames(): string[] {
  return [...BUILTIN_FORMATS, ...[...registered].reverse()].flatMap(namesOf);
}

/**
 * The format of an input by its first bytes: the first format whose `sniff` claims them. An input
 * with no line at all is NDJSON, whose reader then finds nothing to judge.
 */
export function sniffTraceFormat(head: Uint8Array): TraceFormat {
  return all().find((f) => f.sniff?.(head) === true) ?? ndjsonFormat;
}
