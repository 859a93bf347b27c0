// The command line as one script (dist/cli/kinv.cjs, written by `npm run build`), run with V8's
// code cache (kinv.cjs.cache): a cold start then neither parses nor compiles the functions a
// command uses, which was most of its time over Node's own start. The cache is made by a run of
// the build's Node; another Node rejects it and the script compiles as usual. V8 checks the
// source's length, not its content: the build writes the script and its cache together, and a
// script edited by hand must be rebuilt (`npm run build`) or its cache deleted.
// A CommonJS module (bin/package.json), as kinv.js that requires it.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { Script } = require('node:vm');
const nodeModule = require('node:module');

function compile(file, cachedData) {
  const source = readFileSync(file, 'utf8');
  return new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
}

function run(script, file) {
  const mod = { exports: {} };
  const require = nodeModule.createRequire(file);
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file));
}

/** Runs the bundle, with its code cache when this Node accepts it. */
function runBundle(file) {
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    cachedData = undefined;
  }
  const script = compile(file, cachedData);
  if (cachedData !== undefined && script.cachedDataRejected && typeof nodeModule.enableCompileCache === 'function') {
    // Node 22.1 and later keep a compile cache of their own (in the system's temporary folder).
    nodeModule.enableCompileCache();
    nodeModule.createRequire(file)(file);
    return;
  }
  run(script, file);
}

/** Runs the bundle on `argv` and writes its code cache when the process exits (`npm run build`). */
function trainBundle(file, argv) {
  process.argv = [process.argv[0], file, ...argv];
  const script = compile(file, undefined);
  process.once('exit', () => writeFileSync(`${file}.cache`, script.createCachedData()));
  run(script, file);
}

module.exports = { runBundle, trainBundle };
