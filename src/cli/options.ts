/**
 * Every command's options in one table: the parser, `--help` and did-you-mean all read it, so an
 * option cannot be accepted without being documented.
 */

/** How an option's value is checked before a command sees it. */
export type ValueKind = 'int' | 'probability' | 'text';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** The placeholder in `--help` (`N`, `FILE`, ...). */
  value?: string;
  kind?: ValueKind;
  help: string;
}

export type OptionTable = Record<string, OptionSpec>;

export interface CommandSpec {
  summary: string;
  usage: string;
  options: OptionTable;
  /** Extra text after the options (positionals, examples). */
  notes?: string;
  /** What the command's exit codes mean (default: EXIT_CODES, a check's). */
  exits?: string;
}

const spec: OptionSpec = {
  type: 'string', multiple: true, short: 's', value: 'FILE|DIR', help: 'spec file or folder (repeatable; default: the bundled VFS spec)',
};
const probes: OptionSpec = {
  type: 'string', multiple: true, value: 'KPROBE_EVENTS', help: "ftrace: the capture's kprobe_events, so kinv knows from the first record what it probes",
};
const functions: OptionSpec = {
  type: 'string', multiple: true, value: 'FILE',
  help: "ftrace: the traced kernel's available_filter_functions or /proc/kallsyms (which lock variants exist; kallsyms, "
    + 'or `trace-cmd report -f`, of the same boot also names the bare probe addresses of trace-cmd report and perf script)',
};
const param: OptionSpec = { type: 'string', multiple: true, short: 'p', value: 'NAME=VALUE', help: 'spec parameter (repeatable), e.g. order=new' };
const format: OptionSpec = {
  type: 'string', short: 'f', value: 'text|json', help: 'output format (json: one object per line, see schema/verdicts.schema.json)',
};

const protocol: OptionTable = {
  'd-add-ci': { type: 'string', value: 'mainline|draft|fixed', help: "the shape of d_add_ci (default mainline)" },
  order: { type: 'string', value: 'current|new', help: 'the lookup-path lock order (default current); the spec parameter order follows it' },
};

/** The random scenario's shape (`--scenario random`). */
const randomShape: OptionTable = {
  tasks: { type: 'string', value: 'N', kind: 'int', help: 'tasks (named scenarios: 2 = pair, 3 = trio)' },
  dirs: { type: 'string', value: 'N', kind: 'int', help: 'directories of the random scenario' },
  names: { type: 'string', value: 'N', kind: 'int', help: 'names per directory of the random scenario' },
  ops: { type: 'string', value: 'N', kind: 'int', help: 'operations per task of the random scenario' },
  creat: { type: 'string', value: 'P', kind: 'probability', help: 'share of open(O_CREAT) operations, 0..1' },
  mkdir: { type: 'string', value: 'P', kind: 'probability', help: 'share of mkdir operations, 0..1' },
  'alloc-fail': { type: 'string', value: 'P', kind: 'probability', help: 'probability of an allocation failure at each chance, 0..1' },
  'exact-hashed': { type: 'string', value: 'P', kind: 'probability', help: 'probability that the exact-case name is hashed meanwhile, 0..1' },
};

const scenario: OptionSpec = { type: 'string', value: 'NAME', help: 'pair, trio, mkdir, single, ci-pair, ci-trio-shared, ci-trio-open or random' };

export const COMMANDS = {
  check: {
    summary: 'check traces against a spec',
    usage: 'kinv check [options] TRACE...',
    options: {
      spec, param, format,
      from: {
        type: 'string', value: 'ndjson|ftrace|perf|itf|auto',
        help: 'trace format (default auto: sniffed); ftrace and perf both mean trace text (tracefs, trace-cmd report, perf script);'
          + ' itf: an ITF trace of Apalache, Quint or kinv --itf',
      },
      all: { type: 'boolean', short: 'a', help: 'report every violation, not the first per invariant and object' },
      'max-diagnostics': { type: 'string', value: 'N', kind: 'int', help: 'input diagnostics shown per code before they are only counted (default 20)' },
      'eval-budget': { type: 'string', value: 'N', kind: 'int', help: 'steps one evaluation of an invariant may take before it is unknown (default 1000000)' },
      lockdep: { type: 'string', short: 'l', value: 'DMESG', help: "line a dmesg log's lockdep reports up with the verdicts" },
      probes, functions,
      perfetto: { type: 'string', value: 'FILE', help: 'write the trace as Chrome trace-event JSON for Perfetto or chrome://tracing (one TRACE)' },
      dot: { type: 'string', value: 'FILE', help: "write the violations' lock-order and wait-for cycles as Graphviz (one TRACE)" },
      html: { type: 'string', value: 'FILE', help: 'write a self-contained HTML timeline of the trace and its violations (one TRACE)' },
      jobs: {
        type: 'string', short: 'j', value: 'N', kind: 'int',
        help: 'trace files checked at once, one per worker thread (default: the cores, as long as each has 48 MB of trace text or more; 1: in this thread)',
      },
    },
    notes: 'TRACE is an NDJSON or ftrace file (.gz too), a folder of traces, or - for standard input.',
  },
  lint: {
    summary: 'parse and check a spec',
    usage: 'kinv lint [options] [FILE|DIR]...',
    options: { spec, param },
    exits: 'Exit codes: 0 the spec is well formed (warnings may be printed); 2 it has errors, each printed with its file:line:column; 70 internal error.',
  },
  probes: {
    summary: "print the reference probe set for a kernel, offsets from its BTF, as a shell script",
    usage: 'kinv probes [options]',
    options: {
      btf: { type: 'string', value: 'FILE', help: "the kernel's BTF (default /sys/kernel/btf/vmlinux: the running kernel)" },
      set: { type: 'string', value: 'ref|full', help: 'the reference set (default) or the full set with every rwsem variant' },
      arch: {
        type: 'string', value: 'x86_64|arm64|riscv64',
        help: "whose registers the probes read arguments from (default: the BTF's struct pt_regs tells; else this machine's for the running kernel)",
      },
      dir: { type: 'string', multiple: true, value: 'DIR', help: 'a directory whose i_rwsem to watch (repeatable); lock probes are filtered to these' },
      comm: {
        type: 'string', multiple: true, value: 'NAME',
        help: 'a command name to watch (repeatable, at most 15 bytes: the kernel cuts longer ones); lock returns and syscall exits are filtered to these',
      },
    },
    notes: 'Paste the output into bash or zsh as root, then: kinv_record COMMAND (trace-cmd) or kinv_perf_record COMMAND (perf).',
    exits: 'Exit codes: 0 the script was printed; 2 usage error, or the BTF unreadable; 3 offsets missing from the BTF or in doubt (no script printed);'
      + ' 70 internal error.',
  },
  examples: {
    summary: 'check the bundled traces against their expected verdicts',
    usage: 'kinv examples',
    options: {},
    exits: 'Exit codes: 0 every bundled trace gave exactly its expected verdicts; 1 one did not; 2 spec error; 70 internal error.',
  },
  sim: {
    summary: 'run the lookup-path model and print its trace as NDJSON',
    usage: 'kinv sim [options] > trace.ndjson',
    options: {
      ...protocol, scenario, ...randomShape,
      seed: { type: 'string', value: 'N', kind: 'int', help: 'seed of the random scenario and scheduler (default 1)' },
      replay: {
        type: 'string', value: 'CHOICES',
        help: 'replay a run from its comma-separated choices (with the scenario options that printed them: a list that does not fit the run is refused)',
      },
      out: { type: 'string', short: 'o', value: 'FILE', help: 'write the trace to FILE instead of standard output' },
      itf: {
        type: 'string', value: 'FILE', help: "also write the run as an ITF trace (the bundled spec's state after each event), for Apalache/Quint tooling",
      },
      'max-steps': { type: 'string', value: 'N', kind: 'int', help: 'stop after N steps (default 10000000)' },
    },
    exits: 'Exit codes: 0 the run was written (a deadlock or the step bound is reported on stderr); 2 usage error, or the output cannot be opened;'
      + ' 3 the output cannot be written; 70 internal error.',
  },
  explore: {
    summary: 'search every interleaving and fault of a small scenario against the spec',
    usage: 'kinv explore [options]',
    options: {
      ...protocol, scenario, ...randomShape,
      seed: { type: 'string', value: 'N', kind: 'int', help: 'seed of the random scenario (default 1)' },
      spec, param, format,
      'max-depth': { type: 'string', value: 'N', kind: 'int', help: 'depth bound (default 200)' },
      'max-states': { type: 'string', value: 'N', kind: 'int', help: 'distinct-state bound (default 500000)' },
      first: { type: 'boolean', help: 'stop at the first counterexample' },
      'no-por': { type: 'boolean', help: 'explore every interleaving of task-local steps too (no partial-order reduction): same verdicts, more states' },
      'exact-monitor': {
        type: 'boolean',
        help: 'tell monitor states apart exactly, not up to what the spec cannot tell apart (event numbers by rank, dead stores): same verdicts, more states',
      },
      'writer-spin': {
        type: 'boolean', help: 'writers may spin on the lock owner before queueing and take a free lock ahead of queued waiters (rwsem_optimistic_spin)',
      },
      out: { type: 'string', short: 'o', value: 'FILE', help: 'write the first counterexample trace to FILE as NDJSON' },
      itf: { type: 'string', value: 'FILE', help: "write the first counterexample as an ITF trace (the spec's state after each event)" },
      html: { type: 'string', value: 'FILE', help: 'write the first counterexample as a self-contained HTML timeline' },
    },
    exits: 'Exit codes: 0 no violation in any interleaving; 1 a counterexample; 2 usage or spec error; 3 unknown: the search was cut by'
      + ' --max-states or --max-depth before it found one (or a counterexample file cannot be written); 70 internal error.',
  },
  conform: {
    summary: 'is a trace a behaviour of the model? (TLA+-style trace validation)',
    usage: 'kinv conform --d-add-ci mainline|draft|fixed|auto [options] TRACE...',
    options: {
      'd-add-ci': {
        type: 'string', value: 'mainline|draft|fixed|auto', help: 'the shape of d_add_ci to hold the trace against (auto: every shape, each reported)',
      },
      order: { type: 'string', value: 'current|new', help: 'the lookup-path lock order (default current)' },
      from: { type: 'string', value: 'ndjson|ftrace|perf|auto', help: 'trace format (default auto: sniffed)' },
      spec, param, format,
      'max-states': {
        type: 'string', value: 'N', kind: 'int',
        help: 'candidate model states per directory, and in a task\'s internal steps between two of its events, before the verdict is unknown (default 10000)',
      },
      'max-diagnostics': { type: 'string', value: 'N', kind: 'int', help: 'input diagnostics shown per code before they are only counted (default 20)' },
      probes, functions,
      jobs: {
        type: 'string', short: 'j', value: 'N', kind: 'int',
        help: 'trace files conformed at once, one per worker thread (default: the cores, as long as each has 16 MB of trace text or more; 1: in this thread)',
      },
    },
    exits: 'Exit codes: 0 conforms (auto: to some shape); 1 does not (auto: to none); 2 usage or spec error; 3 cannot tell (unreadable, a gap, a bound);'
      + ' 70 internal error.',
  },
  fuzz: {
    summary: 'hunt spec violations with fast-check, each shrunk to a minimal story',
    usage: 'kinv fuzz [options]',
    options: {
      ...protocol,
      runs: { type: 'string', short: 'n', value: 'N', kind: 'int', help: 'runs in all, over every hunt (default 2000; 1 with --replay)' },
      seed: { type: 'string', value: 'N', kind: 'int', help: 'fast-check seed (default random, printed)' },
      tasks: { type: 'string', value: 'N', kind: 'int', help: 'at most N tasks per scenario (default 3)' },
      ops: { type: 'string', value: 'N', kind: 'int', help: 'at most N operations per task (default 2)' },
      only: { type: 'string', value: 'INV,...', help: 'count only these invariants' },
      exclude: { type: 'string', value: 'INV,...', help: 'do not count these invariants' },
      phase: { type: 'string', value: 'observed|predicted', help: 'start the hunt in this phase (observed violations, then predictions)' },
      replay: { type: 'string', value: 'PATH', help: 'replay one finding from its fast-check path (with its seed)' },
      'writer-spin': { type: 'boolean', help: 'writers may spin on the lock owner before queueing (rwsem_optimistic_spin)' },
      spec, param, format,
      out: { type: 'string', short: 'o', value: 'FILE', help: 'write the first finding\'s trace to FILE as NDJSON' },
      itf: { type: 'string', value: 'FILE', help: "write the first finding as an ITF trace (the spec's state after each event)" },
      html: { type: 'string', value: 'FILE', help: 'write the first finding as a self-contained HTML timeline' },
    },
    exits: 'Exit codes: 0 no finding in the runs made (not a proof: explore is); 1 a finding; 2 usage or spec error; 3 a finding file cannot be written;'
      + ' 70 internal error.',
  },
} satisfies Record<string, CommandSpec>;

/** By name, for lookups of what the user typed. */
export const COMMAND_SPECS: Readonly<Record<string, CommandSpec | undefined>> = COMMANDS;

/** Options every command takes (handled before the command runs). */
export const COMMON = [
  ['-h, --help', 'show this help'],
  ['-V, --version', 'print the version'],
  ['--color auto|always|never', 'colour the output (auto: on a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR forces it)'],
  ['--debug', 'show the stack of an internal error (also KINV_DEBUG=1)'],
] as const;

export const EXIT_CODES = 'Exit codes: 0 every invariant holds; 1 a violation; 2 usage or spec error;'
  + ' 3 nothing to judge (input unreadable, empty, or the verdict unknown); 70 internal error.';

function optionLine(name: string, o: OptionSpec): [string, string] {
  const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return [flag, o.help + (o.multiple ? '' : '')];
}

function table(rows: (readonly [string, string])[]): string {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n');
}

/** `kinv CMD --help`. */
export function commandHelp(name: string): string {
  const c = COMMAND_SPECS[name]!;
  const rows = Object.entries(c.options).map(([n, o]) => optionLine(n, o));
  const out = [`usage: ${c.usage}`, '', c.summary[0]!.toUpperCase() + c.summary.slice(1) + '.', ''];
  if (rows.length) out.push('Options:', table(rows), '');
  out.push('Common options:', table(COMMON.map(([a, b]) => [a.startsWith('--') ? `    ${a}` : a, b])), '');
  if (c.notes) out.push(c.notes, '');
  out.push(c.exits ?? EXIT_CODES);
  return out.join('\n');
}

/** `kinv --help`. */
export function mainHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: kinv COMMAND [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(w)}  ${c.summary}`),
    '',
    "'kinv COMMAND --help' lists a command's options.",
    '',
    'Common options:',
    table(COMMON.map(([a, b]) => [a.startsWith('--') ? `    ${a}` : a, b])),
    '',
    'Exit codes: 0 nothing found; 1 something found (a violation, a counterexample, a non-conformance); 2 usage or spec error;',
    '3 unknown (input unreadable or damaged, a bound reached); 70 internal error. Each command\'s --help says what they mean for it.',
  ].join('\n');
}
