/**
 * The command line in-process: `runCli` with standard input, output and error captured. Spawning
 * a node per case cost most of the CLI tests' time; what needs a real process (closed pipes, the
 * bin script) spawns `kinvProcess`.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/run.js';

export interface CliResult { code: number; stdout: string; stderr: string }

type Write = typeof process.stdout.write;

function capture(into: string[]): Write {
  return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as Write;
}

/** Runs `kinv ARGS...` in this process, with `env` added to the environment (colour off unless set). */
export async function kinv(args: string[], input?: string | Buffer, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { out: process.stdout.write, err: process.stderr.write, stdin: Object.getOwnPropertyDescriptor(process, 'stdin')! };
  const vars = { NO_COLOR: '1', FORCE_COLOR: undefined, KINV_DEBUG: undefined, ...env };
  const savedEnv = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  if (input !== undefined) Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(input)]), configurable: true, enumerable: true });
  let code: number;
  try {
    code = await runCli(args);
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    Object.defineProperty(process, 'stdin', saved.stdin);
    for (const [k, v] of Object.entries(savedEnv)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** `kinv ARGS...` as a separate process, through the bin script a user runs. */
export function kinvProcess(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, ['bin/kinv.js', ...args], { encoding: 'utf8', maxBuffer: 1 << 30, ...opts, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
