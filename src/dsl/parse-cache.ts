/**
 * Parsed specs cached by their text: `npm run build` parses the bundled spec's files once and writes
 * their syntax trees next to the compiled loader (dist/analysis/spec-cache.json), so a cold start
 * reads JSON instead of running the parser. An entry is used only for the very text it was made
 * from (compared whole), so an edited spec file is parsed again; the source path in its spans is
 * filled in when it is read.
 */
import type { SpecAst } from './ast.js';
import { parseSpec, type SourceFile } from './parse.js';

/** Stands for the source path in a cached tree's spans. */
const SOURCE = '\u0000kinv-spec-source\u0000';

export interface SpecCache {
  /** One per cached file: its text and its tree as JSON, spans naming `SOURCE`. */
  entries: { text: string; ast: string }[];
}

/** The cache of these files, or undefined for a file whose tree would not come back the same from JSON. */
export function buildSpecCache(texts: string[]): SpecCache {
  const entries: SpecCache['entries'] = [];
  for (const text of texts) {
    if (text.includes(SOURCE)) continue;
    const r = parseSpec({ path: SOURCE, text });
    if (r.ok && r.diagnostics.length === 0) entries.push({ text, ast: JSON.stringify(r.value) });
  }
  return { entries };
}

/** Looks texts up in a cache (built once per cache). */
export class SpecCacheReader {
  private readonly byText = new Map<string, string>();

  constructor(cache: SpecCache) {
    for (const e of cache.entries) this.byText.set(e.text, e.ast);
  }

  /** The tree of `src` from the cache, its spans naming `src.path`; undefined when the text is not cached. */
  get(src: SourceFile): SpecAst | undefined {
    const json = this.byText.get(src.text);
    if (json === undefined) return undefined;
    return JSON.parse(json.replaceAll(JSON.stringify(SOURCE), JSON.stringify(src.path))) as SpecAst;
  }
}
