/**
 * Which probes `--probes` declares can be trusted as what a capture probed. A declared probe that
 * logged nothing is taken as a function never called, unless the capture shows such a function
 * certainly called: then the file declares more than was on, and no silent declared probe counts.
 */
import type { Diagnostic } from '../../diag/diagnostic.js';
import type { ProbeDefinition } from '../coverage.js';
import type { ReadAhead } from './read-ahead.js';

/** The acquisition variants that may take a directory's rwsem, per mode (trylocks aside: see calledUnlogged). */
const TAKERS = {
  R: ['down_read', 'down_read_killable', 'down_read_interruptible'],
  W: ['down_write', 'down_write_killable', 'down_write_nested', '_down_write_nest_lock'],
};

/**
 * A declared function the kernel certainly called, given what the capture logged, that logged
 * nothing: [that function, why it was called]; or undefined. `__lookup_slow` takes its directory
 * shared, calls d_alloc_parallel, ends its in-lookup dentry and releases the directory (6.1,
 * 6.12); d_alloc_parallel calls d_alloc first; an rwsem released exclusive that no logged record
 * takes exclusive was taken by some down_write variant, down_write itself on every directory
 * create, rename or unlink; a release by a task of an rwsem it has not taken since it was last in
 * user space follows an acquisition in that mode (down_read_killable by every readdir,
 * down_write_nested by lock_rename on a lockdep build); an exclusive hold released by its task's
 * up_read was downgraded first; and a function a
 * return record of the capture returns into
 * (`dap_ret: (d_add_ci+0x5d/0x120 <- d_alloc_parallel)`) ran. (A trylock that logged nothing may
 * well never have been called: its silence says nothing.)
 */
function calledUnlogged(declared: ReadonlySet<string>, logged: ReadonlySet<string>, entryLogged: ReadonlySet<string>, ahead: ReadAhead):
  [fns: string, why: string, which?: 'some'] | undefined {
  const releasedUntakenW = ahead.releasedUntakenIn.W;
  const sharedEnds = ahead.sharedEndsOfExclusive;
  for (const f of declared) if (!logged.has(f) && ahead.returnSites.has(f)) return [f, 'a return record of the capture returns into it'];
  // (the calls below are on a directory's rwsem or dentry, which an entry probe's filter keeps:
  // an entry probe silent there was off, whatever its return probe, which no filter narrows, logged)
  const silent = (fn: string): boolean => declared.has(fn) && !entryLogged.has(fn);
  const checks: [boolean, string[], string][] = [
    [logged.has('__lookup_slow'), ['down_read', 'up_read', 'd_alloc_parallel', '__d_lookup_unhash'], 'every __lookup_slow calls it'],
    [logged.has('d_alloc_parallel'), ['d_alloc'], 'every d_alloc_parallel calls it'],
    [releasedUntakenW > 0, ['down_write'],
      `the capture releases ${releasedUntakenW} rwsem${releasedUntakenW === 1 ? '' : 's'} exclusive that it never shows taken`],
    // (btrfs's readdir takes the directory exclusive, downgrades it and releases it by up_read)
    [sharedEnds.count > 0, ['downgrade_write'],
      `${sharedEnds.count} exclusive hold${sharedEnds.count === 1 ? ' is' : 's are'} released by up_read, the first on line ${sharedEnds.firstLine}, `
        + 'which a task does only after downgrading it'],
  ];
  for (const [holds, fns, why] of checks) {
    if (!holds) continue;
    for (const f of fns) if (silent(f)) return [f, why];
  }
  // (which variant took it the capture does not say: each silent one may have)
  for (const mode of ['R', 'W'] as const) {
    const { count, firstLine } = ahead.releasesOfUntaken[mode];
    const takers = TAKERS[mode].filter(silent);
    if (count === 0 || takers.length === 0) continue;
    const release = mode === 'R' ? 'up_read' : 'up_write';
    return [takers.join(' or '), `${count} ${release}${count === 1 ? '' : 's'} by a task of an rwsem it has not taken `
      + `since a return to user space the capture shows, the first on line ${firstLine}`, 'some'];
  }
  return undefined;
}

/**
 * The probes `--probes` declares, trusted as what the capture probed (a declared probe that
 * logged nothing: its function was never called) unless the capture says otherwise: a declared
 * probe silent where its function was certainly called (calledUnlogged). kprobe_events lists the
 * probes defined, not those enabled (nor those of the capture at hand: a fuller set's file given
 * with a capture made with fewer); then no declared probe that logged nothing counts as probed
 * (a call of one could explain what the capture shows; where it would, the verdict is unknown),
 * and a note says why. All of them when the read ahead did not run.
 */
export function probesThatLogged(probes: ProbeDefinition[] | undefined, ahead: ReadAhead | undefined, file: string,
  diag: (d: Diagnostic) => void): ProbeDefinition[] | undefined {
  if (probes === undefined || ahead === undefined) return probes;
  const logged = ahead.probeEvents;
  const loggedFns = new Set(probes.filter((p) => logged.has(p.event)).map((p) => p.fn));
  // A function's entry probe counts when it logged, or when only its return is declared.
  const withEntry = new Set(probes.filter((p) => p.kind === 'kprobe').map((p) => p.fn));
  const entryLogged = new Set(probes.filter((p) => logged.has(p.event) && (p.kind === 'kprobe' || !withEntry.has(p.fn))).map((p) => p.fn));
  const evidence = calledUnlogged(new Set(probes.map((p) => p.fn)), loggedFns, entryLogged, ahead);
  const late = turnedOnLate(probes, ahead, file, diag);
  if (evidence === undefined) return late.size === 0 ? probes : probes.filter((p) => !late.has(p.fn));
  const silent = probes.filter((p) => !logged.has(p.event));
  diag({
    code: 'KV333', severity: 'note', at: { source: file, line: 1 },
    message: (evidence[2] === 'some'
      // (which variant made the acquisition the capture does not show, it does not say: only that one did)
      ? `--probes declares ${evidence[0]}, and the capture logged no entry of ${evidence[0].includes(' or ') ? 'any' : 'it'}, though it shows `
        + `an acquisition it does not log (${evidence[1]}): `
      : `--probes declares ${evidence[0]}, which the kernel called here (${evidence[1]}), and the capture logged `
        + `${loggedFns.has(evidence[0]) ? 'none of its entries' : 'none of it'}: `)
      + 'the probes declared are not those that were on (kprobe_events lists the probes defined, not those enabled), so none of the '
      + `${silent.length} declared probes that logged nothing counts as probed (${silent.map((p) => p.event).join(', ')}); `
      + 'where a call of one could explain what the capture shows, the verdict is unknown',
  });
  return probes.filter((p) => logged.has(p.event) && !late.has(p.fn));
}

/**
 * The declared acquisition variants whose entry probe logged, but only from a line after the
 * first release of an acquisition the capture does not log (a release in a mode by a task of an
 * rwsem it has not taken so since a return to user space): a probe turned on while tracing was
 * already on, as `echo 1 > events/kprobes/dw/enable` one probe after another does. Such a
 * function counts as probed from its first record on, as an undeclared probe does; a note says so.
 */
function turnedOnLate(probes: ProbeDefinition[], ahead: ReadAhead, file: string, diag: (d: Diagnostic) => void): Set<string> {
  const late = new Set<string>();
  for (const mode of ['R', 'W'] as const) {
    const { count, firstLine } = ahead.releasesOfUntaken[mode];
    if (count === 0) continue;
    for (const p of probes) {
      const first = ahead.probeEvents.get(p.event);
      if (p.kind !== 'kprobe' || !TAKERS[mode].includes(p.fn) || first === undefined || first <= firstLine || late.has(p.fn)) continue;
      late.add(p.fn);
      const release = mode === 'R' ? 'up_read' : 'up_write';
      diag({
        code: 'KV333', severity: 'note', at: { source: file, line: first },
        message: `--probes declares ${p.fn}, whose first record is at line ${first}, after an acquisition the capture does not log `
          + `(${count} ${release}${count === 1 ? '' : 's'} by a task of an rwsem it has not taken since a return to user space the capture `
          + `shows, the first on line ${firstLine}): the probe may have been turned on there, so it counts as probed from its first record on`,
      });
    }
  }
  return late;
}
