/**
 * The syntax tree of a kinv spec, exactly as the grammar builds it: no resolution, no types.
 * Every node has a `kind` discriminant and a `span` (byte offsets into its source).
 */
import type { Span } from '../diag/diagnostic.js';

export interface Ident { kind: 'ident'; name: string; span: Span }
export interface TypeRef { kind: 'typeRef'; name: string; elem?: TypeRef; span: Span }
/** `optional`: `name?: type`, an event field a record may leave out (or give as none). */
export interface FieldDecl { kind: 'field'; name: Ident; type: TypeRef; optional?: boolean; span: Span }

export type Literal = IntLit | StrLit | BoolLit | Ident;
export interface IntLit { kind: 'int'; value: number; span: Span }
export interface StrLit { kind: 'str'; value: string; span: Span }
export interface BoolLit { kind: 'bool'; value: boolean; span: Span }

export interface ImportDecl { kind: 'import'; path: string; span: Span }
export interface ParamDecl { kind: 'param'; name: Ident; type: TypeRef; value: Literal; span: Span; doc?: string }
export interface EnumDecl { kind: 'enum'; name: Ident; members: Ident[]; span: Span; doc?: string }
export interface EventDecl { kind: 'event'; name: Ident; fields: FieldDecl[]; span: Span; doc?: string }
export interface FnDecl { kind: 'fn'; name: Ident; fields: FieldDecl[]; returns: FieldDecl[]; span: Span; doc?: string }

export type StateType =
  | { kind: 'mapType'; keys: TypeRef[]; value: TypeRef; span: Span }
  | { kind: 'setType'; keys: TypeRef[]; span: Span }
  | { kind: 'relType'; node: TypeRef; span: Span }
  | { kind: 'varType'; value: TypeRef; span: Span };
export interface StateDecl { kind: 'state'; name: Ident; type: StateType; span: Span; doc?: string }

export interface DefDecl { kind: 'def'; name: Ident; params: FieldDecl[]; type: TypeRef; body: Expr; span: Span; doc?: string }

export interface Trigger { kind: 'trigger'; phase: 'event' | 'call' | 'ret'; name: Ident; span: Span }

export interface RuleDecl { kind: 'rule'; triggers: Trigger[]; guard: Expr | null; body: Stmt[]; span: Span; doc?: string }

export interface Timing { kind: 'timing'; when: 'on' | 'after' | 'always'; triggers: Trigger[]; guard: Expr | null; span: Span }
export interface InvariantDecl {
  kind: 'invariant'; name: Ident; timing: Timing; per: Expr[] | null; body: Expr; message: Template | null;
  /** Where the body fails but `cond` holds, the verdict is unknown (the trace cannot tell), with `reason`. */
  unknown: { cond: Expr; reason: Template; span: Span } | null;
  span: Span; doc?: string;
}
export interface ObligationDecl {
  kind: 'obligation'; name: Ident; binding: Binding; domain: Expr; triggers: Trigger[]; filter: Expr | null;
  message: Template | null; span: Span; doc?: string;
}
export interface SyncDecl { kind: 'sync'; triggers: Trigger[]; guard: Expr | null; span: Span; doc?: string }

export interface Emit { kind: 'emit'; phase: 'event' | 'call' | 'ret' | 'ignore'; name: Ident | null; args: NamedArg[]; span: Span }
export interface MapDecl { kind: 'mapping'; source: Ident; record: Ident; guard: Expr | null; emits: Emit[]; span: Span; doc?: string }

export type Decl =
  | ImportDecl | ParamDecl | EnumDecl | EventDecl | FnDecl | StateDecl | DefDecl | RuleDecl
  | InvariantDecl | ObligationDecl | SyncDecl | MapDecl;

export interface SpecAst { kind: 'spec'; decls: Decl[]; span: Span }

export type Stmt =
  | { kind: 'assign'; target: LValue; value: Expr; span: Span }
  | { kind: 'delete'; target: LValue; span: Span }
  | { kind: 'add'; value: Expr; target: Ident; span: Span }
  | { kind: 'remove'; value: Expr; target: Ident; span: Span }
  | { kind: 'if'; cond: Expr; then: Stmt[]; otherwise: Stmt[]; span: Span }
  | { kind: 'for'; binding: Binding; domain: Expr; filter: Expr | null; body: Stmt[]; span: Span };

export interface LValue { kind: 'lvalue'; name: Ident; keys: Expr[]; span: Span }
export interface Binding { kind: 'binding'; names: Ident[]; span: Span }
export interface NamedArg { kind: 'namedArg'; name: Ident; value: Expr; span: Span }

export type TemplatePart = { kind: 'text'; value: string } | Expr;
export interface Template { kind: 'template'; parts: TemplatePart[]; span: Span }

export type BinaryOp =
  | 'implies' | 'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in'
  | '+' | '-' | '*' | '/' | '%' | '&';

export type Expr =
  | IntLit | StrLit | BoolLit | Ident | Template
  | { kind: 'none'; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'not'; operand: Expr; span: Span }
  | { kind: 'neg'; operand: Expr; span: Span }
  | { kind: 'since'; left: Expr; right: Expr; span: Span }
  | { kind: 'once'; operand: Expr; span: Span }
  | { kind: 'previously'; operand: Expr; span: Span }
  | { kind: 'old'; operand: Expr; span: Span }
  | { kind: 'cond'; cond: Expr; then: Expr; otherwise: Expr; span: Span }
  | { kind: 'index'; target: Expr; keys: Expr[]; span: Span }
  | { kind: 'quant'; q: 'forall' | 'exists' | 'no'; binding: Binding; domain: Expr; filter: Expr | null; body: Expr; span: Span }
  | { kind: 'count'; binding: Binding; domain: Expr; filter: Expr | null; span: Span }
  | { kind: 'setComp'; elem: Expr; binding: Binding; domain: Expr; filter: Expr | null; span: Span }
  | { kind: 'setLit'; items: Expr[]; span: Span }
  | { kind: 'tuple'; items: Expr[]; span: Span }
  | { kind: 'pattern'; phase: 'event' | 'call' | 'ret'; name: Ident; args: NamedArg[]; span: Span }
  | { kind: 'call'; callee: Ident; args: Expr[]; span: Span };
