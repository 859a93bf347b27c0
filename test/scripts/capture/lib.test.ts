/**
 * scripts/capture/lib.sh: capture-buggy.sh's boot attempts, with a stand-in for a capture whose
 * QEMU guest oopses or stalls (a small script that writes the console log a failed boot leaves),
 * the one EXIT trap every script's clean-up joins, and the option parsing capture.sh and
 * capture-buggy.sh share. Nothing is downloaded, built or booted: each case runs bash in a
 * temporary folder for a fraction of a second.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CAPTURE = join(import.meta.dirname, '../../../scripts/capture');
const OOPS = 'BUG: kernel NULL pointer dereference, address: 0000000000000008';

let tmp: string;
beforeEach(() => { tmp = mkdtempSync(join(tmpdir(), 'kinv-capture-')); });
afterEach(() => { rmSync(tmp, { recursive: true, force: true }); });

interface Run { status: number | null; stdout: string; stderr: string }

function bash(script: string, env: Record<string, string> = {}): Run {
  const r = spawnSync('bash', ['-c', script], { cwd: tmp, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A stand-in for one capture.sh run: boot k (counted in a file) behaves as `plan[k - 1]` says —
 * `oops` and `stall` write the console log such a guest leaves and exit 1, `early` fails before
 * the output folder exists, `ok` writes the dmesg a finished capture has and exits 0.
 */
function standIn(plan: ('oops' | 'stall' | 'early' | 'ok')[]): string {
  const path = join(tmp, 'capture-standin.sh');
  writeFileSync(path, `#!/usr/bin/env bash
set -euo pipefail
dir=$1
n=$(( $(cat "${tmp}/boots" 2>/dev/null || echo 0) + 1 )); echo "$n" > "${tmp}/boots"
what=$(echo "${plan.join(' ')}" | cut -d' ' -f"$n")
echo "boot $n: $what"
[ "$what" = early ] && { echo "capture: FAILED in step \\"tools\\"" >&2; exit 3; }
mkdir -p "$dir"
case $what in
  oops) printf '[   12.3] ${OOPS}\\n[   12.3] Oops: 0002 [#1] PREEMPT SMP\\n' > "$dir/console.log"; exit 1 ;;
  stall) printf '[  300.1] watchdog: BUG: soft lockup - CPU#1 stuck for 26s!\\n' > "$dir/console.log"; exit 1 ;;
  ok) echo 'kinv: d_add_ci shape draft' > "$dir/dmesg.txt" ;;
esac
`);
  return path;
}

/** Sources lib.sh the way capture-buggy.sh does (same shell options) and runs the attempts. */
function attempts(n: number, plan: Parameters<typeof standIn>[0]): Run {
  const stand = standIn(plan);
  return bash(`set -euo pipefail
NAME=capture:buggy
. "${CAPTURE}/lib.sh"
capture_attempts capture-draft "booting with kinv_d_add_ci=draft, collision phase" ${n} "${tmp}/out/draft" bash "${stand}" "${tmp}/out/draft"
echo "after the attempts: $(cat "${tmp}/out/draft/dmesg.txt")"`);
}

const boots = (): number => Number(readFileSync(join(tmp, 'boots'), 'utf8'));

describe('capture_attempts', () => {
  it('boots again after an oops, keeps the failed boot and names the oops', () => {
    const r = attempts(3, ['oops', 'ok']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(boots()).toBe(2);
    expect(r.stdout).toContain('capture-draft: booting with kinv_d_add_ci=draft, collision phase (attempt 1 of 3)');
    expect(r.stdout).toContain(`    attempt 1 failed (BUG: kernel NULL pointer dereference; kept in ${tmp}/out/draft.failed-1)`);
    expect(r.stdout).toContain('(attempt 2 of 3)');
    expect(r.stdout).toContain('    boot 2: ok');
    expect(r.stdout).toContain('after the attempts: kinv: d_add_ci shape draft');
    expect(readFileSync(join(tmp, 'out/draft.failed-1/console.log'), 'utf8')).toContain(OOPS);
    expect(existsSync(join(tmp, 'out/draft.failed-2'))).toBe(false);
    expect(existsSync(join(tmp, 'out/draft/console.log'))).toBe(false);
  });

  it('retries a capture that failed before it made its folder', () => {
    const r = attempts(2, ['early', 'ok']);
    expect(r.status).toBe(0);
    expect(boots()).toBe(2);
    expect(r.stdout).toContain('attempt 1 failed (exit 3, see above;');
    expect(existsSync(join(tmp, 'out/draft.failed-1'))).toBe(false);
  });

  it('gives up after the last attempt, every boot kept, and the script stops there', () => {
    const r = attempts(2, ['oops', 'stall', 'ok']);
    expect(r.status).toBe(1);
    expect(boots()).toBe(2);
    expect(r.stdout).not.toContain('after the attempts');
    expect(r.stderr).toContain(`capture:buggy: FAILED in step "capture-draft": capture-draft failed 2 times (last: soft lockup; boots kept in ${tmp}/out/draft.failed-*)`);
    expect(r.stderr).toContain('capture:buggy: stopped in step "capture-draft" (exit 1)');
    expect(readFileSync(join(tmp, 'out/draft.failed-1/console.log'), 'utf8')).toContain(OOPS);
    expect(readFileSync(join(tmp, 'out/draft.failed-2/console.log'), 'utf8')).toContain('soft lockup');
  });

  it('takes only a whole number of attempts', () => {
    const r = attempts(0, ['ok']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("capture:buggy: --attempts wants a whole number of at least 1, not '0' (see --help)\n");
    expect(existsSync(join(tmp, 'boots'))).toBe(false);
  });
});

describe('the EXIT trap', () => {
  it('runs every clean-up registered with on_exit, and names the step a failure stopped in', () => {
    const r = bash(`set -euo pipefail
NAME=capture
. "${CAPTURE}/lib.sh"
first() { echo first > "${tmp}/first"; }
second() { echo second > "${tmp}/second"; }
on_exit first
on_exit second
step disks "making images"
false`);
    expect(r.status).toBe(1);
    expect(readFileSync(join(tmp, 'first'), 'utf8')).toBe('first\n');
    expect(readFileSync(join(tmp, 'second'), 'utf8')).toBe('second\n');
    expect(r.stderr).toBe('capture: stopped in step "disks" (exit 1)\n');
  });

  it('says nothing on success or a usage error, and keeps the exit status', () => {
    const ok = bash(`set -euo pipefail; NAME=capture; . "${CAPTURE}/lib.sh"; on_exit true; exit 0`);
    expect([ok.status, ok.stderr]).toEqual([0, '']);
    const usage = bash(`set -euo pipefail; NAME=capture; . "${CAPTURE}/lib.sh"; usage_error "--accel must be auto, kvm or tcg"`);
    expect([usage.status, usage.stderr]).toEqual([2, 'capture: --accel must be auto, kvm or tcg (see --help)\n']);
  });
});

describe('shared option parsing', () => {
  const work = (): string => join(tmp, 'work');
  const script = (name: string, ...args: string[]): Run => {
    const r = spawnSync('bash', [join(CAPTURE, name), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, KINV_CAPTURE_WORK: work() } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it.each([
    ['capture.sh', ['--bogus'], 'capture: unknown option --bogus (see --help)\n'],
    ['capture.sh', ['--files', '10', '--out'], 'capture: --out needs a value (see --help)\n'],
    ['capture.sh', ['--probeset', 'all'], 'capture: --probeset must be legacy or full (see --help)\n'],
    ['capture.sh', ['--kernel', 'bz', '--kernel-package', 'linux-image-x'], 'capture: --kernel-package and --kernel exclude each other (see --help)\n'],
    ['capture.sh', ['--phases', 'graph', '--workload-params', 'kinv_wq_delay=20'], 'capture: --workload-params applies to the collision phase, which --phases leaves out (see --help)\n'],
    ['capture.sh', ['--workload-params', 'kinv_wq_delay=20 kinv_wq_check'], "capture: --workload-params wants NAME=VALUE words (core kernel parameters), not 'kinv_wq_check' (see --help)\n"],
    ['capture.sh', ['--workload-params', 'x=1;reboot'], "capture: --workload-params wants NAME=VALUE words (core kernel parameters), not 'x=1;reboot' (see --help)\n"],
    // capture.sh's options given to capture-buggy.sh are checked before the kernel build, not after it.
    ['capture-buggy.sh', ['--coll-rounds', '100', '--colrounds', '3'], "capture:buggy: unknown option --colrounds (neither capture-buggy.sh's nor capture.sh's) (see --help)\n"],
    ['capture-buggy.sh', ['--accel', 'kvm', '--timeout'], 'capture:buggy: --timeout needs a value (see --help)\n'],
    ['capture-buggy.sh', ['--attempts'], 'capture:buggy: --attempts needs a value (see --help)\n'],
    ['capture-buggy.sh', ['--accel', 'hvf'], 'capture:buggy: --accel must be auto, kvm or tcg (see --help)\n'],
    ['capture-buggy.sh', ['--shapes', 'draft,fxed'], 'capture:buggy: unknown shape fxed in --shapes (draft, fixed, mainline) (see --help)\n'],
    ['capture-buggy.sh', ['--attempts', 'two'], "capture:buggy: --attempts wants a whole number of at least 1, not 'two' (see --help)\n"],
    ['capture-waitqueue.sh', ['--modes', 'stock,fixd'], 'capture:waitqueue: unknown mode fixd in --modes (stock, delay, check, fix) (see --help)\n'],
    ['capture-waitqueue.sh', ['--kernel-package', 'linux-image-x=1', '--modes', 'fix'], 'capture:waitqueue: --kernel-package boots an unpatched kernel: only --modes stock (see --help)\n'],
    ['capture-waitqueue.sh', ['--version', '6.6'], 'capture:waitqueue: --version must be 6.1 or 6.12 (see --help)\n'],
    ['capture-waitqueue.sh', ['--delay', '20', '--boots'], 'capture:waitqueue: --boots needs a value (see --help)\n'],
    ['capture-waitqueue.sh', ['--bogus'], 'capture:waitqueue: unknown option --bogus (see --help)\n'],
    ['capture-waitqueue.sh', ['--smp', '0'], 'capture:waitqueue: --smp wants a whole number of at least 1 (see --help)\n'],
  ])('%s %j: a usage error before any work', (name, args, message) => {
    const r = script(name, ...args);
    expect([r.status, r.stderr, r.stdout]).toEqual([2, message, '']);
    expect(existsSync(work())).toBe(false);
  });

  it('--help prints each script\'s own header', () => {
    const a = script('capture.sh', '--help');
    const b = script('capture-buggy.sh', '--coll-rounds', '5', '-h');
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(a.stdout.split('\n')[0]).toBe('npm run capture [-- OPTIONS]');
    expect(a.stdout).toContain('--trace-clock C');
    expect(b.stdout.split('\n')[0]).toBe('npm run capture:buggy [-- OPTIONS]');
    expect(b.stdout).toContain('--attempts N');
    expect(existsSync(work())).toBe(false);
  });
});
