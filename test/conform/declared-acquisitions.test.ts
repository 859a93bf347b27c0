/**
 * A release no model state can take, of a lock its task does not hold: an acquisition the capture
 * did not show, where the capture may miss some (fewer acquisitions than releases of that mode, and
 * a variant of that mode without a probe); a release the kernel made of a lock it did not hold
 * (the draft's double unlock) where the probes the capture is known to have (`--probes`,
 * `--functions`) cover every acquisition variant the kernel has, as `kinv check`'s rel_held judges
 * it. 6.1-full with one of its up_read records logged twice (a double unlock, as a kernel with
 * that bug logs it): without its probe definitions it conforms to mainline with one acquisition
 * taken as unseen, with them it does not conform, at the second up_read.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { conformTraceFile } from '../../src/conform/conform.js';
import { parseFunctionList, parseProbeDefinitions } from '../../src/trace/coverage.js';
import { captureLines, PROGRAMS, writeLog } from '../helpers/programs-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-conform-declared-'));
const specs = new SpecSet([bundledSpecDir()], {});

describe('6.1-full with one up_read logged twice', () => {
  const whole = captureLines('6.1-full');
  const twice = whole.map((l, i) => (l.includes(' ur: (') ? i : -1)).filter((i) => i >= 0)[500]!;
  const lines = [...whole.slice(0, twice + 1), whole[twice]!, ...whole.slice(twice + 1)]
    .map((l) => l.replace(/entries-in-buffer\/entries-written: (\d+)\/(\d+)/, (_, a: string, b: string) => `entries-in-buffer/entries-written: ${Number(a) + 1}/${Number(b) + 1}`));
  const path = writeLog(tmp, 'double-up-read.txt', lines);

  it('with its probe definitions and function list: does not conform, at the second up_read', async () => {
    const r = await conformTraceFile(path, specs, {
      shapes: ['mainline'], order: 'current',
      probes: parseProbeDefinitions(readFileSync(join(PROGRAMS, '6.1-full', 'kprobe_events'), 'latin1')).probes,
      kernelFunctions: parseFunctionList(readFileSync(join(PROGRAMS, '6.1-full', 'functions'), 'latin1')),
    });
    const [x] = r!.results;
    expect([x!.verdict, x!.failure?.line, x!.failure?.event]).toEqual(['does not conform', twice + 2, 'rel R']);
    expect(r!.unobservedAcquisitions).toBe(0);
  }, 120_000);

  it('without them: an acquisition variant it may not probe explains the release, and it conforms', async () => {
    const r = await conformTraceFile(path, specs, { shapes: ['mainline'], order: 'current' });
    expect(r!.results.map((x) => x.verdict)).toEqual(['conforms']);
    expect(r!.unobservedAcquisitions).toBe(1);
  }, 120_000);
});
