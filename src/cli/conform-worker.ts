/**
 * A worker thread of `kinv conform --jobs N`: loads the spec once, then conforms the files it is
 * sent, one at a time, and posts back what the in-process run would have reported, in its order
 * (diagnostics, then the report). The main thread prints it (conform-parallel.ts).
 */
import { workerData } from 'node:worker_threads';
import { SpecSet } from '../checker/spec-set.js';
import { conformTraceFile } from '../conform/conform.js';
import type { ConformFromWorker, ConformSetup } from './conform-parallel.js';
import { serveFileJobs } from './file-workers.js';

const setup = workerData as ConformSetup;
const specs = new SpecSet(setup.specs, setup.params);

serveFileJobs<ConformFromWorker>(async ({ index, file }, post) => {
  if (!specs.base) throw new Error('the spec did not load in a worker thread');
  const report = await conformTraceFile(file, specs, { ...setup.conform, onDiagnostic: (d) => post({ index, kind: 'diagnostic', d }) });
  post({ index, kind: 'done', report });
});
