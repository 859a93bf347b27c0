/**
 * `kinv check --dot FILE`: the exact Graphviz of a deadlock (a lock-order and a wait-for cycle)
 * and of a lock-order cycle one task closes by itself (the fixed d_add_ci under today's order).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-dot-'));

async function dotOf(trace: string): Promise<string> {
  const out = join(tmp, 'cycles.dot');
  const r = await kinv(['check', '--dot', out, trace]);
  expect(r.code).toBe(1);
  return readFileSync(out, 'utf8');
}

describe('dot export', () => {
  it('draws both cycles of the ABBA deadlock, each edge with the event that added it', async () => {
    expect(await dotOf('traces/ndjson/no_deadlock-abba.ndjson')).toBe([
      'digraph kinv_cycles {',
      '  label="kinv: 2 cycles in traces/ndjson/no_deadlock-abba.ndjson";',
      '  labelloc=t;',
      '  node [shape=box, fontname="monospace"];',
      '  edge [fontname="monospace", fontsize=10];',
      '  subgraph cluster_0 {',
      '    label="lock_order_acyclic at line 6, seq 5 (pid 102)\\n'
        + 'lock order cycle {i_rwsem I1 -> in-lookup I1/foo -> i_rwsem I1}: task 102 holds {i_rwsem I1}";',
      '    "c0:i_rwsem I1" [label="i_rwsem I1"];',
      '    "c0:in-lookup I1/foo" [label="in-lookup I1/foo"];',
      '    "c0:i_rwsem I1" -> "c0:in-lookup I1/foo" [label="line 6, seq 5, pid 102: call d_alloc_parallel(dir: I1, name: foo)\\n'
        + 'in-lookup I1/foo taken while holding i_rwsem I1"];',
      '    "c0:in-lookup I1/foo" -> "c0:i_rwsem I1" [label="line 5, seq 4, pid 101: acq_req(lock: I1, mode: R, kind: blocking)\\n'
        + 'i_rwsem I1 taken while holding in-lookup I1/foo"];',
      '  }',
      '  subgraph cluster_1 {',
      '    label="no_deadlock at line 7, seq 6 (pid 102)\\ndeadlock: 102 -> 101 -> 102 (task -> task it waits for)";',
      '    node [shape=ellipse];',
      '    "c1:102" [label="pid 102 (open)"];',
      '    "c1:101" [label="pid 101 (stat)"];',
      '    "c1:102" -> "c1:101" [label="line 7, seq 6, pid 102: il_wait_begin(dentry: D2)\\nsleeps on in-lookup D2, owned by 101"];',
      '    "c1:101" -> "c1:102" [label="line 5, seq 4, pid 101: acq_req(lock: I1, mode: R)\\nwaits for I1 (R), held by 102 (W)"];',
      '  }',
      '}',
    ].join('\n') + '\n');
  });

  it('draws the lock-order cycle of one task (fixed d_add_ci relocking while it owns the in-lookup name)', async () => {
    expect(await dotOf('traces/ndjson/lock_order_acyclic-fixed-current.ndjson')).toBe([
      'digraph kinv_cycles {',
      '  label="kinv: 1 cycle in traces/ndjson/lock_order_acyclic-fixed-current.ndjson";',
      '  labelloc=t;',
      '  node [shape=box, fontname="monospace"];',
      '  edge [fontname="monospace", fontsize=10];',
      '  subgraph cluster_0 {',
      '    label="lock_order_acyclic at line 11, seq 10 (pid 101)\\n'
        + 'lock order cycle {in-lookup I1/foo -> i_rwsem I1 -> in-lookup I1/foo}: task 101 holds {in-lookup I1/foo}";',
      '    "c0:in-lookup I1/foo" [label="in-lookup I1/foo"];',
      '    "c0:i_rwsem I1" [label="i_rwsem I1"];',
      '    "c0:in-lookup I1/foo" -> "c0:i_rwsem I1" [label="line 11, seq 10, pid 101: acq_req(lock: I1, mode: R, kind: blocking)\\n'
        + 'i_rwsem I1 taken while holding in-lookup I1/foo"];',
      '    "c0:i_rwsem I1" -> "c0:in-lookup I1/foo" [label="line 4, seq 3, pid 101: call d_alloc_parallel(dir: I1, name: foo)\\n'
        + 'in-lookup I1/foo taken while holding i_rwsem I1"];',
      '  }',
      '}',
    ].join('\n') + '\n');
  });

  it('writes an empty graph for a clean trace', async () => {
    const out = join(tmp, 'clean.dot');
    expect((await kinv(['check', '--dot', out, 'traces/ndjson/clean-two-lookups.ndjson'])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('label="kinv: 0 cycles in traces/ndjson/clean-two-lookups.ndjson"');
    expect(readFileSync(out, 'utf8')).not.toContain('subgraph');
  });
});
