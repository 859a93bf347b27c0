/**
 * What a task's end does to what is due from it:
 * - an ftrace task that exits owning an in-lookup dentry whose end the capture cannot show leaves
 *   the obligation pending at the end of the trace (a task that has exited is no unseen one);
 * - a task whose nested lookups' returns are missing from a trace still owes its in-lookup dentry
 *   once it has left the kernel (the lookup-frame depth does not outlive the syscall).
 */
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';

const specs = new SpecSet([], {});
const F = 'test/checker/fixtures';
const brief = async (path: string): Promise<string[]> => {
  const r = await checkTraceFile(path, specs, { all: true });
  return r!.verdicts.map((v) => `${v.kind} ${v.invariant} ${v.event?.line ?? '-'}`);
};

describe('a task\'s end', () => {
  it('leaves an ftrace task\'s in-lookup obligation pending when it exits', async () => {
    expect(await brief(`${F}/in-lookup-at-task-exit.txt`)).toContain('pending in_lookup_ended 17');
  });

  it('makes the in-lookup dentry of an outer lookup due once the task has left the kernel, whatever returns were lost', async () => {
    // Line 16 is the syscall exit (the frame depth it clears is read before), 17 the task's exit.
    expect(await brief(`${F}/nested-lookup-returns-lost.ndjson`)).toEqual([
      'violation in_lookup_parent_locked 15', 'violation in_lookup_ended 17',
    ]);
  });
});
