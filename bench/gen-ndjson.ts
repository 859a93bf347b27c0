/**
 * Generates a large, clean NDJSON lookup workload for the benchmark: many tasks and directories,
 * the lookup_slow → d_alloc_parallel → ->lookup (→ d_add_ci) → d_splice_alias nesting, shared and
 * exclusive parent locks under a small rwsem model, so the full VFS spec finds no violation.
 *
 * It behaves like a kernel whose dcache is under memory pressure, so what a checker must remember
 * stays bounded however long the trace: a name is looked up again only after its dentries were
 * freed (`dput_final`; a hashed name would be a dcache hit, never a `lookup_slow`), and a
 * directory that has served `DIR_LIFETIME` lookups is evicted (`retire`, after its dentries) once no
 * task is inside it; later lookups use a new inode in its place.
 */
import { createWriteStream } from 'node:fs';

interface Task { pid: number; script: string[]; at: number; dir: string }

/** Lookups a directory serves before it is evicted. */
const DIR_LIFETIME = 64;

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
  /** Per directory slot: its current inode id, lookups served, and scripts inside it. */
  const dirs = Array.from({ length: nDirs }, (_, i) => ({ id: `I${1 + i}`, gen: 0, served: 0, inside: 0 }));
  const dirOf = new Map(dirs.map((d) => [d.id, d]));
  /** Dentries a finished lookup left in the dcache, by directory and name. */
  const cached = new Map<string, Map<string, string[]>>();
  const newScript = (pid: number): { script: string[]; dir: string } => {
    const slot = dirs[Math.floor(rand() * nDirs)]!;
    const name = `f${pid}_${Math.floor(rand() * 64)}`;
    const ci = rand() < 0.25;
    const create = rand() < 0.1;
    const prelude: string[] = [];
    const kill = (dentries: string[]): void => {
      for (const d of dentries) prelude.push(`{"pid":${pid},"ev":"dput_final","args":{"dentry":"${d}"}}`);
    };
    if (slot.served >= DIR_LIFETIME && slot.inside === 0) {
      for (const ds of cached.get(slot.id)?.values() ?? []) kill(ds);
      cached.delete(slot.id);
      prelude.push(`{"pid":${pid},"ev":"retire","args":{"obj":"${slot.id}"}}`);
      dirOf.delete(slot.id);
      slot.gen++;
      slot.id = `I${1 + dirs.indexOf(slot)}g${slot.gen}`;
      dirOf.set(slot.id, slot);
      slot.served = 0;
    }
    let names = cached.get(slot.id);
    if (!names) cached.set(slot.id, (names = new Map()));
    const before = names.get(name);
    if (before) kill(before);
    const made: string[] = [];
    const track = (): string => { const d = dentry(); made.push(d); return d; };
    names.set(name, made);
    slot.served++;
    slot.inside++;
    return { script: [...prelude, ...lookupScript(pid, slot.id, name, ci, create, track)], dir: slot.id };
  };
  const tasks: Task[] = Array.from({ length: nTasks }, (_, i) => ({ pid: 1000 + i, ...newScript(1000 + i), at: 0 }));
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
    if (t.at >= t.script.length) {
      dirOf.get(t.dir)!.inside--;
      Object.assign(t, newScript(t.pid), { at: 0 });
    }
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((r) => out.end(r));
  return written;
}
