/**
 * A worker thread of `kinv conform --jobs N`: loads the spec once, then conforms the files it is
 * sent, one at a time, and posts back what the in-process run would have reported, in its order
 * (diagnostics, then the report). The main thread prints it (conform-parallel.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SpecSet } from '../checker/spec-set.js';
import { conformTraceFile } from '../conform/conform.js';
import type { ConformFromWorker, ConformSetup } from './conform-parallel.js';
import type { FileJob } from './file-workers.js';

const port = parentPort!;
const setup = workerData as ConformSetup;
const specs = new SpecSet(setup.specs, setup.params);
const post = (m: ConformFromWorker): void => port.postMessage(m);

port.on('message', (job: FileJob) => {
  const { index, file } = job;
  void (async () => {
    try {
      if (!specs.base) throw new Error('the spec did not load in a worker thread');
      const report = await conformTraceFile(file, specs, { ...setup.conform, onDiagnostic: (d) => post({ index, kind: 'diagnostic', d }) });
      post({ index, kind: 'done', report });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ index, kind: 'error', name: err.name, message: err.message, stack: err.stack });
    }
  })();
});
