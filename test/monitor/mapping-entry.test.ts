/**
 * A return mapping that reads its call's record with entry() needs that record, whether or not a
 * mapping turns the entry itself into an event: the reader keeps only the records the mapper
 * wants, so without it entry("sem") was none at every return.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../../src/analysis/load.js';
import { CompiledSpec, runCheck } from '../../src/checker/check.js';
import { compileRecordMapper } from '../../src/monitor/mapping.js';
import { emptyStats } from '../../src/trace/event.js';
import { openFtraceSource } from '../../src/trace/ftrace-source.js';

const SPEC = `enum Mode { R, W }
event acq(lock: id, mode: Mode)
event rel(lock: id, mode: Mode)
event sysexit()
sync sysexit
map syscall_exit * -> sysexit()
map kretprobe down_read when entry("sem") != none -> acq(lock: ptr(entry("sem")), mode: R)
map kprobe up_read -> rel(lock: ptr(sem), mode: R)
state r: map[task, id] -> int
on acq { r[pid, lock] := if (pid, lock) in r then r[pid, lock] + 1 else 1 }
on rel when (pid, lock) in r { r[pid, lock] := if r[pid, lock] > 1 then r[pid, lock] - 1 else none }
invariant rel_held on rel: (pid, lock) in r else "task {pid} releases {lock} unheld"
`;

function load() {
  const r = loadSpecText(SPEC, 'mine.kinv');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.value.spec;
}

describe('entry() in a return mapping', () => {
  it('makes the mapper want the entry records of that function, and no others', () => {
    const m = compileRecordMapper(load());
    expect([m.wants('kprobe', 'down_read'), m.wants('kretprobe', 'down_read'), m.wants('kprobe', 'down_write'), m.wants('kprobe', 'up_read')])
      .toEqual([true, true, false, true]);
  });

  it('reads the call record behind each return: the draft d_add_ci trace releases unheld at line 29 only', async () => {
    const spec = load();
    const stats = emptyStats();
    const text = readFileSync('traces/ftrace/kprobe-draft-d_add_ci.txt');
    const src = openFtraceSource(Readable.from([text]), { file: 'draft.txt', spec, onDiagnostic: () => {}, stats });
    if (!src.ok) throw new Error('no source');
    const r = await runCheck(new CompiledSpec(spec), src.source, stats, { tasksStartUnknown: true, all: true });
    expect(r.verdicts.map((v) => [v.kind, v.invariant, v.event?.line, v.message])).toEqual([
      ['violation', 'rel_held', 29, 'task 315 releases 0xffff888004a1c0a0 unheld'],
    ]);
  });
});
