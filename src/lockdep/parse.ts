/**
 * Reads the kernel's own lock-validator reports out of a `dmesg` log: lockdep's "bad unlock
 * balance", "possible circular locking dependency", "possible recursive locking", "lock held when
 * returning to user space", rwsem's DEBUG_RWSEMS_WARN_ON, and hung-task reports. Each becomes a
 * record with the task, the time and the lock class, so it can be lined up with kinv's verdicts.
 */

export type LockdepKind = 'bad_unlock' | 'circular' | 'recursive' | 'held_at_return' | 'rwsem_warn' | 'hung_task';

export interface LockdepReport {
  kind: LockdepKind;
  /** 1-based line of the report's headline in the log. */
  line: number;
  /** printk timestamp in seconds, when the log has them. */
  time: number | undefined;
  comm: string | undefined;
  pid: number | undefined;
  /** The lock class named by the report, e.g. `&type->i_mutex_dir_key`. */
  lockClass: string | undefined;
  /** Where the kernel says it happened, e.g. `walk_component+0xe6/0x150`. */
  at: string | undefined;
  /** The rwsem's address, when the report prints it (DEBUG_RWSEMS_WARN_ON's `magic`). */
  address: string | undefined;
  headline: string;
}

const HEADLINES: [RegExp, LockdepKind][] = [
  [/WARNING: bad unlock balance detected!/, 'bad_unlock'],
  [/WARNING: possible circular locking dependency detected/, 'circular'],
  [/WARNING: possible recursive locking detected/, 'recursive'],
  [/WARNING: lock held when returning to user space!/, 'held_at_return'],
  [/DEBUG_RWSEMS_WARN_ON\(/, 'rwsem_warn'],
  [/INFO: task .+:\d+ blocked for more than \d+ seconds/, 'hung_task'],
];

const PRINTK = /^\s*(?:<\d+>)?\[\s*(\d+\.\d+)\]\s?/;

/** Strips the `[   61.123456] ` prefix; returns the time too. */
function strip(line: string): { time: number | undefined; text: string } {
  const m = PRINTK.exec(line);
  return m ? { time: Number(m[1]), text: line.slice(m[0].length) } : { time: undefined, text: line };
}

/** All reports in a dmesg text, in log order. */
export function parseLockdep(text: string): LockdepReport[] {
  const lines = text.split('\n');
  const out: LockdepReport[] = [];
  for (let i = 0; i < lines.length; i++) {
    const { time, text: head } = strip(lines[i]!);
    const hit = HEADLINES.find(([re]) => re.test(head));
    if (!hit) continue;
    const r: LockdepReport = { kind: hit[1], line: i + 1, time, comm: undefined, pid: undefined, lockClass: undefined, at: undefined, address: undefined,
      headline: head.trim() };
    // The details follow within a few dozen lines.
    for (let j = i + 1; j < Math.min(lines.length, i + 40); j++) {
      const t = strip(lines[j]!).text;
      if (HEADLINES.some(([re]) => re.test(t))) break;
      let m: RegExpExecArray | null;
      if (r.pid === undefined && (m = /^(\S.*?)\/(\d+) (?:is trying to (?:release|acquire) lock|is leaving the kernel with locks still held)/.exec(t))) {
        r.comm = m[1];
        r.pid = Number(m[2]);
      }
      if (r.lockClass === undefined && (m = /\(([^()]*(?:\([^()]*\))?[^()]*)\)(?:\{[^}]*\})?(?:-\{[^}]*\})?, at:/.exec(t) ?? /lock \(([^)]+)\) at:/.exec(t))) {
        r.lockClass = m[1]!.replace(/#\d+$/, '').replace(/\/\d+$/, '');
      }
      if (r.at === undefined && (m = /at: (?:\[<[0-9a-f]+>\] )?([\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+)/.exec(t))) r.at = m[1];
      if (r.at === undefined && (m = /^\[<[0-9a-f]+>\] ([\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+)/.exec(t.trim()))) r.at = m[1];
      if (r.kind === 'rwsem_warn' && r.pid === undefined && (m = /WARNING: CPU: \d+ PID: (\d+) at (\S+) (\S+)/.exec(t))) {
        r.pid = Number(m[1]);
        r.at = m[3];
      }
      if (r.kind === 'rwsem_warn' && r.comm === undefined && (m = /CPU: \d+ PID: \d+ Comm: (\S+)/.exec(t))) r.comm = m[1];
    }
    if (r.kind === 'hung_task') {
      const m = /INFO: task (.+):(\d+) blocked/.exec(head);
      if (m) { r.comm = m[1]; r.pid = Number(m[2]); }
    }
    if (r.kind === 'rwsem_warn') {
      r.address = /magic = (0x[0-9a-f]+)/.exec(head)?.[1];
      // The WARNING line with the pid usually comes right after the DEBUG_RWSEMS line.
      for (let j = i + 1; j < Math.min(lines.length, i + 5) && r.pid === undefined; j++) {
        const m = /WARNING: CPU: \d+ PID: (\d+) at \S+ (\S+)/.exec(strip(lines[j]!).text);
        if (m) { r.pid = Number(m[1]); r.at = m[2]; }
      }
    }
    out.push(r);
  }
  return out;
}
