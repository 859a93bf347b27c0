/** Whether the compiled build is at least as new as the sources, so a bench measures what the CLI runs. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time of any file under `dir`. */
export function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

/** `dist/<file>` exists and is not older than anything in `src/`. */
export function distIsFresh(root: string, file: string): boolean {
  const p = join(root, 'dist', file);
  return existsSync(p) && statSync(p).mtimeMs >= newest(join(root, 'src'));
}
