// The bundled kernel capture (traces/kernel, made by scripts/capture/capture.sh and bundle.sh):
// every file is there, and the metadata agrees with the trace it describes.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '../../traces/kernel');

interface Meta {
  format: string;
  file: string;
  stats: string;
  dmesg: string;
  tracePipe?: string;
  kernel: { release: string; lookupShared: { present: boolean }; DCACHE_PAR_LOOKUP: string };
  offsets: Record<string, number | string>;
  probes: { definitions: string[]; rejected: string[]; filters: string[] };
  tracepoints: string[];
  trackedLocks: { fs: string; dinode: string; sem: string }[];
  perCpu: { cpu: number; overrun: number; droppedEvents: number }[];
  overrunTotal: number;
  droppedTotal: number;
  counts: { events: number; byName: Record<string, number> };
  workload: { kind: string };
  wall: { captureSeconds: number };
  dmesgProblems?: string[];
}

const readMeta = (dir: string): Meta => JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as Meta;
/** Traces are bytes, not UTF-8: read them as latin1. */
const readMaybeGz = (p: string): string => {
  const raw = readFileSync(p);
  return (p.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1');
};
const EVENT = /^\s*.+?-\d+\s+(?:\(\s*[\d-]+\)\s+)?\[\d{3}\]\s+(?:\S{4,5}\s+)?\d+\.\d+:\s+([\w.]+):/;
function countEvents(text: string): Record<string, number> {
  const by: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const n = EVENT.exec(line)?.[1];
    if (n !== undefined) by[n] = (by[n] ?? 0) + 1;
  }
  return by;
}
const probeName = (def: string): string => /^[pr]:(\w+)/.exec(def)?.[1] ?? '';
const probeOf = (m: Meta, name: string): string => {
  const d = m.probes.definitions.find((x) => probeName(x) === name);
  if (d === undefined) throw new Error(`no probe ${name} in metadata`);
  return d;
};

const meta: Meta | undefined = readMeta(DIR);
const trace = readMaybeGz(join(DIR, meta.file));
const byName = countEvents(trace);

describe('bundled kernel capture (traces/kernel)', () => {
  it('has every file, under the 10 MB budget', () => {
    const m = meta!;
    for (const f of [m.file, m.stats, m.dmesg, 'README.md', 'collision/metadata.json', 'collision/stats']) {
      expect(existsSync(join(DIR, f)), f).toBe(true);
    }
    if (m.tracePipe !== undefined) expect(existsSync(join(DIR, m.tracePipe))).toBe(true);
    const c = readMeta(join(DIR, 'collision'));
    expect(existsSync(join(DIR, 'collision', c.file))).toBe(true);
    let total = 0;
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else total += statSync(join(d, e.name)).size;
      }
    };
    walk(DIR);
    expect(total).toBeLessThan(10_000_000);
    for (const f of readdirSync(DIR)) {
      if (!f.endsWith('.gz')) expect(statSync(join(DIR, f)).size, `${f} should be gzipped`).toBeLessThanOrEqual(2_000_000);
    }
  });

  it('describes a stock 6.1 kernel: no LOOKUP_SHARED, DCACHE_PAR_LOOKUP 0x10000000', () => {
    const m = meta!;
    expect(m.format).toBe('kinv-capture/1');
    expect(m.kernel.release).toBe('6.1.0-56-cloud-amd64');
    expect(m.kernel.lookupShared.present).toBe(false);
    expect(m.kernel.DCACHE_PAR_LOOKUP).toBe('0x10000000');
    expect(m.probes.rejected).toEqual([]);
    expect(m.dmesgProblems ?? []).toEqual([]);
    expect(m.wall.captureSeconds).toBeGreaterThan(0);
  });

  it('names in the metadata are the names in the trace, with the same counts', () => {
    const m = meta!;
    const names = new Set([...m.probes.definitions.map(probeName), 'sys_exit', 'sched_process_exit']);
    for (const n of Object.keys(byName)) expect(names.has(n), `event ${n} has no definition in metadata`).toBe(true);
    for (const n of ['lkslow', 'lkslow_ret', 'dap', 'dap_ret', 'daddci', 'daddci_ret', 'fs_lookup_xfsci', 'fs_lookup_ext4',
      'fs_lookup_vfat', 'fs_lookup_simple', 'unhash', 'unhashwake', 'dsplice', 'dr', 'dr_ret', 'ur', 'sys_exit', 'sched_process_exit']) {
      expect(byName[n] ?? 0, n).toBeGreaterThan(0);
    }
    expect(byName).toEqual(m.counts.byName);
    expect(Object.values(byName).reduce((a, b) => a + b, 0)).toBe(m.counts.events);
  });

  it('uses the metadata offsets in the probe definitions', () => {
    const m = meta!;
    const o = (k: string): number => Number(m.offsets[k]);
    expect(o('dentry.d_name.name')).toBe(o('dentry.d_name') + o('qstr.name'));
    expect(probeOf(m, 'lkslow')).toContain(`name=+0(+${o('qstr.name')}(%di)):string nlen=+${o('qstr.len')}(%di):u32`);
    expect(probeOf(m, 'lkslow')).toContain(`dinode=+${o('dentry.d_inode')}(%si):x64`);
    expect(probeOf(m, 'dap')).toContain(`pinode=+${o('dentry.d_inode')}(%di):x64`);
    expect(probeOf(m, 'dap_ret')).toContain(`dflags=+${o('dentry.d_flags')}($retval):x32`);
    expect(probeOf(m, 'daddci')).toContain(
      `parent=+${o('dentry.d_parent')}(%di):x64 pinode=+${o('dentry.d_inode')}(+${o('dentry.d_parent')}(%di)):x64 dname=+0(+${o('dentry.d_name.name')}(%di)):string`);
    expect(probeOf(m, 'unhash')).toContain(`dflags=+${o('dentry.d_flags')}(%di):x32`);
    for (const p of ['fs_lookup_xfsci', 'fs_lookup_ext4', 'fs_lookup_vfat', 'fs_lookup_simple', 'dsplice']) {
      expect(probeOf(m, p)).toContain(`dname=+0(+${o('dentry.d_name.name')}(%si)):string`);
    }
    for (const p of ['dr', 'ur', 'dw', 'uw']) expect(probeOf(m, p)).toMatch(/ sem=%di:x64$/);
  });

  it('tracks each test directory by i_rwsem = inode + offsetof(struct inode, i_rwsem), as the trace shows', () => {
    const m = meta!;
    const off = BigInt(Number(m.offsets['inode.i_rwsem']));
    const sems = new Set<string>();
    for (const t of m.trackedLocks) {
      expect(BigInt(t.sem) - BigInt(t.dinode), t.fs).toBe(off);
      expect(m.probes.filters.join(' ')).toContain(`sem == ${t.sem}`);
      sems.add(t.sem);
    }
    // Every dr/ur is on a tracked lock; and the dr just before a task's lkslow is on dinode + offset.
    const lastDr = new Map<string, string>();
    let checked = 0;
    for (const line of trace.split('\n')) {
      const task = /^\s*(.+?-\d+)\s/.exec(line)?.[1];
      if (task === undefined) continue;
      const sem = / (?:dr|ur|dw|uw): \(.*\) sem=(0x[0-9a-f]+)/.exec(line)?.[1];
      if (sem !== undefined) {
        expect(sems.has(sem), line).toBe(true);
        if (/ dr: /.test(line)) lastDr.set(task, sem);
      }
      const dinode = / lkslow: \(.*dinode=(0x[0-9a-f]+)/.exec(line)?.[1];
      const dr = lastDr.get(task);
      if (dinode !== undefined && dr !== undefined && sems.has(`0x${(BigInt(dinode) + off).toString(16)}`)) {
        expect(BigInt(dr) - BigInt(dinode), line).toBe(off);
        lastDr.delete(task);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('has d_add_ci entries from the ASCII case-insensitive XFS, in both captures', () => {
    const daddci = trace.split('\n').filter((l) => / daddci: /.test(l));
    expect(daddci.length).toBeGreaterThan(0);
    expect(daddci.length).toBe(meta!.counts.byName.daddci);
    expect(daddci.some((l) => /dname="(file|FILE)\d+"/.test(l) && / name="File\d+"/.test(l))).toBe(true);
    const c = readMeta(join(DIR, 'collision'));
    expect(c.workload.kind).toBe('collision');
    const ct = readMaybeGz(join(DIR, 'collision', c.file));
    let n = 0;
    for (let i = ct.indexOf(' daddci: '); i !== -1; i = ct.indexOf(' daddci: ', i + 1)) n++;
    expect(n).toBe(c.counts.byName.daddci);
    expect(n).toBeGreaterThan(0);
  });

  it('lost nothing: the stats files agree with the metadata (0 overruns)', () => {
    for (const d of [DIR, join(DIR, 'collision')]) {
      const m = readMeta(d);
      const stats = readFileSync(join(d, m.stats), 'latin1');
      const overruns = [...stats.matchAll(/^overrun: (\d+)$/gm)].map((x) => Number(x[1]));
      expect(overruns.length).toBe(m.perCpu.length);
      expect(overruns.reduce((a, b) => a + b, 0)).toBe(m.overrunTotal);
      expect(m.overrunTotal).toBe(0);
      expect(m.droppedTotal).toBe(0);
    }
    expect(trace).not.toMatch(/LOST \d+ EVENTS/);
  });
});
