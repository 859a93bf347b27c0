/**
 * Exclusive holds under which their task looks names up through `__lookup_slow`: `lookup_one`
 * under its caller's lock (overlayfs's whiteouts and copy-up in its work directory under
 * lock_rename, nfsd, cachefiles). The model has no such step: its exclusive holds reach
 * `__lookup_slow` only through lookup_slow's shared hold, and its W sessions allocate with
 * lookup_open or lookup_one_qstr_excl. What such a hold does between taking and releasing the lock
 * is not judged; its lock events are, so the model holds the directory exclusive as long (a hold
 * session) and other tasks are judged against it.
 */
import type { Obs } from './project.js';

interface Hold {
  /** The task's steps on the directory since its exclusive request. */
  steps: Obs[];
  held: boolean;
  /** Whether the task looked a name up in the directory while holding it. */
  lookups: boolean;
  /** Priming holds only: the task called ->lookup, d_add_ci or __lookup_slow under it, which a readdir does not. */
  looksUp?: boolean;
}

/**
 * Holds of a directory's lock by a task, per task and directory, whose steps between their lock
 * events are not judged when the hold turns out to be of a kind the model has not (`unjudgedWhole`).
 */
abstract class TaskDirHolds {
  /** pid → directory → its open hold (requested or taken). */
  protected readonly open = new Map<number, Map<string, Hold>>();
  /** The steps of such holds between their lock events: not judged. */
  readonly unjudged = new Set<Obs>();

  /** Whether a hold that ends is one the model has not, so that its steps between its lock events are not judged. */
  protected abstract unjudgedWhole(h: Hold): boolean;

  /** The task's syscall ended (or the trace did, every task's when undefined): its holds end as they are. */
  endAll(pid: number | undefined): void {
    for (const [p, dirs] of this.open) {
      if (pid !== undefined && p !== pid) continue;
      for (const dir of [...dirs.keys()]) this.end(p, dir);
    }
  }

  /** Forgets the holds of `pid` (every task's when undefined) without judging them either way: a gap. */
  forget(pid: number | undefined): void {
    if (pid === undefined) this.open.clear(); else this.open.delete(pid);
  }

  protected end(pid: number, dir: string): void {
    const mine = this.open.get(pid);
    const h = mine?.get(dir);
    if (h !== undefined && this.unjudgedWhole(h)) for (const s of h.steps) if (s.ev !== 'acq_req' && s.ev !== 'acq' && s.ev !== 'rel') this.unjudged.add(s);
    mine?.delete(dir);
    if (mine?.size === 0) this.open.delete(pid);
  }
}

export class LookupOneHolds extends TaskDirHolds {
  protected unjudgedWhole(h: Hold): boolean {
    return h.lookups;
  }

  /** A `__lookup_slow` of a known task in directory `dir`. */
  lookupSlow(pid: number, dir: string): void {
    const h = this.open.get(pid)?.get(dir);
    if (h?.held === true) h.lookups = true;
  }

  /** A judged step of task `pid` on directory `dir` (its raw id). */
  step(pid: number, dir: string, obs: Obs): void {
    const ev = obs.ev;
    let mine = this.open.get(pid);
    const hold = mine?.get(dir);
    if ((ev === 'acq_req' || (ev === 'acq' && hold === undefined)) && obs.mode === 'W') {
      if (hold !== undefined) this.end(pid, dir);
      if (mine === undefined) this.open.set(pid, mine = new Map());
      mine.set(dir, { steps: [obs], held: ev === 'acq', lookups: false });
      return;
    }
    if (hold === undefined) return;
    // (a shared request after an exclusive one: that one failed, a trylock)
    if ((ev === 'acq_req' || ev === 'acq') && obs.mode !== 'W') { this.end(pid, dir); return; }
    hold.steps.push(obs);
    if (ev === 'acq') hold.held = true;
    if (ev === 'rel') this.end(pid, dir);
  }
}

/**
 * Shared holds taken by a killable acquisition (iterate_dir's down_read_killable: a readdir) under
 * which their task calls d_alloc_parallel: a readdir that primes the dcache with the entries it
 * reads, each an in-lookup dentry ended by d_splice_alias or d_lookup_done under the readdir's
 * hold (FUSE's readdirplus, fuse_direntplus_link; NFS's nfs_prime_dcache; procfs's
 * proc_fill_cache). The model's readdir is a hold that allocates nothing. What such a hold does
 * between taking and releasing the lock is not judged; its lock events are. A killable shared hold
 * under which the task calls ->lookup, d_add_ci or __lookup_slow is a lookup, not a readdir
 * (lookup_slow_killable in later kernels): it is judged whole.
 */
export class PrimingReaddirHolds extends TaskDirHolds {
  protected unjudgedWhole(h: Hold): boolean {
    return h.lookups && h.looksUp !== true;
  }

  /** A judged step of task `pid` on directory `dir` (its raw id); `kind` is an acquisition request's kind. */
  step(pid: number, dir: string, obs: Obs, kind: unknown): void {
    const ev = obs.ev;
    let mine = this.open.get(pid);
    const hold = mine?.get(dir);
    if (ev === 'acq_req') {
      if (hold !== undefined) this.end(pid, dir);
      if (obs.mode !== 'R' || kind !== 'killable') return;
      if (mine === undefined) this.open.set(pid, mine = new Map());
      mine.set(dir, { steps: [obs], held: false, lookups: false });
      return;
    }
    if (hold === undefined) return;
    hold.steps.push(obs);
    if (ev === 'acq') hold.held = true;
    else if (ev === 'rel') this.end(pid, dir);
    else if (hold.held && ev === 'call' && obs.fn === 'd_alloc_parallel') hold.lookups = true;
    else if (ev === 'call' && (obs.fn === 'lookup' || obs.fn === 'd_add_ci')) hold.looksUp = true;
  }

  /** Task `pid` called __lookup_slow on directory `dir` (its raw id): a hold of it is a lookup's, not a readdir's. */
  lookupSlow(pid: number, dir: string): void {
    const hold = this.open.get(pid)?.get(dir);
    if (hold !== undefined) hold.looksUp = true;
  }
}
