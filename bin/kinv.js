#!/usr/bin/env node
// Entry point. An installed package has only the compiled CLI (dist/), which runs on plain node:
// the one-script build of it with its code cache (bundle.js) when present, else its modules.
// In a checkout of the repository (src/ present) a source file newer than the build runs through
// tsx instead, so an edit is never shadowed by a stale build; `npm ci` builds dist/ (prepare).
// This folder is CommonJS (bin/package.json): an ES module as the main script makes Node set up
// its ES module loader first, a tenth of an empty start, which the bundle does not need.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, sep } = require('node:path');
const { runBundle } = require('./bundle.js');

const root = join(__dirname, '..');
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

// ES modules (the compiled modules, tsx) are loaded by import(), which CommonJS has too.
async function main() {
  const { pathToFileURL } = require('node:url');
  if (current(compiled)) {
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
}

if (current(bundle)) runBundle(bundle);
else void main();
