/**
 * Every test run's temporary files under one folder of its own, removed when the run ends: the
 * tests make their folders with `mkdtemp(tmpdir())` (traces cut from real captures, hundreds of MB
 * in all), and the kinv processes they start write there too. Without it, each run of the suite
 * left about 1.5 GB in the system's temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'kinv-tests-'));
  const was = process.env.TMPDIR;
  // (os.tmpdir() reads TMPDIR at each call, in this process and in the workers it starts)
  process.env.TMPDIR = root;
  return () => {
    if (was === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = was;
    rmSync(root, { recursive: true, force: true });
  };
}
