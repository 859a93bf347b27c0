// The patched 6.1.192 (scripts/capture/capture-waitqueue.sh's build, patches-waitqueue/6.1) probed
// with --probeset full, its d_add_ci sleeps and its dead-entry check switched on only just before
// the collision workload (capture.sh --workload-params), so that the guest's own setup lookups run
// undisturbed: traces/kernel-waitqueue/probed-check (no fix) and probed-fix (kinv_wq_fix=1, the
// first 40,000 lines). kinv's verdicts are probed-verdicts.json's (by line, with --all and the
// capture's probe and function lists: not a `kinv examples` expectation, which names events by
// seq); on probed-check they are checked here against the raw lines and the kernel's own console: each flagged wake is one the kernel's check
// found unsafe to follow on the same queue, after the entry of a task kinv has asleep on it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkJson } from '../helpers/cli.js';

const DIR = join(import.meta.dirname, '../../traces/kernel-waitqueue');
type Expected = Record<string, { params: Record<string, string>; exit: number; verdicts: [string, string, number][] }>;
const expected = JSON.parse(readFileSync(join(DIR, 'probed-verdicts.json'), 'utf8')) as Expected;
interface Verdict { kind: string; invariant: string; line: number; pid: number; message: string }
interface Summary { coverage: Record<string, { status: string }> }

function kinv(file: string): { status: number | null; verdicts: Verdict[]; summary: Summary } {
  const run = file.split('/')[0]!;
  const params = Object.entries(expected[file]!.params).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
  const r = checkJson(['--all', ...params, '--probes', join(DIR, run, 'kprobe_events'), '--functions', join(DIR, run, 'functions'), join(DIR, file)]);
  return {
    status: r.status,
    verdicts: r.objects.filter((o) => o.kind === 'violation' || o.kind === 'unknown') as unknown as Verdict[],
    summary: r.objects.find((o) => o.kind === 'summary') as unknown as Summary,
  };
}
const gz = (f: string): string => gunzipSync(readFileSync(join(DIR, f))).toString('latin1');
// a task's kernel stack is 16 KiB, aligned: an on-stack queue head or entry names its task
const stackOf = (addr: bigint): bigint => addr & ~0x3fffn;

describe.each(Object.keys(expected).filter((k) => k !== '//'))('%s', (file) => {
  it('gives exactly the expected verdicts (invariant, line) and exit status', () => {
    const r = kinv(file);
    expect(r.verdicts.map((v) => [v.kind, v.invariant, v.line])).toEqual(expected[file]!.verdicts);
    expect(r.status).toBe(expected[file]!.exit);
    // the rule is judged on these captures: d_wait_lookup is probed (noinline in the patch)
    expect(r.summary.coverage.wq_woken_entry_live!.status).not.toMatch(/not observable/);
  }, 300_000);
});

describe('probed-check: the wakes kinv flags are those the kernel found unsafe', () => {
  const trace = gz('probed-check/trace.txt.gz').split('\n');
  const consoleLog = gz('probed-check/console.log.gz');
  // the kernel stops tracing at its first oops (oops_enter): the check's reports before it fall
  // inside the trace; "the link after E cannot be trusted" is the check cutting a queue's list
  // where the next entry no longer points back (a returned waiter's entry, its stack slot reused)
  const firstOops = consoleLog.indexOf('Oops: ');
  const cuts = [...consoleLog.slice(0, firstOops).matchAll(/kinv: queue ([0-9a-f]+): the link after ([0-9a-f]+) cannot be trusted/g)]
    .map((m) => ({ queue: BigInt(`0x${m[1]}`), after: BigInt(`0x${m[2]}`) }));
  const queueOwner = (q: bigint): number[] => [...new Set(trace.filter((l) => l.includes(`wq=0x${q.toString(16).padStart(16, '0')}`))
    .map((l) => Number(/-(\d+) +\[/.exec(l)![1])))];
  const ownerOfStack = (addr: bigint): number[] => [...new Set(trace.flatMap((l) => {
    const m = /-(\d+) +\[.* wq=0x([0-9a-f]+)/.exec(l);
    return m && stackOf(BigInt(`0x${m[2]}`)) === stackOf(addr) ? [Number(m[1])] : [];
  }))];
  const v = kinv('probed-check/trace.txt.gz').verdicts;

  it('has as many check cuts before the trace ends as kinv has violations, on the same queues, in the same order', () => {
    expect(cuts).toHaveLength(v.length);
    v.forEach((x, i) => {
      const q = /wakes wait queue (0x[0-9a-f]+)/.exec(x.message)![1]!;
      expect(BigInt(q)).toBe(cuts[i]!.queue);
      // the waker is the queue's owner: the task whose slow lookup declared the head
      expect(queueOwner(cuts[i]!.queue)).toEqual([x.pid]);
      // the flagged record is the owner's end of its own in-lookup dentry
      expect(trace[x.line - 1]).toMatch(new RegExp(`-${x.pid} +\\[\\d+\\] \\S+ +\\d+: unhash: `));
    });
  });

  it('cuts each list after the entry of a task kinv has asleep on the dentry it ends, other than the one it names', () => {
    v.forEach((x, i) => {
      const dentry = /dentry=(0x[0-9a-f]+)/.exec(trace[x.line - 1]!)![1]!;
      const [sleeper] = ownerOfStack(cuts[i]!.after);
      const named = [...(/task \{([\d, ]+)\}/.exec(x.message)?.[1] ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
      expect(sleeper).toBeDefined();
      expect(named).not.toContain(sleeper);
      // asleep: its d_wait_lookup of that dentry began before the wake and had not returned
      const waits = trace.slice(0, x.line - 1).map((l, n) => ({ l, n }))
        .filter(({ l }) => new RegExp(`-${sleeper} +\\[.*: dwl: .*dentry=${dentry}`).test(l));
      expect(waits.length).toBeGreaterThan(0);
      const since = waits.at(-1)!.n;
      expect(trace.slice(since, x.line - 1).some((l) => new RegExp(`-${sleeper} +\\[.*: dwl_ret: `).test(l))).toBe(false);
    });
  });
});

describe('probed-fix: the same sleeps and workload with kinv_wq_fix=1', () => {
  it('waits on exact-case dentries that d_add_ci made, and gives no alarm, with no kernel report', () => {
    const trace = gz('probed-fix/trace.txt.gz').split('\n');
    const made = new Set(trace.filter((l) => /: dap_ret: \(d_add_ci\+/.test(l)).map((l) => /ret=(0x[0-9a-f]+)/.exec(l)![1]));
    const waitsOnMade = trace.filter((l) => /: dwl: /.test(l) && made.has(/dentry=(0x[0-9a-f]+)/.exec(l)![1]));
    expect(waitsOnMade.length).toBeGreaterThan(0);
    expect(readFileSync(join(DIR, 'probed-fix/workload-params.txt'), 'utf8')).toMatch(/kinv_wq_fix=Y/);
    expect(kinv('probed-fix/trace.txt.gz').verdicts).toEqual([]);
  }, 300_000);
});
