/**
 * A spec compiled per trace format. A spec may declare `param source: Source` (ndjson | ftrace):
 * the checker sets it from the input's format unless the user did, so the spec can say which
 * facts a source cannot show (an ftrace capture shows only the locks its probes are filtered to).
 */
import { loadSpec, type LoadedSpec } from '../analysis/load.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { EventSource } from '../trace/format.js';
import { CompiledSpec } from './check.js';

export interface ReadySpec extends LoadedSpec {
  compiled: CompiledSpec;
}

export class SpecSet {
  private readonly ready = new Map<string, ReadySpec>();
  readonly diagnostics: Diagnostic[] = [];
  readonly sources: Map<string, string>;
  readonly base: ReadySpec | undefined;

  constructor(private readonly paths: string[], private readonly params: Record<string, string>) {
    const r = loadSpec(paths, { params });
    this.sources = r.sources;
    this.diagnostics.push(...r.diagnostics);
    if (r.ok) {
      this.base = { ...r.value, compiled: new CompiledSpec(r.value.spec) };
      this.ready.set(JSON.stringify(params), this.base);
    }
  }

  /**
   * The spec for the inputs of a trace format, by the events it yields (undefined if the spec has errors). `inferred` are parameters the
   * input itself suggests (e.g. a capture's struct offsets); they apply only if the spec declares
   * them and the user did not set them.
   */
  for(format: EventSource, inferred: Record<string, string> = {}): ReadySpec | undefined {
    if (!this.base) return undefined;
    const params: Record<string, string> = { ...this.params };
    // A parameter the base spec already has at that value (`source` = ndjson, its default) makes
    // the same spec: the base is used, not loaded and compiled again for the trace.
    const differs = (k: string, v: string): boolean => {
      const p = this.base!.spec.params.get(k);
      return p !== undefined && !(k in this.params) && String(p.value) !== v;
    };
    if (differs('source', format)) params.source = format;
    for (const [k, v] of Object.entries(inferred)) if (differs(k, v)) params[k] = v;
    if (Object.keys(params).length === Object.keys(this.params).length) return this.base;
    const key = JSON.stringify(params);
    let s = this.ready.get(key);
    if (!s) {
      const r = loadSpec(this.paths, { params });
      if (!r.ok) { this.diagnostics.push(...r.diagnostics); return undefined; }
      s = { ...r.value, compiled: new CompiledSpec(r.value.spec) };
      this.ready.set(key, s);
    }
    return s;
  }
}
