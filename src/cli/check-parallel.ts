/**
 * `kinv check` over several trace files on worker threads (file-workers.ts): each worker loads the
 * spec itself and posts what it finds as it goes, and the output is the one of the in-process check.
 */
import type { CheckReport } from '../checker/check.js';
import type { Verdict } from '../checker/engine.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { ProbeDefinition } from '../trace/coverage.js';
import type { TraceGap } from '../trace/event.js';
import type { KernelSymbols } from '../trace/ftrace/sites.js';
import { inWorkers } from './file-workers.js';

/** What every worker is started with. */
export interface WorkerSetup {
  specs: string[];
  /** The check's options; its `params` also set the spec's parameters. */
  check: {
    from: string;
    all: boolean;
    evaluationBudget: number;
    params: Record<string, string>;
    probes: ProbeDefinition[] | undefined;
    kernelFunctions: string[] | undefined;
    kernelSymbols: KernelSymbols | undefined;
  };
}

export type FromWorker =
  | { index: number; kind: 'diagnostic'; d: Diagnostic }
  | { index: number; kind: 'verdict'; v: Verdict }
  | { index: number; kind: 'gap'; g: TraceGap }
  | { index: number; kind: 'batch'; lines: number; events: number }
  | { index: number; kind: 'done'; report: CheckReport | undefined }
  | { index: number; kind: 'error'; name: string; message: string; stack: string | undefined };

/** What the in-process check does with one file's findings; called in file order. */
export interface FileSink {
  onDiagnostic: (d: Diagnostic) => void;
  onVerdict: (v: Verdict) => void;
  onGap: (g: TraceGap) => void;
  onBatch: (lines: number, events: number) => void;
  /** The lines a capture's read ahead has read so far (this thread's checks only). */
  onReadAhead?: (lines: number) => void;
  /** The file's report, or undefined when it could not be read. */
  finish: (report: CheckReport | undefined) => void;
}

/**
 * Checks `files` on `jobs` workers; `sinkFor(i)` is asked for file i's sink when the files before
 * it are done, and gets its findings in the order the worker found them. Rejects on a worker's
 * internal error, as the in-process check would throw it.
 */
export function checkFilesInParallel(files: string[], jobs: number, setup: WorkerSetup, sinkFor: (index: number) => FileSink): Promise<void> {
  let sink: FileSink | undefined;
  return inWorkers<FromWorker>(files, jobs, 'check-worker', setup, (m) => {
    sink ??= sinkFor(m.index);
    switch (m.kind) {
      case 'diagnostic': sink.onDiagnostic(m.d); return false;
      case 'verdict': sink.onVerdict(m.v); return false;
      case 'gap': sink.onGap(m.g); return false;
      case 'batch': sink.onBatch(m.lines, m.events); return false;
      case 'done': sink.finish(m.report); sink = undefined; return true;
      case 'error': return false; // (thrown by inWorkers before it gets here)
    }
  });
}
