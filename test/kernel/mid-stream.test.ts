/**
 * A capture begun while programs run: `trace_pipe` opened, or tracing turned on, in the middle of
 * their syscalls. A task's first record may then be the return of a call the capture never saw
 * (its `->lookup`, `__lookup_slow`, `d_alloc_parallel`). Such a task is unknown until its syscall
 * ends, as every task of an ftrace capture is: its return is no damage (KV304 is for a task whose
 * calls the capture does show), and a correct kernel's capture begun anywhere has no violation.
 */
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { parseFunctionList, parseProbeDefinitions } from '../../src/trace/coverage.js';

const CAPTURE = 'traces/kernel-programs/6.1-full';
const specs = new SpecSet([], {});
const tmp = mkdtempSync(join(tmpdir(), 'kinv-mid-stream-'));
const probes = parseProbeDefinitions(readFileSync(join(CAPTURE, 'kprobe_events'), 'latin1')).probes;
const kernelFunctions = parseFunctionList(readFileSync(join(CAPTURE, 'functions'), 'latin1'));
/** The capture's records, without the header (a `trace_pipe` reader gets none). */
const body = gunzipSync(readFileSync(join(CAPTURE, 'trace.gz'))).toString('latin1').split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
/** A return probe of a function the spec follows by call and return (not a lock's). */
const FUNCTION_RETURN = /: (lkslow|dap|daddci|fs_lookup_\w+|dsplice|dal)_ret: /;
const WINDOW = 3000;

/** Windows of the capture that each begin with a function's return, at evenly spaced places. */
function windowsBeginningWithAReturn(n: number): { from: number; lines: string[] }[] {
  const out: { from: number; lines: string[] }[] = [];
  for (let k = 1; k <= n; k++) {
    let from = Math.floor((body.length * k) / (n + 1));
    while (from < body.length && !FUNCTION_RETURN.test(body[from]!)) from++;
    if (from < body.length) out.push({ from, lines: body.slice(from, from + WINDOW) });
  }
  return out;
}

describe('a capture begun in the middle of syscalls (6.1-full)', () => {
  const windows = windowsBeginningWithAReturn(6);

  it('has windows that begin with a return whose call is not in them', () => {
    expect(windows).toHaveLength(6);
  });

  for (const [i, w] of windows.entries()) {
    it(`judges the ${WINDOW} records from record ${w.from + 1} (${w.lines[0]!.trim().split(/\s+/)[0]}'s return first) without error or violation`, async () => {
      const path = join(tmp, `window-${i}.txt`);
      writeFileSync(path, w.lines.join('\n') + '\n', 'latin1');
      const errors: string[] = [];
      const r = await checkTraceFile(path, specs, {
        all: true, probes, kernelFunctions,
        onDiagnostic: (d) => { if (d.severity === 'error') errors.push(`${d.code} ${d.at?.line ?? ''} ${d.message}`); },
      });
      expect(errors).toEqual([]);
      expect(r!.verdicts.filter((v) => v.kind === 'violation').map((v) => `${v.invariant} ${v.event?.line ?? ''}`)).toEqual([]);
      expect(r!.stats.events).toBeGreaterThan(WINDOW / 2);
    });
  }
});
