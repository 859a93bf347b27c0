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
  /** Key positions a compiled lookup asked to index. */
  indexed: Set<number>;
  span: Span;
}

export interface DefIR {
  name: string;
  params: { name: string; type: Type }[];
  type: Type;
  body: TExpr;
  /** Local slots used by the body (params first). */
  slots: number;
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

export type TExpr = { type: Type; span: Span } & (
  | { k: 'lit'; value: Scalar }
  | { k: 'field'; name: string; from: FieldSource }
  | { k: 'local'; slot: number }
  | { k: 'state'; state: string }
  | { k: 'lookup'; state: string; keys: TExpr[] }
  | { k: 'succ'; target: TExpr; key: TExpr }
  | { k: 'member'; elem: TExpr[]; coll: TExpr }
  | { k: 'bin'; op: string; left: TExpr; right: TExpr }
  | { k: 'not'; operand: TExpr }
  | { k: 'neg'; operand: TExpr }
  | { k: 'cond'; cond: TExpr; then: TExpr; otherwise: TExpr }
  | { k: 'quant'; q: 'forall' | 'exists' | 'no'; slots: number[]; domain: DomainIR; filter: TExpr | null; body: TExpr }
  | { k: 'count'; slots: number[]; domain: DomainIR; filter: TExpr | null }
  | { k: 'setComp'; elem: TExpr; slots: number[]; domain: DomainIR; filter: TExpr | null }
  | { k: 'setLit'; items: TExpr[] }
  | { k: 'tuple'; items: TExpr[] }
  | { k: 'old'; index: number }
  | { k: 'once'; table: number; keys: TExpr[] }
  | { k: 'previously'; table: number; keys: TExpr[] }
  | { k: 'since'; blockers: { table: number; keys: TExpr[] }[]; anchor: { table: number; keys: TExpr[] } }
  | { k: 'matches'; phase: Phase; event: string; fields: { name: string; from: FieldSource; value: TExpr }[] }
  /** A builtin call, with its definition (signature and implementation) from the table it was resolved in. */
  | { k: 'builtin'; name: string; builtin: Builtin; args: TExpr[] }
  | { k: 'defcall'; def: string; args: TExpr[] }
  | { k: 'template'; parts: (string | TExpr)[] }
);

/** What a binder ranges over. `index` narrows a state domain by one key position. */
export type DomainIR =
  | { k: 'state'; state: string; index: { pos: number; value: TExpr } | null }
  | { k: 'expr'; expr: TExpr }
  | { k: 'tasks' };

export type TStmt =
  | { k: 'assign'; state: string; keys: TExpr[]; value: TExpr; span: Span }
  | { k: 'delete'; state: string; keys: TExpr[]; span: Span }
  | { k: 'add'; state: string; value: TExpr[]; span: Span }
  | { k: 'remove'; state: string; value: TExpr[]; span: Span }
  | { k: 'if'; cond: TExpr; then: TStmt[]; otherwise: TStmt[]; span: Span }
  | { k: 'for'; slots: number[]; domain: DomainIR; filter: TExpr | null; body: TStmt[]; span: Span };

export interface RuleIR {
  triggers: TriggerIR[];
  guard: TExpr | null;
  body: TStmt[];
  slots: number;
  span: Span;
}

export interface InvariantIR {
  name: string;
  doc: string | undefined;
  when: 'on' | 'after' | 'always';
  triggers: TriggerIR[];
  guard: TExpr | null;
  per: TExpr[] | null;
  body: TExpr;
  message: TExpr | null;
  /** Where the body fails and `cond` holds, the trace cannot tell: the verdict is unknown, for `reason`. */
  unknown: { cond: TExpr; reason: TExpr } | null;
  slots: number;
  span: Span;
}

export interface ObligationIR {
  name: string;
  doc: string | undefined;
  slots: number[];
  domain: DomainIR;
  triggers: TriggerIR[];
  filter: TExpr | null;
  message: TExpr | null;
  totalSlots: number;
  span: Span;
}

export interface SyncIR {
  triggers: TriggerIR[];
  guard: TExpr | null;
  slots: number;
  span: Span;
}

/** One `map SOURCE RECORD [when G] -> EMIT, ...` line of an ftrace mapping. */
export interface MappingIR {
  source: string;
  record: string;
  guard: TExpr | null;
  emits: { phase: Phase | 'ignore'; name: string; args: { name: string; value: TExpr }[] }[];
  /** Record fields the mapping reads (all strings in the raw record). */
  slots: number;
  span: Span;
}

/** `old(e)` captures of one function, evaluated at its call and read at its return. */
export interface CaptureIR {
  fn: string;
  exprs: TExpr[];
  slots: number;
}

export interface TypedSpec {
  files: string[];
  params: Map<string, { type: Type; value: Scalar; span: Span }>;
  enums: Map<string, readonly string[]>;
  events: Map<string, EventSchema>;
  states: Map<string, StateIR>;
  defs: Map<string, DefIR>;
  rules: RuleIR[];
  invariants: InvariantIR[];
  obligations: ObligationIR[];
  syncs: SyncIR[];
  mappings: MappingIR[];
  temporal: TemporalTable[];
  captures: Map<string, CaptureIR>;
}
