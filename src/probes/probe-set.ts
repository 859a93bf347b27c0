/**
 * The reference probe set for one kernel, as a shell script to paste: the probe lines of
 * scripts/capture/probes.txt (or probes-full.txt) with the struct offsets of that kernel filled
 * in, the learning of each watched directory's `i_rwsem` address, and functions that record with
 * the filters the capture guest uses (scripts/capture/guest/init): lock probes by `sem` address,
 * the return probes of lock functions and the syscall exits by command name.
 */
import type { Btf } from './btf.js';

/** The struct members the probe lines and filters need, by placeholder. */
export const MEMBERS = {
  I_RWSEM: ['inode', 'i_rwsem'],
  QSTR_LEN: ['qstr', 'len'],
  QSTR_NAME: ['qstr', 'name'],
  D_FLAGS: ['dentry', 'd_flags'],
  D_PARENT: ['dentry', 'd_parent'],
  D_NAME_NAME: ['dentry', 'd_name.name'],
  D_INODE: ['dentry', 'd_inode'],
  ND_DENTRY: ['nameidata', 'path.dentry'],
  ND_LAST_NAME: ['nameidata', 'last.name'],
  ND_LAST_LEN: ['nameidata', 'last.len'],
} as const satisfies Record<string, readonly [string, string]>;

export type Placeholder = keyof typeof MEMBERS;
export type Offsets = Partial<Record<Placeholder, number>>;

/** Placeholders without which no probe set can be made (the `ND_` ones only drop the lines that use them). */
const REQUIRED: readonly Placeholder[] = ['I_RWSEM', 'QSTR_LEN', 'QSTR_NAME', 'D_FLAGS', 'D_PARENT', 'D_NAME_NAME', 'D_INODE'];

export function offsetsFrom(btf: Btf): { offsets: Offsets; missing: Placeholder[] } {
  const offsets: Offsets = {};
  for (const [k, [s, m]] of Object.entries(MEMBERS) as [Placeholder, readonly [string, string]][]) {
    const o = btf.offsetOf(s, m);
    if (o !== undefined) offsets[k] = o;
  }
  return { offsets, missing: REQUIRED.filter((k) => offsets[k] === undefined) };
}

/**
 * The architectures the probe set can be written for, with the kprobe names of the registers that
 * hold a function's first six arguments (the template is written with x86_64's: `%di`, `%si`,
 * `%dx`...). kprobe_events names registers as the architecture's `regs_query_register_offset` does.
 */
export const ARCHES = {
  x86_64: ['%di', '%si', '%dx', '%cx', '%r8', '%r9'],
  arm64: ['%x0', '%x1', '%x2', '%x3', '%x4', '%x5'],
  riscv64: ['%a0', '%a1', '%a2', '%a3', '%a4', '%a5'],
} as const;
export type Arch = keyof typeof ARCHES;

/** The architecture of a kernel's BTF, told by the members of its `struct pt_regs`; undefined when it has none. */
export function archOf(btf: Btf): Arch | undefined {
  if (btf.offsetOf('pt_regs', 'di') !== undefined) return 'x86_64';
  if (btf.offsetOf('pt_regs', 'pstate') !== undefined) return 'arm64';
  if (btf.offsetOf('pt_regs', 'epc') !== undefined && btf.offsetOf('pt_regs', 'a0') !== undefined) return 'riscv64';
  return undefined;
}

/** A probe line of the template with its argument registers those of `arch`. */
function withRegisters(text: string, arch: Arch): string {
  if (arch === 'x86_64') return text;
  const to = ARCHES[arch];
  return text.replace(/%(di|si|dx|cx|r8|r9)\b/g, (_, r: string) => to[ARCHES.x86_64.indexOf(`%${r}` as '%di')]!);
}

/** One probe definition of the template, with its offsets filled in. */
export interface ProbeLine {
  kind: 'p' | 'r';
  event: string;
  fn: string;
  /** The whole `kprobe_events` line. */
  text: string;
  /** Installed only when the line before it failed (`|` in the template). */
  alternative: boolean;
  /** An entry probe that fetches `sem`: filtered by the watched locks. */
  sem: boolean;
}

/** The template's probe lines with offsets filled in; lines whose offsets are unknown are returned apart. */
export function fillTemplate(template: string, offsets: Offsets, arch: Arch = 'x86_64'): { lines: ProbeLine[]; dropped: string[] } {
  const lines: ProbeLine[] = [];
  const dropped: string[] = [];
  for (const raw of template.split('\n')) {
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    const alternative = t.startsWith('|');
    const body = alternative ? t.slice(1) : t;
    let unknown = false;
    const text = withRegisters(body.replace(/\{([A-Z_]+)\}/g, (_, k: string) => {
      const v = offsets[k as Placeholder];
      if (v === undefined) { unknown = true; return `{${k}}`; }
      return String(v);
    }), arch);
    if (unknown) { dropped.push(body); continue; }
    const m = /^([pr])\d*:(?:[\w.-]+\/)?([\w.-]+)\s+([\w.]+)/.exec(text);
    if (m === null) continue;
    lines.push({ kind: m[1] as 'p' | 'r', event: m[2]!, fn: m[3]!, text, alternative, sem: m[1] === 'p' && /\ssem=/.test(text) });
  }
  return { lines, dropped };
}

export interface ScriptOptions {
  btfSource: string;
  setName: string;
  offsets: Offsets;
  lines: ProbeLine[];
  dropped: string[];
  dirs: string[];
  comms: string[];
  /** What pahole said about the same offsets. */
  crossCheck: string;
  /** Which architecture's registers the probe lines name, and how it was known (none: x86_64's, told by the BTF). */
  archNote?: string | undefined;
}

/** Single-quoted for the shell. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The script (bash or zsh: it uses arrays). */
export function renderScript(o: ScriptOptions): string {
  const out: string[] = [];
  const off = (Object.keys(MEMBERS) as Placeholder[]).filter((k) => o.offsets[k] !== undefined).map((k) => `${MEMBERS[k][0]}.${MEMBERS[k][1]}=${o.offsets[k]}`);
  out.push(
    `# kinv probes: the ${o.setName} probe set for this kernel, struct offsets from ${o.btfSource}:`,
    `#   ${off.join(' ')}`,
    `#   ${o.crossCheck}`,
    ...(o.archNote !== undefined ? [`#   ${o.archNote}`] : []),
    '# Paste into bash or zsh as root (or run with: kinv probes ... > p.sh; . ./p.sh). It adds the probes to',
    '# kprobe_events, learns the i_rwsem address of each directory to watch, and defines kinv_record',
    '# (trace-cmd) and kinv_perf_record (perf) to record a command with the filters, and kinv_probes_off.',
  );
  for (const d of o.dropped) out.push(`# left out (its offsets are not in this BTF): ${d}`);
  out.push(
    'T=${KINV_TRACEFS:-/sys/kernel/tracing}',
    '[ -e "$T/kprobe_events" ] || T=/sys/kernel/debug/tracing',
    `KINV_I_RWSEM=${o.offsets.I_RWSEM}`,
    'KINV_EVENTS=()',
    'kinv_add() { # a probe line; one the kernel rejects (a function it lacks) is reported and left out',
    '  if echo "$2" >> "$T/kprobe_events" 2>/dev/null; then KINV_EVENTS+=("$1"); return 0; fi',
    '  echo "kinv: not probed (the kernel rejected it): $2" >&2; return 1',
    '}',
  );
  for (let i = 0; i < o.lines.length; i++) {
    const l = o.lines[i]!;
    const next = o.lines[i + 1];
    const call = `kinv_add ${l.event} ${shq(l.text)}`;
    if (l.alternative) continue;
    out.push(next?.alternative ? `${call} || kinv_add ${next.event} ${shq(next.text)}` : call);
  }
  const semEvents = o.lines.filter((l) => l.sem).map((l) => l.event);
  const semFns = new Set(o.lines.filter((l) => l.sem).map((l) => l.fn));
  const commEvents = o.lines.filter((l) => l.kind === 'r' && semFns.has(l.fn)).map((l) => l.event);
  out.push(
    `KINV_DIRS=(${o.dirs.map(shq).join(' ')})`,
    'KINV_SEM_FILTER=',
    'for d in "${KINV_DIRS[@]}"; do # a lookup of a name the directory lacks goes through __lookup_slow: its dinode',
    '  n=kinv-learn-$$-$RANDOM',
    '  echo 0 > "$T/tracing_on"; : > "$T/trace"; echo 1 > "$T/events/kprobes/lkslow/enable"; echo 1 > "$T/tracing_on"',
    '  [ -e "$d/$n" ]',
    '  echo 0 > "$T/tracing_on"; echo 0 > "$T/events/kprobes/lkslow/enable"',
    '  di=$(grep "name=\\"$n\\"" "$T/trace" | head -n 1 | sed -n \'s/.*dinode=\\(0x[0-9a-f]*\\).*/\\1/p\')',
    '  if [ -z "$di" ]; then echo "kinv: no slow lookup seen in $d (is it a directory?)" >&2; continue; fi',
    '  KINV_SEM_FILTER="$KINV_SEM_FILTER${KINV_SEM_FILTER:+ || }sem == $(printf \'0x%x\' $((di + KINV_I_RWSEM)))"',
    'done',
    ': > "$T/trace"; echo 1 > "$T/tracing_on"',
    `KINV_COMM_FILTER=${shq(o.comms.map((c) => `comm == "${c}"`).join(' || '))}`,
    `KINV_SEM_EVENTS=(${semEvents.join(' ')})`,
    `KINV_COMM_EVENTS=(${commEvents.join(' ')})`,
    'kinv_filter_of() { # the filter of a probe event: lock probes by sem, lock returns by comm',
    '  local e',
    '  for e in "${KINV_SEM_EVENTS[@]}"; do [ "$e" = "$1" ] && { echo "$KINV_SEM_FILTER"; return; }; done',
    '  for e in "${KINV_COMM_EVENTS[@]}"; do [ "$e" = "$1" ] && { echo "$KINV_COMM_FILTER"; return; }; done',
    '}',
    'kinv_args() { # $1: the filter option (-f for trace-cmd, --filter for perf)',
    '  local e f',
    '  KINV_ARGS=()',
    '  for e in "${KINV_EVENTS[@]}"; do',
    '    KINV_ARGS+=(-e "kprobes:$e"); f=$(kinv_filter_of "$e"); [ -n "$f" ] && KINV_ARGS+=("$1" "$f")',
    '  done',
    '  KINV_ARGS+=(-e raw_syscalls:sys_exit); [ -n "$KINV_COMM_FILTER" ] && KINV_ARGS+=("$1" "$KINV_COMM_FILTER")',
    '  KINV_ARGS+=(-e sched:sched_process_exit)',
    '}',
    'kinv_record() { kinv_args -f; trace-cmd record "${KINV_ARGS[@]}" "$@"; } # then: kinv check trace.dat',
    'kinv_perf_record() { kinv_args --filter; perf record -a "${KINV_ARGS[@]}" "$@"; } # then: perf script > t.txt; kinv check t.txt',
    'kinv_probes_off() { local e; for e in "${KINV_EVENTS[@]}"; do echo "-:kprobes/$e" >> "$T/kprobe_events"; done; KINV_EVENTS=(); }',
    'echo "kinv: ${#KINV_EVENTS[@]} probes; watching: ${KINV_SEM_FILTER:-every rwsem (no directory learned)}" >&2',
  );
  return out.join('\n') + '\n';
}
