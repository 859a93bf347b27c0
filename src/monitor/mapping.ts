/**
 * Compiles a spec's `map` declarations into a record mapper: raw ftrace records in, spec events
 * out. Lookup is by (record kind, name) first, so a record nobody maps costs one Map probe.
 */
import type { MappingIR, TExpr, TypedSpec } from '../analysis/ir.js';
import { NO_ARGS, type Scalar, type TraceEvent } from '../values/event.js';
import { NO_EVENT, compileDefs, compileExpr, type CompileContext, type Compiled, type Env, type Value } from './compile.js';

/** What a mapping reads of a raw record (the ftrace reader's records have these fields). */
export interface MappableRecord {
  kind: string;
  name: string;
  pid: number;
  comm: string;
  cpu: number;
  tsSec: number | undefined;
  tsNsec: number | undefined;
  /** `counter`: the timestamp orders records but is no time, so events get no `ts`. */
  tsClock?: string | undefined;
  args: Record<string, string>;
  retval: string | undefined;
  /** kprobe/kretprobe: the probed function, by which a mapping may name the record. */
  probedSym?: string | undefined;
  entry: MappableRecord | undefined;
  file: string;
  line: number;
}

/** Where an emitted argument goes: the event's `ret`, one of its own fields (IMPLICIT), or its args. */
const TO_RET = 0, TO_FIELD = 1, TO_ARGS = 2;

interface CompiledArg {
  name: string;
  value: Compiled;
  /** TO_RET, TO_FIELD or TO_ARGS, decided once when compiled. */
  to: number;
  reads: string[];
}

interface CompiledMapping {
  ir: MappingIR;
  guard: Compiled | undefined;
  /** `reads`: the record's own fields the argument's expression reads (for the diagnostic when it is none). */
  emits: { ev: string; fn: string | undefined; args: CompiledArg[] }[];
}

/** The record fields (`sem`, `retval`, …) an expression of a mapping reads. */
function recordFieldsRead(e: TExpr, into: Set<string> = new Set()): Set<string> {
  if (e.k === 'field' && !IMPLICIT.has(e.name)) into.add(e.name);
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) { for (const x of v) if (isExpr(x)) recordFieldsRead(x, into); }
    else if (isExpr(v)) recordFieldsRead(v, into);
  }
  return into;
}

/** Whether an expression reads the call record of the return it maps (`entry(...)`). */
function readsEntry(e: TExpr): boolean {
  if (e.k === 'builtin' && e.name === 'entry') return true;
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) { if (v.some((x) => isExpr(x) && readsEntry(x))) return true; }
    else if (isExpr(v) && readsEntry(v)) return true;
  }
  return false;
}

function isExpr(v: unknown): v is TExpr {
  return typeof v === 'object' && v !== null && 'k' in v && 'span' in v;
}

/** What the record shows of the fields an argument that came out none reads, as a clause. */
function rawFields(rec: MappableRecord, fields: string[]): string {
  const shown: string[] = [];
  const absent: string[] = [];
  for (const f of fields) {
    const v = f === 'retval' ? rec.retval ?? rec.args.retval : rec.args[f];
    if (v === undefined) absent.push(`${f}=`); else shown.push(`${f}=${v.length > 40 ? v.slice(0, 40) + '…' : v}`);
  }
  const parts: string[] = [];
  if (shown.length > 0) parts.push(`the record's ${shown.join(' ')} does not give one`);
  if (absent.length > 0) {
    // (a probe of one's own may leave its argument unnamed: `p:dr down_read %di` prints arg1=)
    const own = Object.keys(rec.args).filter((k) => /^arg\d+$/.test(k)).slice(0, 3);
    const named = own.length === 0 ? '' : ` (it has ${own.map((k) => `${k}=`).join(' ')}: name the probe's argument ${absent[0]!}, as kinv probes does)`;
    parts.push(`the record has no ${absent.join(' or ')}${named}`);
  }
  return parts.join('; ');
}

export interface RecordMapper {
  /** Whether any mapping looks at records of this kind and name (cheap pre-filter). */
  wants(kind: string, name: string): boolean;
  /** The events a record maps to: `undefined` = no mapping matched; `[]` = matched and ignored. */
  map(rec: MappableRecord): TraceEvent[] | undefined;
  /** Record kinds and names the mappings mention, for diagnostics and probe-set checks. */
  readonly names: ReadonlySet<string>;
}

const IMPLICIT = new Set(['pid', 'comm', 'cpu', 'ts', 'seq']);

/**
 * A copy of a string that does not share memory with the text it was cut from. Record fields are
 * slices of the reader's input chunks; state that outlives the chunk (names in the lock-order graph,
 * in-lookup dentries) must not keep a whole chunk alive.
 */
function detach(s: string): string {
  // V8 copies a cut of fewer than 13 characters (SlicedString::kMinLength): it shares nothing.
  if (s.length < 13) return s;
  // The same addresses and names come back event after event: the copy made last time is given
  // again (one string for every event that holds it, its hash computed once), from a bounded table.
  const have = recentValues.get(s);
  if (have !== undefined) return have;
  const own = (' ' + s).slice(1);
  if (recentValues.size >= RECENT_VALUES) recentValues.clear();
  recentValues.set(own, own);
  return own;
}

/** How many detached texts `detach` remembers (then it starts over: a bounded, not a growing, table). */
const RECENT_VALUES = 8192;
const recentValues = new Map<string, string>();

/** Spec state is never read by mappings, so they run on an empty runtime. */
const EMPTY_RT = { stores: [], temporal: [], tasks: new Set<number>(), stepsLeft: Infinity };

function scratchEvent(): TraceEvent {
  return { seq: 0, pid: 0, ev: '', args: {}, comm: undefined, cpu: undefined, ts: undefined, file: undefined, line: undefined };
}

/**
 * The record as the event a mapping's expressions read, written into `into`: the mapping reads it
 * only while it runs (the events it emits are new), so one object serves every record.
 */
function recordEvent(rec: MappableRecord, into: TraceEvent): TraceEvent {
  const args: Record<string, Scalar> = rec.args;
  if (rec.retval !== undefined && args.retval === undefined) args.retval = rec.retval;
  into.pid = rec.pid; into.ev = rec.name; into.args = args; into.comm = rec.comm || undefined; into.cpu = rec.cpu >= 0 ? rec.cpu : undefined;
  into.ts = rec.tsSec !== undefined && rec.tsClock !== 'counter' ? rec.tsSec + (rec.tsNsec ?? 0) / 1e9 : undefined;
  into.file = rec.file; into.line = rec.line;
  return into;
}

function emitOf(e: TypedSpec['mappings'][number]['emits'][number], ctx: CompileContext): CompiledMapping['emits'][number] {
  const ev = e.phase === 'event' ? e.name : e.phase;
  const decl = ctx.spec.events.get(e.name);
  const declared = decl === undefined ? undefined : e.phase === 'ret' ? decl.returns : decl.fields;
  return {
    ev,
    fn: e.phase === 'event' ? undefined : e.name,
    args: e.args.map((a): CompiledArg => {
      // (what the record shows of an argument that came out none is said only where the schema
      // reports it: a declared optional argument left out is no damage, and its words were
      // garbage at every record)
      const optional = declared?.find((f) => f.name === a.name)?.optional === true;
      return {
        name: a.name, value: compileExpr(a.value, ctx), reads: optional ? [] : [...recordFieldsRead(a.value)],
        to: a.name === 'ret' && ev === 'ret' ? TO_RET : IMPLICIT.has(a.name) ? TO_FIELD : TO_ARGS,
      };
    }),
  };
}

export function compileRecordMapper(spec: TypedSpec): RecordMapper {
  const ctx: CompileContext = { spec, storeIndex: new Map(), defs: new Map() };
  compileDefs(spec, ctx);
  // By record kind, then name (a probed function, an event name): lookups build no key strings,
  // which matters for `wants`, asked for every record line of a capture.
  const byKind = new Map<string, Map<string, CompiledMapping[]>>();
  const wildcard = new Map<string, CompiledMapping[]>();
  // The entry records a return mapping reads with entry(): the reader keeps an entry only where
  // it is wanted, so a spec that maps a function's returns and not its entries read every
  // entry("sem") as none (a down_read return then took no lock, and its up_read was unheld).
  const entriesRead = new Set<string>();
  let maxSlots = 1;
  for (const m of spec.mappings) {
    if (m.source === 'kretprobe' && m.record !== '*'
      && ((m.guard !== null && readsEntry(m.guard)) || m.emits.some((e) => e.args.some((a) => readsEntry(a.value))))) entriesRead.add(m.record);
    maxSlots = Math.max(maxSlots, m.slots);
    const c: CompiledMapping = {
      ir: m,
      guard: m.guard ? compileExpr(m.guard, ctx) : undefined,
      emits: m.emits.filter((e) => e.phase !== 'ignore').map((e) => emitOf(e, ctx)),
    };
    let table = wildcard;
    let key = m.source;
    if (m.record !== '*') {
      table = byKind.get(m.source) ?? new Map<string, CompiledMapping[]>();
      byKind.set(m.source, table);
      key = m.record;
    }
    let list = table.get(key);
    if (!list) { list = []; table.set(key, list); }
    list.push(c);
  }
  const env: Env = { ev: NO_EVENT, call: undefined, olds: undefined, locals: new Array<Value>(maxSlots + 4).fill(null), idx: 0, rt: EMPTY_RT,
    reads: undefined };
  const scratch = scratchEvent(), scratchCall = scratchEvent();
  // The task names of a capture are few: each is detached once, not once per event.
  let comm: string | undefined, commCopy: string | undefined;
  const names = new Set([...[...byKind].flatMap(([kind, t]) => [...t.keys()].map((n) => `${kind} ${n}`)), ...[...wildcard.keys()].map((k) => `${k} *`)]);
  return {
    names,
    wants: (kind, name) => byKind.get(kind)?.has(name) === true || wildcard.has(kind) || (kind === 'kprobe' && entriesRead.has(name)),
    map(rec) {
      // A probe record is matched by the function it probes first, then by its event name.
      const t = byKind.get(rec.kind);
      const list = (rec.probedSym !== undefined ? t?.get(rec.probedSym) : undefined) ?? t?.get(rec.name) ?? wildcard.get(rec.kind);
      if (!list) return undefined;
      env.ev = recordEvent(rec, scratch);
      env.call = rec.entry ? recordEvent(rec.entry, scratchCall) : undefined;
      if (env.ev.comm !== comm) { comm = env.ev.comm; commCopy = comm === undefined ? undefined : detach(comm); }
      for (const m of list) {
        if (m.guard && !m.guard(env)) continue;
        const out: TraceEvent[] = [];
        for (const e of m.emits) {
          const ev: TraceEvent = { seq: 0, pid: env.ev.pid, ev: e.ev, fn: e.fn, args: NO_ARGS, comm: commCopy,
            cpu: env.ev.cpu, ts: env.ev.ts, file: rec.file, line: rec.line };
          for (const a of e.args) {
            let v = a.value(env) as Scalar;
            if (typeof v === 'string') v = detach(v);
            if (a.to === TO_RET) ev.ret = v;
            else if (a.to === TO_FIELD) (ev as unknown as Record<string, Scalar>)[a.name] = v;
            else if (v !== null) (ev.args === NO_ARGS ? (ev.args = {}) : ev.args)[a.name] = v;
            else if (a.reads.length > 0) (ev.unread ??= {})[a.name] = rawFields(rec, a.reads);
          }
          out.push(ev);
        }
        return out;
      }
      return undefined;
    },
  };
}
