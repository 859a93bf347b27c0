/**
 * Honest coverage: for each invariant, whether this trace evaluated it, and if not, why not. A
 * pass over a rule the trace never exercised is no evidence, so every report says which rules
 * were checked, which only over a domain that never held anything (vacuous), which the capture
 * cannot observe at all (no event that triggers them — and which probes would produce one), and
 * which fell only in spans of unknown state.
 */
import type { Phase, TExpr, TypedSpec } from '../analysis/ir.js';

export type CoverageStatus =
  /** Evaluated at least once over something that existed. */
  | 'evaluated'
  /** Evaluated only while its domain had never held an entry: it checked nothing. */
  | 'vacuous'
  /** Its triggers happened only where the task's state was unknown. */
  | 'unknown'
  /** Its triggering events occurred, but its condition (`when`) never held. */
  | 'not exercised'
  /** No triggering event in the trace. */
  | 'not observable';

export interface InvariantCoverage {
  invariant: string;
  status: CoverageStatus;
  evaluated: number;
  vacuous: number;
  skipped: number;
  undecided: number;
  /** For 'not observable': the triggering events the trace lacks … */
  missing?: string[];
  /** … and the mappings that would produce them (`map kprobe d_wait_lookup`). */
  producers?: string[];
  /** For 'vacuous': the state that never held anything. */
  emptyState?: string;
  /** For 'not observable' by its condition: the functions it needs probed (`probed("lock_rename")`) that the capture does not show. */
  unprobed?: string[];
  /** For 'not observable' on a capture by its condition: why only a complete trace shows it (`complete_trace("why")`). */
  completeOnly?: string;
}

interface Counters {
  evaluated: Record<string, number>;
  unknown: Record<string, number>;
  undecided: Record<string, number>;
  vacuous: Record<string, number>;
}

/**
 * `seen(phase, name)`: how many events of that phase and name the trace produced. `probed(fn)`:
 * whether a capture shows entries of `fn` (absent for a complete trace). An invariant whose events
 * occurred but whose condition asks for functions the capture does not probe (`when ...
 * probed("lock_rename")`) is not observable with this capture, for that reason, rather than merely
 * not exercised.
 */
export function coverageOf(
  spec: TypedSpec, counters: Counters, seen: (phase: Phase, name: string) => number, withProducers: boolean,
  probed?: (fn: string) => boolean,
): InvariantCoverage[] {
  const guards = new Map<string, TExpr>();
  for (const inv of spec.invariants) if (inv.guard) guards.set(inv.name, inv.guard);
  const triggers = new Map<string, { phase: Phase; name: string }[]>();
  const domain = new Map<string, string>();
  for (const inv of spec.invariants) {
    triggers.set(inv.name, [...(triggers.get(inv.name) ?? []), ...inv.triggers]);
    if (inv.body.k === 'quant' && inv.body.domain.k === 'state') domain.set(inv.name, inv.body.domain.state);
  }
  for (const ob of spec.obligations) {
    triggers.set(ob.name, [...(triggers.get(ob.name) ?? []), ...ob.triggers]);
    if (ob.domain.k === 'state') domain.set(ob.name, ob.domain.state);
  }
  const out: InvariantCoverage[] = [];
  for (const name of Object.keys(counters.evaluated)) {
    const c: InvariantCoverage = {
      invariant: name, status: 'evaluated', evaluated: counters.evaluated[name] ?? 0, vacuous: counters.vacuous[name] ?? 0,
      skipped: counters.unknown[name] ?? 0, undecided: counters.undecided[name] ?? 0,
    };
    if (c.evaluated > 0) { out.push(c); continue; }
    if (c.vacuous > 0) {
      c.status = 'vacuous';
      const st = domain.get(name);
      if (st !== undefined) c.emptyState = st;
    } else if (c.skipped > 0) {
      c.status = 'unknown';
    } else {
      const ts = triggers.get(name) ?? [];
      const missing = ts.filter((t) => seen(t.phase, t.name) === 0);
      if (ts.length > 0 && missing.length === ts.length) {
        c.status = 'not observable';
        c.missing = missing.map((t) => (t.phase === 'event' ? t.name : `${t.phase} ${t.name}`));
        if (withProducers) c.producers = producersOf(spec, missing);
      } else {
        const guard = guards.get(name);
        const lacking = probed && guard ? probesNamed(spec, guard).filter((f) => !probed(f)) : [];
        const completeOnly = probed && guard ? builtinReasons(spec, guard, 'complete_trace')[0] : undefined;
        if (lacking.length > 0) {
          c.status = 'not observable';
          c.unprobed = lacking;
        } else if (completeOnly !== undefined) {
          c.status = 'not observable';
          c.completeOnly = completeOnly;
        } else c.status = 'not exercised';
      }
    }
    out.push(c);
  }
  return out;
}

/** The functions an expression asks `probed(...)` about by name, through the defs it calls. */
function probesNamed(spec: TypedSpec, e: TExpr): string[] {
  return builtinReasons(spec, e, 'probed');
}

/** The literal first arguments of the calls of builtin `name` in an expression, through the defs it calls. */
function builtinReasons(spec: TypedSpec, e: TExpr, name: string): string[] {
  const out = new Set<string>();
  const defsSeen = new Set<string>();
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) { for (const y of x) visit(y); return; }
    if (x === null || typeof x !== 'object') return;
    const node = x as { k?: unknown; name?: unknown; args?: unknown; def?: unknown };
    if (node.k === 'builtin' && node.name === name && Array.isArray(node.args)) {
      const a = node.args[0] as TExpr | undefined;
      if (a?.k === 'lit' && typeof a.value === 'string') out.add(a.value);
      // A string literal is a template without holes.
      if (a?.k === 'template' && a.parts.every((p) => typeof p === 'string')) out.add(a.parts.join(''));
    }
    if (node.k === 'defcall' && typeof node.def === 'string' && !defsSeen.has(node.def)) {
      defsSeen.add(node.def);
      const d = spec.defs.get(node.def);
      if (d) visit(d.body);
    }
    for (const [key, v] of Object.entries(x)) if (key !== 'span' && key !== 'type') visit(v);
  };
  visit(e);
  return [...out];
}

function producersOf(spec: TypedSpec, events: { phase: Phase; name: string }[]): string[] {
  const out = new Set<string>();
  for (const m of spec.mappings) {
    for (const e of m.emits) {
      if (e.phase === 'ignore') continue;
      if (events.some((t) => t.phase === e.phase && t.name === e.name)) out.add(`map ${m.source} ${m.record}`);
    }
  }
  return [...out];
}

/** One line for a text report: why an invariant with no evaluation says nothing. */
export function describeCoverage(c: InvariantCoverage): string {
  switch (c.status) {
    case 'evaluated': return '';
    case 'vacuous': return `vacuous: ${c.emptyState ?? 'its domain'} never held anything`;
    case 'unknown': return 'unknown: only in spans of unknown task state';
    case 'not exercised': return 'not exercised: its events occurred, its condition never held';
    case 'not observable': {
      if (c.unprobed !== undefined) return `not observable: its condition needs ${c.unprobed.join(', ')} probed, which the capture does not show`;
      if (c.completeOnly !== undefined) return `not observable on a capture: ${c.completeOnly}`;
      const how = c.producers === undefined ? '' : c.producers.length > 0 ? `; produced by ${c.producers.join(', ')}` : '; no mapping produces them';
      return `not observable: no ${c.missing!.join(', ')} event${c.missing!.length === 1 ? '' : 's'}${how}`;
    }
  }
}
