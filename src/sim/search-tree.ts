/**
 * The tree a breadth-first search grows, kept for its paths only: per node, its parent, the task
 * whose step made it, whether partial-order reduction chose that step alone, and the step's own
 * choices. Held in typed arrays (the choices of the few steps that drew any aside), not as an
 * object per node: a search keeps every node it admitted until it ends, for the counterexamples'
 * paths, and objects by the hundred thousand were garbage-collector work at every full collection.
 */

/** One step of a path: which task, whether partial-order reduction chose it alone, its own choices. */
export interface PathStep { task: number; local: boolean; picks: number[] }

/** The picks of a step that drew no choice (most steps): one array for all. */
export const NO_PICKS: number[] = [];

export class SearchTree {
  private parents = new Int32Array(1 << 12);
  /** The task of each node's step, -1 at the root; ~task when partial-order reduction chose it alone. */
  private tasks = new Int32Array(1 << 12);
  /** The picks of nodes whose step drew a choice, by node. */
  private readonly picks = new Map<number, number[]>();
  size = 0;

  /** The root, node 0. */
  constructor() {
    this.add(-1, -1, false, NO_PICKS);
  }

  /** A new node, child of `parent` by a step of `task`; its number. */
  add(parent: number, task: number, local: boolean, picks: number[]): number {
    const id = this.size;
    if (id === this.parents.length) this.grow();
    this.parents[id] = parent;
    this.tasks[id] = local ? ~task : task;
    if (picks.length) this.picks.set(id, picks);
    this.size++;
    return id;
  }

  /** The steps from the root to `node`, and `extra` after them. */
  steps(node: number, extra?: PathStep): PathStep[] {
    const out: PathStep[] = [];
    for (let x = node; x > 0; x = this.parents[x]!) {
      const t = this.tasks[x]!;
      out.push({ task: t < 0 ? ~t : t, local: t < 0, picks: this.picks.get(x) ?? NO_PICKS });
    }
    out.reverse();
    if (extra) out.push(extra);
    return out;
  }

  private grow(): void {
    const parents = new Int32Array(this.parents.length * 2);
    parents.set(this.parents);
    this.parents = parents;
    const tasks = new Int32Array(this.tasks.length * 2);
    tasks.set(this.tasks);
    this.tasks = tasks;
  }
}
