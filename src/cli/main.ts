#!/usr/bin/env node
/**
 * kinv command line: a thin shell over the library. Each subcommand parses its options into a
 * typed record and returns an exit code; nothing here that a library user cannot reach.
 */
import { UsageError } from './args.js';

const USAGE = `usage:
  kinv check [--spec FILE|DIR]... [--param k=v]... [--format text|json] [--from ndjson|ftrace|auto] [--all] [--lockdep DMESG] TRACE...
  kinv lint  [--spec FILE|DIR]... [--param k=v]...
  kinv examples      check the bundled traces against their expected verdicts
  kinv sim     [--d-add-ci mainline|draft|fixed] [--order current|new] [--scenario pair|trio|mkdir|single|random]
               [--seed N] [--tasks N] [--dirs N] [--names N] [--ops N] [--creat F] [--mkdir F]
               [--alloc-fail P] [--exact-hashed P] [--replay CHOICES] [--out FILE]      NDJSON on stdout
  kinv fuzz    [--d-add-ci ...] [--order ...] [--runs N] [--seed N] [--only INV,...] [--format text|json] [--replay PATH]
  kinv explore [--d-add-ci ...] [--order ...] [--scenario ...|--tasks 2|3] [--max-depth N] [--max-states N] [--format text|json]

Exit codes: 0 every invariant holds; 1 a violation; 2 usage or spec error; 3 trace unreadable or verdict unknown.`;

type Command = (argv: string[]) => Promise<number>;

// Commands load on demand: a short command should not pay for the others' dependencies (fast-check).
const COMMANDS: Record<string, () => Promise<Command>> = {
  check: async () => (await import('./commands/check.js')).check,
  lint: async () => (await import('./commands/lint.js')).lint,
  examples: async () => (await import('./commands/examples.js')).examples,
  sim: async () => (await import('./commands/sim.js')).sim,
  explore: async () => (await import('./commands/sim.js')).exploreCmd,
  fuzz: async () => (await import('./commands/fuzz.js')).fuzzCmd,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command '${name}'`);
  return (await load())(rest);
}

// A closed pipe (`kinv check ... | head`) ends the run quietly, as other command-line tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`kinv: ${e.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`kinv: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\nPlease report this with the command line and input.\n`);
      process.exitCode = 3;
    }
  },
);
