/**
 * ftrace text → TraceItem batches, through the spec's `map` declarations.
 */
import type { TypedSpec } from '../analysis/ir.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import type { SourceStats, TraceItem } from './event.js';

export interface FtraceSourceOptions {
  file: string;
  spec: TypedSpec;
  onDiagnostic: (d: Diagnostic) => void;
  stats: SourceStats;
  params?: Record<string, string>;
}

export function openFtraceSource(_chunks: AsyncIterable<Uint8Array>, opts: FtraceSourceOptions): { ok: true; source: AsyncIterable<TraceItem[]> } | { ok: false; diagnostics: Diagnostic[] } {
  return { ok: false, diagnostics: [error('KV310', `'${opts.file}' is not NDJSON (it does not start with '{'), and ftrace text input is not wired into this build`, { at: { source: opts.file, line: 1, column: 1 } })] };
}
