/**
 * Which files a `kinv check` argument names: a file as given, a folder as every regular file in
 * it except the sidecars written beside captures and fixtures (notes, expected verdicts, capture
 * metadata, kernel logs). What is skipped is returned so the command can say so: a folder is
 * never passed over in silence.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Names that sit beside traces and are not traces. */
const SIDECAR = /(^|[-.])(expected|metadata|summary)\.json$|\.meta\.json$|\.md$|^stats$|^dmesg(\.|$)|^\./;

export interface TraceFiles {
  files: string[];
  /** Sidecar files left out, by folder. */
  skipped: { dir: string; names: string[] }[];
  /** Entries that cannot be read at all (a dangling link, no permission), with why. */
  unreadable: { path: string; why: string }[];
}

export function expandTraces(paths: string[]): TraceFiles {
  const out: TraceFiles = { files: [], skipped: [], unreadable: [] };
  for (const p of paths) {
    if (p === '-') { out.files.push(p); continue; }
    let isDir: boolean;
    try { isDir = statSync(p).isDirectory(); } catch { out.files.push(p); continue; }
    if (!isDir) { out.files.push(p); continue; }
    let names: string[];
    try { names = readdirSync(p).sort(); } catch (e) { out.unreadable.push({ path: p, why: reason(e) }); continue; }
    const skipped: string[] = [];
    for (const f of names) {
      const full = join(p, f);
      let kind: 'file' | 'dir' | 'other';
      try {
        const st = statSync(full);
        kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
      } catch (e) {
        const dangling = safe(() => lstatSync(full).isSymbolicLink()) === true;
        out.unreadable.push({ path: full, why: dangling ? 'a symbolic link to nothing' : reason(e) });
        continue;
      }
      if (kind === 'dir') continue;
      if (kind === 'other' || SIDECAR.test(f)) { skipped.push(f); continue; }
      out.files.push(full);
    }
    if (skipped.length > 0) out.skipped.push({ dir: p, names: skipped });
  }
  return out;
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ELOOP' ? 'a loop of symbolic links' : (e as Error).message;
}

function safe<T>(f: () => T): T | undefined {
  try { return f(); } catch { return undefined; }
}
