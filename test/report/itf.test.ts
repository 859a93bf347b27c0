/**
 * ITF out and in: a counterexample exported by explore, fuzz and sim reads back with the verdicts
 * of its NDJSON twin, states carry the spec's variables, and Quint-produced traces of the bundled
 * Quint model (traces/itf/, written by `quint run --out-itf`) are judged: the draft d_add_ci
 * breaks the parent-lock balance, the mainline shape breaks nothing.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-itf-'));

/** `kind invariant seq pid: message` of each verdict of `kinv check --format json ARGS`. */
async function verdicts(args: string[]): Promise<{ code: number; list: string[] }> {
  const r = await kinv(['check', '--format', 'json', ...args]);
  const list = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.kind === 'violation' || o.kind === 'pending' || o.kind === 'unknown')
    .map((o) => `${String(o.kind)} ${String(o.invariant)} ${String(o.seq)} ${String(o.pid)}: ${String(o.message)}`);
  return { code: r.code, list };
}

describe('ITF export and import', () => {
  it('explore: the draft counterexample read back from ITF gives the verdicts of its NDJSON trace', async () => {
    const itf = join(tmp, 'explore.itf.json');
    const nd = join(tmp, 'explore.ndjson');
    expect((await kinv(['explore', '--d-add-ci', 'draft', '--first', '--itf', itf, '--out', nd])).code).toBe(1);
    const fromNdjson = await verdicts([nd]);
    const fromItf = await verdicts(['--from', 'itf', itf]);
    expect(fromNdjson.code).toBe(1);
    expect(fromItf).toEqual(fromNdjson);
    expect(fromItf.list[0]).toMatch(/^violation in_lookup_parent_locked /);
  });

  it('sim and fuzz: the same round trip, and each state holds the spec variables after its event', async () => {
    const itf = join(tmp, 'sim.itf.json');
    const nd = join(tmp, 'sim.ndjson');
    expect((await kinv(['sim', '--d-add-ci', 'draft', '--scenario', 'pair', '--seed', '3', '--out', nd, '--itf', itf])).code).toBe(0);
    expect(await verdicts(['--from', 'itf', itf])).toEqual(await verdicts([nd]));
    const trace = JSON.parse(readFileSync(itf, 'utf8')) as { vars: string[]; states: Record<string, unknown>[] };
    expect(trace.vars.slice(0, 3)).toEqual(['mbt::actionTaken', 'mbt::nondetPicks', 'event']);
    expect(trace.vars).toContain('held');
    const events = readFileSync(nd, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ev: string; pid: number; args: Record<string, unknown> });
    expect(trace.states.length).toBe(events.length + 1);
    // After the first acq, its task holds the lock in its mode: held[pid, lock] = mode.
    const i = events.findIndex((e) => e.ev === 'acq');
    const a = events[i]!;
    expect(trace.states[i + 1]!['mbt::actionTaken']).toBe('acq');
    expect(trace.states[i + 1]!.held).toEqual({ '#map': [[{ '#tup': [{ '#bigint': String(a.pid) }, a.args.lock] }, a.args.mode]] });
    expect(trace.states[0]!.held).toEqual({ '#map': [] });

    const fitf = join(tmp, 'fuzz.itf.json');
    const fnd = join(tmp, 'fuzz.ndjson');
    expect((await kinv(['fuzz', '--d-add-ci', 'draft', '--seed', '5', '--runs', '200', '--itf', fitf, '--out', fnd])).code).toBe(1);
    const fuzzed = await verdicts(['--from', 'itf', fitf]);
    expect(fuzzed).toEqual(await verdicts([fnd]));
    expect(fuzzed.code).toBe(1);
  });

  it('judges the Quint model of the draft d_add_ci: the parent-lock imbalance, exactly', async () => {
    const r = await verdicts(['--from', 'itf', 'traces/itf/quint-draft.itf.json']);
    expect(r.code).toBe(1);
    expect(r.list.map((v) => v.replace(/:.*/, ''))).toEqual([
      'violation in_lookup_parent_locked 13 102',
      'violation d_add_ci_parent_lock_balanced 18 102',
      'violation lookup_parent_lock_balanced 19 102',
      'violation d_add_ci_parent_lock_balanced 23 101',
      'violation rel_held 24 102',
      'violation lookup_parent_lock_balanced 25 101',
    ]);
  });

  it('finds nothing in the Quint model of the mainline d_add_ci', async () => {
    const r = await kinv(['check', '--from', 'itf', 'traces/itf/quint-mainline.itf.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no violation — 36 events from 37 records');
  });

  it('is exit 3 with a located diagnostic for a damaged ITF file', async () => {
    const r = await kinv(['check', '--from', 'itf', 'traces/ndjson/rel_mode.ndjson']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('traces/ndjson/rel_mode.ndjson:2:1');
    expect(r.stderr).toContain('KV318');
  });
});
