/**
 * A capture of some tasks only: a pid or comm filter (set_event_pid, a `comm != "..."` filter on the
 * probes) leaves out other tasks' records, and with them their unhashes and kills of dentries the
 * capture shows hashed. Nothing in the records says so, so a new in-lookup dentry under a name the
 * capture last saw hashed is unknown unless the user says the capture holds every task's records.
 * A filter on some probes only (the unhash probes by comm, d_alloc_parallel not) shows a task's
 * in-lookup dentries made and never ended: the read ahead finds such tasks (KV330), and the
 * in-lookup rules do not follow their dentries.
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

describe('6.12-full without the unhash records of its ls and find processes (a comm filter on those probes only)', () => {
  const lookupTask = /^\s*(ls|find)-\d+\s/;
  const lines = captureLines('6.12-full').filter((l) => !l.startsWith('#') && !(lookupTask.test(l) && / (unhash|unhashwake|dkill|ddrop|dunlink): /.test(l)));

  it('gives no violation; KV330 names the tasks that end no in-lookup state, at the first one\'s first in-lookup dentry', async () => {
    const warnings: [string, number | undefined, string][] = [];
    const r = await checkWithCapture(writeLog(tmp, 'no-ls-unhash.txt', lines), undefined, [], (d) => {
      if (d.severity === 'warning') warnings.push([d.code, d.at?.line, d.message]);
    });
    expect(found(r).filter(([k]) => k === 'violation')).toEqual([]);
    // (the tasks whose unhash records the filter took: every ls and find that ended an in-lookup state)
    const enders = new Set(captureLines('6.12-full').filter((l) => lookupTask.test(l) && / unhash: /.test(l)).map((l) => /-(\d+)\s/.exec(l)![1]));
    const firstMade = lines.findIndex((l) => lookupTask.test(l) && / dap_ret: /.test(l) && enders.has(/-(\d+)\s/.exec(l)![1]!));
    const kv330 = warnings.filter(([code]) => code === 'KV330');
    const said = `${enders.size} tasks make in-lookup dentries with d_alloc_parallel and end no in-lookup state`;
    expect(kv330.map(([, line, m]) => [line, m.slice(0, said.length)])).toEqual([[firstMade + 1, said]]);
  }, 120_000);

  it('the whole capture names no such task', async () => {
    const warnings: string[] = [];
    await checkWithCapture(writeLog(tmp, 'whole-612.txt', captureLines('6.12-full').filter((l) => !l.startsWith('#'))), undefined, [],
      (d) => { if (d.severity === 'warning') warnings.push(d.code); });
    expect(warnings.filter((c) => c === 'KV330')).toEqual([]);
  }, 120_000);
});
