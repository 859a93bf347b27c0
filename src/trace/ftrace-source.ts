/**
 * ftrace text → TraceItem batches: the raw reader (src/trace/ftrace/) driven by the spec's own
 * `map` declarations, compiled into a record mapper.
 */
import type { TypedSpec } from '../analysis/ir.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { compileRecordMapper } from '../monitor/mapping.js';
import type { ProbeCoverage, ProbeDefinition } from './coverage.js';
import type { SourceStats, TraceItem } from './event.js';
import type { DecodedChunk } from './ftrace/decoded.js';
import type { FtraceMapping } from './ftrace/mapping-api.js';
import { readFtrace } from './ftrace/read.js';
import type { ProbeSites } from './ftrace/sites.js';

export interface FtraceSourceOptions {
  file: string;
  spec: TypedSpec;
  onDiagnostic: (d: Diagnostic) => void;
  stats: SourceStats;
  params?: Record<string, string>;
  /** Filled with what the capture probes, as it is read. */
  coverage?: ProbeCoverage;
  /** The capture's probe definitions (its `kprobe_events`), when the user gave them. */
  probes?: ProbeDefinition[];
  /** The first part of the input, scanned for probed functions before any event is judged. */
  head?: string;
  /** Names the functions of probe records printed with bare-address sites (trace-cmd report, perf script). */
  probeSites?: ProbeSites;
}

/** The spec's mappings as the reader's mapping interface. */
export function specMapping(spec: TypedSpec): FtraceMapping {
  const mapper = compileRecordMapper(spec);
  return {
    wants: (name, kind) => mapper.wants(kind, name),
    map: (rec) => mapper.map(rec),
  };
}

export function openFtraceSource(chunks: AsyncIterable<Uint8Array | DecodedChunk>,
  opts: FtraceSourceOptions): { ok: true; source: AsyncIterable<TraceItem[]> } | { ok: false; diagnostics: Diagnostic[] } {
  if (opts.spec.mappings.length === 0) {
    const d = error('KV317', `'${opts.file}' is ftrace text, but the spec has no 'map' declarations to turn its records into events`,
      { at: { source: opts.file, line: 1, column: 1 } }, 'use the bundled spec, or import spec/vfs/ftrace.kinv into yours');
    return { ok: false, diagnostics: [d] };
  }
  const mapping = specMapping(opts.spec);
  const cov = opts.coverage;
  // What a probe shows counts only if the mapping turns its records into events.
  const mapped = (kind: 'kprobe' | 'kretprobe', fn: string, event?: string): boolean => mapping.wants(fn,
    kind) || (event !== undefined && mapping.wants(event, kind));
  const note = (kind: 'kprobe' | 'kretprobe', fn: string): void => {
    if (kind === 'kprobe') cov?.noteEntry(fn);
    else cov?.noteReturn(fn);
  };
  for (const p of opts.probes ?? []) if (mapped(p.kind, p.fn, p.event)) note(p.kind, p.fn);
  if (opts.head !== undefined) for (const p of probesIn(opts.head, opts.probeSites)) if (mapped(p.kind, p.fn, p.event)) note(p.kind, p.fn);
  return {
    ok: true,
    source: readFtrace(chunks, mapping, {
      file: opts.file, onDiagnostic: opts.onDiagnostic, stats: opts.stats, params: opts.params ?? {}, leafFunctions: leafFunctions(opts.spec),
      onProbed: note, returnProbes: opts.probes?.filter((p) => p.kind === 'kretprobe').map((p) => p.fn), probeSites: opts.probeSites,
    }),
  };
}

/**
 * Probe records in a piece of ftrace text: `name: (sym+0x0/0x50)` entries and `name: (site <- sym)`
 * returns, and their bare-address forms `name: (addr)` and `name: (addr <- site)` where `sites` names them.
 */
function* probesIn(text: string, sites: ProbeSites | undefined): Generator<{ kind: 'kprobe' | 'kretprobe'; fn: string; event: string }> {
  const seen = new Set<string>();
  const heads = / ([\w.:-]+): \((?:([A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+|[^()<\n]* <- ([A-Za-z_][\w.]*)|([0-9a-f]{1,16})(?: <- ([0-9a-f]{1,16}))?)\)/g;
  for (const m of text.matchAll(heads)) {
    const event = m[1]!.slice(m[1]!.lastIndexOf(':') + 1);
    let kind: 'kprobe' | 'kretprobe';
    let fn: string | undefined;
    if (m[4] !== undefined) {
      kind = m[5] === undefined ? 'kprobe' : 'kretprobe';
      const r = sites?.resolve(kind, event, m[4]);
      fn = r !== undefined && 'fn' in r ? r.fn : undefined;
    } else {
      kind = m[2] !== undefined ? 'kprobe' : 'kretprobe';
      fn = m[2] ?? m[3];
    }
    if (fn === undefined) continue;
    const key = kind + ' ' + fn + ' ' + event;
    if (seen.has(key)) continue;
    seen.add(key);
    yield { kind, fn, event };
  }
}

/** The spec's `param ftrace_leaf_functions` (names separated by blanks or commas), if it has one. */
function leafFunctions(spec: TypedSpec): string[] {
  const v = spec.params.get('ftrace_leaf_functions')?.value;
  return typeof v === 'string' ? v.split(/[\s,]+/).filter((x) => x !== '') : [];
}
