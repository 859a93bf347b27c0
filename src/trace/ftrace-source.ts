/**
 * ftrace text → TraceItem batches: the raw reader (src/trace/ftrace/) driven by the spec's own
 * `map` declarations, compiled into a record mapper.
 */
import type { TypedSpec } from '../analysis/ir.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { compileRecordMapper } from '../monitor/mapping.js';
import type { SourceStats, TraceItem } from './event.js';
import type { FtraceMapping } from './ftrace/mapping-api.js';
import { readFtrace } from './ftrace/read.js';

export interface FtraceSourceOptions {
  file: string;
  spec: TypedSpec;
  onDiagnostic: (d: Diagnostic) => void;
  stats: SourceStats;
  params?: Record<string, string>;
}

/** The spec's mappings as the reader's mapping interface. */
export function specMapping(spec: TypedSpec): FtraceMapping {
  const mapper = compileRecordMapper(spec);
  return {
    wants: (name, kind) => mapper.wants(kind, name),
    map: (rec) => mapper.map(rec),
  };
}

export function openFtraceSource(chunks: AsyncIterable<Uint8Array>, opts: FtraceSourceOptions): { ok: true; source: AsyncIterable<TraceItem[]> } | { ok: false; diagnostics: Diagnostic[] } {
  if (opts.spec.mappings.length === 0) {
    return { ok: false, diagnostics: [error('KV310', `'${opts.file}' is ftrace text, but the spec has no 'map' declarations to turn its records into events`, { at: { source: opts.file, line: 1, column: 1 } }, 'use the bundled spec, or import spec/vfs/ftrace.kinv into yours')] };
  }
  return { ok: true, source: readFtrace(chunks, specMapping(opts.spec), { file: opts.file, onDiagnostic: opts.onDiagnostic, stats: opts.stats, params: opts.params ?? {}, leafFunctions: leafFunctions(opts.spec) }) };
}

/** The spec's `param ftrace_leaf_functions` (names separated by blanks or commas), if it has one. */
function leafFunctions(spec: TypedSpec): string[] {
  const v = spec.params.get('ftrace_leaf_functions')?.value;
  return typeof v === 'string' ? v.split(/[\s,]+/).filter((x) => x !== '') : [];
}
