/**
 * A worker thread of `kinv check --jobs N`: loads the spec once, then checks the files it is sent,
 * one at a time, and posts back what the in-process check would have reported, in its order
 * (diagnostics, verdicts, gaps, progress, the report). The main thread prints it (check-parallel.ts).
 */
import { workerData } from 'node:worker_threads';
import { checkTraceFile } from '../checker/file.js';
import { SpecSet } from '../checker/spec-set.js';
import type { FromWorker, WorkerSetup } from './check-parallel.js';
import { serveFileJobs } from './file-workers.js';

const setup = workerData as WorkerSetup;
const specs = new SpecSet(setup.specs, setup.check.params);

serveFileJobs<FromWorker>(async ({ index, file }, post) => {
  if (!specs.base) throw new Error('the spec did not load in a worker thread');
  const report = await checkTraceFile(file, specs, {
    ...setup.check,
    onDiagnostic: (d) => post({ index, kind: 'diagnostic', d }),
    onVerdict: (v) => post({ index, kind: 'verdict', v }),
    onGap: (g) => post({ index, kind: 'gap', g }),
    onBatch: (s) => post({ index, kind: 'batch', lines: s.lines, events: s.events }),
  });
  // The verdicts and diagnostics came one by one already; the summary needs only the counts.
  post({ index, kind: 'done', report: report ? { ...report, verdicts: [], diagnostics: [] } : undefined });
});
