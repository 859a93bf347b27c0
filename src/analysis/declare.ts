/**
 * Pass 1, declare: every declaration of every file, in dependency order (types before what uses
 * them), so that order in a file does not matter. Resolves enums, parameters (with `--param`
 * overrides), events and functions, states, and the signatures of defs; bodies are the type
 * checker's. Reports duplicate names, unknown types and bad parameter values, all at once.
 */
import type * as A from '../dsl/ast.js';
import { error, type Diagnostic, type Span } from '../diag/diagnostic.js';
import type { Scalar } from '../values/event.js';
import { IMPLICIT_FIELDS } from './fields.js';
import type { DeclaredParts, EventSchema } from './ir.js';
import { didYouMean } from '../diag/suggest.js';
import { BOOL, ERROR, INT, STR, TASK, TS, show, type Type } from './types.js';

export interface DeclareOptions {
  /** `--param k=v` overrides, by name. */
  params?: Record<string, string> | undefined;
}

/** A def as declared: its signature, and the body the type checker will read. */
export interface DefSignature {
  ast: A.DefDecl;
  params: { name: string; type: Type }[];
  type: Type;
}

/** The declare pass's output: the spec's names and their types. */
export interface Declarations extends DeclaredParts {
  defs: Map<string, DefSignature>;
}

const TYPE_NAMES: Readonly<Record<string, Type>> = { int: INT, str: STR, bool: BOOL, id: { k: 'id' }, task: TASK, time: TS };

export function declare(asts: A.SpecAst[], opts: DeclareOptions = {}): { decls: Declarations; diagnostics: Diagnostic[] } {
  const p = new Declarer();
  const decls = asts.flatMap((a) => a.decls);
  p.out.files.push(...asts.map((a) => a.span.source));
  for (const d of decls) if (d.kind === 'enum') p.enumDecl(d);
  for (const d of decls) if (d.kind === 'param') p.param(d);
  p.paramOverrides(decls, opts.params ?? {});
  for (const d of decls) if (d.kind === 'event' || d.kind === 'fn') p.event(d);
  for (const d of decls) if (d.kind === 'state') p.state(d);
  for (const d of decls) if (d.kind === 'def') p.def(d);
  return { decls: p.out, diagnostics: p.diags };
}

class Declarer {
  readonly diags: Diagnostic[] = [];
  readonly out: Declarations = { files: [], params: new Map(), enums: new Map(), events: new Map(), states: new Map(), defs: new Map() };
  private readonly declSpans = new Map<string, Span>();

  /** Claims a global name; a second declaration of it is an error pointing at the first. */
  private claim(name: A.Ident, what: string): boolean {
    const prev = this.declSpans.get(name.name);
    if (prev) {
      const d = error('KV102', `${what} '${name.name}' is already declared`, { span: name.span });
      d.notes = [{ message: 'first declared here', span: prev }];
      this.diags.push(d);
      return false;
    }
    this.declSpans.set(name.name, name.span);
    return true;
  }

  enumDecl(d: A.EnumDecl): void {
    if (!this.claim(d.name, 'enum')) return;
    const seen = new Set<string>();
    for (const m of d.members) {
      if (seen.has(m.name)) this.diags.push(error('KV102', `enum member '${m.name}' repeated`, { span: m.span }));
      seen.add(m.name);
    }
    this.out.enums.set(d.name.name, [...seen]);
  }

  private type(t: A.TypeRef): Type {
    if (t.name === 'set') return t.elem ? { k: 'set', elem: [this.type(t.elem)] } : ERROR;
    const builtin = TYPE_NAMES[t.name];
    if (builtin) return builtin;
    const members = this.out.enums.get(t.name);
    if (members) return { k: 'enum', name: t.name, members };
    const hint = didYouMean(t.name, [...Object.keys(TYPE_NAMES), ...this.out.enums.keys()]) ?? 'types are int, str, bool, id, task, time and declared enums';
    this.diags.push(error('KV101', `unknown type '${t.name}'`, { span: t.span }, hint));
    return ERROR;
  }

  param(d: A.ParamDecl): void {
    if (!this.claim(d.name, 'parameter')) return;
    const type = this.type(d.type);
    this.out.params.set(d.name.name, { type, value: this.literal(d.value, type), span: d.name.span });
  }

  private literal(lit: A.Literal, type: Type): Scalar {
    const bad = (): Scalar => {
      this.diags.push(error('KV201', `default value does not have type ${show(type)}`, { span: lit.span }));
      return null;
    };
    switch (lit.kind) {
      case 'int': return type.k === 'int' ? lit.value : bad();
      case 'str': return type.k === 'str' || type.k === 'id' ? lit.value : bad();
      case 'bool': return type.k === 'bool' ? lit.value : bad();
      case 'ident': return type.k === 'enum' && type.members.includes(lit.name) ? lit.name : bad();
    }
  }

  paramOverrides(decls: A.Decl[], given: Record<string, string>): void {
    const params = this.out.params;
    for (const [name, raw] of Object.entries(given)) {
      const p = params.get(name);
      if (!p) {
        const hint = didYouMean(name, params.keys()) ?? `the spec declares: ${[...params.keys()].join(', ') || 'no parameters'}`;
        // (a mistake of the command line, not of any place in the spec: no location)
        this.diags.push(error('KV105', `unknown parameter '${name}' given with --param`, {}, hint));
        continue;
      }
      const v = parseParamValue(raw, p.type);
      if (v === undefined) {
        const want = p.type.k === 'enum' ? `one of ${p.type.members.join(', ')}` : show(p.type);
        this.diags.push(error('KV106', `--param ${name}=${raw}: expected ${want}`, { span: p.span }));
        continue;
      }
      p.value = v;
    }
  }

  event(d: A.EventDecl | A.FnDecl): void {
    if (!this.claim(d.name, d.kind === 'fn' ? 'function' : 'event')) return;
    const schema: EventSchema = {
      name: d.name.name, kind: d.kind, fields: this.fields(d.fields), returns: d.kind === 'fn' ? this.fields(d.returns) : [], span: d.name.span,
    };
    this.out.events.set(d.name.name, schema);
  }

  private fields(fs: A.FieldDecl[]): EventSchema['fields'] {
    const seen = new Set<string>();
    const out: EventSchema['fields'] = [];
    for (const f of fs) {
      if (seen.has(f.name.name)) this.diags.push(error('KV102', `field '${f.name.name}' repeated`, { span: f.name.span }));
      else if (f.name.name in IMPLICIT_FIELDS) this.diags.push(error('KV102', `field '${f.name.name}' is implicit on every event`, { span: f.name.span }));
      seen.add(f.name.name);
      out.push(f.optional ? { name: f.name.name, type: this.type(f.type), optional: true } : { name: f.name.name, type: this.type(f.type) });
    }
    return out;
  }

  state(d: A.StateDecl): void {
    if (!this.claim(d.name, 'state')) return;
    let type: Type;
    const t = d.type;
    switch (t.kind) {
      case 'mapType': type = { k: 'map', keys: t.keys.map((k) => this.type(k)), value: this.type(t.value) }; break;
      case 'setType': type = { k: 'set', elem: t.keys.map((k) => this.type(k)) }; break;
      case 'relType': type = { k: 'rel', node: this.type(t.node) }; break;
      case 'varType': type = this.type(t.value); break;
    }
    const taskPositions: number[] = [];
    const keys = type.k === 'map' ? type.keys : type.k === 'set' ? type.elem : [];
    keys.forEach((k, i) => { if (k.k === 'task') taskPositions.push(i); });
    if (type.k === 'map' && type.value.k === 'task') taskPositions.push(-1);
    this.out.states.set(d.name.name, { name: d.name.name, type, taskPositions, indexed: new Set(), span: d.name.span });
  }

  def(d: A.DefDecl): void {
    if (!this.claim(d.name, 'def')) return;
    const params = d.params.map((p) => ({ name: p.name.name, type: this.type(p.type) }));
    this.out.defs.set(d.name.name, { ast: d, params, type: this.type(d.type) });
  }
}

function parseParamValue(raw: string, t: Type): Scalar | undefined {
  switch (t.k) {
    // An int is a whole number that a double holds exactly: 1.5 is no offset, and 2^53 + 1 would silently become 2^53.
    case 'int': { const n = raw.trim() === '' ? NaN : Number(raw); return Number.isSafeInteger(n) ? n : undefined; }
    case 'bool': return raw === 'true' ? true : raw === 'false' ? false : undefined;
    case 'str': case 'id': return raw;
    case 'enum': return t.members.includes(raw) ? raw : undefined;
    default: return undefined;
  }
}
