/**
 * What a task logs while it waits for an rwsem does not show the rwsem granted: the read ahead
 * takes a record of a task whose acquisition entry has no return yet as a sign that it runs again
 * (a waiting task does not run), and a grant ends the other holds of that lock, logged or not. The
 * `sched_switch` that puts it to sleep, the stack trace logged with the entry (`options/stacktrace`,
 * `options/userstacktrace`) and an interrupt's records on its CPU are its records too, before the
 * grant: taken as grants, they made 6.1-full's releases seem to begin late (a false KV334) and
 * 50 evaluations unknown.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLines, checkWithCapture, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-waiting-'));
const RECORD = /^(?<pre>\s*(?<comm>\S+)-(?<pid>\d+)\s+\[(?<cpu>\d{3})\] (?<flags>\S{5}) +(?<ts>\d+): )(?<ev>[\w<> ]+?): /;

/**
 * 6.1-full with `extra` logged right after each acquisition entry (`dw`, `dr`) whose return is
 * its task's next record but comes after other tasks' records (it waited), the header's entry
 * count made to match.
 */
function withWaitingRecords(extra: (m: Record<string, string>) => string[]): { lines: string[]; added: number } {
  const lines = captureLines('6.1-full');
  const parsed = lines.map((l) => RECORD.exec(l)?.groups);
  const nextOfTask = new Map<number, number>();
  const last = new Map<string, number>();
  parsed.forEach((g, i) => {
    if (g === undefined) return;
    const before = last.get(g.pid!);
    if (before !== undefined) nextOfTask.set(before, i);
    last.set(g.pid!, i);
  });
  const out: string[] = [];
  let added = 0;
  lines.forEach((l, i) => {
    out.push(l);
    const g = parsed[i];
    if (g === undefined || (g.ev !== 'dw' && g.ev !== 'dr')) return;
    const next = nextOfTask.get(i);
    if (next === undefined || next === i + 1 || parsed[next]!.ev !== `${g.ev}_ret`) return;
    const more = extra(g as Record<string, string>);
    out.push(...more);
    added += more.filter((x) => !x.startsWith(' =>')).length;
  });
  const records = out.filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(' =>')).length;
  return { lines: out.map((l) => l.replace(/entries-written: \d+\/\d+/, `entries-written: ${records}/${records}`)), added };
}

const evaluatedUnknown = (r: { unknown: Record<string, number> }): number => Object.values(r.unknown).reduce((a, b) => a + b, 0);

describe('records of a task waiting for an rwsem (6.1-full)', () => {
  const variants: [string, (m: Record<string, string>) => string[]][] = [
    ['its sched_switch to sleep', (m) => [`${m.pre!.replace(m.flags!, 'd..2.')}sched_switch: prev_comm=${m.comm} prev_pid=${m.pid} prev_prio=120 prev_state=D ==> next_comm=swapper/${Number(m.cpu)} next_pid=0 next_prio=120`]],
    ['the stack trace of its entry', (m) => [`${m.pre}<stack trace>`, ' => kprobe_dispatcher', ' => down_write+0x5/0x70']],
    ['the user stack trace of its entry', (m) => [`${m.pre}<user stack trace>`, ' =>  <00007f3a2c4e1b5d>']],
    ['an interrupt on its CPU', (m) => [`${m.pre!.replace(m.flags!, 'd.h1.')}irq_handler_entry: irq=11 name=virtio0`]],
  ];
  let baseline: number | undefined;
  const unknownWithout = async (): Promise<number> => {
    baseline ??= evaluatedUnknown(await checkWithCapture(writeLog(tmp, 'plain.txt', captureLines('6.1-full')), '6.1-full', []));
    return baseline;
  };
  for (const [what, extra] of variants) {
    it(`${what}: no grant, so no release begins late (KV334) and no more is unknown than without it`, async () => {
      const { lines, added } = withWaitingRecords(extra);
      expect(added).toBeGreaterThan(20);
      const errors: string[] = [];
      const warnings: string[] = [];
      const r = await checkWithCapture(writeLog(tmp, 'waiting.txt', lines), '6.1-full', errors, (d) => { if (d.code === 'KV334') warnings.push(d.message); });
      expect(errors).toEqual([]);
      expect(warnings).toEqual([]);
      expect(r.violations).toBe(0);
      expect(evaluatedUnknown(r)).toBe(await unknownWithout());
    });
  }
});
