#!/usr/bin/env node
// Entry point. An installed package has only the compiled CLI (dist/), which runs on plain node:
// the one-script build of it with its code cache (bundle.js) when present, else its modules.
// In a checkout of the repository (src/ present) a source file newer than the build runs through
// tsx instead, so an edit is never shadowed by a stale build; `npm ci` builds dist/ (prepare).
// Node's modules are loaded by `require`: an ES import of node:fs builds its ES module face,
// which loads fs's streams (a few ms of every start).
import { createRequire } from 'node:module';
import { runBundle } from './bundle.js';

const require = createRequire(import.meta.url);
const { existsSync, readdirSync, statSync } = require('node:fs');
const { dirname, join, sep } = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli', 'kinv.cjs');
const compiled = join(root, 'dist', 'cli', 'main.js');
const sources = join(root, 'src');

// Paths by concatenation, not path.join: its normalising of ~170 paths was most of this walk.
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}${sep}${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const checkout = existsSync(sources);
let newest;
const current = (file) => existsSync(file) && (!checkout || statSync(file).mtimeMs >= (newest ??= newestSource(sources)));
if (current(bundle)) {
  runBundle(bundle);
} else if (current(compiled)) {
  await import(pathToFileURL(compiled).href);
} else if (checkout) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('kinv: dist/ is missing or older than src/, and tsx is not installed: run `npm ci` (or `npm run build`)\n');
    process.exit(70);
  }
  register();
  await import(pathToFileURL(join(sources, 'cli', 'main.ts')).href);
} else {
  process.stderr.write(`kinv: ${compiled} is missing: the package is incomplete, reinstall it\n`);
  process.exit(70);
}
