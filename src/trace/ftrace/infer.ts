/**
 * Infers `offsetof(struct inode, i_rwsem)` from a capture itself, so a plain `kinv check capture.txt`
 * works on kernels whose layout differs (lockdep builds, other versions): in the reference probe
 * set, the parent's `down_read` (`dr: … sem=S`) comes just before `__lookup_slow`
 * (`lkslow: … dinode=I`) of the same task, and S − I is the offset.
 */
// (`name: (` in tracefs text; trace-cmd report pads the name: `name:    (`; perf script writes
// `comm pid [cpu]` where tracefs writes `comm-pid [cpu]`, and names the event `kprobes:name:`;
// trace-cmd report -l writes no `[cpu]`)
import { addressDigits, printedAddress, printedFlags } from './address.js';
import { hasOpenString } from './payload.js';

const TASK = String.raw`^\s*(.*?)(?:-|\s+)(\d+)\s+`;
const RECORD = new RegExp(TASK + String.raw`(?:\(|\[)`);
// (`s`: a record joined over lines holds a newline in its name)
// (the value with its `0x`, if any: bare decimal digits are a `:u64` argument's, address.ts)
const DR = new RegExp(TASK + String.raw`.*?\bdr:\s+\([^)]*\) sem=((?:0x)?[0-9a-f]+)`, 's');
const LKSLOW = new RegExp(TASK + String.raw`.*?\blkslow:\s+\([^)]*\).*?\bdinode=((?:0x)?[0-9a-f]+)`, 's');

/**
 * The offset most pairs agree on, or undefined when the text has no such pair. `text` may be
 * given as its record lines (headRecordLines), read once for this and inferParLookupBit.
 */
export function inferIrwsemOffset(text: string | readonly string[]): number | undefined {
  const votes = new IrwsemVotes();
  for (const line of typeof text === 'string' ? recordLines(text) : text) {
    // (cheap substring tests first: the regular expressions backtrack on every other line)
    let m = line.includes('dr: ') ? DR.exec(line) : null;
    if (m) { votes.note('dr', m[2]!, m[3]!); continue; }
    m = line.includes('lkslow: ') ? LKSLOW.exec(line) : null;
    if (m) votes.note('lkslow', m[2]!, m[3]!);
  }
  return votes.best();
}

/**
 * The pairs inferIrwsemOffset counts, taken one record at a time: a `dr` record's `sem` and the
 * same task's next `lkslow` record's `dinode`. The read ahead (read-ahead.ts) counts them over the
 * whole capture, for a capture whose first part shows no slow lookup of a tracked directory (a
 * capture with no comm filter, whose first records are other tasks').
 *
 * A capture that does not probe `__lookup_slow` still shows the directory a lookup locked: the
 * `pinode` of the task's next `d_alloc_parallel`, whose parent it locked to allocate in
 * (lookup_slow, lookup_open), the `dir` of its next `->lookup` and the `pinode` of its next
 * `d_add_ci` (called with the parent locked), each paired with the task's last `down_read` or
 * `down_write` (lookup_open and the create paths lock exclusive). Those pairs count only where no
 * `lkslow` pair does, so a capture that probes `__lookup_slow` is read as before.
 */
export class IrwsemVotes {
  private readonly lastRead = new Map<string, bigint>();
  private readonly lastLock = new Map<string, bigint>();
  private readonly votes = new Map<number, number>();
  private readonly directoryVotes = new Map<number, number>();
  /** `lkslow` records seen: a capture with slow lookups and no pair names its locks with an offset it does not show. */
  slowLookups = 0;
  /** Records naming a directory whose lock the rules compare (`lkslow` and `dir`): without a pair, its offset is not shown. */
  directoryRecords = 0;

  /**
   * A record of task `pid`: `dr` (down_read's `sem`), `dw` (down_write's), `lkslow` (__lookup_slow's
   * `dinode`) or `dir` (the directory of a d_alloc_parallel, ->lookup or d_add_ci); others are ignored.
   */
  note(name: string, pid: string, value: string | undefined): void {
    if (value === undefined || !/^(?:0x)?[0-9a-f]+$/.test(value)) return;
    const v = printedAddress(value)!;
    if (name === 'dr') { this.lastRead.set(pid, v); this.lastLock.set(pid, v); return; }
    if (name === 'dw') { this.lastLock.set(pid, v); return; }
    if (name === 'dir') {
      this.directoryRecords++;
      // (the lock stays the task's last: a `lkslow` after it pairs with it as before)
      const sem = this.lastLock.get(pid);
      const off = sem === undefined ? 0 : Number(sem - v);
      if (off > 0 && off < 4096) this.directoryVotes.set(off, (this.directoryVotes.get(off) ?? 0) + 1);
      return;
    }
    if (name !== 'lkslow') return;
    this.slowLookups++;
    this.directoryRecords++;
    const sem = this.lastRead.get(pid);
    if (sem === undefined) return;
    const off = Number(sem - v);
    if (off > 0 && off < 4096) this.votes.set(off, (this.votes.get(off) ?? 0) + 1);
    this.lastRead.delete(pid);
  }

  /** The offset most pairs agree on (the first counted of a tie), or undefined without a pair; `lkslow` pairs first. */
  best(): number | undefined {
    return mostVoted(this.votes) ?? mostVoted(this.directoryVotes);
  }
}

function mostVoted(votes: Map<number, number>): number | undefined {
  let best: number | undefined;
  let n = 0;
  for (const [off, c] of votes) if (c > n) { best = off; n = c; }
  return best;
}

const DAP_RET = new RegExp(TASK + String.raw`.*?\bdap_ret:\s+\([^)]*\) ret=((?:0x)?[0-9a-f]+) dflags=((?:0x)?[0-9a-f]+)`, 's');
const FS_LOOKUP = new RegExp(TASK + String.raw`.*?\bfs_lookup_\w+:\s+\([^)]*\).*?\bdentry=((?:0x)?[0-9a-f]+)`, 's');
/** A return probe's head in bare addresses (trace-cmd report, perf script): its return site is not named. */
const BARE_RETURN = /:\s+\([0-9a-f]+ <- [0-9a-f]+\)/;

/**
 * Infers the `DCACHE_PAR_LOOKUP` bit of `d_flags` (bit 28 on 6.1, other bits on later kernels)
 * from a capture of the reference probe set: a dentry that `d_alloc_parallel` returns and the same
 * task then passes to `->lookup` was in lookup (its `dflags` has the bit). The bit is one every
 * such return has, not one of the `DCACHE_OP_*` bits (0x1–0x8, set on every dentry of a
 * filesystem with its own `d_op`). Undefined unless exactly one bit is left: returns that reached
 * no probed `->lookup` cannot narrow it, as they may have gone to a filesystem without a probe.
 */
export function inferParLookupBit(text: string | readonly string[]): number | undefined {
  const votes = new ParLookupVotes();
  for (const line of typeof text === 'string' ? recordLines(text) : text) {
    let m = line.includes('dap_ret: ') ? DAP_RET.exec(line) : null;
    if (m) {
      votes.noteReturn(m[2]!, m[3]!, m[4]!, line.includes('(__lookup_slow+') || BARE_RETURN.test(line));
      continue;
    }
    m = line.includes('fs_lookup_') ? FS_LOOKUP.exec(line) : null;
    if (m) votes.noteLookup(m[2]!, m[3]!);
  }
  return votes.best();
}

/**
 * The samples inferParLookupBit counts, taken one record at a time: a `dap_ret` of `__lookup_slow`'s
 * d_alloc_parallel and the same task's next probed `->lookup`. The read ahead (read-ahead.ts)
 * counts them over the whole capture, for a capture whose first part shows no such pair.
 */
export class ParLookupVotes {
  private readonly pending = new Map<string, { ret: string; flags: number }>();
  private inLookup = -1;
  private samples = 0;

  /**
   * A d_alloc_parallel return of task `pid`. Only the slow lookup's own d_alloc_parallel decides
   * what __lookup_slow does next (`fromLookupSlow`); where the return site is a bare address, the
   * same task's ->lookup of the returned dentry tells it.
   */
  noteReturn(pid: string, ret: string | undefined, dflags: string | undefined, fromLookupSlow: boolean): void {
    // (bare digits beside a 0x address are a `:u32` fetch's decimal, address.ts)
    const flags = printedFlags(dflags, ret);
    if (!fromLookupSlow || ret === undefined || flags === undefined) return;
    this.pending.set(pid, { ret: addressDigits(ret) ?? '', flags });
  }

  /** A probed ->lookup call of task `pid` on `dentry`. */
  noteLookup(pid: string, dentry: string | undefined): void {
    const p = this.pending.get(pid);
    if (p !== undefined && dentry !== undefined && p.ret === addressDigits(dentry)) { this.inLookup &= p.flags; this.samples++; }
    this.pending.delete(pid);
  }

  /** The one bit every sample has but the DCACHE_OP_* bits, or undefined. */
  best(): number | undefined {
    if (this.samples === 0) return undefined;
    const bits = (this.inLookup & ~0xf) >>> 0;
    return bits !== 0 && (bits & (bits - 1)) === 0 ? bits : undefined;
  }
}

/**
 * The record lines of `text` (recordLines), for both inferences of one capture's first part: its
 * joining of lines (a record whose quoted value looks open is joined with up to 63 lines after it,
 * tried again at each) is most of their time.
 */
export function headRecordLines(text: string): readonly string[] {
  return [...recordLines(text)];
}

/**
 * The lines of `text`, a probe record whose quoted value holds a newline (a file name) joined with
 * the lines that continue it, as the reader joins them (records.ts): its arguments after the name
 * are on the last of them.
 */
function* recordLines(text: string): Generator<string> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    for (let parts = 1; parts < 64 && i + 1 < lines.length && openValue(line) && !RECORD.test(lines[i + 1]!); parts++) line += '\n' + lines[++i]!;
    yield line;
  }
}

/** Whether a probe record line ends inside a quoted value. */
function openValue(line: string): boolean {
  if (!line.includes('="')) return false;
  const head = line.indexOf(': (');
  const close = head === -1 ? -1 : line.indexOf(')', head);
  return close !== -1 && hasOpenString(line, close + 1, line.length);
}
