/**
 * Two probes on one function log each call twice (double-probes.ts): the reader reads each call
 * once, says so (KV332), and judges the capture as it judges it probed once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileReport } from '../../../src/checker/file.js';
import { DoubleProbes } from '../../../src/trace/ftrace/double-probes.js';
import { captureLines, checkWithCapture, writeLog } from '../../helpers/programs-capture.js';

describe('DoubleProbes', () => {
  const args = 'sem=0xff1';
  const twin = (d: DoubleProbes, pid: number, name: string, line: number, text = args, kind = 'kprobe'): boolean =>
    d.twin(pid, kind, name, 'down_read', text, 0, text.length, line);

  it('a record right after its twin under another name is dropped; a second call (the first name again) is kept, and its twin dropped', () => {
    const d = new DoubleProbes();
    expect([twin(d, 1, 'dr', 1), twin(d, 1, 'mydr', 2), twin(d, 1, 'dr', 3), twin(d, 1, 'mydr', 4)]).toEqual([false, true, false, true]);
    expect([d.count, d.first]).toEqual([2, { line: 2, name: 'mydr', twin: 'dr', sym: 'down_read' }]);
  });

  it('not a twin: the same name again (a second call), other arguments, another kind, another task, or another record between', () => {
    const d = new DoubleProbes();
    twin(d, 1, 'dr', 1);
    expect(twin(d, 1, 'dr', 2)).toBe(false);
    expect(twin(d, 1, 'mydr', 3, 'sem=0xff2')).toBe(false);
    expect(twin(d, 1, 'dr_ret', 4, 'sem=0xff2', 'kretprobe')).toBe(false);
    expect(twin(d, 2, 'mydr_ret', 5, 'sem=0xff2', 'kretprobe')).toBe(false);
    twin(d, 3, 'dr', 6);
    d.other(3);
    expect(twin(d, 3, 'mydr', 7)).toBe(false);
    twin(d, 4, 'dr', 8);
    d.forget();
    expect(twin(d, 4, 'mydr', 9)).toBe(false);
    expect(d.count).toBe(0);
  });
});

describe('a capture with a second probe on down_read, up_read, down_write and d_alloc_parallel (6.12-full)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kinv-double-'));
  const whole = captureLines('6.12-full').filter((l) => !l.startsWith('#'));
  const doubled = whole.flatMap((l) => (/ (dr|ur|dw|dap)(_ret)?: \(/.test(l) ? [l, l.replace(/ (\w+): \(/, ' my$1: (')] : [l]));
  const evaluated = (r: FileReport): unknown => [r.evaluated, r.unknown, r.undecided];

  it('is judged as the capture probed once, with a KV332 warning counting the twins, at the first', async () => {
    const warnings: { code: string; line?: number; message: string }[] = [];
    const once = await checkWithCapture(writeLog(tmp, 'once.txt', whole), undefined, []);
    const twice = await checkWithCapture(writeLog(tmp, 'twice.txt', doubled), undefined, [], (d) => {
      if (d.severity === 'warning') warnings.push({ code: d.code, line: d.at?.line, message: d.message });
    });
    expect(twice.verdicts.map((v) => [v.kind, v.invariant])).toEqual(once.verdicts.map((v) => [v.kind, v.invariant]));
    expect(evaluated(twice)).toEqual(evaluated(once));
    const twins = doubled.map((l, i) => [l, i + 1] as const).filter(([l]) => / my\w+: \(/.test(l));
    expect(warnings.filter((w) => w.code === 'KV332').map((w) => [w.line, w.message.split(' record')[0]])).toEqual([[twins[0]![1], String(twins.length)]]);
  }, 120_000);
});
