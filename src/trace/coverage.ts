/**
 * What a trace can show: which kernel functions a capture probes (entries and returns), and which
 * functions the traced kernel has at all. A spec asks through the builtins `unprobed(fns)` and
 * `unprobed_returns(fns)` so that an invariant can say *unknown* instead of *violated* where an
 * unprobed code path (a `down_read_killable` the probe set does not cover) could explain what the
 * trace shows. NDJSON traces and the simulator are complete by contract: nothing is unprobed.
 *
 * An ftrace capture's coverage comes from three places, each only ever adding knowledge:
 * the probe definitions the user hands over (`kprobe_events`), the functions seen in the
 * capture's own probe records (only those a mapping turns into events count: a probe nobody maps
 * shows nothing), and the kernel's list of functions (`available_filter_functions` or
 * `/proc/kallsyms`), which says which variants exist (lockdep-only ones do not, on most kernels).
 */
import type { ObservedFunctions } from '../values/observed.js';

/**
 * The rwsem API every kernel since 4.15 has. A function list without one of these is not the
 * kernel's whole list (a user's probe list, a filtered grep): they are taken as present anyway,
 * since calling a variant absent that the kernel has would turn an unprobed acquisition into a
 * false alarm.
 */
export const FUNCTIONS_EVERY_KERNEL_HAS = [
  'down_read', 'down_read_killable', 'down_read_trylock', 'up_read',
  'down_write', 'down_write_killable', 'down_write_trylock', 'up_write', 'downgrade_write',
];

export class ProbeCoverage implements ObservedFunctions {
  private readonly entries = new Set<string>();
  private readonly returns = new Set<string>();
  /** Functions the traced kernel has; undefined = not known, so any function may exist. */
  private present: Set<string> | undefined;
  private readonly cache = new Map<string, string>();
  /**
   * Lock ids (as 64-bit numbers) the whole capture shows taken but never released; undefined
   * when the capture was not read ahead (standard input, trace.dat).
   */
  private unreleased: Set<bigint> | undefined;

  /** Per mode (R, W): lock ids the whole capture shows taken in it and released only in the other. */
  private unreleasedIn: { R: Set<bigint>; W: Set<bigint> } | undefined;

  /** Per mode: tasks the whole capture shows taking locks in it and releasing none in it, where other tasks do. */
  private silentReleasers: { R: Set<number>; W: Set<number> } | undefined;

  /** The tasks a read-ahead of the whole capture found taking locks in `mode` and releasing none that way. */
  setTasksNeverReleasingIn(mode: 'R' | 'W', pids: Iterable<number>): void {
    this.silentReleasers ??= { R: new Set(), W: new Set() };
    for (const p of pids) this.silentReleasers[mode].add(p);
  }

  /** Where a mode's release records begin late or end early (KV334), in words; per mode, the tasks whose holds they leave open. */
  private readonly releaseEdges: string[] = [];
  private readonly edgeHolders = { R: new Set<number>(), W: new Set<number>() };

  /**
   * The read ahead found the capture's release records of `mode` beginning (`first`) or ending
   * (`last`) at `line` while holds of that mode were taken (KV334): when these tasks' holds end cannot be told.
   */
  setReleasesEdge(mode: 'R' | 'W', edge: 'first' | 'last', line: number, pids: Iterable<number>): void {
    this.releaseEdges.push(`no ${mode === 'R' ? 'up_read' : 'up_write'} record ${edge === 'first' ? 'before' : 'after'} line ${line}, `
      + `where holds ${edge === 'first' ? 'were' : 'go on being'} taken (KV334)`);
    for (const p of pids) this.edgeHolders[mode].add(p);
  }

  /**
   * Whether the capture shows this task taking locks in `mode` ("R" or "W") and, anywhere in it,
   * releasing none that way, where others do; or holding some past the end of that mode's release records.
   */
  neverReleasesIn(pid: number, mode: string): boolean {
    if (mode !== 'R' && mode !== 'W') return false;
    return this.silentReleasers?.[mode].has(pid) === true || this.edgeHolders[mode].has(pid);
  }

  /**
   * What the read ahead found filtered out of the capture, in words (KV327, KV329, KV330, KV331), or
   * undefined: a step a model cannot take may be one whose records the filter left out.
   */
  filteredRecords(): string | undefined {
    const said: string[] = [];
    const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
    if (this.unreleasedIn !== undefined) {
      if (this.unreleasedIn.R.size > 0) said.push(`${n(this.unreleasedIn.R.size, 'rwsem', 'rwsems')} taken shared and never released by up_read (KV327)`);
      if (this.unreleasedIn.W.size > 0) said.push(`${n(this.unreleasedIn.W.size, 'rwsem', 'rwsems')} taken exclusive and never released by up_write (KV327)`);
    }
    const silent = this.silentReleasers;
    if (silent !== undefined) {
      if (silent.R.size > 0) said.push(`${n(silent.R.size, 'task', 'tasks')} taking rwsems shared and releasing none by up_read (KV329)`);
      if (silent.W.size > 0) said.push(`${n(silent.W.size, 'task', 'tasks')} taking rwsems exclusive and releasing none by up_write (KV329)`);
    }
    said.push(...this.releaseEdges);
    if (this.hiddenDowngraders !== undefined && this.hiddenDowngraders.size > 0) {
      said.push(`${n(this.hiddenDowngraders.size, 'task', 'tasks')} releasing exclusive holds by up_read with no downgrade_write of their own (KV331)`);
    }
    if (this.silentEnders !== undefined && this.silentEnders.size > 0) {
      said.push(`${n(this.silentEnders.size, 'task', 'tasks')} making in-lookup dentries and ending none (KV330)`);
    }
    if (this.unloggedTakers !== undefined && this.unloggedTakers.size > 0) {
      said.push(`${n(this.unloggedTakers.size, 'task', 'tasks')} releasing rwsems they do not hold where acquisitions went unlogged (KV336)`);
    }
    return said.length === 0 ? undefined : said.join('; ');
  }

  /** Tasks the whole capture shows releasing exclusive holds by up_read with no downgrade of their own, where other tasks downgrade. */
  private hiddenDowngraders: Set<number> | undefined;

  /** The tasks a read-ahead of the whole capture found releasing exclusive holds by up_read, never downgrading, where others do. */
  setTasksNeverDowngrading(pids: Iterable<number>): void {
    this.hiddenDowngraders ??= new Set();
    for (const p of pids) this.hiddenDowngraders.add(p);
  }

  /** The tasks whose exclusive holds outlast the capture's downgrade_write records, or came before them (KV334). */
  private readonly edgeDowngraders = new Set<number>();

  /**
   * The read ahead found the capture's downgrade_write records beginning (`first`) or ending
   * (`last`) at `line` while exclusive holds were taken (KV334): when these tasks' exclusive holds
   * became shared cannot be told.
   */
  setDowngradesEdge(edge: 'first' | 'last', line: number, pids: Iterable<number>): void {
    this.releaseEdges.push(`no downgrade_write record ${edge === 'first' ? 'before' : 'after'} line ${line}, `
      + `where exclusive holds ${edge === 'first' ? 'were' : 'go on being'} taken (KV334)`);
    for (const p of pids) this.edgeDowngraders.add(p);
  }

  /**
   * Whether the capture shows this task releasing by up_read locks it took exclusive, and no
   * downgrade_write of its own, where others downgrade; or holding some exclusive past the end of
   * the downgrade_write records (or before their beginning).
   */
  neverDowngrades(pid: number): boolean {
    return (this.hiddenDowngraders !== undefined && this.hiddenDowngraders.has(pid)) || this.edgeDowngraders.has(pid);
  }

  /** Tasks whose acquisitions the whole capture shows going unlogged while their releases are logged (KV336). */
  private unloggedTakers: Set<number> | undefined;

  /** The tasks a read-ahead of the whole capture found releasing rwsems they do not hold where their acquisitions went unlogged. */
  setTasksWithUnloggedAcquisitions(pids: Iterable<number>): void {
    this.unloggedTakers ??= new Set();
    for (const p of pids) this.unloggedTakers.add(p);
  }

  acquisitionsUnlogged(pid: number): boolean {
    return this.unloggedTakers !== undefined && this.unloggedTakers.has(pid);
  }

  /** Tasks the whole capture shows making in-lookup dentries and ending no in-lookup state, where other tasks do. */
  private silentEnders: Set<number> | undefined;

  /** The tasks a read-ahead of the whole capture found making in-lookup dentries and ending none. */
  setTasksNeverEndingLookups(pids: Iterable<number>): void {
    this.silentEnders ??= new Set();
    for (const p of pids) this.silentEnders.add(p);
  }

  /** Whether the capture shows this task making in-lookup dentries and, anywhere in it, ending no in-lookup state, where others do. */
  neverEndsLookups(pid: number): boolean {
    return this.silentEnders !== undefined && this.silentEnders.has(pid);
  }

  /** The locks a read-ahead of the whole capture found taken in `mode` and released only in the other. */
  setUnreleasedIn(mode: 'R' | 'W', locks: Iterable<bigint>): void {
    this.unreleasedIn ??= { R: new Set(), W: new Set() };
    for (const l of locks) this.unreleasedIn[mode].add(l);
  }

  /** Whether the capture shows this lock taken in `mode` ("R" or "W") and released, anywhere in it, only in the other. */
  neverReleasedIn(lock: string, mode: string): boolean {
    if (this.unreleasedIn === undefined || (mode !== 'R' && mode !== 'W')) return false;
    const set = this.unreleasedIn[mode];
    if (set.size === 0) return false;
    const n = lockNumber(lock);
    return n !== undefined && set.has(n);
  }

  /** The locks a read-ahead of the whole capture found acquired and never released. */
  setUnreleased(locks: Iterable<bigint>): void {
    this.unreleased = new Set(locks);
  }

  /** Whether the capture shows acquisitions of this lock and, anywhere in it, no release. */
  neverReleased(lock: string): boolean {
    if (this.unreleased === undefined || this.unreleased.size === 0) return false;
    const n = lockNumber(lock);
    return n !== undefined && this.unreleased.has(n);
  }

  noteEntry(fn: string): void {
    if (this.entries.has(fn)) return;
    this.entries.add(fn);
    this.cache.clear();
  }

  noteReturn(fn: string): void {
    if (this.returns.has(fn)) return;
    this.returns.add(fn);
    this.cache.clear();
  }

  /**
   * The kernel's functions: those not listed do not exist there, so they need no probe. Returns
   * the functions every kernel has that the list lacks (taken as present all the same).
   */
  setPresent(fns: Iterable<string>): string[] {
    this.present ??= new Set();
    for (const f of fns) this.present.add(f);
    const lacking = FUNCTIONS_EVERY_KERNEL_HAS.filter((f) => !this.present!.has(f));
    for (const f of lacking) this.present.add(f);
    this.cache.clear();
    return lacking;
  }

  hasEntry(fn: string): boolean {
    return this.entries.has(fn);
  }

  /** The names of `list` (blank- or comma-separated) that may exist and whose entries are not probed, blank-separated. */
  unprobed(list: string): string {
    return this.missing('e' + list, list, (f) => this.entries.has(f));
  }

  /** The names of `list` that may exist and whose returns are not probed, blank-separated. */
  unprobedReturns(list: string): string {
    return this.missing('r' + list, list, (f) => this.returns.has(f));
  }

  /**
   * The names of `list` that may exist and whose entries or returns are not probed: a call whose
   * return comes without the entry's arguments (a kretprobe-only set) shows no more than no call.
   */
  unprobedCalls(list: string): string {
    return this.missing('c' + list, list, (f) => this.entries.has(f) && this.returns.has(f));
  }

  private missing(key: string, list: string, seen: (f: string) => boolean): string {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const out = splitNames(list).filter((f) => !seen(f) && (this.present === undefined || this.present.has(f))).join(' ');
    this.cache.set(key, out);
    return out;
  }
}

/** A lock id (hex, `0x` optional) as a number; undefined when it does not read as one. */
function lockNumber(lock: string): bigint | undefined {
  try { return BigInt(lock.startsWith('0x') ? lock : '0x' + lock); } catch { return undefined; }
}

function splitNames(list: string): string[] {
  return list.split(/[\s,]+/).filter((x) => x !== '');
}

/** One probe definition of a `kprobe_events` file: `p:[grp/]name sym[+off] args` or `r[N]:…`. */
export interface ProbeDefinition {
  kind: 'kprobe' | 'kretprobe';
  event: string;
  fn: string;
  line: number;
}

/**
 * Parses `kprobe_events` text (what `cat /sys/kernel/tracing/kprobe_events` prints, or the lines
 * written to it). Lines that are not probe definitions are returned as problems, with their line.
 */
export function parseProbeDefinitions(text: string): { probes: ProbeDefinition[]; problems: { line: number; text: string }[] } {
  const probes: ProbeDefinition[] = [];
  const problems: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([pr])(\d*):(?:([\w.-]+)\/)?([\w.-]+)\s+(?:([\w.-]+):)?([A-Za-z_][\w.]*)(?:\+(?:0x[0-9a-fA-F]+|\d+))?(?:\s|$)/.exec(line);
    if (!m) { problems.push({ line: i + 1, text: raw }); return; }
    probes.push({ kind: m[1] === 'p' ? 'kprobe' : 'kretprobe', event: m[4]!, fn: m[6]!, line: i + 1 });
  });
  return { probes, problems };
}

/**
 * The function names of an `available_filter_functions` file (`name [module]`, possibly with
 * an address column as in `available_filter_functions_addrs`) or of `/proc/kallsyms`
 * (`address type name [module]`).
 */
export function parseFunctionList(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split('\n')) {
    const parts = raw.trim().split(/\s+/);
    if (parts.length === 0 || parts[0] === '' || parts[0]!.startsWith('#')) continue;
    let name: string | undefined;
    if (parts.length >= 3 && /^[0-9a-fA-F]{8,16}$/.test(parts[0]!) && /^[a-zA-Z]$/.test(parts[1]!)) name = parts[2];
    else if (parts.length >= 2 && /^[0-9a-fA-F]{8,16}$/.test(parts[0]!)) name = parts[1];
    else name = parts[0];
    if (name !== undefined && /^[A-Za-z_][\w.]*$/.test(name)) out.add(name.replace(/\.(?:isra|constprop|part|cold)\.\d+$/, ''));
  }
  return out;
}
