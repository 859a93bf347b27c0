/**
 * The offsets as pahole reads them from the same BTF, when pahole is installed: a second reader of
 * the format, so that a misread offset (a probe fetching the wrong field) shows before any capture.
 */
import { execFileSync } from 'node:child_process';
import { MEMBERS, type Offsets, type Placeholder } from './probe-set.js';

/** A member's offset in `pahole -C STRUCT` output: the first number of its `/* offset size *\/` comment. */
export function paholeOffset(text: string, struct: string, path: string): number | undefined {
  let base = 0;
  let body = structBody(text, struct);
  const names = path.split('.');
  for (let i = 0; i < names.length; i++) {
    if (body === undefined) return undefined;
    // One member line, within its line: `[const ]struct T  name;  /* offset size */` or any other type.
    const declaration = `^[ \\t]*(?:(?:const |volatile )*struct[ \\t]+(\\w+)|[^;/\\n]*?)[ \\t*]+${names[i]}`;
    const m = new RegExp(`${declaration}(?:\\[\\d*\\])?;[ \\t]*/\\*[ \\t]*(\\d+)`, 'm').exec(body);
    if (m === null) return undefined;
    base += Number(m[2]);
    if (i < names.length - 1) body = m[1] === undefined ? undefined : structBody(text, m[1]);
  }
  return base;
}

function structBody(text: string, struct: string): string | undefined {
  const a = text.indexOf(`struct ${struct} {`);
  if (a === -1) return undefined;
  const e = text.indexOf('\n};', a);
  return text.slice(a, e === -1 ? undefined : e);
}

/** pahole's offsets for every placeholder, or why there are none. */
export function paholeOffsets(btfFile: string): { offsets: Offsets } | { unavailable: string } {
  let text: string;
  try {
    const structs = 'inode,dentry,qstr,nameidata,path';
    text = execFileSync('pahole', ['-F', 'btf', '-C', structs, btfFile], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { unavailable: code === 'ENOENT' ? 'pahole not installed' : `pahole failed (${(e as Error).message.split('\n')[0]})` };
  }
  const offsets: Offsets = {};
  for (const [k, [s, m]] of Object.entries(MEMBERS) as [Placeholder, readonly [string, string]][]) {
    const o = paholeOffset(text, s, m);
    if (o !== undefined) offsets[k] = o;
  }
  return { offsets };
}
