/**
 * A capture that probes no rwsem release (no `up_read` or `up_write` record at all): every hold
 * looks held forever. The lock rules say unknown for locks never seen released, and the wait-for
 * graph cannot be told either: a cycle through such holds is unknown, never a deadlock.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, checkWithCapture, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-releases-'));
// 6.1-full as trace_pipe shows it (no header), with the release probes' records left out.
const lines = captureLines('6.1-full').filter((l) => !l.startsWith('#') && !/ u[rw]: \(/.test(l));

describe('a capture that probes no release', () => {
  it('gives no violation: the deadlocks its holds would make are unknown, naming the unprobed releases', async () => {
    const r = await checkWithCapture(writeLog(tmp, 'no-releases.txt', lines), undefined, []);
    const verdicts = r.verdicts.filter((v) => v.kind !== 'pending');
    expect(verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.line])).toEqual([]);
    const deadlocks = verdicts.filter((v) => v.invariant === 'no_deadlock');
    expect(deadlocks.length).toBeGreaterThan(0);
    for (const v of deadlocks) expect(v.reason).toContain('the capture does not probe up_read up_write');
    // (the first: lkwork-605 and lkwork-603 each wait for a lock the other was seen taking and never releasing)
    expect(lines[deadlocks[0]!.event!.line! - 1]).toContain('lkwork-605');
  });
});
