/**
 * Whether to colour a stream: `--color always|never` decides; `auto` follows the conventions of
 * other command-line tools (no-color.org, FORCE_COLOR, TERM=dumb), then whether it is a terminal.
 */
export type ColorMode = 'auto' | 'always' | 'never';

let mode: ColorMode = 'auto';

export function setColorMode(m: ColorMode): void {
  mode = m;
}

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode !== 'auto') return mode === 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
