/**
 * Where a capture's call or return records of a function begin or end while the other side's go on:
 * a probe turned on after tracing started, or off before it stopped (`echo 0 > events/kprobes/X/enable`
 * one probe after another). A call whose task ends its syscall with no return of it logged had
 * its return go unlogged; a return with no call before it in its task, its call. Where two or
 * more such orphans lie beyond the last (or before the first) record of the other side, that
 * side's probe was off there, and the model's steps of that kind are not shown there: a capture cannot hold a
 * model to what it did not record.
 */

/** The span of event indexes in which a kind of event (`ret d_add_ci`) counts as shown. */
export interface ShownSpan { from: number; to: number }

interface Side { first: number; last: number; orphans: number[] }

export class ProbeWindows {
  /** `ev fn` → where its events lie and where the other side's orphans do. */
  private readonly sides = new Map<string, Side>();
  /** pid → fn → the indexes of its calls not yet returned. */
  private readonly open = new Map<number, Map<string, number[]>>();

  private side(ev: 'call' | 'ret', fn: string): Side {
    const key = `${ev} ${fn}`;
    let s = this.sides.get(key);
    if (s === undefined) this.sides.set(key, s = { first: -1, last: -1, orphans: [] });
    return s;
  }

  call(pid: number, fn: string, index: number): void {
    const s = this.side('call', fn);
    if (s.first < 0) s.first = index;
    s.last = index;
    let mine = this.open.get(pid);
    if (mine === undefined) this.open.set(pid, mine = new Map());
    let calls = mine.get(fn);
    if (calls === undefined) mine.set(fn, calls = []);
    calls.push(index);
  }

  ret(pid: number, fn: string, index: number): void {
    const s = this.side('ret', fn);
    if (s.first < 0) s.first = index;
    s.last = index;
    const calls = this.open.get(pid)?.get(fn);
    // (a return with no call before it in its task: its call went unlogged, or came before the capture)
    if (calls === undefined || calls.length === 0) this.side('call', fn).orphans.push(index);
    else calls.pop();
  }

  /** The end of task `pid`'s syscall (or the task): every call it has open returned unlogged. */
  sync(pid: number): void {
    const mine = this.open.get(pid);
    if (mine === undefined) return;
    for (const [fn, calls] of mine) for (const i of calls) this.side('ret', fn).orphans.push(i);
    this.open.delete(pid);
  }

  /** A loss: what the tasks had open may have returned in it. */
  forget(pids: readonly number[] | undefined): void {
    if (pids === undefined) this.open.clear();
    else for (const p of pids) this.open.delete(p);
  }

  /**
   * `ev fn` → the span in which its events count as shown, for each kind whose records begin after
   * (or end before) orphans of the other side: a `call` kind against returns with no call, a `ret`
   * kind against calls whose return went unlogged.
   */
  spans(): Map<string, ShownSpan> {
    const out = new Map<string, ShownSpan>();
    for (const [key, s] of this.sides) {
      if (s.first < 0) continue;
      // (a side keeps the other's orphans that its own records should have matched: a call's
      // unlogged return is the ret side's, a return's unlogged call the call side's)
      const orphans = s.orphans;
      // (two or more: one lost record, a return dropped, is no probe turned on or off)
      const from = orphans.filter((i) => i < s.first).length >= 2 ? s.first : 0;
      const to = orphans.filter((i) => i > s.last).length >= 2 ? s.last : Number.MAX_SAFE_INTEGER;
      if (from > 0 || to < Number.MAX_SAFE_INTEGER) out.set(key, { from, to });
    }
    return out;
  }
}
