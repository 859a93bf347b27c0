/**
 * `kinv conform` over several trace files on worker threads (file-workers.ts): each worker loads
 * the spec itself and posts what it finds as it goes, and the output is the one of the in-process run.
 */
import type { ConformOptions, ConformReport } from '../conform/conform.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import { inWorkers } from './file-workers.js';

/** What every worker is started with: the spec, and the options of every file's conformance (no callback: a worker posts). */
export interface ConformSetup {
  specs: string[];
  params: Record<string, string>;
  /** (the function list as an array: what a worker is sent is copied, and an iterable in general is not) */
  conform: Omit<ConformOptions, 'onDiagnostic' | 'kernelFunctions'> & { kernelFunctions: string[] | undefined };
}

export type ConformFromWorker =
  | { index: number; kind: 'diagnostic'; d: Diagnostic }
  | { index: number; kind: 'done'; report: ConformReport | undefined }
  | { index: number; kind: 'error'; name: string; message: string; stack: string | undefined };

/** What the in-process run does with one file's findings; called in file order. */
export interface ConformSink {
  onDiagnostic: (d: Diagnostic) => void;
  /** The file's report, or undefined when it could not be read. */
  finish: (report: ConformReport | undefined) => void;
}

/** Conforms `files` on `jobs` workers; `sink` gets each file's findings in file order. */
export function conformFilesInParallel(files: string[], jobs: number, setup: ConformSetup, sink: ConformSink): Promise<void> {
  return inWorkers<ConformFromWorker>(files, jobs, 'conform-worker', setup, (m) => {
    switch (m.kind) {
      case 'diagnostic': sink.onDiagnostic(m.d); return false;
      case 'done': sink.finish(m.report); return true;
      case 'error': return false; // (thrown by inWorkers before it gets here)
    }
  });
}
