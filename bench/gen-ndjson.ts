/**
 * Generates a large, clean NDJSON lookup workload for the benchmark: many tasks and directories,
 * the lookup_slow → d_alloc_parallel → ->lookup (→ d_add_ci) → d_splice_alias nesting, shared and
 * exclusive parent locks under a small rwsem model, so the full VFS spec finds no violation.
 */
import { createWriteStream } from 'node:fs';

interface Task { pid: number; script: string[]; at: number }

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

/** One syscall's events for a task, as pre-rendered JSON lines with a lock step marker. */
function lookupScript(pid: number, dir: string, name: string, ci: boolean, create: boolean, dentry: () => string): string[] {
  const p = `{"pid":${pid},`;
  const mode = create ? 'W' : 'R';
  const flags = create ? 0 : 1048576;
  const d1 = dentry();
  const out: string[] = [];
  const fn = create ? 'lookup_open' : 'lookup_slow';
  out.push(`${p}"ev":"call","fn":"${fn}","args":{"dir":"${dir}","name":"${name}","flags":${flags}}}`);
  out.push(`${p}"ev":"acq_req","args":{"lock":"${dir}","mode":"${mode}","kind":"blocking"}}`);
  out.push(`@acq ${dir} ${mode}`);
  out.push(`${p}"ev":"acq","args":{"lock":"${dir}","mode":"${mode}"}}`);
  out.push(`${p}"ev":"call","fn":"d_alloc_parallel","args":{"dir":"${dir}","name":"${name}"}}`);
  out.push(`${p}"ev":"ret","fn":"d_alloc_parallel","ret":"${d1}","args":{"outcome":"N"}}`);
  out.push(`${p}"ev":"call","fn":"lookup","args":{"dir":"${dir}","dentry":"${d1}","name":"${name}","flags":${flags},"fs":"${ci ? 'xfs' : 'ext4'}"}}`);
  if (ci) {
    const d2 = dentry();
    const exact = name.toUpperCase();
    out.push(`${p}"ev":"call","fn":"d_add_ci","args":{"dir":"${dir}","dentry":"${d1}","name":"${exact}","flags":${flags}}}`);
    out.push(`${p}"ev":"call","fn":"d_alloc_parallel","args":{"dir":"${dir}","name":"${exact}"}}`);
    out.push(`${p}"ev":"ret","fn":"d_alloc_parallel","ret":"${d2}","args":{"outcome":"N"}}`);
    out.push(`${p}"ev":"call","fn":"d_splice_alias","args":{"dentry":"${d2}","inode":"I9${pid}"}}`);
    out.push(`${p}"ev":"il_end","args":{"dentry":"${d2}"}}`);
    out.push(`${p}"ev":"ret","fn":"d_splice_alias","ret":null}`);
    out.push(`${p}"ev":"ret","fn":"d_add_ci","ret":"${d2}"}`);
  } else {
    out.push(`${p}"ev":"call","fn":"d_splice_alias","args":{"dentry":"${d1}","inode":"I9${pid}"}}`);
    out.push(`${p}"ev":"il_end","args":{"dentry":"${d1}"}}`);
    out.push(`${p}"ev":"ret","fn":"d_splice_alias","ret":null}`);
  }
  out.push(`${p}"ev":"ret","fn":"lookup","ret":null}`);
  if (ci) out.push(`${p}"ev":"il_end","args":{"dentry":"${d1}"}}`);
  out.push(`${p}"ev":"rel","args":{"lock":"${dir}","mode":"${mode}"}}`);
  out.push(`@rel ${dir} ${mode}`);
  out.push(`${p}"ev":"ret","fn":"${fn}","ret":"${d1}"}`);
  out.push(`${p}"ev":"syscall_exit"}`);
  return out;
}

/** Writes about `events` events to `path`; returns the number written. */
export async function generateNdjson(path: string, events: number, opts: { tasks?: number; dirs?: number; seed?: number } = {}): Promise<number> {
  const rand = rng(opts.seed ?? 1);
  const nTasks = opts.tasks ?? 64;
  const nDirs = opts.dirs ?? 256;
  let nextDentry = 1;
  const dentry = (): string => `D${nextDentry++}`;
  const readers = new Map<string, number>();
  const writer = new Map<string, number>();
  const newScript = (pid: number): string[] => {
    const dir = `I${1 + Math.floor(rand() * nDirs)}`;
    const name = `f${pid}_${Math.floor(rand() * 64)}`;
    return lookupScript(pid, dir, name, rand() < 0.25, rand() < 0.1, dentry);
  };
  const tasks: Task[] = Array.from({ length: nTasks }, (_, i) => ({ pid: 1000 + i, script: newScript(1000 + i), at: 0 }));
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let written = 0;
  let buf = '';
  while (written < events) {
    const t = tasks[Math.floor(rand() * nTasks)]!;
    const line = t.script[t.at]!;
    if (line.startsWith('@acq')) {
      const [, dir, mode] = line.split(' ') as [string, string, string];
      const free = mode === 'R' ? !writer.has(dir) : !writer.has(dir) && !(readers.get(dir) ?? 0);
      if (!free) continue;
      if (mode === 'R') readers.set(dir, (readers.get(dir) ?? 0) + 1); else writer.set(dir, t.pid);
      t.at++;
      continue;
    }
    if (line.startsWith('@rel')) {
      const [, dir, mode] = line.split(' ') as [string, string, string];
      if (mode === 'R') readers.set(dir, readers.get(dir)! - 1); else writer.delete(dir);
      t.at++;
      continue;
    }
    buf += line + '\n';
    written++;
    t.at++;
    if (t.at >= t.script.length) { t.script = newScript(t.pid); t.at = 0; }
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((r) => out.end(r));
  return written;
}
