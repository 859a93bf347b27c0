/**
 * The tasks a whole capture shows making in-lookup dentries with d_alloc_parallel, returning to
 * user space after, and ending no in-lookup state anywhere (no `__d_lookup_unhash` or
 * `__d_lookup_unhash_wake` record of theirs), where other tasks do: the unhash probes are filtered
 * to other tasks (a pid or comm filter on them and not on d_alloc_parallel), so when such a task's
 * in-lookup states end cannot be told. A task that leaks every in-lookup dentry it makes, and ends
 * none, reads the same. Whether a return made an in-lookup dentry is read off its `dflags` with
 * the DCACHE_PAR_LOOKUP bit, known only once the whole capture is read (infer.ts): the `dflags`
 * values are kept per task until then (a handful of distinct values each).
 */
import { printedFlags } from './address.js';

export class LookupEnds {
  /** Per task: each `dflags` value of its d_alloc_parallel returns since its last return to user space, and before it; with its first line. */
  private readonly sinceExit = new Map<number, Map<string, number>>();
  private readonly beforeExit = new Map<number, Map<string, number>>();
  private readonly enders = new Set<number>();
  /**
   * Per dentry (its address as printed): the task that made it in a d_alloc_parallel return, with
   * its `dflags` and line, until an end of it; per task, the dentries so made and not ended; the
   * (pid, dflags, line) of each not ended when its task returned from the lookup.
   */
  private readonly madeBy = new Map<string, number>();
  private readonly openOf = new Map<number, Map<string, [string, number]>>();
  /** Per task and function: the dentry d_alloc_parallel last returned to that function (`pid function` → dentry). */
  private readonly latestMade = new Map<string, string>();
  /**
   * Per task: the in-lookup dentry its ->lookup just returned with, due to end before the task's
   * next lookup step (both callers of ->lookup on a d_alloc_parallel dentry, __lookup_slow and
   * lookup_open, call d_lookup_done right after it returns).
   */
  private readonly due = new Map<number, string>();
  private readonly unended: [number, string, number][] = [];
  /**
   * The d_alloc_parallel returns (pid, dflags, line) before the first end naming a dentry, and
   * since the latest: where the end probe was off (unendedAtReturn), their ends cannot show.
   */
  private readonly beforeFirstEnd: [number, string, number][] = [];
  private sinceLastEnd: [number, string, number][] = [];
  /** Whether the capture shows any end naming its dentry (a __d_lookup_unhash record): else its ends are not probed, not off for a while. */
  private dentryEnds = false;
  /** The line of the latest end naming its dentry (0 before the first). */
  private lastEndLine = 0;
  /** Per task: the lines of its __lookup_slow calls not yet returned (an overlay's lookup nests a layer's). */
  private readonly slowCalls = new Map<number, number[]>();

  /**
   * A d_alloc_parallel return of task `pid` at line `line`, with its `dflags` as printed, to
   * function `caller` (where its return site names one).
   */
  allocation(pid: number, line: number, printed: string | undefined, dentry?: string, caller?: string): void {
    this.settleDue(pid);
    // (kept as hex, which inLookup reads: a `:u32` fetch prints decimal, address.ts)
    const flags = printedFlags(printed, dentry);
    const dflags = flags === undefined ? printed : '0x' + flags.toString(16);
    if (pid >= 0 && dflags !== undefined && dentry !== undefined) {
      const was = this.madeBy.get(dentry);
      if (was !== undefined) {
        // (made again, the dentry had been freed, its in-lookup state ended first: where no end
        // record at all came since it was made, that end went unlogged with the others')
        const made = this.openOf.get(was)?.get(dentry);
        if (made !== undefined && made[1] > this.lastEndLine) this.unended.push([was, made[0], made[1]]);
        this.openOf.get(was)?.delete(dentry);
      }
      this.madeBy.set(dentry, pid);
      let open = this.openOf.get(pid);
      if (open === undefined) this.openOf.set(pid, open = new Map());
      open.set(dentry, [dflags, line]);
      (this.dentryEnds ? this.sinceLastEnd : this.beforeFirstEnd).push([pid, dflags, line]);
      if (caller !== undefined) this.latestMade.set(`${pid} ${caller}`, dentry);
    }
    if (pid < 0 || dflags === undefined || this.enders.has(pid)) return;
    let m = this.sinceExit.get(pid);
    if (m === undefined) this.sinceExit.set(pid, m = new Map());
    if (!m.has(dflags)) m.set(dflags, line);
  }

  /** An __d_lookup_unhash (or its _wake caller) of task `pid`, at line `line`. */
  end(pid: number, line: number, dentry?: string): void {
    if (dentry !== undefined) {
      this.dentryEnds = true;
      this.lastEndLine = line;
      this.sinceLastEnd = [];
      const by = this.madeBy.get(dentry);
      if (by !== undefined) { this.madeBy.delete(dentry); this.openOf.get(by)?.delete(dentry); }
    }
    if (pid < 0 || this.enders.has(pid)) return;
    this.enders.add(pid);
    this.sinceExit.delete(pid);
    this.beforeExit.delete(pid);
  }

  /**
   * A filesystem's ->lookup returning to function `caller` in task `pid`: the dentry the task's
   * latest d_alloc_parallel returned to the same function is the one it looked up (a ->lookup
   * called elsewhere, on a dentry d_alloc made or from an ->atomic_open, returns to another
   * function). Still open, it is due to end at once; ended (d_splice_alias ends it inside ->lookup),
   * nothing is due: an outer lookup's dentry is not this one's.
   */
  methodReturned(pid: number, caller: string | undefined): void {
    this.settleDue(pid);
    if (caller === undefined) return;
    const dentry = this.latestMade.get(`${pid} ${caller}`);
    if (dentry !== undefined && this.openOf.get(pid)?.has(dentry)) this.due.set(pid, dentry);
  }

  /** The task's due dentry, at its next lookup step: not ended by then, its end was not logged. */
  private settleDue(pid: number): void {
    const dentry = this.due.get(pid);
    if (dentry === undefined) return;
    this.due.delete(pid);
    const open = this.openOf.get(pid);
    const made = open?.get(dentry);
    if (made === undefined) return;
    this.unended.push([pid, made[0], made[1]]);
    this.madeBy.delete(dentry);
    open!.delete(dentry);
  }

  /** A __lookup_slow call of task `pid` at line `line`. */
  lookupCalled(pid: number, line: number): void {
    this.settleDue(pid);
    let calls = this.slowCalls.get(pid);
    if (calls === undefined) this.slowCalls.set(pid, calls = []);
    calls.push(line);
  }

  /** A return of task `pid` to user space. */
  returnToUser(pid: number): void {
    this.lookupReturned(pid);
    const since = this.sinceExit.get(pid);
    if (since === undefined) return;
    let before = this.beforeExit.get(pid);
    if (before === undefined) this.beforeExit.set(pid, before = new Map());
    for (const [f, line] of since) if (!before.has(f)) before.set(f, line);
    this.sinceExit.delete(pid);
  }

  /**
   * A return of task `pid` from __lookup_slow (or to user space): every in-lookup dentry it made
   * before has been ended (__lookup_slow ends its own with d_lookup_done before it returns, and no
   * other lookup of the task's can be open around it).
   */
  lookupReturned(pid: number, fromSlowLookup = false): void {
    this.settleDue(pid);
    // (a __lookup_slow returns having ended what it made; an outer lookup's dentry is due when that one returns)
    const calls = this.slowCalls.get(pid);
    // (a return whose call the capture does not show ends what the task has open)
    const since = fromSlowLookup ? calls?.pop() : undefined;
    if (!fromSlowLookup) this.slowCalls.delete(pid);
    const open = this.openOf.get(pid);
    if (open !== undefined && open.size > 0) {
      for (const [dentry, [f, line]] of open) {
        if (since !== undefined && line < since) continue;
        this.unended.push([pid, f, line]);
        this.madeBy.delete(dentry);
        open.delete(dentry);
      }
    }
  }

  /**
   * In-lookup dentries whose lookup returned with no end of them logged, or that d_alloc_parallel
   * made again with none logged anywhere since they were made, two or more: the end
   * probes were off for part of the capture or for some of their callers (`__d_lookup_unhash`
   * turned off, `__d_lookup_unhash_wake` still on). Then the tasks that made one (pid → the line
   * of the first): the in-lookup rules do not follow their in-lookup dentries.
   */
  unendedAtReturn(parLookupBit: number): { count: number; first: [number, number]; tasks: Map<number, number> } | undefined {
    const tasks = new Map<number, number>();
    let count = 0;
    for (const [pid, f, line] of this.unended) {
      if (!inLookup(f, parLookupBit)) continue;
      count++;
      if (!tasks.has(pid)) tasks.set(pid, line);
    }
    if (count < 2 || !this.dentryEnds) return undefined;
    const first = [...tasks].reduce((a, b) => (b[1] < a[1] ? b : a));
    // (the end probe was off for part of the capture: so are the tasks that made in-lookup
    // dentries before its first record or after its last, whose ends could not show)
    for (const [pid, f, line] of [...this.beforeFirstEnd, ...this.sinceLastEnd]) {
      if (inLookup(f, parLookupBit) && !tasks.has(pid)) tasks.set(pid, line);
    }
    return { count, first, tasks };
  }

  /**
   * pid → the line of its first return of an in-lookup dentry (`dflags` with `parLookupBit`), for
   * each such task that returned to user space after one and ends none; empty where no task ends one.
   */
  silentTasks(parLookupBit: number): Map<number, number> {
    const out = new Map<number, number>();
    if (this.enders.size === 0) return out;
    for (const [pid, flags] of this.beforeExit) {
      let first: number | undefined;
      for (const [f, line] of flags) {
        if (inLookup(f, parLookupBit) && (first === undefined || line < first)) first = line;
      }
      if (first !== undefined) out.set(pid, first);
    }
    return out;
  }
}

/** Whether a `dflags` value as printed has the DCACHE_PAR_LOOKUP bit: the dentry is in lookup. */
function inLookup(dflags: string, parLookupBit: number): boolean {
  const v = Number.parseInt(dflags.startsWith('0x') ? dflags.slice(2) : dflags, 16);
  return Number.isFinite(v) && (v & parLookupBit) !== 0;
}
