/**
 * `--perfetto FILE`, `--dot FILE`, `--html FILE`: pictures of a checked trace or a counterexample,
 * written after the verdicts. One module so that check, explore and fuzz write them alike.
 */
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { findingOf, type Finding } from '../report/findings.js';
import { cyclesDot, cyclesOf } from '../report/dot.js';
import { htmlReport } from '../report/html/page.js';
import { perfettoJson, perfettoTrace } from '../report/perfetto.js';
import type { Timeline } from '../report/timeline.js';
import type { Verdict } from '../checker/engine.js';

export interface VisualTargets {
  perfetto: string | undefined;
  dot: string | undefined;
  html: string | undefined;
}

export function wantsPictures(t: VisualTargets): boolean {
  return t.perfetto !== undefined || t.dot !== undefined || t.html !== undefined;
}

/**
 * Creates each requested file before the work, so that a bad path is a usage error, not a lost
 * run; a path that names one of the `inputs` (or another picture's file) is refused before
 * anything is written: it would be emptied before it is read.
 */
export function preparePictures(t: VisualTargets, inputs: readonly string[] = []): void {
  const taken = new Map<string, string>();
  for (const p of inputs) { const id = fileId(p); if (id !== undefined) taken.set(id, `the trace ${p}`); }
  const targets = [['--perfetto', t.perfetto], ['--dot', t.dot], ['--html', t.html]] as const;
  for (const [option, path] of targets) {
    if (path === undefined) continue;
    notStdout(option, path);
    const id = fileId(path);
    const clash = id === undefined ? undefined : taken.get(id);
    if (clash !== undefined) throw new UsageError(`${option} ${path} is ${clash}: writing it would overwrite it; name another file`);
    if (id !== undefined) taken.set(id, `the file of ${option}`);
  }
  for (const [option, path] of targets) {
    if (path === undefined) continue;
    try { writeFileSync(path, ''); } catch (e) { throw new UsageError(`cannot write ${option} ${path}: ${(e as Error).message}`); }
  }
}

/**
 * A picture or counterexample file named `-`: as everywhere else on the command line it would mean
 * standard output, which carries the report here; written as a file of that name, it would be
 * where nobody looks.
 */
export function notStdout(option: string, path: string): void {
  if (path === '-') throw new UsageError(`${option} -: standard output carries this command's own output; give ${option} a file name`);
}

/** The device and inode of an existing file (one file under two names is one id), else undefined. */
function fileId(path: string): string | undefined {
  if (path === '-') return undefined;
  try {
    const s = statSync(path);
    return s.isFile() ? `${s.dev}:${s.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the files made ready for pictures of a trace that could not be read: no picture is better than a partial one. */
export function discardPictures(t: VisualTargets): void {
  for (const path of [t.perfetto, t.dot, t.html]) if (path !== undefined) rmSync(path, { force: true });
}

/** Writes each requested picture; a file that cannot be written is reported and makes the result unknown (false). */
export function writePictures(t: VisualTargets, timeline: Timeline, verdicts: Verdict[], sources: Map<string, string>, title: string): boolean {
  const findings: Finding[] = verdicts.map((v) => findingOf(v, sources));
  let ok = true;
  const write = (option: string, path: string | undefined, text: () => string): void => {
    if (path === undefined) return;
    try {
      writeFileSync(path, text());
    } catch (e) {
      process.stderr.write(`kinv: cannot write ${option} ${path}: ${(e as Error).message}\n`);
      ok = false;
    }
  };
  write('--perfetto', t.perfetto, () => perfettoJson(perfettoTrace(timeline, findings, title)));
  write('--dot', t.dot, () => cyclesDot(cyclesOf(findings, timeline), title));
  write('--html', t.html, () => htmlReport(timeline, findings, title));
  return ok;
}
