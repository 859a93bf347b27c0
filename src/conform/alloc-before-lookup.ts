/**
 * `__lookup_slow` calls `d_alloc_parallel` before the filesystem's `->lookup`, always (fs/namei.c,
 * 6.1 and 6.12): a `->lookup` a capture shows inside a `__lookup_slow` with no `d_alloc_parallel`
 * between them, where the capture does show `d_alloc_parallel`, is one whose allocation record the
 * capture's filter (by task, say) left out. The model's lookups begin with that allocation, so
 * where it is missing no verdict on the kernel can rest on an event no model state takes.
 */
export class AllocBeforeLookup {
  /** pid → its open `__lookup_slow` calls, innermost last: whether each has called d_alloc_parallel yet. */
  private readonly open = new Map<number, boolean[]>();
  /** How many ->lookup calls came without their allocation, and where the first did. */
  count = 0;
  first: string | undefined;

  lookupSlowCall(pid: number): void {
    let frames = this.open.get(pid);
    if (frames === undefined) this.open.set(pid, frames = []);
    frames.push(false);
  }

  lookupSlowReturn(pid: number): void {
    this.open.get(pid)?.pop();
  }

  allocation(pid: number): void {
    const frames = this.open.get(pid);
    if (frames !== undefined && frames.length > 0) frames[frames.length - 1] = true;
  }

  /** A ->lookup call of task `pid`, at `where` (file:line). */
  lookup(pid: number, where: string): void {
    const frames = this.open.get(pid);
    if (frames === undefined || frames.length === 0 || frames[frames.length - 1] === true) return;
    this.count++;
    this.first ??= where;
  }

  /** In words, or undefined when every ->lookup came after its allocation. */
  described(): string | undefined {
    if (this.count === 0) return undefined;
    const one = this.count === 1;
    return `${this.count} ->lookup ${one ? 'call' : 'calls'} inside __lookup_slow without the d_alloc_parallel before ${one ? 'it' : 'them'}, `
      + `the first at ${this.first!}`;
  }

  /** The task returned to user space, or a gap lost its history (every task when undefined). */
  forget(pid: number | undefined): void {
    if (pid === undefined) this.open.clear(); else this.open.delete(pid);
  }
}
