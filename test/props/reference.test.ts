/**
 * The streaming checker agrees with a naive reference evaluator (written here, as plainly as
 * possible) on random traces, for the lock-discipline, frame and in-lookup invariants; and its
 * verdicts do not depend on how the trace is split into input chunks.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checker/check.js';
import { readNdjson } from '../../src/trace/ndjson.js';
import { emptyStats, type Scalar, type TraceEvent } from '../../src/trace/event.js';
import { compileBundled, run } from '../helpers/run.js';

type Verdict = string; // `${invariant}@${seq}`

/** A direct reading of the invariants' English, over the whole trace at once. */
function reference(events: TraceEvent[]): Verdict[] {
  const out: Verdict[] = [];
  const held = new Map<string, { mode: string; n: number }>(); // `${pid}|${lock}`
  const owner = new Map<string, number>();
  const frames = new Map<number, { fn: string; dir: string; before: string }[]>();
  const state = (pid: number, lock: string): string => { const h = held.get(`${pid}|${lock}`); return h ? `${h.mode}x${h.n}` : 'none'; };
  for (const e of events) {
    const a = e.args as Record<string, string>;
    const key = `${e.pid}|${a.lock}`;
    switch (e.ev) {
      case 'acq_req':
        if (a.kind !== 'try' && held.has(key)) out.push(`no_recursive_acq@${e.seq}`);
        break;
      case 'acq': {
        const h = held.get(key);
        held.set(key, { mode: a.mode!, n: (h?.n ?? 0) + 1 });
        for (const [k, v] of held) {
          const [p, l] = k.split('|');
          if (l === a.lock && Number(p) !== e.pid && (a.mode === 'W' || v.mode === 'W')) { out.push(`mutual_exclusion@${e.seq}`); break; }
        }
        break;
      }
      case 'rel': {
        const h = held.get(key);
        if (!h) { out.push(`rel_held@${e.seq}`); break; }
        if (h.mode !== a.mode) out.push(`rel_mode@${e.seq}`);
        if (h.n > 1) h.n--; else held.delete(key);
        break;
      }
      case 'call': {
        if ((e.fn === 'lookup' || e.fn === 'd_add_ci' || e.fn === 'd_splice_alias') && owner.has(a.dentry!) && owner.get(a.dentry!) !== e.pid) out.push(`in_lookup_exclusive@${e.seq}`);
        if (e.fn === 'lookup' && !held.has(`${e.pid}|${a.dir}`)) out.push(`lookup_entry_locked@${e.seq}`);
        const st = frames.get(e.pid) ?? [];
        st.push({ fn: e.fn!, dir: a.dir ?? '', before: state(e.pid, a.dir ?? '') });
        frames.set(e.pid, st);
        break;
      }
      case 'ret': {
        const st = frames.get(e.pid)!;
        let i = st.length - 1;
        while (st[i]!.fn !== e.fn) i--;
        const f = st[i]!;
        st.length = i;
        if (e.fn === 'lookup' && state(e.pid, f.dir) !== f.before) out.push(`lookup_parent_lock_balanced@${e.seq}`);
        if (e.fn === 'd_add_ci' && state(e.pid, f.dir) !== f.before) out.push(`d_add_ci_parent_lock_balanced@${e.seq}`);
        if (e.fn === 'd_alloc_parallel' && a.outcome === 'N' && typeof e.ret === 'string') owner.set(e.ret, e.pid);
        break;
      }
      case 'il_end': owner.delete(a.dentry!); break;
      case 'dput_final': if (owner.has(a.dentry!)) out.push(`no_final_put_in_lookup@${e.seq}`); break;
      case 'il_wait_begin': if (owner.get(a.dentry!) === e.pid) out.push(`no_self_wait@${e.seq}`); break;
      case 'syscall_exit':
        for (const k of held.keys()) if (k.startsWith(`${e.pid}|`)) out.push(`no_locks_at_exit@${e.seq}`);
        break;
    }
  }
  return out.sort();
}

const CHECKED = new Set(['rel_held', 'rel_mode', 'no_recursive_acq', 'mutual_exclusion', 'lookup_entry_locked', 'lookup_parent_lock_balanced',
  'd_add_ci_parent_lock_balanced', 'in_lookup_exclusive', 'no_final_put_in_lookup', 'no_self_wait', 'no_locks_at_exit']);

/** Random traces over 3 tasks, 2 locks, 3 dentries, with well-nested calls (a ret always has its call). */
const traceArb = fc.array(fc.record({
  pid: fc.integer({ min: 1, max: 3 }),
  op: fc.constantFrom('acq_req', 'acq', 'rel', 'call', 'ret', 'il_end', 'dput_final', 'il_wait_begin', 'syscall_exit'),
  lock: fc.constantFrom('I1', 'I2'),
  mode: fc.constantFrom('R', 'W'),
  kind: fc.constantFrom('blocking', 'try'),
  fn: fc.constantFrom('lookup', 'd_add_ci', 'd_splice_alias', 'd_alloc_parallel'),
  dentry: fc.constantFrom('D1', 'D2', 'D3'),
  outcome: fc.constantFrom('N', 'H'),
}), { maxLength: 60 }).map((steps) => {
  const stacks = new Map<number, string[]>();
  const events: TraceEvent[] = [];
  for (const s of steps) {
    const st = stacks.get(s.pid) ?? [];
    stacks.set(s.pid, st);
    const base = { seq: events.length, pid: s.pid };
    switch (s.op) {
      case 'acq_req': events.push({ ...base, ev: 'acq_req', args: { lock: s.lock, mode: s.mode, kind: s.kind } }); break;
      case 'acq': case 'rel': events.push({ ...base, ev: s.op, args: { lock: s.lock, mode: s.mode } }); break;
      case 'call': {
        st.push(s.fn);
        const args: Record<string, Scalar> = s.fn === 'd_splice_alias' ? { dentry: s.dentry, inode: 'I9' } : s.fn === 'd_alloc_parallel' ? { dir: s.lock, name: 'x' } : { dir: s.lock, dentry: s.dentry, name: 'x', flags: 0, fs: 'xfs' };
        events.push({ ...base, ev: 'call', fn: s.fn, args });
        break;
      }
      case 'ret': {
        const fn = st.pop();
        if (fn) events.push({ ...base, ev: 'ret', fn, ret: fn === 'd_alloc_parallel' ? s.dentry : null, args: fn === 'd_alloc_parallel' ? { outcome: s.outcome } : {} });
        break;
      }
      default: events.push({ ...base, ev: s.op, args: s.op === 'syscall_exit' ? {} : { dentry: s.dentry } });
    }
  }
  return events;
});

describe('streaming checker vs reference evaluator', () => {
  it('agree on every verdict of the checked invariants (all violations reported)', () => {
    const spec = compileBundled();
    fc.assert(fc.property(traceArb, (events) => {
      const report = run(spec, events, { all: true });
      const got = report.verdicts.filter((v) => v.kind === 'violation' && CHECKED.has(v.invariant)).map((v) => `${v.invariant}@${v.event!.seq}`).sort();
      expect(got).toEqual(reference(events));
    }), { numRuns: 300 });
  });
});

describe('batching', () => {
  it('verdicts do not depend on how the input bytes are split into chunks', async () => {
    const spec = compileBundled();
    await fc.assert(fc.asyncProperty(traceArb, fc.array(fc.nat(), { maxLength: 8 }), async (events, cuts) => {
      const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
      const bytes = Buffer.from(text);
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let at = 0;
      for (const p of [...points, bytes.length]) { chunks.push(bytes.subarray(at, p)); at = p; }
      const once = async (parts: Buffer[]) => {
        const stats = emptyStats();
        const r = await runCheck(spec, readNdjson(Readable.from(parts), { file: 't', stats, onDiagnostic: () => {} }), stats, { all: true });
        return r.verdicts.map((v) => `${v.kind} ${v.invariant} ${v.event?.seq} ${v.event?.line}`);
      };
      expect(await once(chunks)).toEqual(await once([bytes]));
    }), { numRuns: 60 });
  });
});
