/**
 * A capture of some tasks only: a pid or comm filter (set_event_pid, a `comm != "..."` filter on the
 * probes) leaves out other tasks' records, and with them their unhashes and kills of dentries the
 * capture shows hashed. Nothing in the records says so, so a new in-lookup dentry under a name the
 * capture last saw hashed is unknown unless the user says the capture holds every task's records.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, checkWithCapture, found, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-tasks-left-out-'));

describe('6.12-wild without the records of its rm processes (a comm filter)', () => {
  const lines = captureLines('6.12-wild').filter((l) => !l.startsWith('#') && !/^\s*rm-\d+\s/.test(l));
  const file = writeLog(tmp, 'no-rm.txt', lines);

  it('gives no violation: a name rm unlinked is unknown where another task creates it again, saying why', async () => {
    const r = await checkWithCapture(file, undefined, []);
    const verdicts = found(r);
    expect(verdicts.filter(([k]) => k === 'violation')).toEqual([]);
    // The user's word that the capture holds every task's records brings the same evaluations back as violations.
    const said = found(await checkWithCapture(file, undefined, [], undefined, { every_task: 'true' }));
    expect(said.length).toBeGreaterThan(0);
    expect(said.every(([k, inv]) => k === 'violation' && inv === 'no_new_while_hashed')).toBe(true);
    expect(verdicts.filter(([k]) => k === 'unknown')).toEqual(said.map(([, inv, line]) => ['unknown', inv, line]));
    const first = r.verdicts.find((v) => v.kind === 'unknown')!;
    expect(first.reason).toMatch(/^the capture may leave out some tasks' records \(a pid or comm filter on its events\)/);
    // The whole capture shows who unhashed it: an rm, between the two lookups.
    const hashed = /while (0x[0-9a-f]+) is hashed/.exec(first.message)![1]!;
    const whole = captureLines('6.12-wild');
    expect(whole.some((l) => /^\s*rm-\d+\s/.test(l) && / (ddrop|dunlink|ddelete|dkill): /.test(l) && l.includes(`dentry=${hashed}`))).toBe(true);
  }, 120_000);

  it('the whole capture, all its tasks, has no such unknown', async () => {
    const whole = captureLines('6.12-wild').filter((l) => !l.startsWith('#'));
    const r = await checkWithCapture(writeLog(tmp, 'whole.txt', whole), undefined, []);
    expect(found(r).filter(([, inv]) => inv === 'no_new_while_hashed')).toEqual([]);
    expect(r.evaluated.no_new_while_hashed).toBeGreaterThan(100);
  }, 120_000);
});
