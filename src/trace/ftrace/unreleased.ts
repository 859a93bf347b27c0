/**
 * The rwsems a whole capture shows taken (an entry probe of a `down_*` function) and never
 * released (no `up_read`, `up_write` or `up_read_non_owner` of the same address anywhere). A
 * capture whose filter keeps a lock's releases out (a `sem ==` filter on the release probes but not
 * on every acquisition variant) shows such locks as held forever: what holds them cannot be told.
 *
 * Records are taken as the reader scans them (see read-ahead.ts), in every layout it reads: a
 * probe printed with a bare-address site (trace-cmd report, perf script) counts when `sites` names
 * its function, as the reader would name it.
 */
import * as chars from './chars.js';
import { L_RECORD, type LineScan } from './line.js';
import * as payloadMod from './payload.js';
import type { SiteResolution } from './sites.js';

// Local bindings: see chars.ts.
const { findStr } = chars;
const { parseKeyValues } = payloadMod;

const RELEASES = new Set(['up_read', 'up_write', 'up_read_non_owner']);

/** A lock mode as the spec names it: R shared, W exclusive. */
export type LockMode = 'R' | 'W';

/**
 * What a probed rwsem function does: take the lock (`acquires`, in mode `takes` where its name
 * says one), release it in a mode, or both at once (downgrade_write, which never leaves it free).
 */
interface LockRole { acquires: boolean; takes?: LockMode; releases?: LockMode; downgrades?: true }

/** Names a bare-address probe site (sites.ts: ProbeSites). */
export interface SiteNames {
  resolve(kind: 'kprobe' | 'kretprobe', event: string, hex: string): SiteResolution;
}

export class RwsemReleases {
  /** address (hex, no leading zeros) → the line of its first acquisition */
  private readonly taken = new Map<string, number>();
  private readonly released = new Set<string>();
  /** Per mode: address → the line of its first acquisition in that mode; the addresses released in it. */
  private readonly takenIn = { R: new Map<string, number>(), W: new Map<string, number>() };
  private readonly releasedIn = { R: new Set<string>(), W: new Set<string>() };

  constructor(private readonly sites?: SiteNames) {}

  /** Takes a scanned line (number `line`) into account. */
  note(sc: LineScan, line: number): void {
    if (sc.cls !== L_RECORD || sc.kind !== 'kprobe') return;
    const rec = sc.decoded;
    if (rec !== undefined) {
      // (a decoded record: its function and arguments as the text reader reads them from its line)
      const role = rec.args.sem === undefined || rec.probedSym === undefined ? undefined : lockRole(rec.probedSym);
      if (role !== undefined) this.noteSem(role, rec.args.sem, line);
      return;
    }
    const s = sc.text;
    // (cheap test first: most records hold no sem)
    if (sc.argsS < 0 || findStr(s, 'sem=', sc.argsS, sc.payE) === -1) return;
    let fn: string;
    if (sc.hexHead) {
      const r = this.sites?.resolve('kprobe', sc.name, s.slice(sc.symS, sc.symE));
      if (r === undefined || !('fn' in r)) return;
      fn = r.fn;
    } else fn = s.slice(sc.symS, sc.symE);
    const role = lockRole(fn);
    if (role === undefined) return;
    const args: Record<string, string> = {};
    parseKeyValues(s, sc.argsS, sc.payE, args);
    this.noteSem(role, args.sem, line);
  }

  private noteSem(role: LockRole, semArg: string | undefined, line: number): void {
    const sem = semAddress(semArg);
    if (sem === undefined) return;
    const { acquires, takes, releases } = role;
    if (releases !== undefined) {
      this.released.add(sem);
      this.releasedIn[releases].add(sem);
    }
    // (downgrade_write ends the exclusive hold, though the lock stays held: a release in mode W
    // only, not one that neverReleased counts)
    if (role.downgrades) this.releasedIn.W.add(sem);
    if (acquires && !this.taken.has(sem)) this.taken.set(sem, line);
    if (takes !== undefined && !this.takenIn[takes].has(sem)) this.takenIn[takes].set(sem, line);
  }

  /** address → the line of its first acquisition, for each rwsem taken and never released. */
  neverReleased(): Map<bigint, number> {
    const out = new Map<bigint, number>();
    for (const [s, line] of this.taken) if (!this.released.has(s)) out.set(BigInt('0x' + s), line);
    return out;
  }

  /**
   * address → the line of its first acquisition in `mode`, for each rwsem taken in that mode and
   * released, anywhere in the capture, only in the other: no `up_read` of it at all while it is
   * taken shared (a capture that probes up_write and not up_read, or filters up_read to other
   * addresses). When such a hold ends cannot be told. Rwsems never released at all are
   * neverReleased's.
   */
  neverReleasedIn(mode: LockMode): Map<bigint, number> {
    const out = new Map<bigint, number>();
    const released = this.releasedIn[mode];
    for (const [s, line] of this.takenIn[mode]) if (this.released.has(s) && !released.has(s)) out.set(BigInt('0x' + s), line);
    return out;
  }
}

/**
 * What probed function `probed` does to an rwsem (a compiler's clone, `down_read.cold`, as the
 * function it was cut from): `down_read*` take it shared, `down_write*` and `_down_write*`
 * exclusive, `up_read`/`up_read_non_owner` and `up_write` release it, `downgrade_write` releases
 * the exclusive hold and holds it shared.
 */
function lockRole(probed: string): LockRole | undefined {
  const dot = probed.indexOf('.');
  const fn = dot === -1 ? probed : probed.slice(0, dot);
  if (RELEASES.has(fn)) return { acquires: false, releases: fn === 'up_write' ? 'W' : 'R' };
  if (fn === 'downgrade_write') return { acquires: false, takes: 'R', downgrades: true };
  if (fn.startsWith('down_read')) return { acquires: true, takes: 'R' };
  if (fn.startsWith('down_write') || fn.startsWith('_down_write')) return { acquires: true, takes: 'W' };
  return fn.startsWith('down_') || fn.startsWith('_down_') ? { acquires: true } : undefined;
}

/** The hex digits of a `sem=` value (`0x` optional), without leading zeros; undefined when it has none. */
function semAddress(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  let i = v.startsWith('0x') ? 2 : 0;
  const a = i;
  while (i < v.length && isHex(v.charCodeAt(i))) i++;
  if (i === a) return undefined;
  let z = a;
  while (z < i - 1 && v.charCodeAt(z) === 48) z++;
  return v.slice(z, i);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}
