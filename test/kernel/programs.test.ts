// The ordinary-programs captures (traces/kernel-programs/*, `npm run capture -- --phases ordinary`,
// bundled by scripts/capture/bundle-programs.sh): ordinary busybox programs in the traced
// directories of a stock kernel. This test reads only the bundled files: it recomputes the ground
// truth (scripts/capture/count-locks.mjs, independent of kinv) and compares it with the committed
// counts.json and the figures in each README.md, and checks that the files agree with each other.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACQUIRE, countLocks, readTrace, renderFigures, renderSummary, summaryRows } from '../../scripts/capture/count-locks.mjs';

const ROOT = join(import.meta.dirname, '../../traces/kernel-programs');
const dirs = existsSync(ROOT) ? readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'metadata.json'))).sort() : [];

interface Meta {
  file: string; kernel: { release: string }; probeSet: { name: string };
  probes: { definitions: string[]; absent: string[]; rejected: string[] };
  trackedLocks: { fs: string; dir: string; sem: string }[];
  counts: { events: number; byName: Record<string, number> };
  overrunTotal: number; dmesgProblems: string[];
  workload: { kind: string };
  perCpu: { cpu: number; overrun: number }[];
}

/** The programs each workload runs on the tracked directories (guest/lkwork). */
const PROGRAMS: Record<string, string[]> = {
  ordinary: ['ls', 'find', 'du', 'tar', 'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'touch', 'stat', 'cat', 'lkwork'],
  wild: ['ls', 'find', 'mv', 'rm', 'mkdir', 'rmdir', 'touch', 'stat', 'cat', 'ln', 'readlink', 'realpath', 'lkwork'],
  layered: ['ls', 'find', 'du', 'tar', 'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'touch', 'stat', 'cat', 'ln', 'readlink', 'realpath', 'chmod', 'lkwork'],
  netfs: ['ls', 'find', 'du', 'tar', 'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'touch', 'stat', 'cat', 'ln', 'readlink', 'realpath', 'lkwork'],
  ninep: ['ls', 'find', 'du', 'tar', 'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'touch', 'stat', 'cat', 'ln', 'readlink', 'realpath', 'lkwork'],
  syscalls: ['sysx', 'lkwork', 'rm'],
};

describe('traces/kernel-programs', () => {
  it('holds the ordinary-programs captures, summed up in its README', () => {
    expect(dirs.length).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(renderSummary(summaryRows(ROOT)));
  });

  for (const name of dirs) {
    describe(name, () => {
      const dir = join(ROOT, name);
      const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as Meta;
      const text = readTrace(dir);
      const counts = countLocks(text, meta.trackedLocks);
      const acquisitions = counts.totals.acquisitions as Record<string, { entries: number } | undefined>;
      // A capture that lost events (*-lossy*: --buffer-kb, --pipe-read-kb): its figures show the loss
      const lossy = meta.overrunTotal > 0;

      it('has every file of a bundled capture', () => {
        for (const f of ['trace.gz', 'kprobe_events', 'functions', 'dmesg.gz', 'metadata.json', 'README.md', 'counts.json', 'workload.log'])
          expect(existsSync(join(dir, f)), f).toBe(true);
        expect(meta.file).toBe('trace.gz');
        // (a layered capture records 30 directories' tasks without a comm filter: up to 3.1 MB)
        expect(readFileSync(join(dir, 'trace.gz')).length).toBeLessThan(meta.workload.kind === 'layered' ? 3_100_000 : 2_500_000);
      });

      it('agrees with the committed ground truth (counts.json) and the README figures', () => {
        const committed = JSON.parse(readFileSync(join(dir, 'counts.json'), 'utf8'));
        expect(counts).toEqual(committed);
        expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(renderFigures(meta, counts));
      });

      it('records per event name as metadata.json counted them (an independent line count)', () => {
        const byName: Record<string, number> = {};
        for (const l of text.split('\n')) {
          // (a counter's stamp, or a clock's in seconds to the microsecond: the local and global captures; flags of 4 to 7 columns, 7 on PREEMPT_RT)
          const m = /^\s*.+?-\d+\s+\[\d{3}\]\s+\S{4,7}\s+\d+(?:\.\d{6})?:\s+(\w+):/.exec(l);
          if (m) byName[m[1]!] = (byName[m[1]!] ?? 0) + 1;
        }
        expect(byName).toEqual(meta.counts.byName);
        if (!lossy) { expect(meta.overrunTotal).toBe(0); return; }
        // every event the ring buffer overwrote is accounted for in the log itself: by its
        // `CPU:N [LOST K EVENTS]` markers (trace_pipe), per CPU as each CPU's stats count them, or
        // by its header (a `trace` file: entries-written minus entries-in-buffer, the records it holds)
        const perCpu = new Map<number, number>();
        for (const m of text.matchAll(/^CPU:(\d+) \[LOST (\d+) EVENTS\]$/gm)) perCpu.set(Number(m[1]), (perCpu.get(Number(m[1])) ?? 0) + Number(m[2]));
        const header = /entries-in-buffer\/entries-written: (\d+)\/(\d+)/.exec(text);
        const stats = meta.perCpu;
        if (header === null) {
          expect(perCpu.size).toBeGreaterThan(0);
          for (const c of stats) expect(perCpu.get(c.cpu) ?? 0, `CPU ${c.cpu}`).toBe(c.overrun);
        } else {
          expect(perCpu.size).toBe(0);
          expect(Number(header[2]) - Number(header[1])).toBe(meta.overrunTotal);
          expect(Number(header[1])).toBe(Object.values(meta.counts.byName).reduce((a, b) => a + b, 0));
        }
      });

      it('kprobe_events, functions and metadata.json name the same probes', () => {
        const events = readFileSync(join(dir, 'kprobe_events'), 'latin1').split('\n').filter(Boolean);
        const functions = new Set(readFileSync(join(dir, 'functions'), 'utf8').split('\n').filter(Boolean));
        expect(events.length).toBe(meta.probes.definitions.length);
        for (const e of events) {
          const [head, fn] = e.split(/\s+/);
          expect(functions.has(fn!), `${fn} of ${head} in functions`).toBe(true);
          const ev = head!.split('/').pop();
          expect(meta.probes.definitions.some((d) => d.split(/\s+/)[0]!.split(':')[1] === ev && d.split(/\s+/)[1] === fn), `${head} ${fn}`).toBe(true);
        }
        for (const a of meta.probes.absent) expect(functions.has(a.split(/\s+/)[1]!), `absent ${a}`).toBe(false);
        // every tracked lock's acquisitions and releases pair up within each task when nothing is
        // unprobed (or lost: a lossy capture's releases lost leave locks held at its end)
        if (!lossy) expect(counts.totals.heldAtEnd).toEqual({ read: 0, write: 0 });
      });

      it('tracks each test directory and sees the programs on it', () => {
        expect(Object.keys(counts.locks).length).toBe(meta.trackedLocks.length);
        // (a lossy capture keeps some of the workload: its own shell, and programs on the locks)
        for (const p of lossy ? ['lkwork', 'ls', 'mv', 'rm'] : PROGRAMS[meta.workload.kind]!) expect(counts.programs[p]?.tasks ?? 0, p).toBeGreaterThan(0);
        const acq = Object.entries(counts.totals.acquisitions) as [string, { entries: number }][];
        for (const [fn] of acq) expect(ACQUIRE[fn as keyof typeof ACQUIRE], fn).toBeDefined();
      });

      if (meta.probeSet.name === 'full' && lossy) {
        // (its releases whose acquisition was lost have none visible: the loss accounting above)
        it('full probe set, lossy capture: readdir\'s down_read_killable is seen', () => {
          expect(acquisitions.down_read_killable?.entries ?? 0).toBeGreaterThan(0);
        });
      } else if (meta.probeSet.name === 'full') {
        it('full probe set: every release has a visible acquisition in its task', () => {
          expect(counts.totals.releasesWithoutAcquisition).toEqual({});
          expect(acquisitions.down_read_killable?.entries ?? 0).toBeGreaterThan(0);
        });
      } else {
        // the legacy set does not probe down_read_killable (readdir) nor, on the lockdep build,
        // down_write_nested (inode_lock_nested: mkdir, rmdir, unlink, rename)
        const lockdep = name.startsWith('lockdep');
        it(`legacy probe set: the releases without visible acquisition are readdir's up_read${lockdep ? ' and the up_write of down_write_nested' : ''}`, () => {
          const w = counts.totals.releasesWithoutAcquisition as Record<string, number>;
          const by = counts.totals.releasesWithoutAcquisitionBySyscall as Record<string, number>;
          expect(Object.keys(w).sort()).toEqual(lockdep ? ['up_read', 'up_write'] : ['up_read']);
          expect(by['up_read in getdents64']).toBe(w.up_read);
          const writes = Object.entries(by).filter(([k]) => k.startsWith('up_write'));
          for (const [k] of writes) expect(['up_write in mkdir', 'up_write in rmdir', 'up_write in unlink', 'up_write in rename']).toContain(k);
          expect(writes.reduce((a, [, v]) => a + v, 0)).toBe(w.up_write ?? 0);
          expect(acquisitions.down_read_killable).toBeUndefined();
        });
        const full = name.replace(/legacy$/, 'full');
        if (dirs.includes(full)) {
          it(`as many as the acquisitions that ${full}/ (same kernel and workload) shows through the unprobed functions`, () => {
            const f = JSON.parse(readFileSync(join(ROOT, full, 'counts.json'), 'utf8')) as { totals: { acquisitions: Record<string, { entries: number }> } };
            const w = counts.totals.releasesWithoutAcquisition as Record<string, number>;
            expect(w.up_read).toBe(f.totals.acquisitions.down_read_killable?.entries);
            expect(w.up_write ?? 0).toBe(f.totals.acquisitions.down_write_nested?.entries ?? 0);
          });
        }
      }
    });
  }
});
