/**
 * Which files a `kinv check` argument names: a file as given, a folder as every regular file in
 * it except the sidecars written beside captures and fixtures (notes, expected verdicts, capture
 * metadata, kernel logs). What is skipped is returned so the command can say so: a folder is
 * never passed over in silence.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../diag/diagnostic.js';
import { terminalText } from '../diag/terminal.js';

/**
 * Names that sit beside traces and are not traces: notes, expected verdicts, capture metadata,
 * kernel logs; and what a capture saves from tracefs and its machine beside its trace (as
 * `npm run capture` does): the probe definitions and their hit counts (`kprobe_events`,
 * `kprobe_profile`), the kernel's function list (`functions`, `available_filter_functions`,
 * `kallsyms`), and the workload's log, mounts, filters and counts. A folder of captures is then
 * judged capture by capture, not each capture's sidecars as traces that do not parse.
 */
const SIDECAR = new RegExp([
  '(^|[-.])(expected|metadata|summary)\\.json$', '\\.meta\\.json$', '\\.md$', '^stats$', '^dmesg(\\.|$)', '^\\.',
  '^kprobe_(events|profile)(\\..*)?$', '^(functions|available_filter_functions|kallsyms)$', '\\.syms$',
  '^(workload|record|console|host-changes)\\.log(\\.gz)?$', '^workload-params\\.txt$', '^(mounts|filters|setup|casefold|saved-on-report)\\.txt$',
  '^(counts|probed-verdicts)\\.json$', '^kinv-probes\\.(sh|cmdline)$',
].join('|'));

/** The probe definitions and function lists a capture saves beside its trace, which `--probes` and `--functions` take. */
const CAPTURE_FACTS = /^(kprobe_events|functions|available_filter_functions|kallsyms)$|\.syms$/;

export interface TraceFiles {
  files: string[];
  /**
   * What a folder holds that is not checked: sidecar files (`names`) and the folders inside it
   * (`folders`: a folder is read one level deep, so a user who expected its subfolders to be read
   * is told they were not).
   */
  skipped: { dir: string; names: string[]; folders: string[] }[];
  /** Entries that cannot be read at all (a dangling link, no permission), with why. */
  unreadable: { path: string; why: string }[];
  /** Folders named that hold no trace file (empty, or sidecars and subfolders only). */
  emptyFolders: string[];
}

export function expandTraces(paths: string[]): TraceFiles {
  const out: TraceFiles = { files: [], skipped: [], unreadable: [], emptyFolders: [] };
  for (const p of paths) {
    if (p === '-') { out.files.push(p); continue; }
    let isDir: boolean;
    try { isDir = statSync(p).isDirectory(); } catch { out.files.push(p); continue; }
    if (!isDir) { out.files.push(p); continue; }
    let names: string[];
    try { names = readdirSync(p).sort(); } catch (e) { out.unreadable.push({ path: p, why: reason(e) }); continue; }
    const skipped: string[] = [];
    const folders: string[] = [];
    const before = out.files.length;
    const unreadableBefore = out.unreadable.length;
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
      if (kind === 'dir') { folders.push(f); continue; }
      if (kind === 'other' || SIDECAR.test(f)) { skipped.push(f); continue; }
      out.files.push(full);
    }
    if (skipped.length > 0 || folders.length > 0) out.skipped.push({ dir: p, names: skipped, folders });
    if (out.files.length === before && out.unreadable.length === unreadableBefore) out.emptyFolders.push(p);
  }
  return out;
}

/**
 * The note (KV313) that names a folder's sidecars and subfolders, not judged; where a capture's
 * probe definitions or function list are among them, how to give them.
 */
/** KV314 for a folder named that holds no trace file. */
export function noTraceFileIn(folder: string): Diagnostic {
  return { code: 'KV314', severity: 'error', message: `nothing to judge: no trace file in ${terminalText(folder)}` };
}

export function skippedNote(s: TraceFiles['skipped'][number]): Diagnostic {
  const facts = s.names.filter((n) => CAPTURE_FACTS.test(n));
  const give = facts.map((n) => `${n === 'kprobe_events' ? '--probes' : '--functions'} ${join(s.dir, n)}`);
  const parts: string[] = [];
  if (s.names.length > 0) parts.push(`${s.names.length} file${s.names.length === 1 ? '' : 's'} beside the traces not checked (${s.names.join(', ')})`);
  if (s.folders.length > 0) {
    const names = s.folders.map((f) => f + '/').join(', ');
    parts.push(`${s.folders.length} folder${s.folders.length === 1 ? '' : 's'} in it not read (${names}): only the files of a folder are checked`);
  }
  const what = s.folders.length > 0 ? 'a file or folder' : 'a file';
  return {
    code: 'KV313', severity: 'note',
    message: `${s.dir}: ${parts.join('; ')}`,
    hint: give.length > 0
      ? `name ${what} on the command line to check it anyway; the capture's own ${facts.join(' and ')} tell what it probes: give ${give.join(' ')}`
      : `name ${what} on the command line to check it anyway`,
  };
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ELOOP' ? 'a loop of symbolic links' : (e as Error).message;
}

function safe<T>(f: () => T): T | undefined {
  try { return f(); } catch { return undefined; }
}
