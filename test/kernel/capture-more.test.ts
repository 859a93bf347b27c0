// The bundled captures that bundle-more.sh adds: the function_graph capture of a stock 6.1 kernel
// (traces/kernel/graph), and the collision captures of a 6.1 kernel built with the draft and the
// fixed d_add_ci (scripts/capture/capture-buggy.sh, patches/; traces/kernel-buggy, kernel-fixed).
// Complete, internally consistent, and showing what each kernel did, read straight from the raw
// lines (no kinv mapping involved); then kinv's verdicts and lockdep's reports against that.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseLockdep } from '../../src/lockdep/parse.js';
import { checkJson } from '../helpers/cli.js';

const TRACES = join(import.meta.dirname, '../../traces');
interface Meta {
  format: string; capture: string; file: string; stats: string; dmesg: string; guestStatus?: string;
  kernel: { release: string; build: string; cmdline: string; lookupShared: { present: boolean }; DCACHE_PAR_LOOKUP: string };
  offsets: Record<string, number | string>;
  probes: { definitions: string[]; rejected: string[]; filters: string[] } | null;
  graph?: { setGraphFunction: string[]; setFtraceFilter: string[]; options: string[] };
  trackedLocks: { fs: string; dinode: string; sem: string }[];
  perCpu: { cpu: number; overrun: number; droppedEvents: number }[];
  overrunTotal: number; droppedTotal: number;
  counts: { events: number | Record<string, number>; byName?: Record<string, number>; lines?: number;
    entries?: Record<string, number>; leaves?: Record<string, number>; exits?: number };
  workload: { kind: string };
  wall: { captureSeconds: number; phaseSeconds: number };
}
const meta = (d: string): Meta => JSON.parse(readFileSync(join(TRACES, d, 'metadata.json'), 'utf8')) as Meta;
const text = (d: string, f: string): string => {
  const raw = readFileSync(join(TRACES, d, f));
  return (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1');
};

/** Overruns in the stats file (one block per CPU) agree with the metadata, and are 0. */
function statsAgree(d: string, m: Meta): void {
  const overruns = [...text(d, m.stats).matchAll(/^overrun: (\d+)$/gm)].map((x) => Number(x[1]));
  expect(overruns.length).toBe(m.perCpu.length);
  expect(overruns.reduce((a, b) => a + b, 0)).toBe(m.overrunTotal);
  expect(m.perCpu.every((c) => Number.isInteger(c.overrun) && Number.isInteger(c.droppedEvents))).toBe(true);
  expect(m.overrunTotal).toBe(0);
  expect(m.droppedTotal).toBe(0);
}

// ---------------------------------------------------------------------------------------------
describe('function_graph capture (traces/kernel/graph)', () => {
  const m = meta('kernel/graph');
  const t = text('kernel/graph', m.file);
  // funcgraph-abstime + funcgraph-proc: "  TIME |  CPU)  comm-pid  |  DURATION  |  BODY"
  const LINE = /^ +\d+\.\d{6} \| +\d+\) +.+-\d+ +\| +(?:[+!#*@$] )?(?:\d+\.\d+ us)? +\| (.*)$/;
  const SWITCH = /^ +\d+\) +.+-\d+ +=> +.+-\d+ *$/;

  it('is a function_graph trace limited to the lookup functions, with its files', () => {
    for (const f of [m.file, m.stats, m.dmesg]) expect(existsSync(join(TRACES, 'kernel/graph', f)), f).toBe(true);
    expect(m.capture).toBe('graph');
    expect(m.kernel.release).toBe('6.1.0-56-cloud-amd64');
    expect(t.startsWith('# tracer: function_graph\n')).toBe(true);
    expect(m.graph!.setGraphFunction).toEqual(['walk_component', '__lookup_slow']);
    expect(m.graph!.options).toEqual(['funcgraph-proc', 'funcgraph-abstime']);
    for (const f of ['__lookup_slow', 'd_alloc_parallel', 'd_add_ci', 'xfs_vn_ci_lookup [xfs]', 'down_read', 'up_read']) {
      expect(m.graph!.setFtraceFilter, f).toContain(f);
    }
  });

  it('has every line in the documented format, and the counts of the metadata', () => {
    const entries: Record<string, number> = {}, leaves: Record<string, number> = {};
    let exits = 0, lines = 0, bad = 0;
    for (const l of t.split('\n')) {
      if (l === '') continue;
      lines++;
      if (l.startsWith('#') || SWITCH.test(l) || /^ -{10,}$/.test(l)) continue;
      const body = LINE.exec(l)?.[1];
      if (body === undefined) { bad++; continue; }
      let x;
      if ((x = /^ *([\w.]+)(?: \[\w+\])?\(\) \{$/.exec(body))) entries[x[1]!] = (entries[x[1]!] ?? 0) + 1;
      else if ((x = /^ *([\w.]+)(?: \[\w+\])?\(\);$/.exec(body))) leaves[x[1]!] = (leaves[x[1]!] ?? 0) + 1;
      else if (/^ *\}/.test(body)) exits++;
    }
    expect(bad).toBe(0);
    expect(lines).toBe(m.counts.lines);
    expect(entries).toEqual(m.counts.entries);
    expect(leaves).toEqual(m.counts.leaves);
    expect(exits).toBe(m.counts.exits);
  });

  it('shows d_add_ci under xfs_vn_ci_lookup, and the parent lock taken in walk_component around __lookup_slow', () => {
    expect((m.counts.entries!.d_add_ci ?? 0) + (m.counts.leaves!.d_add_ci ?? 0)).toBeGreaterThan(0);
    expect(m.counts.entries!.xfs_vn_ci_lookup).toBeGreaterThan(0);
    // per task: walk_component() { down_read(); __lookup_slow() { ... } up_read(); }
    const seq = new Map<string, string[]>();
    let shaped = 0;
    for (const l of t.split('\n')) {
      const x = LINE.exec(l);
      if (!x) continue;
      const task = /\| +\d+\) +(.+?-\d+) +\|/.exec(l)![1]!;
      const fn = /^ *([\w.]+)(?: \[\w+\])?\(\)/.exec(x[1]!)?.[1] ?? (/^ *\}/.test(x[1]!) ? '}' : '');
      const s = seq.get(task) ?? [];
      if (fn === 'walk_component' && / \{$/.test(x[1]!)) s.length = 0;
      s.push(fn);
      seq.set(task, s);
      if (fn === 'up_read' && s[1] === 'down_read' && s[2] === '__lookup_slow' && s.at(-2) === '}') shaped++;
    }
    expect(shaped).toBeGreaterThan(1000);
  });

  it('lost nothing', () => { statsAgree('kernel/graph', m); expect(t).not.toMatch(/LOST \d+ EVENTS/); });
});

// ---------------------------------------------------------------------------------------------
/** kprobe records, one per event; a line that does not start a record continues the previous one
 * (a `:string` fetch of a qstr name is not NUL-terminated and can carry a raw newline). */
/** The timestamp is a count (trace_clock=counter, as capture.sh sets it) or seconds.microseconds. */
const PREFIX = /^ +(.+?)-(\d+) +\[(\d{3})\] [.a-zA-Z0-9]{4,5} +(\d+(?:\.\d{6})?): (\w+): (.*)$/;
interface Rec { pid: string; ev: string; body: string; line: number }
function records(t: string): { recs: Rec[]; continuations: number; headers: number } {
  const recs: Rec[] = [];
  let continuations = 0, headers = 0, line = 0;
  for (const l of t.split('\n')) {
    line++;
    if (l === '') continue;
    if (l.startsWith('#')) { headers++; continue; }
    const x = PREFIX.exec(l);
    if (x) recs.push({ pid: x[2]!, ev: x[5]!, body: x[6]!, line });
    else {
      const last = recs.at(-1);
      // only inside an open quoted string of the previous record
      expect(last !== undefined && (last.body.split('"').length - 1) % 2 === 1, `stray line: ${l.slice(0, 80)}`).toBe(true);
      last!.body += '\n' + l;
      continuations++;
    }
  }
  return { recs, continuations, headers };
}

/** Lines of the up_reads a task makes right after entering d_add_ci: the shape drops the parent
 * lock there while the caller still owns the in-lookup dentry ->lookup was called on. */
function releasesInDAddCi(recs: Rec[]): number[] {
  const last = new Map<string, string>();
  const out: number[] = [];
  for (const r of recs) {
    if (r.ev === 'ur' && last.get(r.pid) === 'daddci') out.push(r.line);
    last.set(r.pid, r.ev);
  }
  return out;
}

/** Per d_add_ci frame on the tracked XFS directory: how its d_alloc_parallel ended and which
 * unlock/relock it did; E2 = d_alloc_parallel returned a dentry that is not in lookup. `unlocked`:
 * the lines of the d_add_ci returns whose frame released the parent lock and did not take it back. */
function dAddCiFrames(recs: Rec[], sem: string): { frames: Record<string, number>; dr: number; ur: number; unlocked: number[] } {
  const open = new Map<string, { dap: string; ur: number; dr: number }>();
  const frames: Record<string, number> = {};
  const unlocked: number[] = [];
  let dr = 0, ur = 0;
  for (const r of recs) {
    const onSem = (r.ev === 'dr' || r.ev === 'ur') && r.body.endsWith(`sem=${sem}`);
    if (onSem) { if (r.ev === 'dr') dr++; else ur++; }
    if (r.ev === 'daddci') { open.set(r.pid, { dap: '-', ur: 0, dr: 0 }); continue; }
    const f = open.get(r.pid);
    if (f === undefined) continue;
    if (onSem && r.ev === 'dr') f.dr++;
    if (onSem && r.ev === 'ur') f.ur++;
    if (r.ev === 'dap_ret' && r.body.startsWith('(d_add_ci+')) {
      const ret = /ret=(0x[0-9a-f]+)/.exec(r.body)![1]!;
      const flags = Number(/dflags=(0x[0-9a-f]+)/.exec(r.body)![1]);
      f.dap = ret.startsWith('0xfffffffffffff') ? 'E1' : flags & 0x10000000 ? 'N' : 'E2';
    }
    if (r.ev === 'daddci_ret') {
      const k = `${f.dap} ur=${f.ur} dr=${f.dr}`;
      frames[k] = (frames[k] ?? 0) + 1;
      if (f.ur > f.dr) unlocked.push(r.line);
      open.delete(r.pid);
    }
  }
  return { frames, dr, ur, unlocked };
}

interface JsonVerdict { kind: string; invariant: string; pid: number; line: number; message: string; related: { invariant: string; line: number }[] }
interface JsonLockdep { kind: 'lockdep'; status: string; report?: { kind: string; pid: number; line: number }; invariant?: string; line?: number; sameTask?: boolean; sameLock?: boolean; reports?: number; explained?: number }
/** `kinv check --all --format json [--lockdep DMESG] TRACE`: its verdicts and lockdep pairing. */
function kinvCheck(trace: string, dmesg?: string): { status: number | null; verdicts: JsonVerdict[]; lockdep: JsonLockdep[] } {
  const r = checkJson(['--all', ...(dmesg ? ['--lockdep', dmesg] : []), trace]);
  return {
    status: r.status,
    verdicts: r.objects.filter((o) => o.kind === 'violation' || o.kind === 'pending') as unknown as JsonVerdict[],
    lockdep: r.objects.filter((o) => o.kind === 'lockdep') as unknown as JsonLockdep[],
  };
}

for (const shape of ['draft', 'fixed'] as const) {
  const d = shape === 'draft' ? 'kernel-buggy' : 'kernel-fixed';
  describe(`kernel with the ${shape} d_add_ci (traces/${d})`, () => {
    const m = meta(d);
    const t = text(d, m.file);
    const { recs, continuations, headers } = records(t);
    const dmesg = text(d, m.dmesg);
    const xfs = m.trackedLocks.find((l) => l.fs === 'xfsci')!;
    const kinv = kinvCheck(`traces/${d}/${m.file}`, `traces/${d}/${m.dmesg}`);

    it('comes from the patched 6.1 build booted with this shape', () => {
      for (const f of [m.file, m.stats, m.dmesg, 'expected.json']) expect(existsSync(join(TRACES, d, f)), f).toBe(true);
      expect(m.kernel.release).toBe('6.1.192');
      expect(m.kernel.cmdline).toContain(`kinv_d_add_ci=${shape}`);
      expect(m.kernel.build).toContain(`kinv_d_add_ci=${shape}`);
      expect(dmesg).toContain(`kinv: d_add_ci shape ${shape}`);
      expect(m.kernel.lookupShared.present).toBe(false);
      expect(m.kernel.DCACHE_PAR_LOOKUP).toBe('0x10000000');
      expect(m.workload.kind).toBe('collision');
      expect(m.guestStatus).toBe('ok');
    });

    it('uses lockdep-build offsets read from DWARF, the same ones as its probe definitions', () => {
      const o = (k: string): number => Number(m.offsets[k]);
      expect(String(m.offsets.source)).toMatch(/DWARF/);
      expect([o('dentry.d_parent'), o('dentry.d_name.name'), o('dentry.d_inode'), o('inode.i_rwsem')]).toEqual([80, 96, 104, 216]);
      const def = (n: string): string => m.probes!.definitions.find((x) => x.startsWith(`p:${n} `) || x.startsWith(`r:${n} `))!;
      expect(def('lkslow')).toContain(`dinode=+${o('dentry.d_inode')}(%si):x64`);
      expect(def('daddci')).toContain(`parent=+${o('dentry.d_parent')}(%di):x64 pinode=+${o('dentry.d_inode')}(+${o('dentry.d_parent')}(%di)):x64 dname=+0(+${o('dentry.d_name.name')}(%di)):string`);
      expect(def('dap_ret')).toContain(`dflags=+${o('dentry.d_flags')}($retval):x32`);
      expect(m.probes!.rejected).toEqual([]);
      for (const l of m.trackedLocks) expect(BigInt(l.sem) - BigInt(l.dinode), l.fs).toBe(BigInt(o('inode.i_rwsem')));
    });

    it('has records in the kprobe format, every event defined, with the counts of the metadata', () => {
      expect(headers).toBeGreaterThan(0);
      const by: Record<string, number> = {};
      for (const r of recs) by[r.ev] = (by[r.ev] ?? 0) + 1;
      expect(by).toEqual(m.counts.byName);
      expect(recs.length).toBe(m.counts.events);
      const defined = new Set([...m.probes!.definitions.map((x) => /^[pr]:(\w+)/.exec(x)![1]!), 'sys_exit', 'sched_process_exit']);
      for (const n of Object.keys(by)) expect(defined.has(n), n).toBe(true);
      for (const n of ['lkslow', 'dap', 'dap_ret', 'daddci', 'daddci_ret', 'fs_lookup_xfsci', 'dr', 'ur', 'unhash', 'sys_exit']) {
        expect(by[n] ?? 0, n).toBeGreaterThan(0);
      }
      // d_add_ci's exact-case name (xfs's buffer) is not NUL-terminated: some records run on
      // over a newline byte, and kinv's reader joins exactly those lines to their records.
      expect(continuations).toBeGreaterThan(0);
    });

    it('lost nothing', () => { statsAgree(d, m); expect(t).not.toMatch(/LOST \d+ EVENTS/); });

    it('kinv flags every release of the parent lock inside d_add_ci, and only those: the caller owns an in-lookup dentry there (in_lookup_parent_locked)', () => {
      const flagged = kinv.verdicts.filter((v) => v.invariant === 'in_lookup_parent_locked');
      expect(flagged.map((v) => v.line)).toEqual(releasesInDAddCi(recs));
      expect(flagged.length).toBeGreaterThan(1000);
      for (const v of flagged.slice(0, 50)) expect(v.message).toMatch(/^task \d+ releases 0x[0-9a-f]+ \(R\) while it owns in-lookup \{0x[0-9a-f]+ \("[^"]*"\)\} in it$/);
    });

    if (shape === 'draft') {
      it('returns from d_add_ci without the parent lock after a d_alloc_parallel hit (E2), once per missing relock', () => {
        const { frames, dr, ur } = dAddCiFrames(recs, xfs.sem);
        const e2 = frames['E2 ur=1 dr=0'] ?? 0;
        expect(e2).toBeGreaterThan(10);
        expect(frames['N ur=1 dr=1'] ?? 0).toBeGreaterThan(100);   // success path: unlock, relock
        expect(frames['E2 ur=1 dr=1'] ?? 0).toBe(0);
        expect(ur - dr).toBe(e2);                                  // every E2 leaves one unmatched up_read
      });
      it("made lockdep complain where the caller unlocks (walk_component's up_read)", () => {
        expect(dmesg).toMatch(/WARNING: bad unlock balance detected![\s\S]*is trying to release lock \(&inode->i_sb->s_type->i_mutex_dir_key\) at:[\s\S]*walk_component\+/);
        expect(dmesg).toMatch(/DEBUG_RWSEMS_WARN_ON|rwsem\.c:\d+ __up_read/);
      });

      const by = (inv: string): JsonVerdict[] => kinv.verdicts.filter((v) => v.invariant === inv);
      it('kinv flags exactly the d_add_ci returns that skipped the relock, there, naming the early return', () => {
        const { unlocked } = dAddCiFrames(recs, xfs.sem);
        const dci = by('d_add_ci_parent_lock_balanced');
        expect(dci.map((v) => v.line)).toEqual(unlocked);
        for (const v of dci) expect(v.message).toMatch(/ by the early return on a dentry d_alloc_parallel found not in lookup with parent 0x[0-9a-f]+ not held, but was called with it held R$/);
      });

      it("then ->lookup's return and the caller's stray up_read, each linked back to that d_add_ci return", () => {
        const dci = by('d_add_ci_parent_lock_balanced');
        const lookups = by('lookup_parent_lock_balanced');
        const rels = by('rel_held');
        expect(new Set(kinv.verdicts.map((v) => v.invariant))).toEqual(new Set(['in_lookup_parent_locked', 'd_add_ci_parent_lock_balanced', 'lookup_parent_lock_balanced', 'rel_held', 'lock_order_acyclic']));
        expect([lookups.length, rels.length]).toEqual([dci.length, dci.length]);
        for (const v of dci) {
          // per skipped relock, on that task: d_add_ci returns, ->lookup returns, the caller's up_read
          const lookup = lookups.find((x) => x.pid === v.pid && x.line > v.line)!;
          const rel = rels.find((x) => x.pid === v.pid && x.line > lookup.line)!;
          expect(dci.find((x) => x.pid === v.pid && x.line > v.line)?.line ?? Infinity).toBeGreaterThan(rel.line);
          expect(rel.related.map((r) => [r.invariant, r.line])).toEqual([['d_add_ci_parent_lock_balanced', v.line], ['lookup_parent_lock_balanced', lookup.line]]);
        }
      });

      it("lines lockdep's reports up with kinv's: the bad unlock with its task's first stray up_read, the count underflow by the lock", () => {
        const reports = parseLockdep(dmesg);
        expect(reports.map((r) => r.kind)).toEqual(['bad_unlock', 'rwsem_warn']);
        const explained = kinv.lockdep.filter((o) => o.status === 'explained');
        const firstRel = (pid: number): JsonVerdict => by('rel_held').find((v) => v.pid === pid)!;
        expect(explained.map((o) => [o.report!.kind, o.invariant, o.line, o.sameTask])).toEqual([
          ['bad_unlock', 'rel_held', firstRel(reports[0]!.pid!).line, true],
          ['rwsem_warn', 'rel_held', firstRel(reports[1]!.pid!).line, true],
        ]);
        expect(explained[1]!.sameLock).toBe(true);
        // kinv saw it first, at the d_add_ci return before lockdep's unlock
        const first = by('d_add_ci_parent_lock_balanced').find((v) => v.pid === reports[0]!.pid)!;
        expect(first.line).toBeLessThan(explained[0]!.line!);
        expect(kinv.lockdep.at(-1)).toMatchObject({ status: 'summary', reports: 2, explained: 2, unexplained: 0 });
      });
    } else {
      it('re-takes the parent lock on every return, E2 included', () => {
        const { frames } = dAddCiFrames(recs, xfs.sem);
        expect(frames['E2 ur=1 dr=1'] ?? 0).toBeGreaterThan(10);
        expect(frames['N ur=1 dr=1'] ?? 0).toBeGreaterThan(100);
        expect(Object.keys(frames).filter((k) => /ur=1 dr=0/.test(k))).toEqual([]);
      });
      it('gave lockdep nothing to report', () => {
        expect(dmesg).not.toMatch(/bad unlock balance|DEBUG_RWSEMS_WARN_ON|circular locking dependency|recursive locking/);
        expect(parseLockdep(dmesg)).toEqual([]);
        expect(kinv.lockdep).toEqual([{ version: 1, kind: 'lockdep', status: 'summary', reports: 0, explained: 0, unexplained: 0, missedByLockdep: kinv.verdicts.length }]);
      });

      it('kinv finds no imbalance; what it finds is the lock-order cycle of the relock under an in-lookup name', () => {
        const names = kinv.verdicts.map((v) => v.invariant);
        for (const inv of ['d_add_ci_parent_lock_balanced', 'lookup_parent_lock_balanced', 'rel_held', 'rel_mode', 'no_locks_at_exit']) expect(names).not.toContain(inv);
        expect(new Set(names)).toEqual(new Set(['in_lookup_parent_locked', 'lock_order_acyclic']));
        // the task re-takes the parent's i_rwsem inside d_add_ci while it owns an in-lookup name of that directory
        expect(kinv.verdicts.find((v) => v.invariant === 'lock_order_acyclic')!.message).toMatch(/^lock order cycle \{in-lookup (0x[0-9a-f]+)\/(\w+) -> i_rwsem \1 -> in-lookup \1\/\2[,}]/);
        expect(kinv.status).toBe(1);
      });
    }
  });
}
