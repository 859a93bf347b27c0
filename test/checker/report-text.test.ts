/**
 * The text kernel developers share, judged as the tracefs text of the same capture is: a real
 * `trace-cmd report` (and `-l`) of one ring buffer against that buffer's tracefs `trace`
 * (traces/ftrace/trace-cmd/), with its probe sites named by the trace.dat's own symbol table or by
 * the probe definitions; and without either, unknown with the diagnostic that says what to pass.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTraceFile, type CheckFileOptions } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { parseProbeDefinitions } from '../../src/trace/coverage.js';
import { parseKallsyms } from '../../src/trace/ftrace/sites.js';
import { kinv } from '../helpers/kinv.js';

const DIR = 'traces/ftrace/trace-cmd';
const specs = new SpecSet([], {});
const symbols = parseKallsyms(readFileSync(`${DIR}/extract.functions.txt`, 'latin1'));
const kernelSymbols = symbols.kind === 'symbols' ? symbols.symbols : undefined;
// The template of the reference probe set: its definitions name each event's function.
const probes = parseProbeDefinitions(readFileSync('scripts/capture/probes.txt', 'latin1')).probes;

async function judged(path: string, opts: CheckFileOptions = {}) {
  const diags: Diagnostic[] = [];
  const r = await checkTraceFile(path, specs, { all: true, ...opts, onDiagnostic: (d) => diags.push(d) });
  if (r === undefined) throw new Error(`${path}: not checked`);
  return {
    diags: diags.map((d) => `${d.code} ${d.at?.line}:${d.at?.column}`),
    // By event number: the files number their lines differently (tracefs has a longer header).
    verdicts: r.verdicts.map((v) => `${v.kind} ${v.invariant} ${v.event?.seq ?? ''}`).sort(),
    events: r.stats.events, records: r.stats.records, unmapped: r.stats.unmapped, gaps: r.stats.gaps,
    evaluated: r.evaluated, unknown: r.unknown, undecided: r.undecided, vacuous: r.vacuous,
  };
}

describe('trace-cmd report text', () => {
  it('is judged as the tracefs text of the same buffer, its sites named by the trace.dat symbols or by the probe definitions', async () => {
    const want = await judged(`${DIR}/extract.trace.txt.gz`);
    expect(want).toMatchObject({ diags: [], events: 1480, records: 1879, unmapped: 399, gaps: 0 });
    expect(want.verdicts).toEqual([]);
    expect(want.evaluated).toMatchObject({ in_lookup_exclusive: 170, lock_order_acyclic: 64, in_lookup_ended: 460 });
    expect(await judged(`${DIR}/extract.report.txt.gz`, { kernelSymbols })).toEqual(want);
    expect(await judged(`${DIR}/extract.report.txt.gz`, { probes })).toEqual(want);
    expect(await judged(`${DIR}/extract.report-l.txt.gz`, { kernelSymbols })).toEqual(want);
  });

  it('without symbols or definitions: every probe record a gap, KV319 per event, and no verdict but unknown ones', async () => {
    const r = await judged(`${DIR}/extract.report.txt.gz`);
    expect(r).toMatchObject({ events: 372, records: 1879, unmapped: 1507, gaps: 1507 });
    expect(r.diags[0]).toBe('KV319 2:65');
    // One per probe event of the capture (18 of them), each at its first record.
    expect(r.diags.filter((d) => d.startsWith('KV319'))).toHaveLength(18);
    expect(r.verdicts.filter((v) => v.startsWith('violation'))).toEqual([]);
  });

  it('kinv check: --functions with `trace-cmd report -f` output decides; without it, exit 3 and what to pass', async () => {
    const ok = await kinv(['check', '--functions', `${DIR}/extract.functions.txt`, `${DIR}/extract.report.txt.gz`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('no violation — 1480 events from 1879 records');
    // (its 40 records all come from CPU 0: taken as a whole machine's capture, or KV328 says it cannot tell)
    const perf = await kinv(['check', '--from', 'perf', '--param', 'every_cpu=true', '--functions', `${DIR}/extract.functions.txt`,
      'traces/ftrace/perf/probes-from-report.txt']);
    expect(perf.code).toBe(0);
    expect(perf.stdout).toContain('no violation — 27 events from 40 records');
    const unknown = await kinv(['check', `${DIR}/extract.report.txt.gz`]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/KV319.*--probes FILE.*--functions FILE/s);
  });
});
