// The 6.1 oops in __wake_up_common under the collision workload, and spec/examples/wait-queue.kinv:
// the capture of a run that oopsed (traces/kernel/incidents) ends at the oopsing task's second
// wake of a shared in-lookup wait queue, and that is where the example spec's last verdict falls.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkJson } from '../helpers/cli.js';

const INCIDENT = 'traces/kernel/incidents/2026-11-28-fixed-shape-collision-oops';
const dmesg = gunzipSync(readFileSync(`${INCIDENT}-dmesg.txt.gz`)).toString('latin1');
const trace = gunzipSync(readFileSync(`${INCIDENT}-trace.gz`)).toString('latin1').split('\n');

interface V { invariant: string; pid: number; line: number; message: string }
function check(spec: string[], file: string): V[] {
  return checkJson(['--all', ...spec, file]).objects.filter((o) => o.kind === 'violation') as unknown as V[];
}

describe('the oops in __wake_up_common (a 6.1 kernel with the fixed d_add_ci)', () => {
  const oops = /Oops: 0011[\s\S]*?CPU: \d+ PID: (\d+) Comm: (\S+)/.exec(dmesg)!;
  const pid = Number(oops[1]);
  const lastLineOf = (p: number): number => trace.reduce((last, l, i) => (new RegExp(`-${p} +\\[`).test(l) ? i + 1 : last), 0);

  it('happened in the slow lookup waking an in-lookup wait queue', () => {
    expect(dmesg).toMatch(/BUG: unable to handle page fault[\s\S]*__wake_up_common[\s\S]*__d_lookup_unhash_wake[\s\S]*__lookup_slow/);
    // the task's last record: __d_lookup_unhash of the dentry it looked up, right before the oops
    expect(trace[lastLineOf(pid) - 1]).toMatch(new RegExp(`-${pid} +\\[\\d+\\] \\S+ +\\d+: unhash: `));
  });

  it("the bundled spec sees only the fixed shape's release under an in-lookup dentry and its lock-order cycle; the example spec's last verdict is the oopsing wake", () => {
    expect(new Set(check([], `${INCIDENT}-trace.gz`).map((x) => x.invariant))).toEqual(new Set(['in_lookup_parent_locked', 'lock_order_acyclic']));
    const v = check(['--spec', 'spec/examples/wait-queue.kinv'], `${INCIDENT}-trace.gz`).filter((x) => x.invariant === 'wait_queue_woken_once');
    const last = v.at(-1)!;
    expect([last.pid, last.line]).toEqual([pid, lastLineOf(pid)]);
    // the woken task it names was inside d_alloc_parallel for the exact-case name, and returned
    // only after the second wake (the gap is where its entry died)
    const woken = [...(/after \{([\d, ]+)\}/.exec(last.message)?.[1] ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
    const returnedAfter = woken.filter((t) => trace.slice(last.line).some((l) => new RegExp(`-${t} +\\[\\d+\\] \\S+ +\\d+: dap_ret: `).test(l)));
    expect(returnedAfter.length).toBeGreaterThan(0);
  }, 60_000);
});
