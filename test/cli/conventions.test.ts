/**
 * Command-line conventions: --version, per-command --help listing every option, did-you-mean,
 * validated numbers, --color and its environment, exit codes that CI can trust (70 for a crash,
 * a closed pipe keeps the run's code), replay lines that reproduce, --out traces.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { COMMAND_SPECS, COMMANDS } from '../../src/cli/options.js';
import { setColorMode, useColor } from '../../src/diag/color.js';
import { explore } from '../../src/sim/explore.js';
import { SCENARIOS } from '../../src/sim/scenarios.js';
import { bundledChecker } from '../../src/checker/incremental.js';
import { bundledSpec, checkTrace, explain } from '../../src/index.js';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { conformTraceFile, type ConformProgress } from '../../src/conform/conform.js';
import { call, ev, ret } from '../../src/testing/index.js';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-conv-'));
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('--version and --help', () => {
  it('prints the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await kinv([flag]);
      expect([r.code, r.stdout]).toEqual([0, `kinv ${pkg.version}\n`]);
    }
  });

  for (const name of Object.keys(COMMANDS)) {
    it(`kinv ${name} --help lists every option it accepts, and exits 0`, async () => {
      const r = await kinv([name, '--help']);
      expect(r.code).toBe(0);
      for (const [opt, o] of Object.entries(COMMAND_SPECS[name]!.options)) {
        expect(r.stdout).toContain(`--${opt}`);
        if (o.short) expect(r.stdout).toContain(`-${o.short}, --${opt}`);
      }
      expect(r.stdout).toContain('--color auto|always|never');
      expect((await kinv([name, '-h'])).stdout).toBe(r.stdout);
    });
  }

  it('each command states its own exit codes once', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const help = (await kinv([name, '--help'])).stdout;
      expect(help.match(/Exit codes:/g), name).toHaveLength(1);
    }
    expect((await kinv(['conform', '--help'])).stdout).toContain('Exit codes: 0 conforms');
    expect((await kinv(['conform', '--help'])).stdout).not.toContain('every invariant holds');
    expect((await kinv(['explore', '--help'])).stdout).toContain('3 unknown: the search was cut');
  });

  it('an exploration cut by its bound before any counterexample is unknown (exit 3), not "no violation"', async () => {
    const cut = await kinv(['explore', '--scenario', 'pair', '--d-add-ci', 'mainline', '--max-states', '40']);
    expect(cut.code).toBe(3);
    expect(cut.stdout).toContain('no violation in the states explored');
    expect(cut.stdout).not.toContain('any interleaving');
    const whole = await kinv(['explore', '--scenario', 'pair', '--d-add-ci', 'mainline']);
    expect([whole.code, whole.stdout.includes('no violation in any interleaving')]).toEqual([0, true]);
    // A counterexample found before the bound is a violation whatever the bound cut.
    const found = await kinv(['explore', '--scenario', 'single', '--d-add-ci', 'draft', '--order', 'new', '--max-states', '40']);
    expect([found.code, found.stdout.includes('cut by --max-states'), found.stdout.includes('is unknown')]).toEqual([1, true, false]);
  });

  it('lists the options of explore and fuzz that shape a run', async () => {
    const explore = (await kinv(['explore', '--help'])).stdout;
    for (const o of ['--spec', '--param', '--creat', '--exact-hashed', '--alloc-fail', '--out']) expect(explore).toContain(o);
    const fuzz = (await kinv(['fuzz', '--help'])).stdout;
    for (const o of ['--spec', '--param', '--phase', '--exclude', '--only', '--replay', '--out']) expect(fuzz).toContain(o);
  });

  it('kinv --help names every command; kinv with no command is a usage error', async () => {
    const r = await kinv(['--help']);
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.stdout).toContain(`  ${name}`);
    expect((await kinv([])).code).toBe(2);
  });
});

describe('usage errors (exit 2) say what was meant', () => {
  it('suggests the nearest command and option', async () => {
    const c = await kinv(['chekc', 'x']);
    expect([c.code, c.stderr]).toEqual([2, expect.stringContaining("unknown command 'chekc'; did you mean 'check'?")]);
    const o = await kinv(['check', '--fromat', 'json', 'x']);
    expect([o.code, o.stderr]).toEqual([2, expect.stringContaining("unknown option '--fromat'; did you mean '--format'?")]);
    const v = await kinv(['check', '--format', 'jsno', 'x']);
    expect(v.stderr).toContain("did you mean 'json'?");
  });

  it('validates numbers and probabilities', async () => {
    for (const args of [['check', '--max-diagnostics', 'abc', 'x'], ['check', '--max-diagnostics=-1', 'x'], ['explore', '--max-depth', '1e3'], ['fuzz', '--runs', '12x'], ['sim', '--creat', '2']]) {
      const r = await kinv(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/expects a (non-negative integer|probability)/);
    }
  });
});

describe('--color', () => {
  it('follows NO_COLOR, FORCE_COLOR, TERM=dumb and the terminal in auto mode', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    setColorMode('auto');
    expect(useColor(tty, {})).toBe(true);
    expect(useColor(pipe, {})).toBe(false);
    expect(useColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(tty, { TERM: 'dumb' })).toBe(false);
    expect(useColor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    setColorMode('never');
    expect(useColor(tty, { FORCE_COLOR: '1' })).toBe(false);
    setColorMode('always');
    expect(useColor(pipe, { NO_COLOR: '1' })).toBe(true);
    setColorMode('auto');
  });

  it('--color always colours a pipe, --color never does not', async () => {
    const trace = 'traces/ndjson/draft-d_add_ci-E2.ndjson';
    expect((await kinv(['check', '--color', 'always', trace])).stdout).toContain('\x1b[31m');
    expect((await kinv(['check', '--color=never', trace], undefined, { FORCE_COLOR: '1' })).stdout).not.toContain('\x1b[');
    expect((await kinv(['check', '--color', 'sometimes', trace])).code).toBe(2);
  });
});

describe('exit codes', () => {
  it('a nonexistent file is exit 3, and nothing on stdout claims a pass', async () => {
    const r = await kinv(['check', join(tmp, 'missing.ndjson')]);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('no violation');
    expect(r.stderr).toContain('no verdict');
  });

  it('after a fatal KV317 (ftrace text, a spec without mappings) there is no "no violation"', async () => {
    const spec = join(tmp, 'nomap.kinv');
    writeFileSync(spec, 'event acq(lock: id)\n');
    const r = await kinv(['check', '--spec', spec, 'traces/ftrace/kprobe-draft-d_add_ci.txt']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('KV317');
    expect(r.stdout).not.toContain('no violation');
  });

  it('an internal error is exit 70 with one line and no stack, unless --debug', async () => {
    vi.doMock('../../src/cli/commands/lint.js', () => ({ lint: () => Promise.reject(new TypeError('boom')) }));
    try {
      const r = await kinv(['lint']);
      expect(r.code).toBe(70);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('internal error: TypeError: boom');
      const d = await kinv(['lint', '--debug']);
      expect(d.code).toBe(70);
      expect(d.stderr).toMatch(/\n\s+at /);
    } finally {
      vi.doUnmock('../../src/cli/commands/lint.js');
    }
  });

  // A real process: the pipe is closed before kinv writes anything.
  function closedPipes(args: string[]): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['bin/kinv.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      child.stderr.destroy();
      child.on('exit', (code) => resolve(code));
    });
  }

  it('a closed stdout and stderr keep the code the run would have had', async () => {
    expect(await closedPipes(['check', '--all', 'traces/ndjson/draft-d_add_ci-E2.ndjson'])).toBe(1);
    expect(await closedPipes(['check', 'traces/ndjson/clean-two-lookups.ndjson'])).toBe(0);
    expect(await closedPipes(['check', join(tmp, 'missing.ndjson')])).toBe(3);
  });
});

describe('fuzz and explore', () => {
  it('--runs N reports N runs, with shrinking steps apart', async () => {
    const r = await kinv(['fuzz', '--format', 'json', '--d-add-ci', 'draft', '--order', 'new', '--runs', '300', '--seed', '3']);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { runs: number; shrinks: number; findings: string[] };
    expect(summary.findings.length).toBeGreaterThan(0);
    expect(summary.runs).toBe(300);
    expect(summary.shrinks).toBeGreaterThan(0);
  });

  it('prints a replay line with every option that shaped the run, and it reproduces the finding', async () => {
    const spec = join(tmp, 'entry.kinv');
    writeFileSync(spec, `import "${process.cwd()}/spec/vfs/events.kinv"\nimport "${process.cwd()}/spec/vfs/locks.kinv"\n` +
      'param forbid_ci: bool = false\ninvariant d_add_ci_forbidden on call d_add_ci: not forbid_ci else "d_add_ci({name}) called"\n');
    const args = ['fuzz', '--format', 'json', '--d-add-ci', 'fixed', '--order', 'new', '--runs', '200', '--seed', '9', '--spec', spec, '--param', 'forbid_ci=true', '--only', 'd_add_ci_forbidden'];
    const first = JSON.parse((await kinv(args)).stdout.split('\n')[0]!) as { invariant: string; replay: string; choices: number[] };
    expect(first.invariant).toBe('d_add_ci_forbidden');
    expect(first.replay).toContain(`--spec ${spec}`);
    expect(first.replay).toContain('--param forbid_ci=true');
    const replayArgs = first.replay.split(' ').slice(1);
    const again = JSON.parse((await kinv([...replayArgs, '--format', 'json'])).stdout.split('\n')[0]!) as { invariant: string; choices: number[] };
    expect([again.invariant, again.choices]).toEqual([first.invariant, first.choices]);
  });

  it('--out writes the counterexample as a trace that kinv check judges the same way', async () => {
    const fz = join(tmp, 'fuzz.ndjson');
    const f = await kinv(['fuzz', '--d-add-ci', 'draft', '--order', 'new', '--runs', '300', '--seed', '5', '--only', 'd_add_ci_parent_lock_balanced', '--out', fz]);
    expect(f.code).toBe(1);
    const cf = await kinv(['check', '--param', 'order=new', '--format', 'json', fz]);
    expect(cf.code).toBe(1);
    expect(cf.stdout).toContain('"invariant":"d_add_ci_parent_lock_balanced"');
    const ex = join(tmp, 'explore.ndjson');
    expect((await kinv(['explore', '--d-add-ci', 'draft', '--order', 'new', '--scenario', 'single', '--first', '--out', ex])).code).toBe(1);
    expect((await kinv(['check', '--param', 'order=new', ex])).code).toBe(1);
  });

  it('conform reports progress as it goes: the read ahead, the reading, then the judging, to its last step', async () => {
    const seen: ConformProgress[] = [];
    const specs = new SpecSet([bundledSpecDir()], {});
    const file = 'traces/ftrace/kprobe-fixed-d_add_ci.txt';
    const r = await conformTraceFile(file, specs, { shapes: ['fixed'], order: 'current', onDiagnostic: () => undefined, onProgress: (p) => seen.push(p) });
    expect(r?.results[0]?.verdict).toBe('conforms');
    // The phases in order, each at least once.
    const phases = seen.map((p) => p.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);
    expect(phases).toEqual(['ahead', 'read', 'judge']);
    const ahead = seen.filter((p) => p.phase === 'ahead');
    const reads = seen.filter((p) => p.phase === 'read');
    const judging = seen.filter((p) => p.phase === 'judge');
    // Each count as far as the one before or further, to the whole: every line read ahead, every event read, every step judged.
    const rising = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x >= xs[i - 1]!);
    expect(rising(ahead.map((p) => p.lines))).toBe(true);
    expect(ahead.at(-1)!.lines).toBe(readFileSync(file, 'utf8').split('\n').filter(Boolean).length);
    expect(rising(reads.map((p) => p.events))).toBe(true);
    expect(reads.at(-1)!.events).toBe(r!.events);
    const last = judging.at(-1)!;
    expect(rising(judging.map((p) => p.steps))).toBe(true);
    expect(last.steps).toBe(last.of);
    expect(last.of).toBeGreaterThan(0);
  });

  it('explore reports progress as it goes', () => {
    const seen: number[] = [];
    explore(SCENARIOS.pair!({ dAddCi: 'draft', order: 'new' }), { monitor: bundledChecker({ order: 'new' }), abstractMonitor: false, onProgress: (p) => seen.push(p.explored) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});

describe('the library', () => {
  it('names events built in memory by their seq, not ?:?', () => {
    const spec = bundledSpec();
    const events = [ev(1, 'acq_req', { lock: 'I1', mode: 'R', kind: 'blocking' }), ev(1, 'acq', { lock: 'I1', mode: 'R' }), call(1, 'lookup', { dir: 'I1', dentry: 'D1', name: 'x', flags: 0, fs: 'ext4' }), ev(1, 'rel', { lock: 'I1', mode: 'R' }), ret(1, 'lookup', 'D1')];
    const text = explain(spec, checkTrace(spec, events));
    expect(text).toContain('--> (in-memory trace) seq 4');
    expect(text).not.toContain('?:?');
  });
});
