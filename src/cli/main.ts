#!/usr/bin/env node
/**
 * kinv command line: a thin shell over the library. Each subcommand parses its options into a
 * typed record and returns an exit code; nothing here that a library user cannot reach.
 */
import { EXIT_INTERNAL, runCli } from './run.js';

// A closed pipe (`kinv check big.trace | head -1`, `2>&1 | head`) silences that stream and the run
// goes on to its own exit code: a violation already printed, or one still to come, must not turn
// into a crash code, and a clean run must not turn into 1.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stream.write = (() => true) as typeof stream.write;
  });
}

// Errors that escape the command's promise (a stream's 'error' event, a stray callback) are
// crashes too: never Node's default exit 1, the violation code.
const crash = (e: unknown): void => {
  const debug = process.env.KINV_DEBUG === '1' || process.argv.includes('--debug');
  const what = debug && e instanceof Error ? e.stack : e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
  process.stderr.write(`kinv: internal error: ${what}\n`);
  process.exit(EXIT_INTERNAL);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

// No top-level await: the build also bundles this module as a CommonJS script (bin/bundle.js).
void runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
