/**
 * Trace files judged on worker threads, one file per worker at a time, for a command over several
 * files (`kinv check --jobs`, `kinv conform --jobs`). Each worker posts what it finds as it goes;
 * the main thread hands it on file by file in command-line order, so the output is the one of the
 * in-process run: the first file's findings as they come, a later file's once the files before it
 * are done.
 */
import { parentPort, Worker } from 'node:worker_threads';
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Worker threads for `files`: `jobs` when given (at most one per file); else the cores, as long as
 * each worker gets `bytesPerWorker` of trace or more, since each worker loads its own modules and
 * spec and warms its own JIT, where this thread alone reuses one warm-up for every file. A
 * compressed file counts as the text it holds, about COMPRESSION times its size. 1 (this thread)
 * for one file or standard input.
 */
export function workersFor(files: readonly string[], jobs: number | undefined, bytesPerWorker: number): number {
  if (files.length < 2 || files.includes('-')) return 1;
  if (jobs !== undefined) return Math.min(jobs, files.length);
  let bytes = 0;
  for (const f of files) {
    try { bytes += statSync(f).size * (COMPRESSED.test(f) ? COMPRESSION : 1); } catch { /* reported when it is read */ }
  }
  const workers = Math.min(availableParallelism(), files.length, Math.floor(bytes / bytesPerWorker));
  return workers < 2 ? 1 : workers;
}

/**
 * Names of compressed traces (the reader tells compression by content; a worker count needs no
 * more than a name), and about how much text a byte of one holds (the bundled gzip captures: 15 to 18).
 */
const COMPRESSED = /\.(gz|xz|zst)$/;
const COMPRESSION = 16;

/** The job a worker is sent: file `index` of the run. */
export interface FileJob { index: number; file: string }

/** What every worker posts: its file's findings, then `done`; or `error`, an internal error it threw. */
export type WorkerMessage = { index: number; kind: string }
  | { index: number; kind: 'error'; name: string; message: string; stack: string | undefined };

/** A worker's internal error, as the in-process run would have thrown it. */
class WorkerError extends Error {}

/**
 * A worker running module `name` (`check-worker`) beside this one: compiled (dist/), or the
 * sources run through tsx (a checkout, tests); or the module a URL names (a test's).
 */
function startWorker(name: string | URL, setup: unknown): Worker {
  const here = import.meta.url;
  const ts = typeof name === 'string' ? here.endsWith('.ts') : name.pathname.endsWith('.ts');
  if (!ts) return new Worker(typeof name === 'string' ? new URL(`./${name}.js`, here) : name, { workerData: setup });
  // tsx's ESM entry, as `import` would resolve it (createRequire would give its CommonJS one).
  const pkg = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = new URL(api, pathToFileURL(pkg)).href;
  const entry = typeof name === 'string' ? new URL(`./${name}.ts`, here).href : name.href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: setup });
}

/**
 * Runs `files` on `jobs` workers of module `worker`, each started with `setup`; `deliver` gets
 * every message but `error` in file order, each file's in the order its worker posted them, and
 * says when a file's findings are all in (its `done`). Rejects on a worker's internal error, as the
 * in-process run would throw it, and on an exception `deliver` throws; a worker that dies (or
 * exits) fails its file the same way, in its turn, after the findings of the files before it.
 */
export function inWorkers<M extends WorkerMessage>(files: readonly string[], jobs: number, worker: string | URL, setup: unknown,
  deliver: (m: M) => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const waiting: M[][] = files.map(() => []);
    const workers: Worker[] = [];
    let head = 0;
    let next = 0;
    let failed = false;
    /** The file each worker is judging (none between files), and the workers not gone. */
    const current = new Map<Worker, number>();
    const alive = new Set<Worker>();

    const stop = (): void => { for (const w of workers) void w.terminate(); };
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      stop();
      reject(e);
    };

    /** Hands one message of the head file on; true when the file is done. */
    const hand = (m: M): boolean => {
      if (m.kind === 'error') {
        const x = m as Extract<WorkerMessage, { kind: 'error' }>;
        const e = new WorkerError(x.message);
        e.name = x.name;
        if (x.stack !== undefined) e.stack = x.stack;
        throw e;
      }
      return deliver(m);
    };

    /** Moves on through the files whose findings are all in. */
    const drain = (): void => {
      while (head < files.length) {
        const queue = waiting[head]!;
        let done = false;
        while (queue.length > 0 && !done) done = hand(queue.shift()!);
        if (!done) return;
        head++;
      }
      stop();
      resolve();
    };

    const give = (w: Worker): void => {
      if (next < files.length) {
        const job: FileJob = { index: next, file: files[next]! };
        current.set(w, next);
        next++;
        w.postMessage(job);
      }
    };

    if (files.length === 0) { resolve(); return; }
    /** A message for file `m.index`: handed on when that file is the head, else kept for its turn. */
    const take = (m: M): void => {
      if (m.index === head) {
        if (hand(m)) { head++; drain(); }
      } else waiting[m.index]!.push(m);
    };
    /**
     * Worker `w` is gone (it threw outside a job's own handler, or exited): its file fails there,
     * in its turn, as the in-process run would have thrown after the files before it; with no
     * worker left, so does the first file not yet given.
     */
    const lost = (w: Worker, e: Error): void => {
      if (failed || !alive.delete(w)) return;
      let at = current.get(w);
      current.delete(w);
      if (at === undefined && alive.size === 0 && next < files.length) at = next;
      if (at === undefined) return;
      if (alive.size === 0) next = files.length;
      take({ index: at, kind: 'error', name: e.name, message: e.message, stack: e.stack } as M);
    };

    const n = Math.max(1, Math.min(jobs, files.length));
    for (let k = 0; k < n; k++) {
      const w = startWorker(worker, setup);
      workers.push(w);
      alive.add(w);
      w.on('message', (m: M) => {
        if (failed) return;
        try {
          if (m.kind === 'done') { current.delete(w); give(w); }
          take(m);
        } catch (e) {
          fail(e as Error);
        }
      });
      w.on('error', (e) => { try { lost(w, e); } catch (x) { fail(x as Error); } });
      w.on('exit', (code) => {
        if (head >= files.length) return;
        try { lost(w, new Error(`a worker thread of kinv exited with code ${code} before its files were done`)); } catch (x) { fail(x as Error); }
      });
      give(w);
    }
  });
}

/**
 * In a worker thread: judges each file the main thread sends with `judge`, one at a time as they
 * come, which posts the file's findings and then its `done`; an exception it throws is posted as
 * the file's internal `error`, which the main thread throws in the file's turn.
 */
export function serveFileJobs<M extends WorkerMessage>(judge: (job: FileJob, post: (m: M) => void) => Promise<void>): void {
  const port = parentPort!;
  const post = (m: M): void => port.postMessage(m);
  port.on('message', (job: FileJob) => {
    judge(job, post).catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ index: job.index, kind: 'error', name: err.name, message: err.message, stack: err.stack });
    });
  });
}
