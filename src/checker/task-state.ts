/**
 * The entries of a per-task store that name one task, found through the store's own indexes
 * (key position 0 always, other positions when indexed) instead of a scan of every entry: a
 * verdict or a gap about one task must not cost the size of every task's state.
 */
import type { Entry, KeyedStore } from '../monitor/store.js';

/** `positions`: key positions holding a task, -1 for a task-valued map. */
export function entriesNaming(store: KeyedStore, positions: readonly number[], pid: number): Entry[] {
  const found = new Set<Entry>();
  let scan = false;
  for (const p of positions) {
    if (p === 0 || (p > 0 && store.index[p] !== undefined)) for (const e of store.where(p, pid)) found.add(e);
    else scan = true;
  }
  if (scan) {
    store.forEachEntry((e) => {
      if (positions.some((p) => (p === -1 ? e.v : e.part(p)) === pid)) found.add(e);
      return true;
    });
  }
  return [...found];
}

/** Removes every entry naming `pid`. */
export function forgetTask(store: KeyedStore, positions: readonly number[], pid: number): void {
  for (const e of entriesNaming(store, positions, pid)) store.deleteEntry(e, undefined);
}
