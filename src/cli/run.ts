/**
 * The command line as a function: `runCli(argv)` runs one kinv command and returns its exit code,
 * so tests can call it in-process; main.ts is the executable around it.
 */
import { readFileSync } from 'node:fs';
import { closest } from '../diag/suggest.js';
import { setColorMode, type ColorMode } from '../diag/color.js';
import { HelpRequested, UsageError } from './args.js';
import { commandHelp, mainHelp, COMMAND_SPECS } from './options.js';

/** EX_SOFTWARE (sysexits.h): distinct from every verdict, so CI never mistakes a crash for one. */
export const EXIT_INTERNAL = 70;

type Command = (argv: string[]) => Promise<number>;

// Commands load on demand: a short command should not pay for the others' dependencies (fast-check).
const COMMANDS: Record<string, () => Promise<Command>> = {
  check: async () => (await import('./commands/check.js')).check,
  lint: async () => (await import('./commands/lint.js')).lint,
  examples: async () => (await import('./commands/examples.js')).examples,
  sim: async () => (await import('./commands/sim.js')).sim,
  explore: async () => (await import('./commands/sim.js')).exploreCmd,
  fuzz: async () => (await import('./commands/fuzz.js')).fuzzCmd,
  probes: async () => (await import('./commands/probes.js')).probes,
  conform: async () => (await import('./commands/conform.js')).conform,
};

export function version(): string {
  // package.json sits two folders up from both src/cli/ and dist/cli/.
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

interface Globals { color: ColorMode; debug: boolean; version: boolean; rest: string[] }

/** Options every command takes, wherever they stand before `--`. */
function globals(argv: string[]): Globals {
  const g: Globals = { color: 'auto', debug: false, version: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { g.rest.push(...argv.slice(i)); break; }
    if (a === '--debug') g.debug = true;
    else if (a === '--version' || a === '-V') g.version = true;
    else if (a === '--no-color') g.color = 'never';
    else if (a === '--color' || a.startsWith('--color=')) {
      const v = a === '--color' ? argv[++i] : a.slice('--color='.length);
      if (v !== 'auto' && v !== 'always' && v !== 'never') throw new UsageError(`--color must be one of auto, always, never, got '${v ?? ''}'`);
      g.color = v;
    } else g.rest.push(a);
  }
  return g;
}

export async function runCli(argv: string[]): Promise<number> {
  let debug = process.env.KINV_DEBUG === '1' || argv.includes('--debug');
  let name: string | undefined;
  try {
    const g = globals(argv);
    debug ||= g.debug;
    setColorMode(g.color);
    if (g.version) { process.stdout.write(`kinv ${version()}\n`); return 0; }
    const [first, ...rest] = g.rest;
    if (first === undefined) { process.stderr.write(mainHelp() + '\n'); return 2; }
    if (first === '--help' || first === '-h' || first === 'help') {
      const about = first === 'help' ? rest[0] : undefined;
      process.stdout.write((about !== undefined && COMMAND_SPECS[about] ? commandHelp(about) : mainHelp()) + '\n');
      return 0;
    }
    const load = COMMANDS[first];
    if (!load) {
      const near = closest(first, Object.keys(COMMANDS));
      throw new UsageError(`unknown command '${first}'${near ? `; did you mean '${near}'?` : ''}`);
    }
    name = first;
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof HelpRequested && name !== undefined) { process.stdout.write(commandHelp(name) + '\n'); return 0; }
    if (e instanceof UsageError) {
      process.stderr.write(`kinv${name ? ` ${name}` : ''}: ${e.message}\nTry 'kinv ${name ? `${name} ` : ''}--help'.\n`);
      return 2;
    }
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(debug && e instanceof Error && e.stack
      ? `kinv: internal error: ${e.stack}\n`
      : `kinv: internal error: ${what.split('\n')[0]} (KINV_DEBUG=1 or --debug shows where; please report it with the command line)\n`);
    return EXIT_INTERNAL;
  }
}
