/**
 * What a task's end does to what is due from it:
 * - an ftrace task that exits owning an in-lookup dentry, in a capture that shows no
 *   __d_lookup_unhash, owes nothing: in_lookup_ended is due only where the capture shows the end,
 *   so it is neither violated at the exit nor left pending when the trace ends;
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
  it('leaves nothing due from an ftrace task that exits owning an in-lookup dentry whose end the capture cannot show', async () => {
    // (the up_read at line 21 leaves it owned in a directory released: unknown, for the same reason)
    expect(await brief(`${F}/in-lookup-at-task-exit.txt`)).toEqual(['unknown in_lookup_parent_locked 21']);
  });

  it('makes the in-lookup dentry of an outer lookup due once the task has left the kernel, whatever returns were lost', async () => {
    // Line 16 is the syscall exit (the frame depth it clears is read before), 17 the task's exit.
    expect(await brief(`${F}/nested-lookup-returns-lost.ndjson`)).toEqual([
      'violation in_lookup_parent_locked 15', 'violation in_lookup_ended 17',
    ]);
  });
});
