/**
 * The checked spec: a separate tree from the AST in which every name is resolved and every
 * expression carries its type. The monitor compiler accepts only this, so it never sees an
 * unchecked spec.
 */
import type { Span } from '../diag/diagnostic.js';
import type { Scalar } from '../values/event.js';
import type { Builtin } from './builtins.js';
import type { Type } from './types.js';

export type Phase = 'event' | 'call' | 'ret';

/** A declared event or function: the schema a trace is checked against. */
export interface EventSchema {
  name: string;
  /** `event` for point events, `fn` for call/return pairs. */
  kind: 'event' | 'fn';
  /** `optional`: a record may leave the field out (`flags?: int`); every other field is required. */
  fields: { name: string; type: Type; optional?: boolean }[];
  /** For functions: fields available at the return (`ret` and any declared extras). */
  returns: { name: string; type: Type; optional?: boolean }[];
  span: Span;
}

export interface TriggerIR {
  phase: Phase;
  name: string;
  span: Span;
}

export interface StateIR {
  name: string;
  type: Type;
  /** Key positions (and the value, as -1) holding task ids: entries are dropped when the task's history becomes unknown. */
  taskPositions: number[];
  /** Key positions the lowering chose to index (a binder filtered on one of them); empty in the checked spec. */
  indexed: Set<number>;
  span: Span;
}

/** A past-time table: the last event matching `pattern`, keyed by the listed field values. */
export interface TemporalTable {
  id: number;
  phase: Phase;
  event: string;
  fields: string[];
  span: Span;
}

export type FieldSource = 'args' | 'call' | 'implicit' | 'ret';

/**
 * The two stages of the IR. `checked` is what the type checker builds: every name resolved, every
 * expression typed, a past-time operator naming its event pattern and an `old(...)` holding its
 * expression. `lowered` is what the monitor runs: past-time patterns numbered into tables,
 * `old(...)` expressions hoisted into per-function captures, binder domains narrowed to an index.
 */
export type Stage = 'checked' | 'lowered';

/** The event pattern a past-time operator remembers: the last matching event, keyed by `fields` (sorted). */
export interface TemporalPattern {
  phase: Phase;
  event: string;
  fields: string[];
  span: Span;
}

/** How a past-time operator names what it reads: its pattern (checked) or its table (lowered). */
export type TemporalRef<S extends Stage> = S extends 'checked' ? { pattern: TemporalPattern } : { table: number };
export type TemporalKeyed<S extends Stage> = TemporalRef<S> & { keys: ExprAt<S>[] };

export type ExprAt<S extends Stage> = { type: Type; span: Span } & (
  | { k: 'lit'; value: Scalar }
  | { k: 'field'; name: string; from: FieldSource }
  | { k: 'local'; slot: number }
  | { k: 'state'; state: string }
  | { k: 'lookup'; state: string; keys: ExprAt<S>[] }
  | { k: 'succ'; target: ExprAt<S>; key: ExprAt<S> }
  | { k: 'member'; elem: ExprAt<S>[]; coll: ExprAt<S> }
  | { k: 'bin'; op: string; left: ExprAt<S>; right: ExprAt<S> }
  | { k: 'not'; operand: ExprAt<S> }
  | { k: 'neg'; operand: ExprAt<S> }
  | { k: 'cond'; cond: ExprAt<S>; then: ExprAt<S>; otherwise: ExprAt<S> }
  | { k: 'quant'; q: 'forall' | 'exists' | 'no'; slots: number[]; domain: DomainAt<S>; filter: ExprAt<S> | null; body: ExprAt<S> }
  | { k: 'count'; slots: number[]; domain: DomainAt<S>; filter: ExprAt<S> | null }
  | { k: 'setComp'; elem: ExprAt<S>; slots: number[]; domain: DomainAt<S>; filter: ExprAt<S> | null }
  | { k: 'setLit'; items: ExprAt<S>[] }
  | { k: 'tuple'; items: ExprAt<S>[] }
  /** `old(e)`: checked, `e` over the call's fields of `fn` (with its own `slots`); lowered, the index of its capture. */
  | (S extends 'checked' ? { k: 'old'; fn: string; expr: ExprAt<S>; slots: number } : { k: 'old'; index: number })
  | ({ k: 'once' } & TemporalKeyed<S>)
  | ({ k: 'previously' } & TemporalKeyed<S>)
  | { k: 'since'; blockers: TemporalKeyed<S>[]; anchor: TemporalKeyed<S> }
  | { k: 'matches'; phase: Phase; event: string; fields: { name: string; from: FieldSource; value: ExprAt<S> }[] }
  /** A builtin call, with its definition (signature and implementation) from the table it was resolved in. */
  | { k: 'builtin'; name: string; builtin: Builtin; args: ExprAt<S>[] }
  | { k: 'defcall'; def: string; args: ExprAt<S>[] }
  | { k: 'template'; parts: (string | ExprAt<S>)[] }
);

/** What a binder ranges over. `index` (lowered only) narrows a state domain by one key position. */
export type DomainAt<S extends Stage> =
  | { k: 'state'; state: string; index: S extends 'lowered' ? { pos: number; value: ExprAt<S> } | null : null }
  | { k: 'expr'; expr: ExprAt<S> }
  | { k: 'tasks' };

export type StmtAt<S extends Stage> =
  | { k: 'assign'; state: string; keys: ExprAt<S>[]; value: ExprAt<S>; span: Span }
  | { k: 'delete'; state: string; keys: ExprAt<S>[]; span: Span }
  | { k: 'add'; state: string; value: ExprAt<S>[]; span: Span }
  | { k: 'remove'; state: string; value: ExprAt<S>[]; span: Span }
  | { k: 'if'; cond: ExprAt<S>; then: StmtAt<S>[]; otherwise: StmtAt<S>[]; span: Span }
  | { k: 'for'; slots: number[]; domain: DomainAt<S>; filter: ExprAt<S> | null; body: StmtAt<S>[]; span: Span };

/** The monitor's expressions, statements and domains. */
export type TExpr = ExprAt<'lowered'>;
export type TStmt = StmtAt<'lowered'>;
export type DomainIR = DomainAt<'lowered'>;
/** The type checker's. */
export type CheckedExpr = ExprAt<'checked'>;
export type CheckedStmt = StmtAt<'checked'>;
export type CheckedDomain = DomainAt<'checked'>;

export interface RuleAt<S extends Stage> {
  triggers: TriggerIR[];
  guard: ExprAt<S> | null;
  body: StmtAt<S>[];
  slots: number;
  span: Span;
}

export interface InvariantAt<S extends Stage> {
  name: string;
  doc: string | undefined;
  when: 'on' | 'after' | 'always';
  triggers: TriggerIR[];
  guard: ExprAt<S> | null;
  per: ExprAt<S>[] | null;
  body: ExprAt<S>;
  message: ExprAt<S> | null;
  /** Where the body fails and `cond` holds, the trace cannot tell: the verdict is unknown, for `reason`. */
  unknown: { cond: ExprAt<S>; reason: ExprAt<S> } | null;
  slots: number;
  span: Span;
}

export interface ObligationAt<S extends Stage> {
  name: string;
  doc: string | undefined;
  slots: number[];
  domain: DomainAt<S>;
  triggers: TriggerIR[];
  filter: ExprAt<S> | null;
  message: ExprAt<S> | null;
  totalSlots: number;
  span: Span;
}

export interface SyncAt<S extends Stage> {
  triggers: TriggerIR[];
  guard: ExprAt<S> | null;
  slots: number;
  span: Span;
}

/** One `map SOURCE RECORD [when G] -> EMIT, ...` line of an ftrace mapping. */
export interface MappingAt<S extends Stage> {
  source: string;
  record: string;
  guard: ExprAt<S> | null;
  emits: { phase: Phase | 'ignore'; name: string; args: { name: string; value: ExprAt<S> }[] }[];
  /** Record fields the mapping reads (all strings in the raw record). */
  slots: number;
  span: Span;
}

export interface DefAt<S extends Stage> {
  name: string;
  params: { name: string; type: Type }[];
  type: Type;
  body: ExprAt<S>;
  /** Local slots used by the body (params first). */
  slots: number;
  span: Span;
}

export type RuleIR = RuleAt<'lowered'>;
export type InvariantIR = InvariantAt<'lowered'>;
export type ObligationIR = ObligationAt<'lowered'>;
export type SyncIR = SyncAt<'lowered'>;
export type MappingIR = MappingAt<'lowered'>;
export type DefIR = DefAt<'lowered'>;

/** `old(e)` captures of one function, evaluated at its call and read at its return. */
export interface CaptureIR {
  fn: string;
  exprs: TExpr[];
  slots: number;
}

/** What every stage shares: the declarations. */
export interface DeclaredParts {
  files: string[];
  params: Map<string, { type: Type; value: Scalar; span: Span }>;
  enums: Map<string, readonly string[]>;
  events: Map<string, EventSchema>;
  states: Map<string, StateIR>;
}

/** The type checker's output: the declarations, and every body resolved and typed. */
export interface CheckedSpec extends DeclaredParts {
  defs: Map<string, DefAt<'checked'>>;
  rules: RuleAt<'checked'>[];
  invariants: InvariantAt<'checked'>[];
  obligations: ObligationAt<'checked'>[];
  syncs: SyncAt<'checked'>[];
  mappings: MappingAt<'checked'>[];
}

/** The checked spec the monitor compiles. */
export interface TypedSpec extends DeclaredParts {
  defs: Map<string, DefIR>;
  rules: RuleIR[];
  invariants: InvariantIR[];
  obligations: ObligationIR[];
  syncs: SyncIR[];
  mappings: MappingIR[];
  /** The past-time tables, numbered as `once`/`previously`/`since` nodes name them. */
  temporal: TemporalTable[];
  captures: Map<string, CaptureIR>;
}
