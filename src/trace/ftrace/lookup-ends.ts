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
export class LookupEnds {
  /** Per task: each `dflags` value of its d_alloc_parallel returns since its last return to user space, and before it; with its first line. */
  private readonly sinceExit = new Map<number, Map<string, number>>();
  private readonly beforeExit = new Map<number, Map<string, number>>();
  private readonly enders = new Set<number>();

  /** A d_alloc_parallel return of task `pid` at line `line`, with its `dflags` as printed. */
  allocation(pid: number, line: number, dflags: string | undefined): void {
    if (pid < 0 || dflags === undefined || this.enders.has(pid)) return;
    let m = this.sinceExit.get(pid);
    if (m === undefined) this.sinceExit.set(pid, m = new Map());
    if (!m.has(dflags)) m.set(dflags, line);
  }

  /** An __d_lookup_unhash (or its _wake caller) of task `pid`. */
  end(pid: number): void {
    if (pid < 0 || this.enders.has(pid)) return;
    this.enders.add(pid);
    this.sinceExit.delete(pid);
    this.beforeExit.delete(pid);
  }

  /** A return of task `pid` to user space. */
  returnToUser(pid: number): void {
    const since = this.sinceExit.get(pid);
    if (since === undefined) return;
    let before = this.beforeExit.get(pid);
    if (before === undefined) this.beforeExit.set(pid, before = new Map());
    for (const [f, line] of since) if (!before.has(f)) before.set(f, line);
    this.sinceExit.delete(pid);
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
        const v = Number.parseInt(f.startsWith('0x') ? f.slice(2) : f, 16);
        if (Number.isFinite(v) && (v & parLookupBit) !== 0 && (first === undefined || line < first)) first = line;
      }
      if (first !== undefined) out.set(pid, first);
    }
    return out;
  }
}
