/**
 * The part of an input that cannot be read twice (standard input, a pipe) and is too large to keep
 * in memory, kept in a temporary file between the read ahead and the read that judges: memory stays
 * bounded whatever the capture's length. The file is removed once read, when the read stops early,
 * and at the latest when the process exits or is interrupted (SIGINT, SIGTERM, SIGHUP).
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<Spool>();
let exitHook = false;

function removeLive(): void {
  for (const s of live) s.remove();
}

export class Spool {
  private readonly dir: string;
  readonly path: string;
  private fd: number | undefined;
  private removed = false;

  /** Throws a readable Error when no temporary file can be made. */
  constructor(parent = tmpdir()) {
    try {
      this.dir = mkdtempSync(join(parent, 'kinv-spool-'));
      this.path = join(this.dir, 'input');
      this.fd = openSync(this.path, 'wx', 0o600);
    } catch (e) {
      throw new Error(`the input cannot be kept for a second read: no temporary file in ${parent} (${(e as Error).message})`, { cause: e });
    }
    live.add(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', removeLive);
      // (an interrupted check would leave its spool: removed, then the signal raised again, to do what it does)
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.once(signal, () => { removeLive(); process.kill(process.pid, signal); });
      }
    }
  }

  /** Appends `chunk`; throws a readable Error when it cannot be written (a full disk). */
  write(chunk: Uint8Array): void {
    try {
      let at = 0;
      while (at < chunk.length) at += writeSync(this.fd!, chunk, at);
    } catch (e) {
      throw new Error(`the input cannot be kept for a second read: writing ${this.path} failed (${(e as Error).message})`, { cause: e });
    }
  }

  /** What was written, from its start. */
  async *read(): AsyncGenerator<Uint8Array> {
    this.closeForWriting();
    yield* createReadStream(this.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>;
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    this.closeForWriting();
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private closeForWriting(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
