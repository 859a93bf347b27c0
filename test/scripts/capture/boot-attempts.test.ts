/**
 * capture-buggy.sh end to end, with a stand-in for QEMU only: the real capture.sh runs under it
 * (options, offsets read with pahole, disk images, initramfs, the boot and its watch, unpacking,
 * metadata), booting a cached kernel build. The stand-in `qemu-system-x86_64` (KINV_QEMU, as the
 * capture README documents) fails the first boots the ways QEMU does — it cannot start (exit 1),
 * the guest oopses and panics (QEMU then exits 0 under -no-reboot), the guest hangs until the boot
 * deadline kills it — and then boots a guest that finishes and writes its results to the output
 * disk. No root, network, kernel or apt is needed: the tools are the ones capture.sh needs on any host.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CAPTURE = join(import.meta.dirname, '../../../scripts/capture');
const LAYOUT = join(import.meta.dirname, 'fixtures/dcache-layout.o');
const OOPS = 'BUG: kernel NULL pointer dereference, address: 0000000000000008';

let tmp: string;
beforeEach(() => { tmp = mkdtempSync(join(tmpdir(), 'kinv-boots-')); });
afterEach(() => { rmSync(tmp, { recursive: true, force: true }); });

type Boot = 'exit' | 'oops' | 'hang' | 'ok';

/** The stand-in: boot N does what word N of the plan says; its arguments are kept as args.N. */
function standIn(plan: Boot[]): string {
  const state = join(tmp, 'qemu');
  mkdirSync(state);
  writeFileSync(join(state, 'plan'), plan.join(' '));
  const path = join(state, 'qemu-system-x86_64');
  writeFileSync(path, `#!/usr/bin/env bash
set -u
if [ "\${1:-}" = --version ]; then echo "QEMU emulator version 7.2.0 (stand-in)"; exit 0; fi
state='${state}'
n=$(( $(cat "$state/boots" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$state/boots"
printf '%s\\n' "$@" > "$state/args.$n"
what=$(cut -d' ' -f"$n" "$state/plan")
out=""; append=""
while [ $# -gt 0 ]; do
  case $1 in
    -drive) case $2 in file=*/out.img,*) out=\${2#file=}; out=\${out%%,*} ;; esac; shift 2 ;;
    -append) append=$2; shift 2 ;;
    *) shift ;;
  esac
done
case $what in
  exit) echo "qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory" >&2; exit 1 ;;
esac
echo "[    0.000000] Command line: $append"
echo "[guest] collision: 6 workers"
case $what in
  oops) printf '[   12.3] ${OOPS}\\n[   12.3] Oops: 0002 [#1] PREEMPT SMP\\n[   12.4] Kernel panic - not syncing: Fatal exception\\n'; exit 0 ;;
  hang) exec sleep 600 ;;
  ok)
    shape=\${append##*kinv_d_add_ci=}; shape=\${shape%% *}
    mkdir -p "$state/guest"; echo ok > "$state/guest/status"
    echo "[    1.0] kinv: d_add_ci shape $shape" > "$state/guest/dmesg.txt"
    tar -cf "$out" -C "$state/guest" . && echo 'KINV-DONE ok' ;;
esac
`);
  chmodSync(path, 0o755);
  return path;
}

interface Run { status: number | null; stdout: string; stderr: string }

function buggy(qemu: string, ...args: string[]): Run {
  const r = spawnSync('bash', [join(CAPTURE, 'capture-buggy.sh'), '--no-install', ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, KINV_CAPTURE_WORK: join(tmp, 'work'), KINV_QEMU: qemu }, timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A kernel build in the cache, as an earlier run leaves it: the source package (any bytes: the
 * cache key is the script's own), the key the script names, and the build's bzImage and DWARF object.
 */
function cachedBuild(qemu: string): string {
  const src = join(tmp, 'work/src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'linux-source-6.1_6.1.192-2_all.deb'), 'not a real package\n');
  // Without a cached build the script names its key, then fails to unpack this package.
  const first = buggy(qemu, '--build-only');
  expect(first.status).toBe(1);
  const key = /build key ([0-9a-f]{16})/.exec(first.stdout)?.[1];
  expect(key).toBeDefined();
  const cache = join(tmp, 'work/kbuild', key!);
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'bzImage'), 'a kernel image\n');
  writeFileSync(join(cache, 'dcache-g.o'), readFileSync(LAYOUT));
  return cache;
}

describe('capture-buggy.sh with a stand-in QEMU', () => {
  it('boots again after QEMU fails, the guest oopses and the guest hangs, keeps each failed boot and names the oops', () => {
    const qemu = standIn(['exit', 'oops', 'hang', 'ok']);
    const cache = cachedBuild(qemu);
    const out = join(tmp, 'out');
    const r = buggy(qemu, '--shapes', 'draft', '--attempts', '4', '--out', out, '--accel', 'tcg', '--timeout', '8');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(readFileSync(join(tmp, 'qemu/boots'), 'utf8')).toBe('4\n');
    const lines = r.stdout.split('\n');
    const attempts = lines.filter((l) => / capture-draft: booting with kinv_d_add_ci=draft, collision phase \(attempt \d of 4\)$/.test(l));
    expect(attempts).toHaveLength(4);
    expect(lines.filter((l) => l.startsWith('    attempt '))).toEqual([
      `    attempt 1 failed (exit 1, see above; kept in ${out}/draft.failed-1): the kernel oopses now and then under this workload,`
        + ' see traces/kernel-buggy/README.md; booting again',
      `    attempt 2 failed (BUG: kernel NULL pointer dereference; kept in ${out}/draft.failed-2): the kernel oopses now and then under this workload,`
        + ' see traces/kernel-buggy/README.md; booting again',
      `    attempt 3 failed (exit 1, see above; kept in ${out}/draft.failed-3): the kernel oopses now and then under this workload,`
        + ' see traces/kernel-buggy/README.md; booting again',
    ]);
    // What capture.sh said of each failed boot, indented under its attempt.
    expect(r.stdout).toContain("    qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory");
    expect(r.stdout).toContain('    capture: FAILED in step "boot": the guest stopped before finishing (qemu exit 1;');
    expect(r.stdout).toContain('    capture: FAILED in step "boot": the guest stopped before finishing (qemu exit 0;');
    expect(r.stdout).toContain('    capture: FAILED in step "boot": boot timeout: the guest did not finish within 8s');
    // Each failed boot is kept with its console log; the last boot is the capture.
    expect(readdirSync(out).sort()).toEqual(['draft', 'draft.failed-1', 'draft.failed-2', 'draft.failed-3']);
    expect(readFileSync(join(out, 'draft.failed-2/console.log'), 'utf8')).toContain(OOPS);
    expect(readFileSync(join(out, 'draft.failed-3/console.log'), 'utf8')).toContain('[guest] collision: 6 workers');
    expect(readFileSync(join(out, 'draft/dmesg.txt'), 'utf8')).toBe('[    1.0] kinv: d_add_ci shape draft\n');
    expect(existsSync(join(out, 'draft/summary.json'))).toBe(true);
    // Every boot was of the cached kernel, with the shape on its command line.
    for (let n = 1; n <= 4; n++) {
      const args = readFileSync(join(tmp, `qemu/args.${n}`), 'utf8').split('\n');
      expect(args[args.indexOf('-kernel') + 1]).toBe(join(cache, 'bzImage'));
      expect(args[args.indexOf('-append') + 1]).toMatch(/ kinv\.mode=capture kinv_d_add_ci=draft$/);
    }
    expect(r.stdout).toMatch(/==> \[ *[\d.]+s\] done: captures in /);
  }, 300_000);
});
