/** Checking a bundled capture of traces/kernel-programs the way its README does (`kinv check --all --probes --functions`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { checkTraceFile, type FileReport } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { parseFunctionList, parseProbeDefinitions } from '../../src/trace/coverage.js';

export const PROGRAMS = 'traces/kernel-programs';
const specs = new SpecSet([], {});

/**
 * `kinv check --all` of `path`, with capture `capture`'s probes and functions declared when it is
 * given; each error diagnostic is pushed to `errors` as its code and line.
 */
export async function checkWithCapture(path: string, capture: string | undefined, errors: string[]): Promise<FileReport> {
  const r = await checkTraceFile(path, specs, {
    all: true,
    onDiagnostic: (d) => { if (d.severity === 'error') errors.push(`${d.code} ${d.at?.line ?? ''}`); },
    ...(capture === undefined ? {} : {
      probes: parseProbeDefinitions(readFileSync(join(PROGRAMS, capture, 'kprobe_events'), 'latin1')).probes,
      kernelFunctions: parseFunctionList(readFileSync(join(PROGRAMS, capture, 'functions'), 'latin1')),
    }),
  });
  expect(r).toBeDefined();
  return r!;
}
