/**
 * `kinv check` over several trace files on worker threads, one file per worker at a time. Each
 * worker loads the spec itself and posts what it finds as it goes; the main thread hands it on
 * file by file in command-line order, so the output is the one of the in-process check: the first
 * file's findings as they come, a later file's once the files before it are done.
 */
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { CheckReport } from '../checker/check.js';
import type { Verdict } from '../checker/engine.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { ProbeDefinition } from '../trace/coverage.js';
import type { TraceGap } from '../trace/event.js';
import type { KernelSymbols } from '../trace/ftrace/sites.js';

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

export interface CheckJob { index: number; file: string }

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
  /** The file's report, or undefined when it could not be read. */
  finish: (report: CheckReport | undefined) => void;
}

/** The worker's module beside this one: compiled (dist/), or the sources run through tsx (a checkout, tests). */
function startWorker(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./check-worker.js', here), { workerData: setup });
  // tsx's ESM entry, as `import` would resolve it (createRequire would give its CommonJS one).
  const pkg = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = new URL(api, pathToFileURL(pkg)).href;
  const entry = new URL('./check-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: setup });
}

class WorkerError extends Error {}

/**
 * Checks `files` on `jobs` workers; `sinkFor(i)` is asked for file i's sink when the files before
 * it are done, and gets its findings in the order the worker found them. Rejects on a worker's
 * internal error, as the in-process check would throw it.
 */
export function checkFilesInParallel(files: string[], jobs: number, setup: WorkerSetup, sinkFor: (index: number) => FileSink): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const waiting: FromWorker[][] = files.map(() => []);
    const workers: Worker[] = [];
    let head = 0;
    let sink: FileSink | undefined;
    let next = 0;
    let failed = false;

    const stop = (): void => { for (const w of workers) void w.terminate(); };
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      stop();
      reject(e);
    };

    /** Hands one finding of the head file to its sink; true when the file is done. */
    const deliver = (m: FromWorker): boolean => {
      sink ??= sinkFor(head);
      switch (m.kind) {
        case 'diagnostic': sink.onDiagnostic(m.d); return false;
        case 'verdict': sink.onVerdict(m.v); return false;
        case 'gap': sink.onGap(m.g); return false;
        case 'batch': sink.onBatch(m.lines, m.events); return false;
        case 'done': sink.finish(m.report); sink = undefined; return true;
        case 'error': {
          const e = new WorkerError(m.message);
          e.name = m.name;
          if (m.stack !== undefined) e.stack = m.stack;
          throw e;
        }
      }
    };

    /** Moves on through the files whose findings are all in. */
    const drain = (): void => {
      while (head < files.length) {
        const queue = waiting[head]!;
        let done = false;
        while (queue.length > 0 && !done) done = deliver(queue.shift()!);
        if (!done) return;
        head++;
      }
      stop();
      resolve();
    };

    const give = (w: Worker): void => {
      if (next < files.length) {
        const job: CheckJob = { index: next, file: files[next]! };
        next++;
        w.postMessage(job);
      }
    };

    const n = Math.max(1, Math.min(jobs, files.length));
    for (let k = 0; k < n; k++) {
      const w = startWorker(setup);
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (failed) return;
        try {
          if (m.kind === 'done') give(w);
          if (m.index === head) {
            if (deliver(m)) { head++; drain(); }
          } else waiting[m.index]!.push(m);
        } catch (e) {
          fail(e as Error);
        }
      });
      w.on('error', (e) => fail(e));
      w.on('exit', (code) => { if (code !== 0 && head < files.length) fail(new Error(`a worker thread of kinv check exited with code ${code}`)); });
      give(w);
    }
    if (files.length === 0) resolve();
  });
}
