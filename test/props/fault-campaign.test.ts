/**
 * Fault campaign: mutants of the bundled NDJSON fixtures and of windows of every bundled real
 * capture, checked end to end (`checkTraceFile`: sniffing, decompression, the header's count, the
 * readers, the checker). Each mutant must end in one of two ways:
 *
 * - damage (a garbled line, a retyped field, control bytes, a cut file, lines missing from a
 *   capture that counts its entries, a CPU's time going backwards): an error diagnostic located
 *   at the damage, a gap covering the task it may belong to (every task when its task is
 *   unreadable), and no violation the original did not have;
 * - a well-formed trace that differs from the original (a deleted, duplicated or swapped NDJSON
 *   record; a duplicated capture line; capture lines of different CPUs swapped): any violation the
 *   original did not have involves a mutated task (its event, its frame or its slice), because
 *   only that task's history changed (for example a deleted `rel` leaves the lock held at exit).
 *
 * The default run stays small; KINV_EXHAUSTIVE=1 multiplies the number of mutants.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import type { TraceGap } from '../../src/trace/event.js';

const SCALE = process.env.KINV_EXHAUSTIVE === '1' ? 20 : 1;
/** Per test: the default run is well inside the suite's minute; the exhaustive one takes what it takes. */
const TIMEOUT = SCALE > 1 ? 3_600_000 : 60_000;
const specs = new SpecSet([], {});
const tmp = mkdtempSync(join(tmpdir(), 'kinv-faults-'));
let serial = 0;

/** `key`: the violation where it happened; `what`: what it says (a lock-order cycle may close at another edge of the same cycle). */
interface Violation { key: string; what: string; invariant: string; pids: Set<number>; lines: number[]; objects: Set<string> }
interface Outcome { violations: Violation[]; diags: Diagnostic[]; gaps: TraceGap[] }

/** Checks `bytes` as a file named like `name`; `lineMap` takes a mutant's line back to the original's. */
async function outcome(bytes: Buffer, name: string, lineMap: (l: number) => number = (l) => l): Promise<Outcome> {
  const path = join(tmp, `${serial++}-${name}`);
  writeFileSync(path, bytes);
  const diags: Diagnostic[] = [];
  const r = await checkTraceFile(path, specs, { all: true, onDiagnostic: (d) => diags.push(d) });
  const violations = (r?.verdicts ?? []).filter((v) => v.kind === 'violation').map((v) => ({
    key: `${v.invariant} pid ${v.event?.pid} line ${lineMap(v.event?.line ?? 0)}`,
    what: whatItSays(v.invariant, v.message),
    invariant: v.invariant,
    lines: [v.event, v.call, ...v.slice.map((x) => x.ev)].filter((e) => e !== undefined).map((e) => lineMap(e.line ?? 0)),
    pids: new Set([v.event?.pid ?? -1, v.call?.pid ?? -1, ...v.slice.map((s) => s.ev.pid)]),
    objects: new Set([v.event, v.call, ...v.slice.map((x) => x.ev)].flatMap((e) => (e === undefined ? [] : objectsOf(e)))),
  }));
  return { violations, diags, gaps: r?.gaps ?? [] };
}

/** The vocabulary, for which arguments of an event name objects. */
const vocabulary = specs.for('ndjson')!.spec.events;

/** The object ids (dentries, inodes, locks) an event's id-typed arguments name: not its modes, kinds or names. */
function objectsOf(e: { ev: string; fn?: string | undefined; args?: Record<string, unknown> | undefined }): string[] {
  const schema = vocabulary.get(e.ev === 'call' || e.ev === 'ret' ? e.fn ?? '' : e.ev);
  if (!schema) return [];
  const fields = e.ev === 'ret' ? [...schema.fields, ...schema.returns] : schema.fields;
  return fields.filter((f) => f.type.k === 'id').map((f) => e.args?.[f.name]).filter((v): v is string => typeof v === 'string');
}

/**
 * What a violation states, independent of where it was found. A lock-order report lists the
 * cycles a new edge closed; after a gap the same cycles may close at another of their edges, so
 * they are compared as cycles (each rotated to start at its least resource), one per line.
 */
function whatItSays(invariant: string, message: string): string {
  if (invariant !== 'lock_order_acyclic') return `${invariant}: ${message.split(': task ')[0]}`;
  const inner = /\{(.*)\}: task /.exec(message)?.[1] ?? message;
  return inner.split(', ').map((c) => {
    const nodes = c.split(' -> ').slice(0, -1);
    const k = nodes.indexOf([...nodes].sort()[0]!);
    return `cycle ${[...nodes.slice(k), ...nodes.slice(0, k)].join(' -> ')}`;
  }).sort().join('\n');
}

/**
 * Lock order is predictive and depends on the order edges come in: after a gap, the same records
 * may close a different cycle first (a task unknown for a while adds its edges later). A cycle is
 * implied by the trace when every edge of it comes from an undamaged record (edges come only from
 * tasks whose history is known, see Runtime.untrusted).
 */
function predicted(v: Violation, damaged: number[]): boolean {
  return v.invariant === 'lock_order_acyclic' && !v.lines.some((l) => damaged.includes(l));
}

const covers = (g: TraceGap, pid: number | undefined): boolean => g.pids === undefined || (pid !== undefined && g.pids.includes(pid));

/** Damage: a located error at one of `lines`, a gap covering `pid` (undefined: unreadable, every task), nothing new. */
function expectDamage(m: Outcome, base: Outcome, lines: number[], pid: number | undefined, what: string): void {
  const located = m.diags.filter((d) => d.severity === 'error' && d.at !== undefined && lines.includes(d.at.line) && d.at.column !== undefined);
  expect(located, `${what}: a located error at line ${lines.join('/')}; got ${m.diags.map((d) => `${d.code}@${d.at?.line}`).join(' ')}`).not.toEqual([]);
  expect(m.gaps.some((g) => covers(g, pid)), `${what}: a gap covering pid ${pid ?? 'every task'}`).toBe(true);
  expectNothingNew(m, base, new Set(), what, lines);
}

/**
 * Every violation not in the original involves one of `mutated`, or a task the original shows
 * returning to user space with a lock held (no_locks_at_exit): a sync takes a task back as holding
 * nothing, which is the spec's assumption and, for that task, not the trace's.
 */
function expectNothingNew(m: Outcome, base: Outcome, mutated: Set<number>, what: string, damaged: number[] = [], touched: Set<string> = new Set()): void {
  const leaky = new Set(base.violations.filter((v) => v.key.startsWith('no_locks_at_exit ')).map((v) => Number(/pid (\d+)/.exec(v.key)![1])));
  mutated = new Set([...mutated, ...leaky]);
  const before = new Set(base.violations.flatMap((v) => [v.key, ...v.what.split('\n')]));
  const known = (v: Violation): boolean => before.has(v.key) || v.what.split('\n').every((w) => before.has(w)) || predicted(v, damaged);
  // A violation about an object the mutated record changed (a deleted d_drop leaves the name
  // hashed for the next lookup of any task: the violation names the dentry) is one the mutated
  // trace implies.
  const names = (v: Violation, o: string): boolean => v.objects.has(o) || new RegExp(`(^|[^\\w])${o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w])`).test(v.what);
  const foreign = m.violations.filter((v) => !known(v) && ![...v.pids].some((p) => mutated.has(p)) && ![...touched].some((o) => names(v, o)));
  expect(foreign.map((v) => v.key), `${what}: violations the mutation cannot cause`).toEqual([]);
}

// ---- NDJSON fixtures ----

const NDJSON_DIR = 'traces/ndjson';
const fixtures = readdirSync(NDJSON_DIR).filter((f) => f.endsWith('.ndjson')).sort()
  .map((f) => ({ name: f, lines: readFileSync(join(NDJSON_DIR, f), 'utf8').split('\n').filter((l) => l !== '') }));
const baseNdjson = new Map<string, Outcome>();
async function ndjsonBase(fx: (typeof fixtures)[number]): Promise<Outcome> {
  let b = baseNdjson.get(fx.name);
  if (!b) { b = await outcome(Buffer.from(fx.lines.join('\n') + '\n'), fx.name); baseNdjson.set(fx.name, b); }
  return b;
}
const pidOf = (line: string): number => (JSON.parse(line) as { pid: number }).pid;
const text = (lines: string[]): Buffer => Buffer.from(lines.join('\n') + '\n');
/** Bytes JSON never takes raw (tab, CR and DEL are allowed in places; newline ends the line). */
const badJsonByte = fc.constantFrom(...[0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 20, 27, 31]);
const garbage = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== 10 && b !== 13)))
  .filter((b) => b.toString('latin1').trim() !== '');
const retypeValue = fc.constantFrom<unknown>(null, 42, true, [1], { a: 1 }, undefined);
/** Whether a record may carry `value` (undefined: absent) as `key`: then it is a different trace, not a damaged one. */
function wellTyped(key: string, value: unknown): boolean {
  const int = typeof value === 'number' && Number.isSafeInteger(value);
  switch (key) {
    case 'pid': return int;
    case 'seq': case 'cpu': return int || value === undefined;
    case 'ret': return value === undefined || value === null || typeof value === 'number';
    // optional arguments (events.kinv marks them `?`)
    case 'args.flags': return int || value === null || value === undefined;
    case 'args.inode': case 'args.key': case 'args.wq': return value === null || value === undefined;
    case 'args.rcu': return typeof value === 'boolean' || value === null || value === undefined;
    default: return false;
  }
}

describe('fault campaign: NDJSON fixtures', () => {
  // An index, not the fixture: a counterexample stays one line long.
  const fxArb = fc.nat(fixtures.length - 1);

  it('a garbled line is a located diagnostic and a gap of every task', async () => {
    await fc.assert(fc.asyncProperty(fxArb, fc.nat(), garbage, async (fi, at, junk) => {
      const fx = fixtures[fi]!;
      const i = at % fx.lines.length;
      const bytes = Buffer.concat(fx.lines.map((l, k) => (k === i ? Buffer.concat([junk, Buffer.from('\n')]) : Buffer.from(l + '\n'))));
      const m = await outcome(bytes, fx.name);
      expectDamage(m, await ndjsonBase(fx), [i + 1], undefined, `${fx.name} line ${i + 1} garbled`);
    }), { numRuns: 60 * SCALE });
  }, TIMEOUT);

  it('a retyped or removed field is a located diagnostic and a gap, or changes nothing the spec reads', async () => {
    await fc.assert(fc.asyncProperty(fxArb, fc.nat(), fc.nat(), retypeValue, async (fi, at, which, value) => {
      const fx = fixtures[fi]!;
      const i = at % fx.lines.length;
      const rec = JSON.parse(fx.lines[i]!) as Record<string, unknown> & { args?: Record<string, unknown> };
      const keys = [...Object.keys(rec).filter((k) => k !== 'args' && k !== 'comm' && k !== 'ts'), ...Object.keys(rec.args ?? {}).map((k) => `args.${k}`)];
      const key = keys[which % keys.length]!;
      const holder = key.startsWith('args.') ? rec.args! : rec;
      const k = key.startsWith('args.') ? key.slice(5) : key;
      if (value === undefined) delete holder[k]; else holder[k] = value;
      const lines = [...fx.lines];
      lines[i] = JSON.stringify(rec);
      const base = await ndjsonBase(fx);
      const m = await outcome(text(lines), fx.name);
      const what = `${fx.name} line ${i + 1}: ${key} = ${JSON.stringify(value)}`;
      const pid = pidOf(fx.lines[i]!);
      if (wellTyped(key, value)) expectNothingNew(m, base, new Set([pid, ...(key === 'pid' ? [value as number] : [])]), what);
      else expectDamage(m, base, [i + 1], k === 'pid' ? undefined : pid, what);
    }), { numRuns: 80 * SCALE });
  }, TIMEOUT);

  it('control bytes in a line are a located diagnostic and a gap', async () => {
    await fc.assert(fc.asyncProperty(fxArb, fc.nat(), fc.nat(), badJsonByte, async (fi, at, pos, byte) => {
      const fx = fixtures[fi]!;
      const i = at % fx.lines.length;
      const line = Buffer.from(fx.lines[i]!);
      const p = pos % (line.length + 1);
      const bad = Buffer.concat([line.subarray(0, p), Buffer.from([byte]), line.subarray(p)]);
      const bytes = Buffer.concat(fx.lines.map((l, k) => Buffer.concat([k === i ? bad : Buffer.from(l), Buffer.from('\n')])));
      const m = await outcome(bytes, fx.name);
      expectDamage(m, await ndjsonBase(fx), [i + 1], undefined, `${fx.name} line ${i + 1}: byte ${byte} at ${p}`);
    }), { numRuns: 40 * SCALE });
  }, TIMEOUT);

  it('a cut file is checked up to the cut: a cut line is a located diagnostic and a gap', async () => {
    await fc.assert(fc.asyncProperty(fxArb, fc.nat(), async (fi, at) => {
      const fx = fixtures[fi]!;
      const whole = text(fx.lines);
      const cut = 1 + (at % (whole.length - 1));
      const m = await outcome(whole.subarray(0, cut), fx.name);
      const base = await ndjsonBase(fx);
      if (whole[cut - 1] !== 10) {
        const lastLine = whole.subarray(0, cut).toString('latin1').split('\n').length;
        const lastText = whole.subarray(0, cut).toString('latin1').split('\n').at(-1)!;
        // A cut that leaves a complete record (the end of a number) is a shorter trace, not damage.
        if (m.diags.some((d) => d.at?.line === lastLine)) expectDamage(m, base, [lastLine], undefined, `${fx.name} cut at byte ${cut}`);
        else expect(() => JSON.parse(lastText) as unknown, `${fx.name} cut at byte ${cut}`).not.toThrow();
      }
      expectNothingNew(m, base, new Set(), `${fx.name} cut at byte ${cut}`);
    }), { numRuns: 40 * SCALE });
  }, TIMEOUT);

  it('a deleted d_drop of another task: the lookup that follows violates, naming the dentry left hashed (implied)', async () => {
    const fx = fixtures.find((f) => f.name === 'no_new_while_hashed.ndjson')!;
    const i = fx.lines.findIndex((l) => l.includes('"ev":"d_drop"'));
    const lines = fx.lines.filter((_, k) => k !== i);
    const m = await outcome(text(lines), fx.name, (l) => (l > i ? l + 1 : l));
    const touched = new Set(objectsOf(JSON.parse(fx.lines[i]!) as { ev: string; args?: Record<string, unknown> }));
    expect([...touched]).toEqual(['D1']);
    const base = await ndjsonBase(fx);
    expect(m.violations.map((v) => v.key).filter((k) => !base.violations.some((b) => b.key === k))).toEqual(['no_new_while_hashed pid 104 line 24']);
    expectNothingNew(m, base, new Set([pidOf(fx.lines[i]!)]), `${fx.name} delete line ${i + 1}`, [], touched);
  });

  it('a damaged d_drop of another task: the later lookup of the name cannot tell, and says what was lost where', async () => {
    const fx = fixtures.find((f) => f.name === 'no_new_while_hashed.ndjson')!;
    const i = fx.lines.findIndex((l) => l.includes('"ev":"d_drop"'));
    const lines = fx.lines.map((l, k) => (k === i ? l.replace('"ev":"d_drop"', '"ev":null') : l));
    const path = join(tmp, `${serial++}-damaged-d_drop.ndjson`);
    writeFileSync(path, text(lines));
    const r = await checkTraceFile(path, specs, { all: true, onDiagnostic: () => undefined });
    const base = await ndjsonBase(fx);
    const said = (r?.verdicts ?? []).map((v) => `${v.kind} ${v.invariant} pid ${v.event?.pid} line ${v.event?.line}`);
    expect(said.filter((s) => s.startsWith('violation '))).toEqual(base.violations.map((v) => `violation ${v.key}`));
    expect(said).toContain('unknown no_new_while_hashed pid 104 line 24');
    const unknown = r!.verdicts.find((v) => v.kind === 'unknown' && v.event?.line === 24)!;
    expect(unknown.reason).toBe(`the trace lost events of task 103 at ${path}:${i + 1} (malformed record) after pos_at[I1, foo] = D1 was written (line 8): they may have changed it`);
  });

  it('a deleted, duplicated or swapped record changes verdicts of its own tasks only', async () => {
    await fc.assert(fc.asyncProperty(fxArb, fc.nat(), fc.constantFrom('delete', 'duplicate', 'swap'), async (fi, at, how) => {
      const fx = fixtures[fi]!;
      const n = fx.lines.length;
      const i = at % (how === 'swap' ? Math.max(1, n - 1) : n);
      const lines = [...fx.lines];
      let map: (l: number) => number = (l) => l;
      const mutated = new Set([pidOf(fx.lines[i]!)]);
      const touched = new Set(objectsOf(JSON.parse(fx.lines[i]!) as { ev: string; fn?: string; args?: Record<string, unknown> }));
      if (how === 'delete') { lines.splice(i, 1); map = (l) => (l > i ? l + 1 : l); }
      else if (how === 'duplicate') { lines.splice(i, 0, fx.lines[i]!); map = (l) => (l > i + 1 ? l - 1 : l === i + 2 ? i + 1 : l); }
      else if (i + 1 < n) {
        [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
        mutated.add(pidOf(fx.lines[i + 1]!));
        for (const o of objectsOf(JSON.parse(fx.lines[i + 1]!) as { ev: string; fn?: string; args?: Record<string, unknown> })) touched.add(o);
        map = (l) => (l === i + 1 ? i + 2 : l === i + 2 ? i + 1 : l);
      }
      // (a deleted call or a duplicated return is a return without its call: KV304 and a gap of the task)
      const m = await outcome(text(lines), fx.name, map);
      expectNothingNew(m, await ndjsonBase(fx), mutated, `${fx.name} ${how} line ${i + 1}`, [], touched);
    }), { numRuns: 120 * SCALE });
  }, TIMEOUT);
});

// ---- windows of the bundled real captures ----

/** Every bundled real capture: each `trace.gz` under traces/kernel*. */
const CAPTURES = readdirSync('traces').filter((d) => d.startsWith('kernel')).sort()
  .flatMap((d) => (readdirSync(join('traces', d), { recursive: true }) as string[]).filter((f) => f === 'trace.gz' || f.endsWith('/trace.gz')).sort().map((f) => join('traces', d, f)));
const WINDOW = 3000;

interface Window { name: string; header: string[]; records: string[] }

/** Two windows per capture, each a `trace` file of its own: the header, with its count made the window's. */
function windows(): Window[] {
  const out: Window[] = [];
  for (const cap of CAPTURES) {
    const all = gunzipSync(readFileSync(cap)).toString('latin1').split('\n');
    let h = 0;
    while (h < all.length && all[h]!.startsWith('#')) h++;
    const body = all.slice(h).filter((l) => l !== '');
    for (const frac of [0.25, 0.7]) {
      const start = Math.floor(body.length * frac);
      const records = body.slice(start, start + WINDOW);
      const header = all.slice(0, h).map((l) => l.replace(/entries-in-buffer\/entries-written: \d+\/\d+/, `entries-in-buffer/entries-written: ${records.length}/${records.length}`));
      out.push({ name: `${cap.replace(/\//g, '_')}@${frac}`, header, records });
    }
  }
  return out;
}

const wins = windows();
const baseFtrace = new Map<string, Outcome>();
const render = (w: Window, records: string[]): Buffer => Buffer.from([...w.header, ...records].join('\n') + '\n', 'latin1');
async function ftraceBase(w: Window): Promise<Outcome> {
  let b = baseFtrace.get(w.name);
  if (!b) { b = await outcome(render(w, w.records), `${w.name}.txt`); baseFtrace.set(w.name, b); }
  return b;
}
// The record prefix of the two formats bundled: `comm-pid [cpu] flags ts:` and function_graph's
// `ts | cpu) comm-pid |`.
const recPid = (line: string): number | undefined => {
  const m = /^\s*.*?-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]/.exec(line) ?? /\|\s+\d+\)\s+\S*?-(\d+)\s+\|/.exec(line);
  return m ? Number(m[1]) : undefined;
};
const recCpu = (line: string): number | undefined => { const m = /\[(\d{3})\]/.exec(line) ?? /\|\s+(\d+)\)/.exec(line); return m ? Number(m[1]) : undefined; };
const recTs = (line: string): string | undefined => /\s(\d+(?:\.\d+)?)(?::\s| \|)/.exec(line)?.[1];
/**
 * Whether the window's header promises a count of entries the reader holds it to: not where the
 * log marks its own losses (a window of a capture whose buffer overwrote events may hold its
 * `##### CPU N buffer started ####` line), which tell where they are instead.
 */
const counted = (w: Window): boolean => w.header.some((l) => l.includes('entries-in-buffer')) && w.header.some((l) => /tracer: (nop|function)$/.test(l))
  && !w.records.some((l) => /^##### CPU \d+ buffer started|^CPU:\d+ \[LOST/.test(l));

describe('fault campaign: windows of the bundled real captures', () => {
  const winArb = fc.nat(wins.length - 1);
  // Each run picks a window; every window's own check is the test above.
  const opts = { numRuns: Math.min(3 * wins.length, 36) * SCALE };

  it('every window checks without damage of its own', async () => {
    // (a window may cut a return from its call: KV304, with a gap of the task)
    for (const w of wins) expect((await ftraceBase(w)).diags.filter((d) => d.severity === 'error' && d.code !== 'KV304').map((d) => `${d.code}@${d.at?.line}`), w.name).toEqual([]);
  }, TIMEOUT);

  it('a deleted record line is missing from the header\'s count: every task unknown, no verdict', async () => {
    await fc.assert(fc.asyncProperty(winArb, fc.nat(), async (wi, at) => {
      const w = wins[wi]!;
      const i = at % w.records.length;
      const records = w.records.filter((_, k) => k !== i);
      const ln = w.header.length + i + 1;
      const m = await outcome(render(w, records), `${w.name}.txt`, (l) => (l >= ln ? l + 1 : l));
      if (!counted(w)) {
        // Nothing in such a log says a line is missing: a shorter log, changed for the deleted line's task.
        expectNothingNew(m, await ftraceBase(w), new Set([recPid(w.records[i]!) ?? -1]), `${w.name}: line ${ln} deleted`, [ln]);
        return;
      }
      const headerLine = w.header.findIndex((l) => l.includes('entries-in-buffer')) + 1;
      expect(m.diags.some((d) => d.code === 'KV316' && d.at?.line === headerLine), `${w.name}: line ${i} deleted`).toBe(true);
      expect(m.gaps.some((g) => g.lasting === true)).toBe(true);
      expect(m.violations.map((v) => v.key)).toEqual([]);
    }), opts);
  }, TIMEOUT);

  it('a garbled record line is a located diagnostic and a gap', async () => {
    await fc.assert(fc.asyncProperty(winArb, fc.nat(), garbage, async (wi, at, junk) => {
      const w = wins[wi]!;
      const i = at % w.records.length;
      const records = [...w.records];
      records[i] = junk.toString('latin1');
      const m = await outcome(render(w, records), `${w.name}.txt`);
      const line = w.header.length + i + 1;
      const what = `${w.name}: line ${line} garbled`;
      // Junk that reads as a header or comment line is no record: the header's count says one is
      // missing; a log without a count cannot tell it from a shorter log.
      if (m.diags.some((d) => d.code === 'KV316')) { expect(m.violations.map((v) => v.key), what).toEqual([]); return; }
      if (!counted(w) && !m.diags.some((d) => d.at?.line === line)) {
        expectNothingNew(m, await ftraceBase(w), new Set([recPid(w.records[i]!) ?? -1]), what, [line]);
        return;
      }
      expectDamage(m, await ftraceBase(w), [line], undefined, what);
    }), opts);
  }, TIMEOUT);

  it('control bytes outside quoted values are a located diagnostic and a gap of the task', async () => {
    await fc.assert(fc.asyncProperty(winArb, fc.nat(), fc.nat(), fc.constantFrom(0, 1, 7, 8, 11, 27, 31, 127), async (wi, at, pos, byte) => {
      const w = wins[wi]!;
      const i = at % w.records.length;
      const line = w.records[i]!;
      const q = line.indexOf('"');
      const limit = q === -1 ? line.length : q;
      const p = pos % (limit + 1);
      const records = [...w.records];
      records[i] = line.slice(0, p) + String.fromCharCode(byte) + line.slice(p);
      const m = await outcome(render(w, records), `${w.name}.txt`);
      const ln = w.header.length + i + 1;
      expectDamage(m, await ftraceBase(w), [ln], recPid(line), `${w.name}: byte ${byte} at ${p} of line ${ln}`);
    }), opts);
  }, TIMEOUT);

  it('a probe argument removed or unreadable is a located diagnostic and a gap, or one the mapping does not read', async () => {
    await fc.assert(fc.asyncProperty(winArb, fc.nat(), fc.nat(), fc.boolean(), async (wi, at, which, remove) => {
      const w = wins[wi]!;
      const probes = w.records.map((l, k) => [l, k] as const).filter(([l]) => / \w+=\S/.test(l) && !l.includes('sys_exit'));
      if (probes.length === 0) return;
      const [line, i] = probes[at % probes.length]!;
      const fields = [...line.matchAll(/ (\w+)=("[^"]*"|\S+)/g)];
      const f = fields[which % fields.length]!;
      const mutated = remove ? line.replace(f[0], '') : line.replace(f[0], ` ${f[1]}=0xZZZZ`);
      const records = [...w.records];
      records[i] = mutated;
      const base = await ftraceBase(w);
      const m = await outcome(render(w, records), `${w.name}.txt`);
      const ln = w.header.length + i + 1;
      const what = `${w.name}: ${f[1]} ${remove ? 'removed' : 'made 0xZZZZ'} at line ${ln}`;
      if (m.diags.some((d) => d.severity === 'error' && d.at?.line === ln)) expectDamage(m, base, [ln], recPid(line), what);
      else expectNothingNew(m, base, new Set([recPid(line) ?? -1]), what, [ln]);
    }), opts);
  }, TIMEOUT);

  it('swapped lines: on one CPU a located diagnostic and a gap; across CPUs the merge restores the order', async () => {
    await fc.assert(fc.asyncProperty(winArb, fc.nat(), async (wi, at) => {
      const w = wins[wi]!;
      const i = at % (w.records.length - 1);
      const [a, b] = [w.records[i]!, w.records[i + 1]!];
      const records = [...w.records];
      [records[i], records[i + 1]] = [b, a];
      const ln = w.header.length + i + 1;
      const map = (l: number): number => (l === ln ? ln + 1 : l === ln + 1 ? ln : l);
      const m = await outcome(render(w, records), `${w.name}.txt`, map);
      const base = await ftraceBase(w);
      const what = `${w.name}: lines ${ln} and ${ln + 1} swapped`;
      // (function_graph lines are not held to their CPU's time order: a swap there is another schedule)
      const graph = !/\[\d+\]/.test(a);
      if (!graph && recCpu(a) === recCpu(b) && recTs(a) !== recTs(b)) expectDamage(m, base, [ln, ln + 1], undefined, what);
      else expectNothingNew(m, base, new Set([recPid(a) ?? -1, recPid(b) ?? -1]), what, [ln, ln + 1]);
    }), opts);
  }, TIMEOUT);

  it('a duplicated record line changes verdicts of its own task only', async () => {
    await fc.assert(fc.asyncProperty(winArb, fc.nat(), async (wi, at) => {
      const w = wins[wi]!;
      const i = at % w.records.length;
      const records = [...w.records];
      records.splice(i, 0, w.records[i]!);
      const w2 = { ...w, header: w.header.map((l) => l.replace(/entries-in-buffer\/entries-written: \d+\/\d+/, `entries-in-buffer/entries-written: ${records.length}/${records.length}`)) };
      const ln = w.header.length + i + 1;
      const m = await outcome(render(w2, records), `${w.name}.txt`, (l) => (l > ln + 1 ? l - 1 : l === ln + 1 ? ln : l));
      expectNothingNew(m, await ftraceBase(w), new Set([recPid(w.records[i]!) ?? -1]), `${w.name}: line ${ln} duplicated`, [ln]);
    }), opts);
  }, TIMEOUT);

  it('a cut .gz capture is checked up to the cut, then a located diagnostic and a gap of every task', async () => {
    await fc.assert(fc.asyncProperty(winArb, fc.integer({ min: 10, max: 90 }), async (wi, percent) => {
      const w = wins[wi]!;
      const gz = gzipSync(render(w, w.records));
      const cut = gz.subarray(0, Math.floor((gz.length * percent) / 100));
      const m = await outcome(cut, `${w.name}.gz`);
      const d = m.diags.find((x) => x.code === 'KV305' && x.message.includes('gzip'));
      expect(d?.at?.column, `${w.name} cut at ${percent}%`).toBe(1);
      expect(m.gaps.some((g) => g.reason === 'compressed stream cut short' && g.pids === undefined)).toBe(true);
      expectNothingNew(m, await ftraceBase(w), new Set(), `${w.name} cut at ${percent}%`);
    }), { numRuns: 2 * SCALE * 2 });
  }, TIMEOUT);
});
