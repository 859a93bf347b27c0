/** `--format json` output of real runs validates against the shipped JSON Schema (draft 2020-12). */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

const schema = JSON.parse(readFileSync('schema/verdicts.schema.json', 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false }).compile(schema);
// A plain predicate: the validator's type guard would narrow a rejected object to `never`.
const valid = (o: unknown): boolean => validate(o);

function lines(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function invalid(objects: Record<string, unknown>[]): string[] {
  return objects.flatMap((o) => (valid(o) ? [] : [`${String(o.kind)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`]));
}

const ndjson = readdirSync('traces/ndjson').filter((f) => f.endsWith('.ndjson')).map((f) => `traces/ndjson/${f}`);

describe('the JSON Schema of --format json', () => {
  it('accepts every object kinv check prints for the bundled NDJSON traces, each with version 1', async () => {
    const r = await kinv(['check', '--format', 'json', '--all', ...ndjson]);
    const objs = lines(r.stdout);
    expect(new Set(objs.map((o) => o.kind))).toEqual(new Set(['violation', 'pending', 'summary']));
    expect(objs.every((o) => o.version === 1)).toBe(true);
    expect(invalid(objs)).toEqual([]);
  });

  it('accepts diagnostics, gaps and lockdep pairings (ftrace, damaged input, --lockdep)', async () => {
    const damaged = await kinv(['check', '--format', 'json', '-'], '{"pid":1,"ev":"acq",}\n{"pid":1,"ev":"ret","fn":"lookup"}\n');
    const ftrace = await kinv(['check', '--format', 'json', '--lockdep', 'traces/lockdep/dmesg-draft.txt', 'traces/ftrace/kprobe-draft-d_add_ci.txt']);
    const objs = [...lines(damaged.stdout), ...lines(ftrace.stdout)];
    expect(new Set(objs.map((o) => o.kind))).toEqual(new Set(['diagnostic', 'gap', 'violation', 'lockdep', 'summary']));
    expect(invalid(objs)).toEqual([]);
  });

  it('gives the spec\'s own problems as diagnostics of the stream, with their location: errors (exit 2) and warnings (the check goes on)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinv-schema-'));
    const spec = (name: string, text: string): string => { writeFileSync(join(dir, name), text); return join(dir, name); };
    const bad = spec('bad.kinv', 'event acq(lock: id)\ninvariant x on acq: hled == 1\n');
    const warned = spec('warned.kinv', 'event acq(lock: id)\nstate held: set[task, id]\ninvariant x on acq: (pid, lock) not in held\n');
    const trace = '{"pid":1,"ev":"acq","args":{"lock":"a"}}\n';
    const refused = await kinv(['check', '--format', 'json', '--spec', bad, '-'], trace);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('');
    expect(lines(refused.stdout)).toEqual([{ version: 1, kind: 'diagnostic', code: 'KV101', severity: 'error', message: "unknown name 'hled'",
      location: `${bad}:2:21`, hint: 'fields here: pid, seq, comm, cpu, ts, lock' }]);
    const run = await kinv(['check', '--format', 'json', '--spec', warned, '-'], trace);
    const objs = lines(run.stdout);
    expect(objs.map((o) => [o.kind, o.code, o.location])).toEqual([['diagnostic', 'KV206', `${warned}:2:7`], ['summary', undefined, undefined]]);
    expect(invalid([...lines(refused.stdout), ...objs])).toEqual([]);
  });

  it('gives a loss that may lie anywhere in a span its two ends (window, until), and validates them', async () => {
    const objs = lines((await kinv(['check', '--format', 'json', 'traces/ftrace/lost-events.txt'])).stdout).filter((o) => o.kind === 'gap');
    expect(objs.map((o) => [o.reason, o.line, o.window, o.until])).toEqual([
      ['overwritten history', 3, 'opens', 10], ['buffer started', 5, undefined, undefined], ['lost events', 6, 'opens', 7],
      ['lost events', 7, 'closes', undefined], ['line too big', 9, undefined, undefined], ['buffer started', 10, 'closes', undefined]]);
    expect(invalid(objs)).toEqual([]);
    expect(valid({ ...objs[0], window: 'starts' })).toBe(false);
    expect(valid({ ...objs[0], until: 'ten' })).toBe(false);
  });

  it('accepts what conform prints: a conformance and a non-conformance with its first event', async () => {
    const r = await kinv(['conform', '--format', 'json', '--d-add-ci', 'auto', 'traces/ftrace/kprobe-draft-d_add_ci.txt']);
    const objs = lines(r.stdout);
    expect(objs.map((o) => [o.kind, o.shape, o.verdict])).toEqual([
      ['conformance', 'mainline', 'does not conform'], ['conformance', 'draft', 'conforms'], ['conformance', 'fixed', 'does not conform']]);
    expect(invalid(objs)).toEqual([]);
    expect(valid({ ...objs[0], failure: { ...(objs[0]!.failure as object), index: 'eight' } })).toBe(false);
  });

  it('accepts what explore and fuzz print', async () => {
    const ex = await kinv(['explore', '--format', 'json', '--d-add-ci', 'draft', '--order', 'new', '--scenario', 'single', '--first']);
    const fz = await kinv(['fuzz', '--format', 'json', '--d-add-ci', 'draft', '--order', 'new', '--runs', '300', '--seed', '5', '--only', 'd_add_ci_parent_lock_balanced']);
    const objs = [...lines(ex.stdout), ...lines(fz.stdout)];
    expect(objs.filter((o) => o.kind === 'violation').length).toBeGreaterThanOrEqual(2);
    expect(invalid(objs)).toEqual([]);
  });

  it('gives events as data beside their display text', async () => {
    const v = lines((await kinv(['check', '--format', 'json', 'traces/ndjson/draft-d_add_ci-E2.ndjson'])).stdout).find((o) => o.invariant === 'd_add_ci_parent_lock_balanced')!;
    expect(v.record).toEqual({ pid: 101, ev: 'ret', fn: 'd_add_ci', args: {}, ret: 'D2', seq: 10, file: 'traces/ndjson/draft-d_add_ci-E2.ndjson', line: 11, comm: 'stat' });
    expect(v.event).toBe('ret d_add_ci = D2');
  });

  it('rejects objects that break it', async () => {
    const v = lines((await kinv(['check', '--format', 'json', 'traces/ndjson/draft-d_add_ci-E2.ndjson'])).stdout)[0]!;
    expect(valid(v)).toBe(true);
    for (const broken of [{ ...v, version: 2 }, { ...v, record: 'ret d_add_ci = D2' }, { ...v, kind: 'verdict' }, { version: 1, kind: 'summary', lines: 3 }]) {
      expect(valid(broken)).toBe(false);
    }
  });
});
