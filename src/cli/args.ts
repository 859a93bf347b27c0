/** Typed command-line options, parsed with node:util; usage errors become exit code 2. */
import { parseArgs } from 'node:util';
import { closest } from '../diag/suggest.js';
import type { OptionTable } from './options.js';

export class UsageError extends Error {}

/** `--help`/`-h` among a command's arguments: the command's help is printed instead of running it. */
export class HelpRequested extends Error {}

export type Values = Record<string, string | boolean | string[] | undefined>;

export function parse(argv: string[], options: OptionTable): { values: Values; positionals: string[] } {
  const end = argv.indexOf('--');
  const flags = end < 0 ? argv : argv.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) throw new HelpRequested();
  const config: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {};
  for (const [name, o] of Object.entries(options)) config[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}),
    ...(o.short ? { short: o.short } : {}) };
  let r;
  try {
    r = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(explain(e as Error & { code?: string }, options));
  }
  const values = r.values as Values;
  for (const [name, o] of Object.entries(options)) {
    const v = values[name];
    for (const x of typeof v === 'string' ? [v] : Array.isArray(v) ? v : []) checkValue(name, o.kind, x);
  }
  return { values, positionals: r.positionals };
}

function explain(e: Error & { code?: string }, options: OptionTable): string {
  const m = /^Unknown option '(-{1,2})([^'=]+)/.exec(e.message);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && m) {
    const names = m[1] === '--' ? Object.keys(options) : Object.values(options).flatMap((o) => (o.short ? [o.short] : []));
    const near = closest(m[2]!, names);
    return `unknown option '${m[1]}${m[2]}'${near ? `; did you mean '${m[1]}${near}'?` : ''}`;
  }
  return e.message.replace(/^Option '(-[^']*)' argument missing$/, "option '$1' needs a value");
}

function checkValue(name: string, kind: OptionTable[string]['kind'], v: string): void {
  if (kind === 'int') intOf(name, v, 0);
  else if (kind === 'probability') {
    const n = v.trim() === '' ? NaN : Number(v);
    if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} expects a probability between 0 and 1, got '${v}'`);
  }
}

/** `--param k=v` list → record; rejects entries without '='. */
export function paramsOf(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--param expects NAME=VALUE, got '${p}'`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) {
    const near = closest(v, allowed);
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got '${v}'${near ? `; did you mean '${near}'?` : ''}`);
  }
  return v as T;
}

export function intOf(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} expects a non-negative integer, got '${v}'`);
  return n;
}

/** `n`, an option's value that must be 1 or more (a usage error else). */
export function positive(flag: string, n: number): number {
  if (n < 1) throw new UsageError(`--${flag} expects a positive integer, got '${n}'`);
  return n;
}
