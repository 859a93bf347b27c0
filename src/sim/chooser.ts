/**
 * The simulator's single source of nondeterminism. Every scheduling and fault decision goes
 * through `choose(n, why)`, so a run is fully described by its list of choices: a seeded chooser
 * draws them (kinv sim), a list chooser replays them (replay, fast-check, exploration).
 */
export interface Chooser {
  /** A number in [0, n); `why` names the decision (for replay logs and fault rates). */
  choose(n: number, why: string): number;
}

/** A decision as it was taken: how many options there were, and which was chosen. */
export interface Choice {
  n: number;
  pick: number;
  why: string;
}

/** Small fast PRNG (mulberry32); its whole state is one 32-bit number. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws uniformly, except for two-way fault decisions named in `rates`, which pick 1 with the
 * given probability (e.g. `{ 'alloc-fail': 0.05 }`).
 */
export function seededChooser(seed: number, rates: Record<string, number> = {}): Chooser {
  const rand = prng(seed);
  return {
    choose(n, why) {
      if (n <= 1) return 0;
      const rate = rates[why];
      if (rate !== undefined && n === 2) return rand() < rate ? 1 : 0;
      return Math.floor(rand() * n);
    },
  };
}

/** Replays a list of picks (each taken modulo its n); 0 once the list runs out. */
export function listChooser(picks: readonly number[]): Chooser {
  let i = 0;
  return {
    choose(n) {
      if (n <= 1) return 0;
      const p = i < picks.length ? picks[i]! : 0;
      i++;
      return ((p % n) + n) % n;
    },
  };
}

/** A replayed pick out of its decision's range (see `exactListChooser`). */
export class ReplayMismatch extends Error {
  constructor(readonly index: number, readonly pick: number, readonly n: number, readonly why: string) {
    super(`choice ${index + 1} is ${pick}, but that decision (${why}) has ${n} options, 0 to ${n - 1}`);
  }
}

/**
 * Replays a list of picks as `listChooser` does, except that a pick out of its decision's range
 * throws `ReplayMismatch`: a list a user gives back (`kinv sim --replay`) that does not fit the
 * run is another scenario's, and taken modulo it would replay some other run without a word.
 * `used` counts the picks taken.
 */
export function exactListChooser(picks: readonly number[]): Chooser & { readonly used: number } {
  let i = 0;
  return {
    get used() { return Math.min(i, picks.length); },
    choose(n, why) {
      if (n <= 1) return 0;
      const p = i < picks.length ? picks[i]! : 0;
      if (p >= n) throw new ReplayMismatch(i, p, n, why);
      i++;
      return p;
    },
  };
}

/** Wraps a chooser and records every decision with more than one option. */
export function recording(inner: Chooser): Chooser & { readonly log: Choice[] } {
  const log: Choice[] = [];
  return {
    log,
    choose(n, why) {
      const pick = inner.choose(n, why);
      if (n > 1) log.push({ n, pick, why });
      return pick;
    },
  };
}
